/*
 * core/cli_run.c — `memvirt run`: validate the command line, run the
 * configuration (repetitions in turn), verify each VM's checksum against
 * the host-side reference, record everything, print a summary or one
 * JSON object.
 *
 * Every run is stored as 'running' before the guest starts and finished
 * as 'ok' or 'failed', so an interrupted memvirt leaves it detectable.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/backends.h"
#include "core/cli.h"
#include "core/costmodel.h"
#include "core/json.h"
#include "core/registry.h"
#include "core/store.h"
#include "core/vmm.h"
#include "vcpu/kvm/kvm.h"
#include "workloads/bootinfo.h"
#include "workloads/catalog.h"
#include "workloads/reference.h"

#define MAX_PARAMS 32

struct run_options {
	const char *engine_name;
	const char *backend_name;
	const char *backend_options;
	const char *workload_name;
	const char *params[MAX_PARAMS];
	unsigned param_count;
	uint64_t vms, reps, seed, quantum, mem, insn_limit;
	double timeout_s;
	const char *db_path;
	bool no_db;
	const char *record_text;
	const char *tlb;
	bool arch_tlb;             /* --machine archtlb */
	const char *guest_path;
	const char *costs;
	bool json;
	bool console;
	/* Hidden, for `memvirt sweep`: the first repetition's index, the
	 * sweep the runs belong to and the sweep point's key. */
	uint64_t rep_first;
	int64_t sweep_id;
	const char *sweep_key;
};

/* Everything resolved from the options, shared by the repetitions. */
struct run_plan {
	const struct engine_ops *engine;
	const struct mv_backend_ops *backend;
	void *backend_dl;
	const struct wl_desc *workload;
	uint64_t param_values[WL_MAX_PARAMS];
	char params_text[MV_BOOT_PARAMS_LEN];
	struct ev_record_level record;
	char record_text[32];
	char guest_path[4096];
	struct cost_model costs;
	char command[2048];
};

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt run [OPTIONS]\n"
		"\n"
		"Run a guest workload on an engine under a memory backend, record it in the\n"
		"results database and print a summary.\n"
		"\n"
		"  --engine soft|kvm          execution engine (default soft)\n"
		"  --backend NAME|PATH.so     memory backend or plugin (default native; see memvirt list backends)\n"
		"  --backend-opt TEXT         options for the backend\n"
		"  --workload NAME            guest workload (default scan; see memvirt list workloads)\n"
		"  --param KEY=VALUE          workload parameter, repeatable; values take K/M/G suffixes\n"
		"  --vms N                    guest VMs timeshared on one CPU, 1..%d (default 1)\n"
		"  --quantum N                retired instructions per VM turn with --vms > 1 (default 200000)\n"
		"  --reps N                   repetitions, 1..1000; repetition r uses seed + r (default 1)\n"
		"  --seed N                   workload seed (default 1)\n"
		"  --mem SIZE                 guest RAM per VM, 16M..64G (default 128M)\n"
		"  --insn-limit N             end a VM that retires more instructions (soft; default 20000000000)\n"
		"  --timeout SECONDS          end the run after this wall time (default 600)\n"
		"  --tlb TEXT                 soft engine TLB: l1=64:4,l2=1024:8,repl=lru|random,pwc=16,asid-bits=12\n"
		"                             (arch=N: entries of the architected TLB)\n"
		"  --machine pt|archtlb       soft engine: page-table machine (default) or architected-TLB\n"
		"                             machine (docs/arch-tlb.md)\n"
		"  --costs NAME=CYCLES,...    override cost-model entries (see docs/cost-model.md)\n"
		"  --db FILE                  results database (default %s)\n"
		"  --no-db                    do not record the run\n"
		"  --record LEVEL             summary, sampled:N or full (default summary)\n"
		"  --guest FILE               guest kernel ELF (default: the one built with memvirt)\n"
		"  --console                  echo the guest console to stderr\n"
		"  --json                     print one JSON object instead of the summary\n"
		"  -h, --help                 this help\n"
		"\n"
		"Exit status: 0 ok, 1 run failed (guest error, checksum mismatch, backend error),\n"
		"2 usage error, 3 environment error (no /dev/kvm, unwritable database, no guest image).\n",
		VMM_MAX_VMS, MV_DEFAULT_DB);
}

static int parse_number_option(const char *name, const char *text, uint64_t min, uint64_t max,
			       uint64_t *out)
{
	if (!cli_parse_u64(text, out) || *out < min || *out > max)
		return cli_fail(MV_EXIT_USAGE, "run",
				"bad value '%s' for --%s: expected a number from %" PRIu64 " to %" PRIu64,
				text, name, min, max);
	return 0;
}

static int parse_options(int argc, char **argv, struct run_options *o)
{
	enum {
		OPT_ENGINE = 256, OPT_BACKEND, OPT_BACKEND_OPT, OPT_WORKLOAD, OPT_PARAM, OPT_VMS,
		OPT_REPS, OPT_SEED, OPT_QUANTUM, OPT_MEM, OPT_INSN_LIMIT, OPT_TIMEOUT, OPT_DB,
		OPT_NO_DB, OPT_RECORD, OPT_JSON, OPT_TLB, OPT_GUEST, OPT_COSTS, OPT_CONSOLE,
		OPT_REP, OPT_SWEEP_ID, OPT_SWEEP_KEY, OPT_MACHINE,
	};
	static const struct option opts[] = {
		{"engine", required_argument, NULL, OPT_ENGINE},
		{"backend", required_argument, NULL, OPT_BACKEND},
		{"backend-opt", required_argument, NULL, OPT_BACKEND_OPT},
		{"workload", required_argument, NULL, OPT_WORKLOAD},
		{"param", required_argument, NULL, OPT_PARAM},
		{"vms", required_argument, NULL, OPT_VMS},
		{"reps", required_argument, NULL, OPT_REPS},
		{"seed", required_argument, NULL, OPT_SEED},
		{"quantum", required_argument, NULL, OPT_QUANTUM},
		{"mem", required_argument, NULL, OPT_MEM},
		{"insn-limit", required_argument, NULL, OPT_INSN_LIMIT},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"db", required_argument, NULL, OPT_DB},
		{"no-db", no_argument, NULL, OPT_NO_DB},
		{"record", required_argument, NULL, OPT_RECORD},
		{"json", no_argument, NULL, OPT_JSON},
		{"tlb", required_argument, NULL, OPT_TLB},
		{"machine", required_argument, NULL, OPT_MACHINE},
		{"guest", required_argument, NULL, OPT_GUEST},
		{"costs", required_argument, NULL, OPT_COSTS},
		{"console", no_argument, NULL, OPT_CONSOLE},
		{"rep", required_argument, NULL, OPT_REP},
		{"sweep-id", required_argument, NULL, OPT_SWEEP_ID},
		{"sweep-key", required_argument, NULL, OPT_SWEEP_KEY},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	uint64_t timeout = 600;
	int c, rc;

	*o = (struct run_options){
		.engine_name = "soft",
		.backend_name = "native",
		.workload_name = "scan",
		.vms = 1,
		.reps = 1,
		.seed = 1,
		.quantum = 200000,
		.mem = 128ull << 20,
		.insn_limit = 20000000000ull,
		.db_path = MV_DEFAULT_DB,
		.record_text = "summary",
	};
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'h':
			run_usage(stdout);
			return -1;
		case OPT_ENGINE: o->engine_name = optarg; break;
		case OPT_BACKEND: o->backend_name = optarg; break;
		case OPT_BACKEND_OPT: o->backend_options = optarg; break;
		case OPT_WORKLOAD: o->workload_name = optarg; break;
		case OPT_PARAM:
			if (o->param_count == MAX_PARAMS)
				return cli_fail(MV_EXIT_USAGE, "run", "too many --param options (at most %d)",
						MAX_PARAMS);
			o->params[o->param_count++] = optarg;
			break;
		case OPT_VMS: rc = parse_number_option("vms", optarg, 1, VMM_MAX_VMS, &o->vms); break;
		case OPT_REPS: rc = parse_number_option("reps", optarg, 1, 1000, &o->reps); break;
		case OPT_SEED: rc = parse_number_option("seed", optarg, 0, UINT64_MAX, &o->seed); break;
		case OPT_QUANTUM:
			rc = parse_number_option("quantum", optarg, 1000, UINT64_MAX / 2, &o->quantum);
			break;
		case OPT_MEM:
			rc = parse_number_option("mem", optarg, 16ull << 20, 64ull << 30, &o->mem);
			if (!rc && (o->mem & ((2ull << 20) - 1)))
				rc = cli_fail(MV_EXIT_USAGE, "run",
					      "bad value '%s' for --mem: must be a multiple of 2M", optarg);
			break;
		case OPT_INSN_LIMIT:
			rc = parse_number_option("insn-limit", optarg, 0, UINT64_MAX, &o->insn_limit);
			break;
		case OPT_TIMEOUT:
			rc = parse_number_option("timeout", optarg, 1, 7 * 24 * 3600, &timeout);
			break;
		case OPT_DB: o->db_path = optarg; break;
		case OPT_NO_DB: o->no_db = true; break;
		case OPT_RECORD: o->record_text = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_TLB: o->tlb = optarg; break;
		case OPT_MACHINE:
			if (!strcmp(optarg, "archtlb"))
				o->arch_tlb = true;
			else if (!strcmp(optarg, "pt"))
				o->arch_tlb = false;
			else
				rc = cli_fail(MV_EXIT_USAGE, "run",
					      "bad value '%s' for --machine: expected pt or archtlb", optarg);
			break;
		case OPT_GUEST: o->guest_path = optarg; break;
		case OPT_COSTS: o->costs = optarg; break;
		case OPT_CONSOLE: o->console = true; break;
		case OPT_REP: rc = parse_number_option("rep", optarg, 0, 999, &o->rep_first); break;
		case OPT_SWEEP_ID: {
			uint64_t id;

			rc = parse_number_option("sweep-id", optarg, 1, INT64_MAX, &id);
			o->sweep_id = (int64_t)id;
			break;
		}
		case OPT_SWEEP_KEY: o->sweep_key = optarg; break;
		default:
			return cli_usage_hint("run");
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_fail(MV_EXIT_USAGE, "run", "unexpected argument '%s' (options start with --)",
				argv[optind]);
	o->timeout_s = (double)timeout;
	return 0;
}

/* Workload parameters: defaults, then each --param checked by name and range. */
static int resolve_params(const struct run_options *o, struct run_plan *p)
{
	const struct wl_desc *wl = p->workload;
	size_t off = 0;

	for (unsigned i = 0; i < wl->param_count; i++)
		p->param_values[i] = wl->params[i].def;
	for (unsigned i = 0; i < o->param_count; i++) {
		const char *eq = strchr(o->params[i], '=');
		const struct wl_param *prm;
		char key[64], accepted[256];
		size_t aoff = 0;
		uint64_t v;

		accepted[0] = '\0';
		for (unsigned k = 0; k < wl->param_count; k++)
			aoff += (size_t)snprintf(accepted + aoff, sizeof(accepted) - aoff, "%s%s",
						 k ? ", " : "", wl->params[k].name);
		if (!eq || eq == o->params[i] || (size_t)(eq - o->params[i]) >= sizeof(key))
			return cli_fail(MV_EXIT_USAGE, "run",
					"bad --param '%s': expected KEY=VALUE with KEY one of: %s",
					o->params[i], accepted);
		memcpy(key, o->params[i], (size_t)(eq - o->params[i]));
		key[eq - o->params[i]] = '\0';
		prm = wl_find_param(wl, key);
		if (!prm)
			return cli_fail(MV_EXIT_USAGE, "run",
					"workload '%s' has no parameter '%s'; accepted: %s", wl->name, key,
					wl->param_count ? accepted : "none");
		if (!cli_parse_u64(eq + 1, &v) || v < prm->min || v > prm->max)
			return cli_fail(MV_EXIT_USAGE, "run",
					"bad value '%s' for parameter %s of %s: expected a number from %" PRIu64
					" to %" PRIu64 " (%s)",
					eq + 1, key, wl->name, prm->min, prm->max, prm->help);
		p->param_values[prm - wl->params] = v;
	}
	p->params_text[0] = '\0';
	for (unsigned i = 0; i < wl->param_count; i++)
		off += (size_t)snprintf(p->params_text + off, sizeof(p->params_text) - off,
					"%s%s=%" PRIu64, i ? " " : "", wl->params[i].name,
					p->param_values[i]);
	return 0;
}

static int plan_run(const struct run_options *o, struct run_plan *p, int argc, char **argv)
{
	char err[512];
	size_t off = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if (reg_engine_find(o->engine_name, &p->engine))
		return cli_fail(MV_EXIT_USAGE, "run", "unknown engine '%s'; accepted: %s",
				o->engine_name, reg_engine_names());
	if (!p->engine)
		return cli_fail(MV_EXIT_ENV, "run",
				"engine '%s' is not built into this memvirt yet; use --engine soft",
				o->engine_name);
	p->workload = wl_find(o->workload_name);
	if (!p->workload) {
		char names[512];
		size_t n = 0;

		names[0] = '\0';
		for (unsigned i = 0; i < wl_catalog_count; i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
					      wl_catalog[i].name);
		return cli_fail(MV_EXIT_USAGE, "run", "unknown workload '%s'; accepted: %s",
				o->workload_name, names);
	}
	rc = resolve_params(o, p);
	if (rc)
		return rc;
	if (ev_record_level_parse(o->record_text, &p->record, err, sizeof(err)))
		return cli_fail(MV_EXIT_USAGE, "run", "%s", err);
	ev_record_level_format(&p->record, p->record_text, sizeof(p->record_text));
	if (o->no_db && p->record.level != EV_LEVEL_SUMMARY)
		return cli_fail(MV_EXIT_USAGE, "run", "--record %s needs a database; drop --no-db",
				o->record_text);
	cost_model_default(&p->costs);
	if (o->costs && cost_model_override(&p->costs, o->costs, err, sizeof(err)))
		return cli_fail(MV_EXIT_USAGE, "run", "%s", err);
	rc = be_resolve(o->backend_name,
			!strcmp(p->engine->name, "kvm") ? MV_ENGINE_KVM : MV_ENGINE_SOFT,
			&p->backend, &p->backend_dl, err, sizeof(err));
	if (rc)
		return cli_fail(MV_EXIT_USAGE, "run", "%s", err);
	if (!strcmp(p->engine->name, "soft") ? !(p->backend->engines & MV_ENGINE_SOFT)
					     : !(p->backend->engines & MV_ENGINE_KVM)) {
		char engines[64];

		be_engines_text(p->backend, engines, sizeof(engines));
		be_unload(p->backend_dl);
		return cli_fail(MV_EXIT_USAGE, "run", "backend '%s' runs on engine %s, not %s",
				p->backend->name, engines, p->engine->name);
	}
	if (o->guest_path)
		snprintf(p->guest_path, sizeof(p->guest_path), "%s", o->guest_path);
	else
		vmm_default_guest_path(p->guest_path, sizeof(p->guest_path));
	for (int i = 0; i < argc && off < sizeof(p->command); i++)
		off += (size_t)snprintf(p->command + off, sizeof(p->command) - off, "%s%s",
					i ? " " : "memvirt ", argv[i]);
	return 0;
}

static void params_json(const struct run_plan *p, struct json *j)
{
	json_object_begin(j);
	for (unsigned i = 0; i < p->workload->param_count; i++) {
		json_key(j, p->workload->params[i].name);
		json_u64(j, p->param_values[i]);
	}
	json_object_end(j);
}

static void config_json(const struct run_options *o, const struct run_plan *p, struct json *j)
{
	json_object_begin(j);
	json_key(j, "engine");
	json_string(j, p->engine->name);
	json_key(j, "backend");
	json_string(j, o->backend_name);
	json_key(j, "backend_options");
	json_string(j, o->backend_options);
	json_key(j, "workload");
	json_string(j, p->workload->name);
	json_key(j, "params");
	params_json(p, j);
	json_key(j, "seed");
	json_u64(j, o->seed);
	json_key(j, "vms");
	json_u64(j, o->vms);
	json_key(j, "quantum");
	json_u64(j, o->quantum);
	json_key(j, "mem");
	json_u64(j, o->mem);
	json_key(j, "insn_limit");
	json_u64(j, o->insn_limit);
	json_key(j, "timeout_s");
	json_double(j, o->timeout_s);
	json_key(j, "tlb");
	json_string(j, o->tlb);
	json_key(j, "machine");
	json_string(j, o->arch_tlb ? "archtlb" : "pt");
	json_key(j, "costs");
	json_string(j, o->costs);
	json_key(j, "record");
	json_string(j, p->record_text);
	json_key(j, "guest");
	json_string(j, p->guest_path);
	if (!strcmp(p->engine->name, "kvm")) {
		/* Which MMU the host's KVM used is part of what was measured. */
		char mode[32];

		json_key(j, "kvm_paging");
		json_string(j, kvm_engine_paging_mode(mode, sizeof(mode)) == 0 ? mode : NULL);
	}
	json_object_end(j);
}

/* The event bus's sink: events into the store. */
struct record_sink {
	struct rec_db *db;
	int64_t run_id;
};

static int record_event(void *ctx, const struct mv_event *ev)
{
	struct record_sink *s = ctx;

	return rec_run_event(s->db, s->run_id, ev);
}

/* One repetition's outcome, kept for the output. */
struct rep_outcome {
	int64_t run_id;
	uint64_t seed;
	bool ok;
	int exit_code;
	char error[1024];
	struct vmm_result res;
	uint64_t expected[VMM_MAX_VMS];
	double modelled_cycles;
};

static void checksum_list(const struct rep_outcome *r, struct json *j)
{
	char hex[32];

	json_array_begin(j);
	for (unsigned v = 0; v < r->res.vms; v++) {
		if (r->res.vm[v].has_checksum) {
			snprintf(hex, sizeof(hex), "%016" PRIx64, r->res.vm[v].checksum);
			json_string(j, hex);
		} else {
			json_null(j);
		}
	}
	json_array_end(j);
}

/* Checksums against the host reference: a mismatch fails the run. */
static void verify_checksums(const struct run_plan *p, struct rep_outcome *r)
{
	for (unsigned v = 0; v < r->res.vms; v++) {
		uint64_t expected;

		if (wl_reference_checksum(p->workload->name, p->params_text, r->seed + v, &expected)) {
			snprintf(r->error, sizeof(r->error),
				 "no reference checksum for workload %s", p->workload->name);
			r->ok = false;
			r->exit_code = MV_EXIT_RUN_FAILED;
			return;
		}
		r->expected[v] = expected;
		if (r->res.vm[v].checksum != expected) {
			snprintf(r->error, sizeof(r->error),
				 "checksum mismatch in VM %u: guest printed %016" PRIx64
				 ", the reference is %016" PRIx64,
				 v, r->res.vm[v].checksum, expected);
			r->ok = false;
			r->exit_code = MV_EXIT_RUN_FAILED;
			return;
		}
	}
}

static int record_counters(struct rec_db *db, int64_t run_id, const struct vmm_result *res)
{
	const struct ctr_set *ctr = &res->counters;

	for (size_t i = 0; i < ctr->count; i++) {
		const struct ctr_entry *e = &ctr->items[i];
		int rc = rec_run_counter(db, run_id, e->vm, e->name, e->value);

		if (rc)
			return rc;
		/* KVM's own statistics also go to kvm_stats, before and after. */
		if (e->vm >= 0 && (!strncmp(e->name, "kvm_vm_", 7) || !strncmp(e->name, "kvm_vcpu_", 9))) {
			double before = ctr_get(&res->engine_before, e->vm, e->name, 0);
			char scope[32];

			snprintf(scope, sizeof(scope), "%s%d", e->name[4] == 'v' && e->name[5] == 'm' ? "vm" : "vcpu",
				 e->vm);
			rc = rec_run_kvm_stat(db, run_id, scope, e->name, before, before + e->value);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int run_one(const struct run_options *o, struct run_plan *p, struct rec_db *db,
		   unsigned rep, struct rep_outcome *out)
{
	struct json cfg, prm, sums;
	struct record_sink sink = {.db = db};
	struct ev_bus bus;
	struct vmm_config vc;
	struct timespec t0, t1;
	int rc;

	memset(out, 0, sizeof(*out));
	out->seed = o->seed + rep;
	out->modelled_cycles = -1;
	json_init(&cfg);
	json_init(&prm);
	json_init(&sums);
	config_json(o, p, &cfg);
	params_json(p, &prm);
	if (cfg.failed || prm.failed) {
		rc = cli_fail(MV_EXIT_ENV, "run", "out of memory");
		goto out;
	}
	if (db) {
		struct rec_run_desc d = {
			.engine = p->engine->name,
			.backend = p->backend->name,
			.workload = p->workload->name,
			.params_json = json_text(&prm),
			.config_json = json_text(&cfg),
			.record_level = p->record_text,
			.command = p->command,
			.seed = out->seed,
			.vms = (uint32_t)o->vms,
			.rep = rep,
			.sweep_id = o->sweep_id,
			.sweep_key = o->sweep_key,
		};

		if (rec_run_begin(db, &d, &out->run_id)) {
			rc = cli_fail(MV_EXIT_ENV, "run", "%s: cannot record the run: %s", o->db_path,
				      rec_errmsg(db));
			goto out;
		}
		sink.run_id = out->run_id;
	}
	rc = ev_bus_init(&bus, (unsigned)o->vms, &p->record, db ? record_event : NULL, &sink);
	if (rc) {
		rc = cli_fail(MV_EXIT_ENV, "run", "out of memory");
		goto out;
	}
	vc = (struct vmm_config){
		.engine = p->engine,
		.backend = p->backend,
		.backend_options = o->backend_options,
		.workload = p->workload->name,
		.params_text = p->params_text,
		.seed = out->seed,
		.vms = (unsigned)o->vms,
		.quantum = o->quantum,
		.mem_size = o->mem,
		.insn_limit = o->insn_limit,
		.timeout_s = o->timeout_s,
		.tlb = o->tlb,
		.arch_tlb = o->arch_tlb,
		.guest_path = p->guest_path,
		.bus = &bus,
		.console = o->console ? stderr : NULL,
	};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = vmm_run(&vc, &out->res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc) {
		out->ok = false;
		out->exit_code = out->res.exit_code ? out->res.exit_code : MV_EXIT_ENV;
		snprintf(out->error, sizeof(out->error), "%s", out->res.error);
	} else {
		out->ok = out->res.ok;
		out->exit_code = out->ok ? MV_EXIT_OK : MV_EXIT_RUN_FAILED;
		snprintf(out->error, sizeof(out->error), "%s", out->ok ? "" : out->res.error);
		if (out->ok)
			verify_checksums(p, out);
		out->res.wall_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
				   (uint64_t)(t1.tv_nsec - t0.tv_nsec);
		/* Modelled cycles stand in for time where host time means
		 * nothing; the kvm engine measures real time instead. */
		if (p->engine->instructions)
			out->modelled_cycles = cost_model_apply(&p->costs, &out->res.counters);
	}
	if (bus.sink_error && out->ok) {
		out->ok = false;
		out->exit_code = MV_EXIT_ENV;
		snprintf(out->error, sizeof(out->error), "recording events failed: %s",
			 db ? rec_errmsg(db) : "no database");
	}
	ev_bus_fini(&bus);
	rc = out->exit_code;
	if (db) {
		struct rec_run_result rr = {
			.status = out->ok ? REC_STATUS_OK : REC_STATUS_FAILED,
			.exit_code = out->exit_code,
			.error = out->ok ? NULL : out->error,
			.wall_ns = out->res.wall_ns,
			.modelled_cycles = out->modelled_cycles,
		};

		checksum_list(out, &sums);
		rr.checksum_json = sums.failed ? NULL : json_text(&sums);
		if (record_counters(db, out->run_id, &out->res) ||
		    rec_run_finish(db, out->run_id, &rr)) {
			rc = cli_fail(MV_EXIT_ENV, "run", "%s: cannot finish recording run %" PRId64 ": %s",
				      o->db_path, out->run_id, rec_errmsg(db));
		}
	}
out:
	json_free(&cfg);
	json_free(&prm);
	json_free(&sums);
	return rc;
}

static void counters_json(const struct ctr_set *ctr, struct json *j)
{
	json_object_begin(j);
	for (size_t i = 0; i < ctr->count; i++) {
		if (ctr->items[i].vm != -1)
			continue;
		json_key(j, ctr->items[i].name);
		json_double(j, ctr->items[i].value);
	}
	json_object_end(j);
}

static void per_vm_counters_json(const struct rep_outcome *r, struct json *j)
{
	json_array_begin(j);
	for (unsigned v = 0; v < r->res.vms; v++) {
		json_object_begin(j);
		for (size_t i = 0; i < r->res.counters.count; i++) {
			if (r->res.counters.items[i].vm != (int)v)
				continue;
			json_key(j, r->res.counters.items[i].name);
			json_double(j, r->res.counters.items[i].value);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

static void outcome_json(const struct rep_outcome *r, struct json *j)
{
	json_key(j, "status");
	json_string(j, r->ok ? "ok" : "failed");
	json_key(j, "run_id");
	if (r->run_id)
		json_i64(j, r->run_id);
	else
		json_null(j);
	json_key(j, "seed");
	json_u64(j, r->seed);
	json_key(j, "error");
	json_string(j, r->ok ? NULL : r->error);
	json_key(j, "checksum");
	checksum_list(r, j);
	json_key(j, "modelled_cycles");
	if (r->modelled_cycles >= 0)
		json_double(j, r->modelled_cycles);
	else
		json_null(j);
	json_key(j, "wall_ns");
	json_u64(j, r->res.wall_ns);
	json_key(j, "counters");
	counters_json(&r->res.counters, j);
	json_key(j, "vm_counters");
	per_vm_counters_json(r, j);
}

static void print_json(const struct run_options *o, const struct run_plan *p,
		       const struct rep_outcome *reps, unsigned n)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	outcome_json(&reps[0], &j);
	json_key(&j, "config");
	config_json(o, p, &j);
	if (n > 1) {
		json_key(&j, "repetitions");
		json_array_begin(&j);
		for (unsigned r = 0; r < n; r++) {
			json_object_begin(&j);
			outcome_json(&reps[r], &j);
			json_object_end(&j);
		}
		json_array_end(&j);
	}
	json_object_end(&j);
	if (j.failed)
		fprintf(stderr, "memvirt run: out of memory writing JSON\n");
	else
		printf("%s\n", json_text(&j));
	json_free(&j);
}

static void print_summary(const struct run_plan *p, const struct rep_outcome *r)
{
	printf("run %s%" PRId64 ": %s/%s %s (%s) seed %" PRIu64 ": %s\n", r->run_id ? "" : "(not recorded) ",
	       r->run_id, p->engine->name, p->backend->name, p->workload->name, p->params_text,
	       r->seed, r->ok ? "ok" : "FAILED");
	if (!r->ok)
		printf("  error: %s\n", r->error);
	for (unsigned v = 0; v < r->res.vms; v++) {
		if (r->res.vm[v].has_checksum)
			printf("  vm %u checksum %016" PRIx64 "%s\n", v, r->res.vm[v].checksum,
			       r->ok ? " (matches the reference)" : "");
		else
			printf("  vm %u no checksum\n", v);
	}
	if (r->modelled_cycles >= 0)
		printf("  modelled cycles %.0f\n", r->modelled_cycles);
	printf("  wall time %.3f s\n", (double)r->res.wall_ns / 1e9);
	for (size_t i = 0; i < r->res.counters.count; i++) {
		const struct ctr_entry *e = &r->res.counters.items[i];

		if (e->vm == -1)
			printf("  %-32s %.0f\n", e->name, e->value);
	}
}

/* The database's folder is created for the default path only: a typo in
 * an explicit --db should not silently create directories. */
static void ensure_default_db_dir(const char *path)
{
	if (!strcmp(path, MV_DEFAULT_DB))
		mkdir("results", 0777);
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	struct run_plan p;
	struct rec_db *db = NULL;
	struct rep_outcome *reps;
	char err[512];
	int rc, worst = MV_EXIT_OK;

	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? MV_EXIT_OK : rc;
	rc = plan_run(&o, &p, argc - 1, argv + 1);
	if (rc)
		return rc;
	if (!o.no_db) {
		ensure_default_db_dir(o.db_path);
		rc = rec_open(o.db_path, REC_READ_WRITE, &db, err, sizeof(err));
		if (rc) {
			be_unload(p.backend_dl);
			return cli_fail(rc == -EPROTO || rc == -ERANGE ? MV_EXIT_USAGE : MV_EXIT_ENV,
					"run", "%s", err);
		}
	}
	reps = calloc(o.reps, sizeof(*reps));
	if (!reps) {
		rec_close(db);
		be_unload(p.backend_dl);
		return cli_fail(MV_EXIT_ENV, "run", "out of memory");
	}
	for (unsigned r = 0; r < o.reps; r++) {
		rc = run_one(&o, &p, db, (unsigned)o.rep_first + r, &reps[r]);
		if (!reps[r].ok && !o.json)
			fprintf(stderr, "memvirt run: %s\n", reps[r].error);
		if (rc > worst)
			worst = rc;
		if (!o.json)
			print_summary(&p, &reps[r]);
	}
	if (o.json)
		print_json(&o, &p, reps, (unsigned)o.reps);
	for (unsigned r = 0; r < o.reps; r++)
		vmm_result_free(&reps[r].res);
	free(reps);
	rec_close(db);
	be_unload(p.backend_dl);
	return worst;
}
