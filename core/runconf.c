/*
 * core/runconf.c — the table of run options and the checks of their
 * values (see runconf.h).
 *
 * The table is in the order --help shows it.  Each check here looks at
 * one value alone; what needs several options together (a parameter
 * against its workload, a backend against the engine) is in runplan.c.
 */
#include "core/runconf.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "core/backends.h"
#include "core/cli.h"
#include "core/costmodel.h"
#include "core/evbus.h"
#include "core/program.h"
#include "core/registry.h"
#include "core/vmm.h"
#include "memvirt/options.h"
#include "workloads/catalog.h"

static int say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- checks of one text value ------------------------------------------ */

static int check_engine(const char *v, char *why, size_t len)
{
	const char *names[8], *close;
	const struct engine_ops *ops;
	size_t n = 0;

	if (!reg_engine_find(v, &ops)) {
		if (!ops)
			return say(why, len, "engine '%s' is not built into this memvirt", v);
		return 0;
	}
	for (size_t i = 0; i < reg_engine_count() && n < 8; i++)
		names[n++] = reg_engine_name(i);
	close = cli_closest(v, names, n);
	return say(why, len, "unknown engine '%s'%s%s%s; accepted: %s", v, close ? " (did you mean '" : "",
		   close ? close : "", close ? "'?)" : "", reg_engine_names());
}

static int check_backend(const char *v, char *why, size_t len)
{
	const char *names[32], *close;
	char list[512];
	size_t n = 0;

	/* A plugin is only checked to exist: loading it here would run its
	 * code in whatever process checks (a sweep must survive a bad one). */
	if (be_is_path(v)) {
		char path[4096];

		be_plugin_path(v, path, sizeof(path));
		if (access(path, R_OK))
			return say(why, len, "backend plugin '%s': %s", path, strerror(errno));
		return 0;
	}
	for (size_t i = 0; i < be_count(); i++) {
		if (!strcmp(be_at(i)->name, v))
			return 0;
		if (n < 32)
			names[n++] = be_at(i)->name;
	}
	close = cli_closest(v, names, n);
	be_names_text(list, sizeof(list));
	return say(why, len, "unknown backend '%s'%s%s%s; accepted: %s, or a plugin path (PATH.so)", v,
		   close ? " (did you mean '" : "", close ? close : "", close ? "'?)" : "", list);
}

static int check_workload(const char *v, char *why, size_t len)
{
	const char *names[WL_COUNT], *close;
	char list[512];
	size_t off = 0;

	if (wl_find(v))
		return 0;
	list[0] = '\0';
	for (unsigned i = 0; i < wl_catalog_count; i++) {
		names[i] = wl_catalog[i].name;
		off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0, "%s%s",
					i ? ", " : "", wl_catalog[i].name);
	}
	close = cli_closest(v, names, wl_catalog_count);
	return say(why, len, "unknown workload '%s'%s%s%s; accepted: %s", v, close ? " (did you mean '" : "",
		   close ? close : "", close ? "'?)" : "", list);
}

static int check_machine(const char *v, char *why, size_t len)
{
	if (!strcmp(v, "pt") || !strcmp(v, "archtlb"))
		return 0;
	return say(why, len, "bad value '%s' for machine: expected pt (the page-table machine) or archtlb (the architected-TLB machine)",
		   v);
}

/* A TLB text any engine with a TLB model accepts (which engine runs it
 * is another option: the whole run is checked in runplan.c). */
static int check_tlb(const char *v, char *why, size_t len)
{
	char canonical[512];

	for (size_t i = 0; i < reg_engine_count(); i++) {
		const struct engine_ops *e = reg_engine_ops(i);

		if (e->tlb_canonical)
			return e->tlb_canonical(v, canonical, sizeof(canonical), why, len) ? -EINVAL : 0;
	}
	return say(why, len, "no engine of this memvirt has a TLB model for --tlb");
}

static int check_costs(const char *v, char *why, size_t len)
{
	struct cost_model m;

	cost_model_default(&m);
	return cost_model_override(&m, v, why, len) ? -EINVAL : 0;
}

static int check_record(const char *v, char *why, size_t len)
{
	struct ev_record_level lvl;

	return ev_record_level_parse(v, &lvl, why, len) ? -EINVAL : 0;
}

static int check_db(const char *v, char *why, size_t len)
{
	if (!*v)
		return say(why, len, "--db needs a file name (or --no-db to keep nothing)");
	if (strlen(v) >= 4000)
		return say(why, len, "--db path of %zu characters: at most 3999", strlen(v));
	return 0;
}

/* Backend options are the backend's to check (runplan.c); here only what
 * no backend accepts. */
static int check_one_line(const char *v, char *why, size_t len)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return say(why, len, "a control character (newline, tab...) in '%.*s': options are one line",
				   (int)(p - v), v);
	return 0;
}

/* An argument or file list written as one text: its quoting must close. */
static int check_words(const char *v, char *why, size_t len)
{
	char buf[16384];
	const char *words[RC_MAX_LIST];

	return prog_split_words(v, buf, sizeof(buf), words, RC_MAX_LIST, why, len) < 0 ? -EINVAL : 0;
}

/* ---- the table ---------------------------------------------------------- */

#define F(field) offsetof(struct run_config, field)
#define RUN RC_F_RUN
#define SWEEP (RC_F_SWEEP | RC_F_LIST)
#define ID RC_F_IDENTITY

const struct rc_option rc_options[] = {
	{.name = "engine", .json_key = "engine", .kind = RC_TEXT, .metavar = "soft|kvm", .def = "soft",
	 .help = "execution engine", .flags = RUN | SWEEP | ID, .offset = F(engine), .check = check_engine},
	{.name = "machine", .json_key = "machine", .kind = RC_TEXT, .metavar = "pt|archtlb", .def = "pt",
	 .help = "soft engine: page-table machine or architected-TLB machine (docs/arch-tlb.md)",
	 .flags = RUN | SWEEP | ID, .offset = F(machine), .check = check_machine},
	{.name = "backend", .json_key = "backend", .kind = RC_TEXT, .metavar = "NAME|PATH.so", .def = "native",
	 .help = "memory backend or plugin (memvirt list backends)", .flags = RUN | SWEEP | ID,
	 .offset = F(backend), .check = check_backend},
	{.name = "backend-opt", .json_key = "backend_options", .kind = RC_TEXT, .metavar = "KEY=VALUE,...",
	 .help = "options for the backend (memvirt list backends)", .flags = RUN | SWEEP | ID,
	 .offset = F(backend_opt), .check = check_one_line},
	{.name = "workload", .json_key = "workload", .kind = RC_TEXT, .metavar = "NAME", .def = "scan",
	 .help = "guest workload (memvirt list workloads)", .flags = RUN | SWEEP | ID, .offset = F(workload),
	 .check = check_workload},
	{.name = "param", .kind = RC_PARAM, .metavar = "KEY=VALUE",
	 .help = "workload parameter, repeatable; values take K/M/G suffixes (sweep files: [params])",
	 .flags = RUN | ID},
	{.name = "program", .kind = RC_TEXT, .metavar = "PATH",
	 .help = "run this static Linux x86-64 program instead of a workload (docs/programs.md)",
	 .flags = RUN | SWEEP | ID | RC_F_FILE, .offset = F(program), .check = check_one_line},
	{.name = "arg", .kind = RC_LIST, .metavar = "ARG",
	 .help = "an argument of the program (argv[1]...), repeatable, in order (sweep files: args)",
	 .flags = RUN | ID, .offset = F(arg)},
	{.name = "args", .kind = RC_TEXT, .metavar = "TEXT",
	 .help = "the program's arguments as one text, words split like a shell's ('a b' is one), instead of --arg",
	 .flags = RUN | SWEEP | ID, .offset = F(args_text), .check = check_words},
	{.name = "file", .kind = RC_LIST, .metavar = "PATH",
	 .help = "a file the program finds as /NAME (its base name), repeatable (sweep files: files)",
	 .flags = RUN | ID, .offset = F(file)},
	{.name = "files", .kind = RC_TEXT, .metavar = "PATHS",
	 .help = "the program's files as one text, split like --args, instead of --file",
	 .flags = RUN | SWEEP | ID, .offset = F(files_text), .check = check_words},
	{.name = "output-limit", .kind = RC_NUMBER, .metavar = "SIZE", .unit = "bytes", .min = 0,
	 .max = 1ull << 30, .def = PROG_OUTPUT_LIMIT_DEFAULT,
	 .help = "bytes of the program's stdout and stderr together the guest sends; the rest is counted",
	 .flags = RUN | SWEEP | ID, .offset = F(output_limit)},
	{.name = "vms", .json_key = "vms", .kind = RC_NUMBER, .metavar = "N", .unit = "VMs", .min = 1,
	 .max = VMM_MAX_VMS, .def = "1", .help = "guest VMs timeshared on one CPU", .flags = RUN | SWEEP | ID,
	 .offset = F(vms)},
	{.name = "quantum", .json_key = "quantum", .kind = RC_NUMBER, .metavar = "N", .unit = "instructions",
	 .min = 1000, .max = UINT64_MAX / 2, .def = "200000", .help = "retired instructions per VM turn with --vms > 1",
	 .flags = RUN | SWEEP | ID, .offset = F(quantum)},
	{.name = "slice", .json_key = "slice_us", .kind = RC_NUMBER, .metavar = "US", .unit = "microseconds",
	 .min = 100, .max = 10000000, .def = "10000",
	 .help = "wall time per VM turn with --vms > 1 on engines that count no instructions (kvm)",
	 .flags = RUN | SWEEP | ID, .offset = F(slice)},
	{.name = "mem", .json_key = "mem", .kind = RC_NUMBER, .metavar = "SIZE", .unit = "bytes",
	 .min = 16ull << 20, .max = 64ull << 30, .multiple = 2ull << 20, .def = "128M",
	 .help = "guest RAM per VM, a multiple of 2M", .flags = RUN | SWEEP | ID, .offset = F(mem)},
	{.name = "tlb", .json_key = "tlb", .kind = RC_TEXT, .metavar = "KEY=VALUE,...",
	 .help = "soft engine TLB: l1=64:4,l2=1024:8,repl=lru|random,pwc=16,asid-bits=12,arch=64",
	 .flags = RUN | SWEEP | ID, .offset = F(tlb), .check = check_tlb},
	{.name = "costs", .json_key = "costs", .kind = RC_TEXT, .metavar = "NAME=CYCLES,...",
	 .help = "override cost-model entries (docs/cost-model.md)", .flags = RUN | SWEEP | ID,
	 .offset = F(costs), .check = check_costs},
	{.name = "guest", .json_key = "guest", .kind = RC_TEXT, .metavar = "FILE",
	 .help = "guest kernel ELF (default: the one built with memvirt)",
	 .flags = RUN | RC_F_SWEEP | ID | RC_F_FILE, .offset = F(guest)},
	{.name = "seed", .json_key = "seed", .kind = RC_NUMBER, .metavar = "N", .min = 0, .max = UINT64_MAX,
	 .def = "1", .help = "workload seed; repetition r uses seed + r", .flags = RUN | RC_F_SWEEP | RC_F_SAMPLE,
	 .offset = F(seed)},
	{.name = "reps", .kind = RC_NUMBER, .metavar = "N", .min = 1, .max = 1000, .def = "1",
	 .help = "repetitions (sweep files: repetitions =)", .flags = RUN | RC_F_SAMPLE, .offset = F(reps)},
	{.name = "insn-limit", .json_key = "insn_limit", .kind = RC_NUMBER, .metavar = "N",
	 .unit = "instructions", .min = 0, .max = UINT64_MAX, .def = "20000000000",
	 .help = "end a VM that retires more instructions (soft engine; 0: none)", .flags = RUN | RC_F_SWEEP,
	 .offset = F(insn_limit)},
	{.name = "timeout", .json_key = "timeout_s", .kind = RC_NUMBER, .metavar = "SECONDS", .unit = "seconds",
	 .min = 1, .max = 7 * 24 * 3600, .def = "600", .help = "end the run after this wall time",
	 .flags = RUN | RC_F_SWEEP, .offset = F(timeout)},
	{.name = "boot-timeout", .json_key = "boot_timeout_s", .kind = RC_NUMBER, .metavar = "SECONDS",
	 .unit = "seconds", .min = 0, .max = 3600, .def = "30",
	 .help = "end the run when a VM has not printed its boot banner after this wall time (0: no bound)",
	 .flags = RUN | RC_F_SWEEP, .offset = F(boot_timeout)},
	{.name = "record", .json_key = "record", .kind = RC_TEXT, .metavar = "LEVEL", .def = "summary",
	 .help = "events to record: summary, sampled:N or full", .flags = RUN | SWEEP, .offset = F(record),
	 .check = check_record},
	{.name = "timeseries", .json_key = "timeseries", .kind = RC_NUMBER, .metavar = "N", .unit = "instructions",
	 .min = 0, .max = UINT64_MAX, .def = "0",
	 .help = "snapshot the counters every N retired instructions into the timeseries table (0: none; "
		 "at least 10000)",
	 .flags = RUN | SWEEP, .offset = F(timeseries)},
	{.name = "db", .kind = RC_TEXT, .metavar = "FILE", .def = MV_DEFAULT_DB, .help = "results database",
	 .flags = RUN, .offset = F(db), .check = check_db},
	{.name = "no-db", .kind = RC_FLAG, .help = "do not record the run", .flags = RUN, .offset = F(no_db)},
	{.name = "console", .kind = RC_FLAG, .help = "echo the guest console to stderr", .flags = RUN,
	 .offset = F(console)},
	{.name = "json", .kind = RC_FLAG, .help = "print one JSON object instead of the summary", .flags = RUN,
	 .offset = F(json)},
	{.name = "quiet", .kind = RC_FLAG, .help = "print nothing but errors", .flags = RUN, .offset = F(quiet)},
	{.name = "rep", .kind = RC_NUMBER, .metavar = "R", .min = 0, .max = 999, .def = "0",
	 .help = "index of the first repetition", .flags = RUN | RC_F_HIDDEN | RC_F_SAMPLE, .offset = F(rep)},
	{.name = "sweep-id", .kind = RC_NUMBER, .metavar = "ID", .min = 1, .max = INT64_MAX,
	 .help = "the sweep the run belongs to", .flags = RUN | RC_F_HIDDEN, .offset = F(sweep_id)},
	{.name = "sweep-key", .kind = RC_TEXT, .metavar = "KEY", .help = "the sweep point the run is",
	 .flags = RUN | RC_F_HIDDEN, .offset = F(sweep_key)},
};
const size_t rc_option_count = sizeof(rc_options) / sizeof(rc_options[0]);
_Static_assert(sizeof(rc_options) / sizeof(rc_options[0]) <= sizeof(((struct run_config *)0)->given),
	       "run_config.given has a flag per option");

#undef F
#undef RUN
#undef SWEEP
#undef ID

const struct rc_option *rc_find(const char *name)
{
	for (size_t i = 0; i < rc_option_count; i++)
		if (!strcmp(rc_options[i].name, name))
			return &rc_options[i];
	return NULL;
}

const char *rc_suggest(const char *name, unsigned flags)
{
	const char *names[64];
	size_t n = 0;

	for (size_t i = 0; i < rc_option_count; i++)
		if ((rc_options[i].flags & flags) && !(rc_options[i].flags & RC_F_HIDDEN))
			names[n++] = rc_options[i].name;
	return cli_closest(name, names, n);
}

/* ---- values -------------------------------------------------------------- */

static uint64_t *number_field(struct run_config *c, const struct rc_option *o)
{
	return (uint64_t *)((char *)c + o->offset);
}

static const char **text_field(struct run_config *c, const struct rc_option *o)
{
	return (const char **)((char *)c + o->offset);
}

uint64_t rc_number(const struct run_config *c, const struct rc_option *o)
{
	return *(const uint64_t *)((const char *)c + o->offset);
}

const char *rc_text(const struct run_config *c, const struct rc_option *o)
{
	return *(const char *const *)((const char *)c + o->offset);
}

/* 16777216 -> "16M": a number as a user would write it. */
static void friendly(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";

	for (int s = 4; s >= 1; s--) {
		uint64_t unit = 1ull << (10 * s);

		if (v >= unit && !(v % unit)) {
			snprintf(buf, len, "%" PRIu64 "%c", v / unit, suffix[s - 1]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}

static bool number_ok(const struct rc_option *o, const char *value, uint64_t *v)
{
	return mv_parse_u64(value, v) && *v >= o->min && *v <= o->max && (!o->multiple || !(*v % o->multiple));
}

bool rc_number_normal(const struct rc_option *o, const char *value, char *buf, size_t len)
{
	uint64_t v;

	if (o->kind != RC_NUMBER || !number_ok(o, value, &v))
		return false;
	snprintf(buf, len, "%" PRIu64, v);
	return true;
}

int rc_set(struct run_config *c, const struct rc_option *o, const char *value, const char *prefix,
	   char *why, size_t why_len)
{
	size_t index = (size_t)(o - rc_options);
	uint64_t v;
	int rc;

	switch (o->kind) {
	case RC_NUMBER:
		if (!number_ok(o, value, &v)) {
			char mult[64] = "", lo[32], hi[32];

			if (o->multiple) {
				friendly(o->multiple, lo, sizeof(lo));
				snprintf(mult, sizeof(mult), ", a multiple of %s", lo);
			}
			friendly(o->min, lo, sizeof(lo));
			friendly(o->max, hi, sizeof(hi));
			return say(why, why_len,
				   "bad value '%s' for %s%s: expected a number from %s to %s%s%s%s (decimal or 0x hex, optional K/M/G suffix)",
				   value, prefix, o->name, lo, hi, o->unit ? " " : "", o->unit ? o->unit : "", mult);
		}
		*number_field(c, o) = v;
		break;
	case RC_TEXT:
		if (o->check) {
			rc = o->check(value, why, why_len);
			if (rc)
				return -EINVAL;
		}
		*text_field(c, o) = value;
		break;
	case RC_FLAG:
		*(bool *)((char *)c + o->offset) = true;
		break;
	case RC_PARAM: {
		const char *eq = strchr(value, '=');

		if (!eq || eq == value || !eq[1])
			return say(why, why_len, "bad --param '%s': expected KEY=VALUE", value);
		if (c->param_count == RC_MAX_PARAMS)
			return say(why, why_len, "too many --param options (at most %d)", RC_MAX_PARAMS);
		c->params[c->param_count++] = value;
		break;
	}
	case RC_LIST: {
		struct rc_list *l = (struct rc_list *)((char *)c + o->offset);

		if (l->count == RC_MAX_LIST)
			return say(why, why_len, "too many %s%s options (at most %d)", prefix, o->name, RC_MAX_LIST);
		l->items[l->count++] = value;
		break;
	}
	}
	c->given[index] = true;
	return 0;
}

void rc_defaults(struct run_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < rc_option_count; i++) {
		const struct rc_option *o = &rc_options[i];

		if (!o->def)
			continue;
		if (o->kind == RC_NUMBER) {
			uint64_t v = 0;

			(void)mv_parse_u64(o->def, &v);
			*number_field(c, o) = v;
		} else if (o->kind == RC_TEXT) {
			*text_field(c, o) = o->def;
		}
	}
}

/* ---- the command line --------------------------------------------------- */

int rc_parse_argv(struct run_config *c, int argc, char **argv)
{
	struct option opts[72];
	size_t n = 0;
	int ch;

	for (size_t i = 0; i < rc_option_count; i++) {
		if (!(rc_options[i].flags & RC_F_RUN))
			continue;
		opts[n++] = (struct option){rc_options[i].name,
					    rc_options[i].kind == RC_FLAG ? no_argument : required_argument, NULL,
					    256 + (int)i};
	}
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n++] = (struct option){"version", no_argument, NULL, 'V'};
	opts[n] = (struct option){0};
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":hV", opts, NULL)) != -1) {
		char why[1024];

		if (ch == 'h')
			return RC_PARSE_HELP;
		if (ch == 'V')
			return RC_PARSE_VERSION;
		if (ch == '?' || ch == ':') {
			const char *arg = argv[optind - 1] ? argv[optind - 1] : "";
			char name[64];
			const char *close;

			if (ch == ':')
				return cli_fail(MV_EXIT_USAGE, "run", "option '%s' needs a value (see memvirt run --help)",
						arg);
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + (arg[0] == '-') + (arg[1] == '-'), "="),
				 arg + (arg[0] == '-') + (arg[1] == '-'));
			close = rc_suggest(name, RC_F_RUN);
			return cli_fail(MV_EXIT_USAGE, "run", "unknown option '%s'%s%s%s (see memvirt run --help)", arg,
					close ? " (did you mean '--" : "", close ? close : "", close ? "'?)" : "");
		}
		if (ch < 256 || (size_t)(ch - 256) >= rc_option_count)
			return cli_fail(MV_EXIT_USAGE, "run", "bad option (see memvirt run --help)");
		if (rc_set(c, &rc_options[ch - 256], optarg ? optarg : "", "--", why, sizeof(why)))
			return cli_fail(MV_EXIT_USAGE, "run", "%s", why);
	}
	if (optind < argc)
		return cli_fail(MV_EXIT_USAGE, "run", "unexpected argument '%s' (options start with --)",
				argv[optind]);
	return 0;
}

void rc_print_options(FILE *out, unsigned flags)
{
	for (size_t i = 0; i < rc_option_count; i++) {
		const struct rc_option *o = &rc_options[i];
		char left[64], lo[32], hi[32];

		if (!(o->flags & flags) || (o->flags & RC_F_HIDDEN))
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
		if (strlen(left) >= 27)
			fprintf(out, "  %s\n  %-27s%s", left, "", o->help);
		else
			fprintf(out, "  %-27s%s", left, o->help);
		if (o->kind == RC_NUMBER && o->max < UINT64_MAX / 2) {
			friendly(o->min, lo, sizeof(lo));
			friendly(o->max, hi, sizeof(hi));
			fprintf(out, ", %s..%s", lo, hi);
		}
		if (o->def)
			fprintf(out, " (default %s)", o->def);
		fputc('\n', out);
	}
}
