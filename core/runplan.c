/*
 * core/runplan.c — a run configuration resolved and checked as a whole
 * (see runplan.h).
 *
 * Order of the checks: names first (engine, workload, backend), then the
 * workload's parameters, then the combinations (machine, VMs, TLB), so
 * that the first message a user sees is about the first thing wrong.
 */
#include "core/runplan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "core/backends.h"
#include "core/cli.h"
#include "core/registry.h"
#include "core/sha256.h"
#include "memvirt/options.h"

static int plan_fail(struct run_plan *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int plan_fail(struct run_plan *p, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	return code;
}

static const struct rc_option *opt(const char *name)
{
	return rc_find(name);
}

static bool given(const struct run_config *c, const char *name)
{
	return c->given[opt(name) - rc_options];
}

int run_plan_check_param(const struct wl_desc *wl, const char *key, const char *value, uint64_t *out,
			 char *why, size_t len)
{
	const char *names[WL_MAX_PARAMS];
	const struct wl_param *prm;
	char accepted[256];
	size_t aoff = 0;
	uint64_t v;

	accepted[0] = '\0';
	for (unsigned k = 0; k < wl->param_count; k++) {
		names[k] = wl->params[k].name;
		aoff += (size_t)snprintf(accepted + aoff, aoff < sizeof(accepted) ? sizeof(accepted) - aoff : 0,
					 "%s%s", k ? ", " : "", wl->params[k].name);
	}
	prm = wl_find_param(wl, key);
	if (!prm) {
		const char *close = cli_closest(key, names, wl->param_count);

		snprintf(why, len, "workload '%s' has no parameter '%s'%s%s%s; accepted: %s", wl->name, key,
			 close ? " (did you mean '" : "", close ? close : "", close ? "'?)" : "",
			 wl->param_count ? accepted : "none");
		return -EINVAL;
	}
	if (!mv_parse_u64(value, &v) || v < prm->min || v > prm->max) {
		snprintf(why, len,
			 "bad value '%s' for parameter %s of %s: expected a number from %" PRIu64 " to %" PRIu64 " (%s)",
			 value, key, wl->name, prm->min, prm->max, prm->help);
		return -EINVAL;
	}
	if (out)
		*out = v;
	return 0;
}

/* Workload parameters: defaults, then each --param checked by name and range. */
static int resolve_params(const struct run_config *c, struct run_plan *p)
{
	const struct wl_desc *wl = p->workload;
	size_t off = 0;

	for (unsigned k = 0; k < wl->param_count; k++)
		p->param_values[k] = wl->params[k].def;
	for (unsigned i = 0; i < c->param_count; i++) {
		const char *eq = strchr(c->params[i], '=');
		char key[64];
		uint64_t v;

		if ((size_t)(eq - c->params[i]) >= sizeof(key))
			return plan_fail(p, MV_EXIT_USAGE, "bad --param '%s': key too long", c->params[i]);
		memcpy(key, c->params[i], (size_t)(eq - c->params[i]));
		key[eq - c->params[i]] = '\0';
		if (run_plan_check_param(wl, key, eq + 1, &v, p->error, sizeof(p->error)))
			return MV_EXIT_USAGE;
		p->param_values[wl_find_param(wl, key) - wl->params] = v;
	}
	p->params_text[0] = '\0';
	for (unsigned i = 0; i < wl->param_count; i++)
		off += (size_t)snprintf(p->params_text + off, sizeof(p->params_text) - off, "%s%s=%" PRIu64,
					i ? " " : "", wl->params[i].name, p->param_values[i]);
	return 0;
}

static int resolve_backend(const struct run_config *c, struct run_plan *p)
{
	uint32_t engine = p->engine->id;
	char err[1024];

	/* A plugin is not loaded to check a configuration: that would run
	 * its code in the checking process. */
	if (p->check_only && be_is_path(c->backend))
		return 0;

	if (be_resolve(c->backend, engine, &p->backend, &p->backend_dl, err, sizeof(err)))
		return plan_fail(p, MV_EXIT_USAGE, "%s", err);
	if (!(p->backend->engines & engine)) {
		char engines[64];
		int rc;

		be_engines_text(p->backend, engines, sizeof(engines));
		/* The name lives in the plugin: say it before unloading. */
		rc = plan_fail(p, MV_EXIT_USAGE, "backend '%s' runs on engine %s, not %s", p->backend->name,
			      engines, p->engine->name);
		be_unload(p->backend_dl);
		p->backend_dl = NULL;
		p->backend = NULL;
		return rc;
	}
	if (be_options_canonical(p->backend, c->backend_opt, p->backend_opt_canonical,
				 sizeof(p->backend_opt_canonical), err, sizeof(err)))
		return plan_fail(p, MV_EXIT_USAGE, "%s", err);
	return 0;
}

/* Whether the canonical option text "k=v,k=v" sets `key` to `value`. */
static bool canonical_is(const char *text, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	for (const char *p = text; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == '=' && !strncmp(p + klen + 1, value, vlen) &&
		    (p[klen + 1 + vlen] == ',' || !p[klen + 1 + vlen]))
			return true;
	return false;
}

/* The machine, the VM count and the TLB against the engine and backend. */
static int check_machine(const struct run_config *c, struct run_plan *p)
{
	uint32_t offers = p->engine->capabilities ? p->engine->capabilities() : 0;
	bool tlb_model = p->engine->tlb_canonical != NULL;
	char err[1024];
	uint32_t backend_engines = p->backend ? p->backend->engines : 0;
	const char *backend_name = p->backend ? p->backend->name : c->backend;

	p->arch_tlb = !strcmp(c->machine, "archtlb");
	if (p->arch_tlb && !(offers & MV_CAP_ARCH_TLB))
		return plan_fail(p, MV_EXIT_USAGE, "engine %s has no architected-TLB machine; use --engine soft",
				 p->engine->name);
	if (!p->arch_tlb && (backend_engines & MV_BACKEND_ARCH_TLB))
		return plan_fail(p, MV_EXIT_USAGE,
				 "backend %s virtualizes the architected-TLB machine: add --machine archtlb",
				 backend_name);
	if (p->arch_tlb && c->vms > 1 && p->backend && !(backend_engines & MV_BACKEND_ARCH_TLB))
		return plan_fail(p, MV_EXIT_USAGE,
				 "backend %s cannot timeshare VMs on the architected-TLB machine (its TLB is not virtualized); use softtlb or asid, or --vms 1",
				 backend_name);
	if (p->backend) {
		uint32_t missing = be_needs(p->backend) & ~offers;

		if (missing) {
			char why[512];

			p->engine->explain_missing(missing, why, sizeof(why));
			/* The host's KVM mode is its configuration, not the command line. */
			return plan_fail(p, missing & (MV_CAP_HOST_TDP | MV_CAP_HOST_SHADOW) ? MV_EXIT_ENV : MV_EXIT_USAGE,
					 "backend %s cannot run on this %s engine: %s", backend_name, p->engine->name, why);
		}
	}
	if (!tlb_model) {
		if (c->tlb)
			return plan_fail(p, MV_EXIT_USAGE,
					 "--tlb sets the soft engine's TLB model; the %s engine runs on the host's TLB (drop --tlb)",
					 p->engine->name);
		p->tlb_canonical[0] = '\0';
		return 0;
	}
	if (p->engine->tlb_canonical(c->tlb, p->tlb_canonical, sizeof(p->tlb_canonical), err, sizeof(err)))
		return plan_fail(p, MV_EXIT_USAGE, "%s", err);
	/* The architected TLB's size is the canonical text's arch= key. */
	if (p->arch_tlb && canonical_is(p->tlb_canonical, "arch", "0"))
		return plan_fail(p, MV_EXIT_USAGE,
				 "--tlb arch=0: the architected-TLB machine needs a TLB of 1 to 65536 entries");
	return 0;
}

/* A program run: its arguments and files from either spelling, the
 * package built (every file read and checked). */
static int resolve_program(const struct run_config *c, struct run_plan *p)
{
	static const struct {
		const char *one, *all;
	} pairs[] = {{"arg", "args"}, {"file", "files"}};
	int n;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (given(c, pairs[i].one) && given(c, pairs[i].all))
			return plan_fail(p, MV_EXIT_USAGE, "--%s and --%s together: give the list one way", pairs[i].one,
					 pairs[i].all);
		if (!c->program && (given(c, pairs[i].one) || given(c, pairs[i].all)))
			return plan_fail(p, MV_EXIT_USAGE, "--%s is for a program: add --program PATH",
					 given(c, pairs[i].one) ? pairs[i].one : pairs[i].all);
	}
	if (!c->program) {
		if (given(c, "output-limit"))
			return plan_fail(p, MV_EXIT_USAGE, "--output-limit is for a program: add --program PATH");
		p->workload = wl_find(c->workload);
		snprintf(p->workload_label, sizeof(p->workload_label), "%s", p->workload->name);
		return 0;
	}
	if (given(c, "workload"))
		return plan_fail(p, MV_EXIT_USAGE,
				 "--workload and --program together: a run is a workload or a program, not both");
	if (c->param_count)
		return plan_fail(p, MV_EXIT_USAGE, "--param sets a workload's parameters; a program takes --arg");
	p->program = true;
	p->workload = &prog_workload;
	if (c->args_text) {
		n = prog_split_words(c->args_text, p->prog_words[0], sizeof(p->prog_words[0]), p->prog_args,
				     PROG_MAX_ARGS - 1, p->error, sizeof(p->error));
		if (n < 0)
			return MV_EXIT_USAGE;
		p->prog_argc = (unsigned)n;
	} else {
		if (c->arg.count > PROG_MAX_ARGS - 1)
			return plan_fail(p, MV_EXIT_USAGE, "%u --arg options; at most %u", c->arg.count, PROG_MAX_ARGS - 1);
		for (unsigned i = 0; i < c->arg.count; i++)
			p->prog_args[i] = c->arg.items[i];
		p->prog_argc = c->arg.count;
	}
	if (c->files_text) {
		n = prog_split_words(c->files_text, p->prog_words[1], sizeof(p->prog_words[1]), p->prog_files,
				     PROG_MAX_FILES - 1, p->error, sizeof(p->error));
		if (n < 0)
			return MV_EXIT_USAGE;
		p->prog_filec = (unsigned)n;
	} else {
		if (c->file.count > PROG_MAX_FILES - 1)
			return plan_fail(p, MV_EXIT_USAGE, "%u --file options; at most %u", c->file.count,
					 PROG_MAX_FILES - 1);
		for (unsigned i = 0; i < c->file.count; i++)
			p->prog_files[i] = c->file.items[i];
		p->prog_filec = c->file.count;
	}
	if (prog_package_build(c->program, p->prog_args, p->prog_argc, p->prog_files, p->prog_filec,
			       c->output_limit, &p->package, p->error, sizeof(p->error)))
		return MV_EXIT_USAGE;
	snprintf(p->workload_label, sizeof(p->workload_label), "%s:%s", PROG_WORKLOAD, p->package.files[0].name);
	return 0;
}

static int resolve_guest(const struct run_config *c, struct run_plan *p)
{
	int rc;

	if (c->guest)
		snprintf(p->guest_path, sizeof(p->guest_path), "%s", c->guest);
	else
		vmm_default_guest_path(p->guest_path, sizeof(p->guest_path), p->program);
	/* A file that cannot be read is the environment's fault (3); one
	 * that is no guest image is refused when it is loaded (2). */
	rc = sha256_file(p->guest_path, p->guest_sha256);
	if (rc)
		return plan_fail(p, MV_EXIT_ENV, "cannot read guest image '%s': %s%s", p->guest_path,
				strerror(-rc), c->guest ? "" : p->program ? " (build memvirt with its Linux personality "
				"image memvirt-guest-lx.elf first, or give --guest)" : " (build memvirt first, or give --guest)");
	return 0;
}

/* A word of an identity, unambiguous whatever it holds: bytes other
 * than letters, digits and ._/=+,:- as %XX. */
static size_t put_word(char *buf, size_t len, size_t off, const char *w)
{
	for (const unsigned char *s = (const unsigned char *)w; *s; s++) {
		bool plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			     strchr("._/=+,:-", *s);

		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, plain ? "%c" : "%%%02X", *s);
	}
	return off;
}

/* Longer argument or file lists are named by a digest in the identity. */
#define PROG_IDENTITY_LIST_MAX 512

/* A program run's part of the identity: the program by its content (the
 * path is where it lies, not what it is), its arguments in order, its
 * files by name and content, the output limit.  The one-text spellings
 * (args, files) resolve to the same lists, named once. */
static bool program_identity(const struct run_plan *p, const struct rc_option *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (!strcmp(o->name, "program")) {
		snprintf(buf, len, "%.16s", p->package.files[0].sha256);
	} else if (!strcmp(o->name, "arg")) {
		struct sha256 h;

		sha256_init(&h);
		for (unsigned i = 0; i < p->prog_argc; i++) {
			uint64_t n = strlen(p->prog_args[i]);

			if (i)
				off += (size_t)snprintf(buf + off, off < len ? len - off : 0, " ");
			off = put_word(buf, len, off, p->prog_args[i]);
			sha256_update(&h, &n, sizeof(n));
			sha256_update(&h, p->prog_args[i], n);
		}
		/* A long list is named by its digest, so that the identity
		 * stays short enough to compare and store. */
		if (off > PROG_IDENTITY_LIST_MAX) {
			char hex[65];

			sha256_hex(&h, hex);
			snprintf(buf, len, "sha256:%.16s", hex);
		}
	} else if (!strcmp(o->name, "file")) {
		struct sha256 h;

		sha256_init(&h);
		for (unsigned i = 1; i < p->package.file_count; i++) {
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s", i > 1 ? " " : "");
			off = put_word(buf, len, off, p->package.files[i].name);
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "@%.16s", p->package.files[i].sha256);
			sha256_update(&h, p->package.files[i].name, strlen(p->package.files[i].name) + 1);
			sha256_update(&h, p->package.files[i].sha256, 64);
		}
		if (off > PROG_IDENTITY_LIST_MAX) {
			char hex[65];

			sha256_hex(&h, hex);
			snprintf(buf, len, "sha256:%.16s", hex);
		}
	} else if (!strcmp(o->name, "output-limit")) {
		snprintf(buf, len, "%" PRIu64, p->cfg->output_limit);
	} else {
		return false;
	}
	return true;
}

/* The canonical value of one identity option, or false to leave it out. */
static bool identity_value(const struct run_plan *p, const struct rc_option *o, char *buf, size_t len)
{
	const struct run_config *c = p->cfg;

	if (!strcmp(o->name, "engine"))
		snprintf(buf, len, "%s", p->engine->name);
	else if (!strcmp(o->name, "machine"))
		snprintf(buf, len, "%s", p->arch_tlb ? "archtlb" : "pt");
	else if (!strcmp(o->name, "backend")) {
		char sha[65] = "";
		char path[4096];

		if (!p->backend_dl) {
			snprintf(buf, len, "%s", p->backend->name);
			return true;
		}
		/* A plugin is its code: the same name from another file is
		 * another backend. */
		be_plugin_path(c->backend, path, sizeof(path));
		if (sha256_file(path, sha))
			snprintf(sha, sizeof(sha), "unreadable");
		snprintf(buf, len, "plugin:%s@%.16s", p->backend->name, sha);
	} else if (!strcmp(o->name, "backend-opt"))
		snprintf(buf, len, "%s", p->backend_opt_canonical);
	else if (!strcmp(o->name, "workload"))
		snprintf(buf, len, "%s", p->workload->name);
	else if (!strcmp(o->name, "param")) {
		size_t off = 0;

		buf[0] = '\0';
		for (unsigned i = 0; i < p->workload->param_count; i++)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s=%" PRIu64, i ? "," : "",
						p->workload->params[i].name, p->param_values[i]);
	} else if (!strcmp(o->name, "quantum") || !strcmp(o->name, "slice")) {
		/* One VM runs without turns; VMs take turns by instructions
		 * where the engine counts them (the quantum), by time where it
		 * does not (the slice): the other changes nothing. */
		bool icount = p->engine->capabilities() & MV_CAP_ICOUNT;

		if (c->vms < 2 || icount != !strcmp(o->name, "quantum"))
			return false;
		snprintf(buf, len, "%" PRIu64, icount ? c->quantum : c->slice);
	} else if (!strcmp(o->name, "tlb"))
		snprintf(buf, len, "%s", p->tlb_canonical[0] ? p->tlb_canonical : "host");
	else if (!strcmp(o->name, "costs"))
		snprintf(buf, len, "%s", p->costs_canonical);
	else if (!strcmp(o->name, "guest"))
		snprintf(buf, len, "%.16s", p->guest_sha256);
	else if (!strcmp(o->name, "program") || !strcmp(o->name, "arg") || !strcmp(o->name, "args") ||
		 !strcmp(o->name, "file") || !strcmp(o->name, "files") || !strcmp(o->name, "output-limit"))
		return p->program && program_identity(p, o, buf, len);
	else if (o->kind == RC_NUMBER)
		snprintf(buf, len, "%" PRIu64, rc_number(c, o));
	else
		snprintf(buf, len, "%s", rc_text(c, o) ? rc_text(c, o) : "");
	return true;
}

static int make_identity(struct run_plan *p)
{
	size_t off = 0, boff = 0;

	for (size_t i = 0; i < rc_option_count; i++) {
		const struct rc_option *o = &rc_options[i];
		bool backend_part = !strcmp(o->name, "backend") || !strcmp(o->name, "backend-opt");
		char value[2048];
		int n;

		if (!(o->flags & RC_F_IDENTITY) || !identity_value(p, o, value, sizeof(value)))
			continue;
		n = snprintf(p->identity + off, sizeof(p->identity) - off, "%s%s=%s", off ? ";" : "", o->name, value);
		if (n < 0 || (size_t)n >= sizeof(p->identity) - off)
			return plan_fail(p, MV_EXIT_USAGE, "the configuration is too long to name (%s)", o->name);
		off += (size_t)n;
		if (backend_part)
			continue;
		n = snprintf(p->baseline_identity + boff, sizeof(p->baseline_identity) - boff, "%s%s=%s",
			     boff ? ";" : "", o->name, value);
		if (n < 0 || (size_t)n >= sizeof(p->baseline_identity) - boff)
			return plan_fail(p, MV_EXIT_USAGE, "the configuration is too long to name (%s)", o->name);
		boff += (size_t)n;
	}
	return 0;
}

int run_plan_make(const struct run_config *c, struct run_plan *p, unsigned flags, int argc, char **argv)
{
	char err[1024], why[1024];
	size_t off = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	p->cfg = c;
	p->check_only = flags & RUN_PLAN_CHECK_ONLY;
	/* Defaults are checked like given values: a broken default is a bug
	 * worth a clear message too. */
	if (rc_set(&(struct run_config){0}, opt("engine"), c->engine, "--", why, sizeof(why)) ||
	    rc_set(&(struct run_config){0}, opt("workload"), c->workload, "--", why, sizeof(why)))
		return plan_fail(p, MV_EXIT_USAGE, "%s", why);
	if (reg_engine_find(c->engine, &p->engine) || !p->engine)
		return plan_fail(p, MV_EXIT_USAGE, "engine '%s' is not built into this memvirt", c->engine);

	rc = resolve_program(c, p);
	if (!rc)
		rc = resolve_params(c, p);
	if (rc) {
		run_plan_free(p);
		return rc;
	}
	if (ev_record_level_parse(c->record, &p->record, err, sizeof(err)))
		return plan_fail(p, MV_EXIT_USAGE, "%s", err);
	ev_record_level_format(&p->record, p->record_text, sizeof(p->record_text));
	if (c->no_db && p->record.level != EV_LEVEL_SUMMARY)
		return plan_fail(p, MV_EXIT_USAGE, "--record %s needs a database; drop --no-db", c->record);
	if (c->no_db && given(c, "db"))
		return plan_fail(p, MV_EXIT_USAGE, "--db and --no-db together: choose one");
	if (c->timeseries && c->timeseries < 10000)
		return plan_fail(p, MV_EXIT_USAGE,
				 "--timeseries %" PRIu64 ": too often; accepted: 0 (none) or at least 10000 instructions",
				 c->timeseries);
	if (c->timeseries && c->no_db)
		return plan_fail(p, MV_EXIT_USAGE, "--timeseries needs a database; drop --no-db");
	cost_model_default(&p->costs);
	if (c->costs && cost_model_override(&p->costs, c->costs, err, sizeof(err)))
		return plan_fail(p, MV_EXIT_USAGE, "%s", err);
	cost_model_canonical(&p->costs, p->costs_canonical, sizeof(p->costs_canonical));
	rc = resolve_backend(c, p);
	if (!rc)
		rc = check_machine(c, p);
	/* The Linux personality builds page tables and never runs the
	 * architected TLB's refill mode: on that machine its walks would be
	 * the hardware's, and the backends' counts meaningless. */
	if (!rc && p->program && p->arch_tlb)
		rc = plan_fail(p, MV_EXIT_USAGE,
			       "--program runs on the page-table machine only (the Linux personality has no "
			       "architected-TLB refill mode); drop --machine archtlb");
	/* Whether this machine can run the engine at all is its environment,
	 * said after what is wrong with the command line itself; a check of a
	 * sweep file does not depend on it. */
	if (!rc && !p->check_only && !p->engine->available(why, sizeof(why)))
		rc = plan_fail(p, MV_EXIT_ENV, "engine %s is unavailable: %s", p->engine->name, why);
	if (!rc && !p->check_only)
		rc = resolve_guest(c, p);
	if (!rc && !p->check_only)
		rc = make_identity(p);
	if (rc) {
		run_plan_free(p);
		return rc;
	}
	for (int i = 0; i < argc && off < sizeof(p->command); i++)
		off += (size_t)snprintf(p->command + off, sizeof(p->command) - off, "%s%s", i ? " " : "memvirt ",
					argv[i]);
	return 0;
}

void run_plan_free(struct run_plan *p)
{
	prog_package_free(&p->package);
	be_unload(p->backend_dl);
	p->backend_dl = NULL;
}

void run_plan_params_json(const struct run_plan *p, struct json *j)
{
	json_object_begin(j);
	for (unsigned i = 0; i < p->workload->param_count; i++) {
		json_key(j, p->workload->params[i].name);
		json_u64(j, p->param_values[i]);
	}
	json_object_end(j);
}

void run_plan_program_members(const struct run_plan *p, bool stored, struct json *j)
{
	json_key(j, "path");
	json_string(j, p->cfg->program);
	json_key(j, "name");
	json_string(j, p->package.files[0].name);
	json_key(j, "sha256");
	json_string(j, p->package.files[0].sha256);
	json_key(j, "args");
	json_array_begin(j);
	for (unsigned i = 0; i < p->prog_argc; i++)
		json_string(j, p->prog_args[i]);
	json_array_end(j);
	json_key(j, "files");
	json_array_begin(j);
	for (unsigned i = 1; i < p->package.file_count; i++) {
		json_object_begin(j);
		json_key(j, "name");
		json_string(j, p->package.files[i].name);
		if (stored) {
			json_key(j, "path");
			json_string(j, p->prog_files[i - 1]);
		}
		json_key(j, "sha256");
		json_string(j, p->package.files[i].sha256);
		if (stored) {
			json_key(j, "size");
			json_u64(j, p->package.files[i].size);
		}
		json_object_end(j);
	}
	json_array_end(j);
	if (stored) {
		json_key(j, "output_limit");
		json_u64(j, p->cfg->output_limit);
	}
}

void run_plan_config_json(const struct run_plan *p, struct json *j)
{
	const struct run_config *c = p->cfg;

	json_object_begin(j);
	for (size_t i = 0; i < rc_option_count; i++) {
		const struct rc_option *o = &rc_options[i];

		if (!strcmp(o->name, "param")) {
			json_key(j, "params");
			run_plan_params_json(p, j);
			continue;
		}
		if (!o->json_key)
			continue;
		json_key(j, o->json_key);
		if (!strcmp(o->name, "engine"))
			json_string(j, p->engine->name);
		else if (!strcmp(o->name, "record"))
			json_string(j, p->record_text);
		else if (!strcmp(o->name, "guest"))
			json_string(j, p->guest_path);
		else if (!strcmp(o->name, "workload"))
			json_string(j, p->workload->name);
		else if (o->kind == RC_NUMBER)
			json_u64(j, rc_number(c, o));
		else if (o->kind == RC_FLAG)
			json_bool(j, *(const bool *)((const char *)c + o->offset));
		else
			json_string(j, rc_text(c, o));
	}
	json_key(j, "backend_options_canonical");
	json_string(j, p->backend_opt_canonical);
	json_key(j, "tlb_canonical");
	json_string(j, p->tlb_canonical[0] ? p->tlb_canonical : NULL);
	json_key(j, "costs_canonical");
	json_string(j, p->costs_canonical);
	json_key(j, "guest_sha256");
	json_string(j, p->guest_sha256);
	{
		/* Which MMU the host's KVM used is part of what was measured. */
		uint32_t offers = p->engine->capabilities ? p->engine->capabilities() : 0;

		if (offers & (MV_CAP_HOST_TDP | MV_CAP_HOST_SHADOW)) {
			json_key(j, "kvm_paging");
			json_string(j, offers & MV_CAP_HOST_TDP ? "tdp" : "shadow");
		}
	}
	if (p->program) {
		json_key(j, "program");
		json_object_begin(j);
		run_plan_program_members(p, true, j);
		json_object_end(j);
	}
	json_key(j, "identity");
	json_string(j, p->identity);
	json_key(j, "baseline_identity");
	json_string(j, p->baseline_identity);
	json_object_end(j);
}

void run_plan_vmm_config(const struct run_plan *p, uint64_t seed, struct ev_bus *bus, FILE *console,
			 struct vmm_config *vc)
{
	const struct run_config *c = p->cfg;

	*vc = (struct vmm_config){
		.engine = p->engine,
		.backend = p->backend,
		.backend_options = c->backend_opt,
		.workload = p->workload->name,
		.params_text = p->params_text,
		.program = p->program ? p->package.data : NULL,
		.program_len = p->program ? p->package.len : 0,
		.output_cap = p->program ? (size_t)c->output_limit : 0,
		.seed = seed,
		.vms = (unsigned)c->vms,
		.quantum = c->quantum,
		.slice_s = (double)c->slice / 1e6,
		.mem_size = c->mem,
		.insn_limit = c->insn_limit,
		.timeout_s = (double)c->timeout,
		.boot_timeout_s = (double)c->boot_timeout,
		.tlb = c->tlb,
		.arch_tlb = p->arch_tlb,
		.guest_path = p->guest_path,
		.bus = bus,
		.console = console,
		.snapshot_every = c->timeseries,
	};
}
