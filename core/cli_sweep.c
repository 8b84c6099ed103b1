/*
 * core/cli_sweep.c — `memvirt sweep FILE`: parse and check the sweep file
 * (a malformed one is refused, FILE:LINE: problem, before anything runs),
 * then run its grid in worker processes (core/sweeprun.h).
 *
 * The stop flag lives here, at the command's edge: a signal handler can
 * only reach a global, and the runner only reads it.  SIGINT, SIGTERM and
 * SIGHUP all stop the sweep cleanly (a closed terminal or a service
 * manager ends a sweep as surely as Ctrl-C does), but a SIGHUP that was
 * ignored when memvirt started (nohup) stays ignored.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sweep.h"
#include "core/sweeprun.h"
#include "core/cli.h"
#include "core/runconf.h"
#include "core/runplan.h"
#include "core/slurm.h"
#include "workloads/catalog.h"

static volatile sig_atomic_t sweep_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	sweep_stop = 1;
}

static void sweep_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt sweep FILE [-j N] [--db FILE] [--resume] [--shard I/N]\n"
		"       memvirt sweep FILE --slurm [--shards N] [--slurm-opt OPT]... [--db FILE] [--resume]\n"
		"       memvirt sweep FILE --status [--db FILE] [--shards N]\n"
		"\n"
		"Run every configuration of a sweep file (engines x backends x workloads x\n"
		"parameters x VMs x TLB geometries x repetitions; see docs/sweep-format.md),\n"
		"one `memvirt run` process per run, N at a time.  A run that fails or crashes\n"
		"is recorded as failed with its reason and the sweep goes on; one that outlives\n"
		"its timeout is killed.  Ctrl-C (or SIGTERM, SIGHUP) stops the running runs,\n"
		"keeps the finished ones and marks the sweep interrupted.\n"
		"\n"
		"  -j, --jobs N      worker processes (default: the number of CPUs, %ld here)\n"
		"  --db FILE         results database (default %s)\n"
		"  --resume          skip runs whose exact configuration is already 'ok' in\n"
		"                    the database, or being run by another live process,\n"
		"                    continuing the last sweep of this file\n"
		"  --shard I/N       run only the I-th of N disjoint, balanced slices of the\n"
		"                    grid (merge the slices' databases with memvirt merge)\n"
		"  --check           only check the sweep file and print its size\n"
		"  --list            print the runs (of the shard, with --shard): index, key\n"
		"\n"
		"On a Slurm cluster (docs/cluster.md):\n"
		"  --slurm           submit a job array, one task per shard, each into its own\n"
		"                    database under <folder of --db>/shards/, and a job that\n"
		"                    merges them into --db after it; print the job ids, return\n"
		"  --shards N        shards (array tasks) for --slurm (default: one per run,\n"
		"                    at most 64)\n"
		"  --slurm-opt OPT   an sbatch option for both jobs, e.g. --slurm-opt\n"
		"                    --partition=short (repeatable)\n"
		"  --status          per-shard progress of the submitted sweep, the merged\n"
		"                    database's, and the queue's (squeue)\n"
		"  with --slurm, --resume submits again only the shards with runs not ok\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 every run ok, 1 some runs failed, 2 bad command line or sweep\n"
		"file, 3 environment error (database, sbatch), 130 interrupted.\n",
		sysconf(_SC_NPROCESSORS_ONLN), MV_DEFAULT_DB);
}

/* Semantic check of one sweep-file value: the same checks as memvirt
 * run's (core/runconf.h), value by value. */
static int check_value(void *ctx, const char *key, bool is_param, const char *workload,
		       const char *value, char *why, size_t why_len)
{
	const struct rc_option *o;
	struct run_config scratch;

	(void)ctx;
	if (is_param) {
		const struct wl_desc *wl = wl_find(workload ? workload : "scan");

		if (!wl)
			return 0; /* the workload value itself is reported */
		return run_plan_check_param(wl, key, value, NULL, why, why_len) ? -1 : 0;
	}
	o = rc_find(key);
	if (!o)
		return 0; /* not a run option: the sweep's own keys, checked by the parser */
	rc_defaults(&scratch);
	if (rc_set(&scratch, o, value, "", why, why_len))
		return -1;
	if ((o->flags & RC_F_FILE) && access(value, R_OK)) {
		snprintf(why, why_len, "%s '%s': %s", key, value, strerror(errno));
		return -1;
	}
	return 0;
}

/* Every point as a whole, as memvirt run would check it (machine and
 * backend, VMs and engine, TLB...), so that a grid with a combination
 * memvirt run refuses is refused before anything runs.  Plugins are not
 * loaded here, so what only the plugin knows is checked by its runs. */
static int check_points(const struct sweep_file *f, char *err, size_t err_len)
{
	size_t n = sweep_point_count(f);
	struct sweep_point *pt = malloc(sizeof(*pt));

	if (!pt) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct run_config c;
		struct run_plan plan;
		char *argv[SWEEP_MAX_ARGS + 2];
		int rc;

		if (sweep_point_at(f, i, pt)) {
			snprintf(err, err_len, "%s: point %zu cannot be built", f->path, i);
			free(pt);
			return -EINVAL;
		}
		/* Repetitions share their configuration: check one. */
		if (pt->rep > 0)
			break;
		argv[0] = "run";
		for (int a = 0; a < pt->argc; a++)
			argv[a + 1] = pt->argv[a];
		argv[pt->argc + 1] = NULL;
		rc_defaults(&c);
		rc = rc_parse_argv(&c, pt->argc + 1, argv);
		if (!rc) {
			rc = run_plan_make(&c, &plan, RUN_PLAN_CHECK_ONLY, 0, NULL);
			if (rc)
				snprintf(err, err_len, "%s: the run %s is refused: %s", f->path, pt->label, plan.error);
			run_plan_free(&plan);
		} else {
			snprintf(err, err_len, "%s: the run %s has options memvirt run refuses (%s)", f->path, pt->label,
				 cli_last_error());
		}
		if (rc) {
			free(pt);
			return -EINVAL;
		}
	}
	free(pt);
	return 0;
}

/* What the user can fix on the command line (a request slurm.h refuses,
 * a database that is not memvirt's, nothing submitted to read the status
 * of) is exit 2; sbatch missing or refusing, files that cannot be written:
 * the environment, 3. */
static int slurm_exit_code(int rc, bool status)
{
	switch (-rc) {
	case EINVAL:
	case EEXIST:
	case EBUSY:
	case E2BIG:
	case EPROTO:
	case ERANGE:
		return MV_EXIT_USAGE;
	case ENOENT:
		return status ? MV_EXIT_USAGE : MV_EXIT_ENV;
	default:
		return MV_EXIT_ENV;
	}
}

int cmd_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{"jobs", required_argument, NULL, 'j'},
		{"db", required_argument, NULL, 'd'},
		{"resume", no_argument, NULL, 'r'},
		{"check", no_argument, NULL, 'c'},
		{"list", no_argument, NULL, 'l'},
		{"shard", required_argument, NULL, 's'},
		{"slurm", no_argument, NULL, 'S'},
		{"shards", required_argument, NULL, 'N'},
		{"slurm-opt", required_argument, NULL, 'o'},
		{"status", no_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = MV_DEFAULT_DB;
	uint64_t jobs = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN), shards_opt = 0;
	bool resume = false, check_only = false, list = false, slurm = false, status = false;
	uint32_t shard = 0, shards = 0;
	size_t *shard_points = NULL, shard_point_count = 0;
	struct slurm_submit_opts so = {0};
	char why[512];
	struct sweep_file *f = NULL;
	struct sweep_totals t;
	struct sigaction sa, old_int, old_term, old_hup;
	char err[4096], command[4096];
	size_t off = 0;
	int c, rc;

	/* Recorded before getopt permutes argv. */
	for (int i = 0; i < argc && off < sizeof(command); i++)
		off += (size_t)snprintf(command + off, sizeof(command) - off, "%s%s", i ? " " : "memvirt ",
					argv[i]);
	while ((c = cli_getopt(argc, argv, "hj:", opts, "sweep")) != -1) {
		switch (c) {
		case 'j':
			if (!cli_parse_u64(optarg, &jobs) || jobs < 1 || jobs > 256)
				return cli_fail(MV_EXIT_USAGE, "sweep",
						"bad value '%s' for --jobs: expected a number from 1 to 256", optarg);
			break;
		case 'd': db_path = optarg; break;
		case 'r': resume = true; break;
		case 'c': check_only = true; break;
		case 'l': list = true; break;
		case 's':
			if (!sweep_shard_parse(optarg, &shard, &shards))
				return cli_fail(MV_EXIT_USAGE, "sweep",
						"bad value '%s' for --shard: expected I/N, 1 <= I <= N <= %u (e.g. 2/8)", optarg,
						SWEEP_MAX_SHARDS);
			break;
		case 'S': slurm = true; break;
		case 'N':
			if (!cli_parse_u64(optarg, &shards_opt) || shards_opt < 1 || shards_opt > SWEEP_MAX_SHARDS)
				return cli_fail(MV_EXIT_USAGE, "sweep", "bad value '%s' for --shards: expected a number from 1 to %u",
						optarg, SWEEP_MAX_SHARDS);
			break;
		case 'o':
			if (!slurm_opt_check(optarg, why, sizeof(why)))
				return cli_fail(MV_EXIT_USAGE, "sweep", "bad --slurm-opt: %s", why);
			if (so.sbatch_opt_count == SLURM_MAX_OPTS)
				return cli_fail(MV_EXIT_USAGE, "sweep", "too many --slurm-opt (at most %d)", SLURM_MAX_OPTS);
			so.sbatch_opts[so.sbatch_opt_count++] = optarg;
			break;
		case 'T': status = true; break;
		case 'h':
			sweep_usage(stdout);
			return MV_EXIT_OK;
		default:
			return MV_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_fail(MV_EXIT_USAGE, "sweep", optind == argc ? "no sweep file given (memvirt sweep FILE)"
								 : "one sweep file, not several ('%s')",
				argv[optind + (optind < argc - 1)]);
	if (slurm + status + (shard != 0) > 1)
		return cli_fail(MV_EXIT_USAGE, "sweep", "--slurm, --status and --shard go one at a time: %s",
				slurm && status ? "--slurm submits, --status reads what was submitted"
					       : "--slurm cuts the grid into shards itself (--shards N)");
	if (shards_opt && !slurm && !status)
		return cli_fail(MV_EXIT_USAGE, "sweep", "--shards N goes with --slurm or --status (for one slice: --shard I/N)");
	if (so.sbatch_opt_count && !slurm)
		return cli_fail(MV_EXIT_USAGE, "sweep", "--slurm-opt goes with --slurm");
	if (!db_path[0])
		return cli_fail(MV_EXIT_USAGE, "sweep", "empty --db: give the results database's path");
	rc = sweep_parse(argv[optind], &f, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_USAGE, "sweep", "%s", err);
	rc = sweep_check(f, check_value, NULL, err, sizeof(err));
	if (!rc)
		rc = check_points(f, err, sizeof(err));
	if (rc) {
		sweep_free(f);
		return cli_fail(MV_EXIT_USAGE, "sweep", "%s", err);
	}
	if (shard) {
		rc = sweep_shard_points(sweep_point_count(f), shard, shards, &shard_points, &shard_point_count);
		if (rc) {
			sweep_free(f);
			return cli_fail(MV_EXIT_ENV, "sweep", "cannot cut the grid into shards: %s", strerror(-rc));
		}
	}
	if (check_only || list) {
		rc = MV_EXIT_OK;
		if (check_only && shard)
			printf("%s: shard %" PRIu32 "/%" PRIu32 ": %zu of the grid's %zu runs (%" PRIu32 " repetitions)\n",
			       f->path, shard, shards, shard_point_count, sweep_point_count(f), f->repetitions);
		else if (check_only)
			printf("%s: %zu runs (%" PRIu32 " repetitions)\n", f->path, sweep_point_count(f), f->repetitions);
		if (list) {
			struct sweep_point *pt = malloc(sizeof(*pt));
			size_t n = shard ? shard_point_count : sweep_point_count(f);

			for (size_t i = 0; pt && i < n; i++) {
				if (sweep_point_at(f, shard ? shard_points[i] : i, pt)) {
					rc = cli_fail(MV_EXIT_USAGE, "sweep", "%s: point %zu cannot be built", f->path, i);
					break;
				}
				printf("%zu\t%s\n", pt->index, pt->key);
			}
			free(pt);
		}
		free(shard_points);
		sweep_free(f);
		return rc;
	}
	if (status || slurm) {
		if (status) {
			rc = slurm_status(f, db_path, (uint32_t)shards_opt, stdout, err, sizeof(err));
		} else {
			so.f = f;
			so.db_path = db_path;
			so.shards = (uint32_t)shards_opt;
			so.resume = resume;
			rc = slurm_submit(&so, stdout, err, sizeof(err));
		}
		sweep_free(f);
		if (rc)
			return cli_fail(slurm_exit_code(rc, status), "sweep", "%s", err);
		return MV_EXIT_OK;
	}
	if (!strcmp(db_path, MV_DEFAULT_DB))
		mkdir("results", 0777);

	sweep_stop = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, NULL, &old_hup);
	if (old_hup.sa_handler != SIG_IGN)
		sigaction(SIGHUP, &sa, NULL);
	{
		struct sweep_run_opts o = {
			.exe = "/proc/self/exe",
			.db_path = db_path,
			.command = command,
			.jobs = (unsigned)jobs,
			.resume = resume,
			.tty = isatty(STDERR_FILENO),
			.out = stderr,
			.stop = &sweep_stop,
			.points = shard_points,
			.point_count = shard_point_count,
			.shard_index = shard,
			.shard_count = shards,
		};

		rc = sweep_run(f, &o, &t, err, sizeof(err));
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	free(shard_points);
	if (rc && rc != -EINTR) {
		sweep_free(f);
		return cli_fail(rc == -EPROTO || rc == -ERANGE ? MV_EXIT_USAGE : MV_EXIT_ENV, "sweep", "%s", err);
	}
	{
		char busy[64] = "";

		if (t.busy)
			snprintf(busy, sizeof(busy), ", %" PRIu32 " being run by another process", t.busy);
		printf("sweep %" PRId64 " (%s)%s: %" PRIu32 " runs: %" PRIu32 " ok, %" PRIu32 " failed, %" PRIu32
		       " skipped (already ok)%s%s in %.1f s\n",
		       t.sweep_id, f->name, t.interrupted ? " INTERRUPTED" : "", t.points, t.ok, t.failed, t.skipped,
		       busy, t.interrupted ? ", the rest not run" : "", t.elapsed_s);
	}
	if (t.interrupted && shard)
		printf("resume with: memvirt sweep %s --shard %" PRIu32 "/%" PRIu32 " --db %s --resume\n", f->path, shard,
		       shards, db_path);
	else if (t.interrupted)
		printf("resume with: memvirt sweep %s --db %s --resume\n", f->path, db_path);
	else if (t.busy)
		printf("once those runs end, memvirt sweep %s --db %s --resume runs the points they did not finish ok\n",
		       f->path, db_path);
	printf("report with: memvirt report --db %s --runs sweep=%" PRId64 " -o DIR\n", db_path, t.sweep_id);
	sweep_free(f);
	if (t.interrupted)
		return 130;
	return t.failed ? MV_EXIT_RUN_FAILED : MV_EXIT_OK;
}
