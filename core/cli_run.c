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
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cli.h"
#include "core/json.h"
#include "core/runconf.h"
#include "core/runplan.h"
#include "core/store.h"
#include "core/vmm.h"
#include "memvirt-config.h"
#include "workloads/reference.h"

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt run [OPTIONS]\n"
		"\n"
		"Run a guest workload on an engine under a memory backend, record it in the\n"
		"results database and print a summary.  Every option but the output ones is\n"
		"also a sweep-file key (memvirt list options).\n"
		"\n");
	rc_print_options(out, RC_F_RUN);
	fprintf(out,
		"  -h, --help                 this help\n"
		"  -V, --version              memvirt's version\n"
		"\n"
		"Numbers are decimal or 0x hex with an optional K/M/G suffix (binary).\n"
		"Exit status: 0 ok, 1 run failed (guest error, checksum mismatch, backend error),\n"
		"2 usage error, 3 environment error (no /dev/kvm, unwritable database, no guest image).\n");
}

/* The event bus's sink: events into the store. */
struct record_sink {
	struct rec_db *db;
	int64_t run_id;
	const struct cost_model *costs;
	int snapshot_error;
};

/*
 * A backend plugin that calls exit() during a run would end memvirt with
 * exit status 0 and the run's row 'running'.  An atexit handler catches
 * that one case: while a run is in the VMM it records the run failed and
 * ends the process with status 1.  memvirt itself never calls exit()
 * there.  The handler can reach only global state: this is it.
 */
static struct {
	bool in_vmm;
	struct rec_db *db;
	int64_t run_id;
	const char *backend;
} exit_guard;

static void exit_during_run(void)
{
	static const char why[] = "the backend called exit() during the run";

	if (!exit_guard.in_vmm)
		return;
	exit_guard.in_vmm = false;
	if (exit_guard.db) {
		struct rec_run_result fr = {.status = REC_STATUS_FAILED, .exit_code = MV_EXIT_RUN_FAILED,
					    .error = why, .modelled_cycles = -1};

		if (rec_run_flush(exit_guard.db) || rec_run_finish(exit_guard.db, exit_guard.run_id, &fr))
			fr.error = NULL;
	}
	fprintf(stderr, "memvirt run: backend %s called exit() during the run%s\n", exit_guard.backend,
		exit_guard.db ? "; the run is recorded failed" : "");
	fflush(stderr);
	_exit(MV_EXIT_RUN_FAILED);
}

/* A counter snapshot (--timeseries): priced like the run's totals, so
 * the series holds modelled cycles and their causes too. */
static void record_snapshot(void *ctx, uint64_t icount, struct ctr_set *totals)
{
	struct record_sink *s = ctx;

	if (s->snapshot_error)
		return;
	cost_model_apply(s->costs, totals);
	s->snapshot_error = rec_run_timeseries_snapshot(s->db, s->run_id, -1, icount, totals);
}

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
	bool error_said;          /* already on stderr: not again at the end */
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

/* The host reference of each VM's checksum, computed on a thread of its
 * own while the guest runs (it needs nothing the run makes, and a
 * reference of a large workload takes a noticeable part of the run's
 * time); where no thread can be made, after the run as before. */
struct ref_job {
	const struct run_plan *plan;
	uint64_t seed;
	unsigned vms;
	pthread_t thread;
	bool started;
	int rc[VMM_MAX_VMS];
	uint64_t expected[VMM_MAX_VMS];
};

static void *ref_job_main(void *arg)
{
	struct ref_job *j = arg;

	for (unsigned v = 0; v < j->vms; v++)
		j->rc[v] = wl_reference_values(j->plan->workload, j->plan->param_values, j->seed + v,
					       &j->expected[v]);
	return NULL;
}

static void ref_job_start(struct ref_job *j, const struct run_plan *p, uint64_t seed, unsigned vms)
{
	sigset_t all, old;

	*j = (struct ref_job){.plan = p, .seed = seed, .vms = vms < VMM_MAX_VMS ? vms : VMM_MAX_VMS};
	/* The thread takes no signal: a process-directed one (the run's
	 * deadline timer, SIGINT) must reach the thread that runs the guest,
	 * whose handlers it is for. */
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return;
	j->started = pthread_create(&j->thread, NULL, ref_job_main, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The references, once computed; the thread is always joined. */
static void ref_job_finish(struct ref_job *j)
{
	if (j->started)
		pthread_join(j->thread, NULL);
	else
		ref_job_main(j);
	j->started = false;
}

/* Checksums against the host reference: a mismatch fails the run. */
static void verify_checksums(const struct run_plan *p, const struct ref_job *j,
			     struct rep_outcome *r)
{
	for (unsigned v = 0; v < r->res.vms; v++) {
		uint64_t expected;

		if (v >= j->vms || j->rc[v]) {
			snprintf(r->error, sizeof(r->error),
				 "no reference checksum for workload %s", p->workload->name);
			r->ok = false;
			r->exit_code = MV_EXIT_RUN_FAILED;
			return;
		}
		expected = j->expected[v];
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

/* What each VM's program wrote, kept with the run (a failed or timed-out
 * run keeps what came before it ended). */
static int record_outputs(struct rec_db *db, int64_t run_id, const struct vmm_result *res)
{
	for (unsigned v = 0; v < res->vms; v++) {
		const struct vmm_vm_result *vr = &res->vm[v];
		int rc = rec_run_output(db, run_id, (int)v, "stdout", vr->out.data, vr->out.len, vr->out.truncated);

		rc = rc ? rc : rec_run_output(db, run_id, (int)v, "stderr", vr->err.data, vr->err.len, vr->err.truncated);
		if (rc)
			return rc;
	}
	return 0;
}

static int run_one(const struct run_config *o, struct run_plan *p, struct rec_db *db,
		   unsigned rep, struct rep_outcome *out)
{
	struct json cfg, prm, sums;
	struct record_sink sink = {.db = db};
	struct ev_bus bus;
	struct vmm_config vc;
	struct timespec t0, t1;
	struct ref_job ref;
	int rc;

	memset(out, 0, sizeof(*out));
	out->seed = o->seed + rep;
	out->modelled_cycles = -1;
	json_init(&cfg);
	json_init(&prm);
	json_init(&sums);
	run_plan_config_json(p, &cfg);
	run_plan_params_json(p, &prm);
	if (cfg.failed || prm.failed) {
		rc = cli_fail(MV_EXIT_ENV, "run", "out of memory");
		goto out;
	}
	if (db) {
		struct rec_run_desc d = {
			.engine = p->engine->name,
			.backend = p->backend->name,
			.workload = p->workload_label,
			.params_json = json_text(&prm),
			.config_json = json_text(&cfg),
			.record_level = p->record_text,
			.command = p->command,
			.seed = out->seed,
			.vms = (uint32_t)o->vms,
			.rep = rep,
			.sweep_id = (int64_t)o->sweep_id,
			.sweep_key = o->sweep_key,
		};

		if (rec_run_begin(db, &d, &out->run_id)) {
			rc = cli_fail(MV_EXIT_ENV, "run", "%s: cannot record the run: %s", o->db,
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
	run_plan_vmm_config(p, out->seed, &bus, o->console ? stderr : NULL, &vc);
	if (p->program && !o->quiet && !o->sweep_id) {
		/* The program's output as it comes: stdout to stdout, but for
		 * --json, whose object owns stdout; stderr to stderr.  Not for
		 * --quiet, nor in a sweep's runs (memvirt sweep keeps their
		 * stderr for its failure reasons; the store has the output). */
		vc.program_out = o->json ? stderr : stdout;
		vc.program_err = stderr;
	}
	if (db && vc.snapshot_every) {
		sink.costs = &p->costs;
		vc.snapshot = record_snapshot;
		vc.snapshot_ctx = &sink;
	}
	{
		static bool registered;

		if (!registered)
			registered = atexit(exit_during_run) == 0;
	}
	exit_guard.db = db;
	exit_guard.run_id = out->run_id;
	exit_guard.backend = p->backend->name;
	exit_guard.in_vmm = true;
	/* A program's checksum has no host-side reference here (the host
	 * would have to run it): its exit status decides. */
	if (!p->program)
		ref_job_start(&ref, p, out->seed, (unsigned)o->vms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = vmm_run(&vc, &out->res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	exit_guard.in_vmm = false;
	if (!p->program)
		ref_job_finish(&ref);
	if (rc) {
		out->ok = false;
		out->exit_code = out->res.exit_code ? out->res.exit_code : MV_EXIT_ENV;
		snprintf(out->error, sizeof(out->error), "%s", out->res.error);
	} else {
		out->ok = out->res.ok;
		out->exit_code = out->ok ? MV_EXIT_OK : MV_EXIT_RUN_FAILED;
		snprintf(out->error, sizeof(out->error), "%s", out->ok ? "" : out->res.error);
		if (out->ok && !p->program)
			verify_checksums(p, &ref, out);
		out->res.wall_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
				   (uint64_t)(t1.tv_nsec - t0.tv_nsec);
		/* Modelled cycles stand in for time where host time means
		 * nothing; the kvm engine measures real time instead. */
		if (p->engine->instructions)
			out->modelled_cycles = cost_model_apply(&p->costs, &out->res.counters);
	}
	if (sink.snapshot_error && out->ok) {
		out->ok = false;
		out->exit_code = MV_EXIT_ENV;
		snprintf(out->error, sizeof(out->error), "recording the time series failed: %s", rec_errmsg(db));
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
		/* The counters and the run's end in one transaction: a run is
		 * recorded whole or, failing that, failed with the reason; never
		 * left 'running' with half its counters. */
		if (rec_run_flush(db) || rec_begin(db) || record_counters(db, out->run_id, &out->res) ||
		    (p->program && record_outputs(db, out->run_id, &out->res)) ||
		    rec_run_finish(db, out->run_id, &rr) || rec_commit(db)) {
			char why[512];
			struct rec_run_result fr = {.status = REC_STATUS_FAILED, .exit_code = MV_EXIT_ENV,
						    .error = why, .wall_ns = out->res.wall_ns, .modelled_cycles = -1};

			snprintf(why, sizeof(why), "recording the run's results failed: %s", rec_errmsg(db));
			rec_rollback(db);
			out->ok = false;
			out->exit_code = MV_EXIT_ENV;
			rc = cli_fail(MV_EXIT_ENV, "run", "%s: cannot finish recording run %" PRId64 ": %s", o->db,
				      out->run_id, rec_errmsg(db));
			out->error_said = true;
			/* The log that filled the disk may be most of the file:
			 * fold it in and try the one small write that matters. */
			if (rec_run_finish(db, out->run_id, &fr) && (rec_make_room(db) || rec_run_finish(db, out->run_id, &fr)))
				fprintf(stderr, "memvirt run: run %" PRId64 " stays unfinished in %s: %s\n", out->run_id,
					o->db, rec_errmsg(db));
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

/* What one VM's program did: how it ended and what it wrote. */
static void program_vm_json(const struct rep_outcome *r, unsigned v, struct json *j)
{
	const struct vmm_vm_result *vr = &r->res.vm[v];
	const struct console_program *pr = &vr->program;

	json_key(j, "exit_status");
	if (pr->exited)
		json_i64(j, pr->exit_status);
	else
		json_null(j);
	json_key(j, "signal");
	if (pr->signalled) {
		char hex[32];

		json_object_begin(j);
		json_key(j, "number");
		json_u64(j, pr->signal);
		json_key(j, "name");
		json_string(j, pr->signal_name);
		json_key(j, "addr");
		snprintf(hex, sizeof(hex), "0x%" PRIx64, pr->addr);
		json_string(j, hex);
		json_key(j, "rip");
		snprintf(hex, sizeof(hex), "0x%" PRIx64, pr->rip);
		json_string(j, hex);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "error");
	json_string(j, pr->error ? pr->error_text : NULL);
	json_key(j, "stdout");
	json_string_bytes(j, vr->out.data, vr->out.len);
	json_key(j, "stdout_truncated");
	json_u64(j, vr->out.truncated);
	json_key(j, "stderr");
	json_string_bytes(j, vr->err.data, vr->err.len);
	json_key(j, "stderr_truncated");
	json_u64(j, vr->err.truncated);
	json_key(j, "output_dropped");
	json_double(j, ctr_get(&r->res.counters, (int)v, "guest_output_dropped", 0));
}

/* The program of a program run: what it is (as in the configuration),
 * VM 0's outcome at the top, and every VM's in `vms`, in VM order. */
static void program_json(const struct run_plan *p, const struct rep_outcome *r, struct json *j)
{
	json_object_begin(j);
	run_plan_program_members(p, false, j);
	program_vm_json(r, 0, j);
	json_key(j, "vms");
	json_array_begin(j);
	for (unsigned v = 0; v < r->res.vms; v++) {
		json_object_begin(j);
		program_vm_json(r, v, j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void outcome_json(const struct run_plan *p, const struct rep_outcome *r, struct json *j)
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
	if (p->program) {
		json_key(j, "program");
		program_json(p, r, j);
	}
}

static void print_json(const struct run_plan *p, const struct rep_outcome *reps, unsigned n)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	outcome_json(p, &reps[0], &j);
	json_key(&j, "config");
	run_plan_config_json(p, &j);
	if (n > 1) {
		json_key(&j, "repetitions");
		json_array_begin(&j);
		for (unsigned r = 0; r < n; r++) {
			json_object_begin(&j);
			outcome_json(p, &reps[r], &j);
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
	       r->run_id, p->engine->name, p->backend->name, p->workload_label, p->params_text,
	       r->seed, r->ok ? "ok" : "FAILED");
	if (!r->ok)
		printf("  error: %s\n", r->error);
	for (unsigned v = 0; v < r->res.vms; v++) {
		if (r->res.vm[v].has_checksum)
			printf("  vm %u checksum %016" PRIx64 "%s\n", v, r->res.vm[v].checksum,
			       r->ok && !p->program ? " (matches the reference)" : "");
		else
			printf("  vm %u no checksum\n", v);
	}
	for (unsigned v = 0; p->program && v < r->res.vms; v++) {
		const struct vmm_vm_result *vr = &r->res.vm[v];
		char how[512];

		if (!console_program_failure(&vr->program, how, sizeof(how)))
			snprintf(how, sizeof(how), "program exited with status 0");
		printf("  vm %u %s; stdout %zu bytes%s, stderr %zu bytes%s\n", v, how, vr->out.len,
		       vr->out.truncated ? " (cut)" : "", vr->err.len, vr->err.truncated ? " (cut)" : "");
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

/* A command line refused before any run: with --json the caller still
 * gets one JSON object, saying why. */
static void print_json_refusal(int code)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_key(&j, "status");
	json_string(&j, code == MV_EXIT_USAGE ? "usage_error" : "error");
	json_key(&j, "exit_code");
	json_u64(&j, (uint64_t)code);
	json_key(&j, "error");
	json_string(&j, cli_last_error());
	json_key(&j, "run_id");
	json_null(&j);
	json_key(&j, "checksum");
	json_array_begin(&j);
	json_array_end(&j);
	json_key(&j, "counters");
	json_object_begin(&j);
	json_object_end(&j);
	json_object_end(&j);
	if (!j.failed)
		printf("%s\n", json_text(&j));
	json_free(&j);
}

/* Whether --json is among the arguments, before they are parsed: a
 * refusal of the rest is still said in JSON. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

int cmd_run(int argc, char **argv)
{
	struct run_config o;
	struct run_plan p;
	struct rec_db *db = NULL;
	struct rep_outcome *reps;
	char err[1024];
	int rc, worst = MV_EXIT_OK;

	rc_defaults(&o);
	rc = rc_parse_argv(&o, argc, argv);
	if (rc == RC_PARSE_HELP) {
		run_usage(stdout);
		return MV_EXIT_OK;
	}
	if (rc == RC_PARSE_VERSION) {
		printf("memvirt %s\n", MEMVIRT_VERSION);
		return MV_EXIT_OK;
	}
	if (!rc) {
		rc = run_plan_make(&o, &p, 0, argc - 1, argv + 1);
		if (rc) {
			cli_fail(rc, "run", "%s", p.error);
			run_plan_free(&p);
		}
	}
	if (rc) {
		if (wants_json(argc, argv))
			print_json_refusal(rc);
		return rc;
	}
	if (!o.no_db) {
		ensure_default_db_dir(o.db);
		rc = rec_open(o.db, REC_READ_WRITE, &db, err, sizeof(err));
		if (rc) {
			run_plan_free(&p);
			rc = cli_fail(rc == -EPROTO || rc == -ERANGE ? MV_EXIT_USAGE : MV_EXIT_ENV, "run", "%s", err);
			if (o.json)
				print_json_refusal(rc);
			return rc;
		}
	}
	reps = calloc(o.reps, sizeof(*reps));
	if (!reps) {
		rec_close(db);
		run_plan_free(&p);
		return cli_fail(MV_EXIT_ENV, "run", "out of memory");
	}
	for (unsigned r = 0; r < o.reps; r++) {
		rc = run_one(&o, &p, db, (unsigned)o.rep + r, &reps[r]);
		/* A failure said already (cli_fail) leaves no text here. */
		if (!reps[r].ok && !o.json && reps[r].error[0] && !reps[r].error_said)
			fprintf(stderr, "memvirt run: %s\n", reps[r].error);
		if (rc > worst)
			worst = rc;
		if (!o.json && !o.quiet)
			print_summary(&p, &reps[r]);
	}
	if (o.json)
		print_json(&p, reps, (unsigned)o.reps);
	for (unsigned r = 0; r < o.reps; r++)
		vmm_result_free(&reps[r].res);
	free(reps);
	rec_close(db);
	run_plan_free(&p);
	return worst;
}
