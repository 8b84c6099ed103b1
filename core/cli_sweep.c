/*
 * core/cli_sweep.c — `memvirt sweep FILE`: parse and check the sweep file
 * (a malformed one is refused, FILE:LINE: problem, before anything runs),
 * then run its grid in worker processes (analysis/sweeprun.h).
 *
 * The SIGINT/SIGTERM flag lives here, at the command's edge: a signal
 * handler can only reach a global, and the runner only reads it.
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

#include "analysis/sweep.h"
#include "analysis/sweeprun.h"
#include "core/backends.h"
#include "core/cli.h"
#include "core/costmodel.h"
#include "core/evbus.h"
#include "core/registry.h"
#include "core/vmm.h"
#include "vcpu/soft/mmu.h"
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
		"Usage: memvirt sweep FILE [-j N] [--db FILE] [--resume]\n"
		"\n"
		"Run every configuration of a sweep file (engines x backends x workloads x\n"
		"parameters x VMs x TLB geometries x repetitions; see docs/sweep-format.md),\n"
		"one `memvirt run` process per run, N at a time.  A run that fails or crashes\n"
		"is recorded as failed with its reason and the sweep goes on.  Ctrl-C stops\n"
		"the running runs, keeps the finished ones and marks the sweep interrupted.\n"
		"\n"
		"  -j, --jobs N      worker processes (default: the number of CPUs, %ld here)\n"
		"  --db FILE         results database (default %s)\n"
		"  --resume          skip runs whose exact configuration is already 'ok' in\n"
		"                    the database, continuing the last sweep of this file\n"
		"  --check           only check the sweep file and print its size\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 every run ok, 1 some runs failed, 2 bad command line or sweep\n"
		"file, 3 environment error (database), 130 interrupted.\n",
		sysconf(_SC_NPROCESSORS_ONLN), MV_DEFAULT_DB);
}

/* Semantic check of one sweep-file value against what this memvirt has. */
static int check_value(void *ctx, const char *key, bool is_param, const char *workload,
		       const char *value, char *why, size_t why_len)
{
	char err[512];
	uint64_t v = strtoull(value, NULL, 10);

	(void)ctx;
	if (is_param) {
		const struct wl_desc *wl = wl_find(workload ? workload : "scan");
		const struct wl_param *prm = wl ? wl_find_param(wl, key) : NULL;

		if (!wl)
			return 0; /* the workload value itself is reported */
		if (!prm) {
			char names[256];
			size_t off = 0;

			names[0] = '\0';
			for (unsigned i = 0; i < wl->param_count; i++)
				off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "",
							wl->params[i].name);
			snprintf(why, why_len, "workload '%s' has no parameter '%s'; accepted: %s", wl->name, key,
				 wl->param_count ? names : "none");
			return -1;
		}
		if (v < prm->min || v > prm->max) {
			snprintf(why, why_len,
				 "value %s of parameter %s is outside %" PRIu64 "..%" PRIu64 " for workload %s (%s)",
				 value, key, prm->min, prm->max, wl->name, prm->help);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "engine")) {
		const struct engine_ops *ops;

		if (reg_engine_find(value, &ops)) {
			snprintf(why, why_len, "unknown engine '%s'; accepted: %s", value, reg_engine_names());
			return -1;
		}
		if (!ops) {
			snprintf(why, why_len, "engine '%s' is not built into this memvirt", value);
			return -1;
		}
	} else if (!strcmp(key, "backend")) {
		/* A plugin is only checked to exist: loading it here would run
		 * its code in the sweep process, which must survive a bad one. */
		if (strchr(value, '/') || (strlen(value) > 3 && !strcmp(value + strlen(value) - 3, ".so"))) {
			if (access(value, R_OK)) {
				snprintf(why, why_len, "backend plugin '%s': %s", value, strerror(errno));
				return -1;
			}
			return 0;
		}
		for (size_t i = 0; i < be_count(); i++)
			if (!strcmp(be_at(i)->name, value))
				return 0;
		be_names_text(err, sizeof(err));
		snprintf(why, why_len, "unknown backend '%s'; accepted: %s, or a plugin path (PATH.so)", value,
			 err);
		return -1;
	} else if (!strcmp(key, "workload")) {
		if (!wl_find(value)) {
			char names[512];
			size_t off = 0;

			names[0] = '\0';
			for (unsigned i = 0; i < wl_catalog_count; i++)
				off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "",
							wl_catalog[i].name);
			snprintf(why, why_len, "unknown workload '%s'; accepted: %s", value, names);
			return -1;
		}
	} else if (!strcmp(key, "vms")) {
		if (v < 1 || v > VMM_MAX_VMS) {
			snprintf(why, why_len, "vms must be from 1 to %d, not %s", VMM_MAX_VMS, value);
			return -1;
		}
	} else if (!strcmp(key, "mem")) {
		if (v < (16ull << 20) || v > (64ull << 30) || (v & ((2ull << 20) - 1))) {
			snprintf(why, why_len, "mem must be a multiple of 2M from 16M to 64G, not %s", value);
			return -1;
		}
	} else if (!strcmp(key, "quantum")) {
		if (v < 1000) {
			snprintf(why, why_len, "quantum must be at least 1000 instructions, not %s", value);
			return -1;
		}
	} else if (!strcmp(key, "timeout")) {
		if (v < 1 || v > 7 * 24 * 3600) {
			snprintf(why, why_len, "timeout must be from 1 to 604800 seconds, not %s", value);
			return -1;
		}
	} else if (!strcmp(key, "record")) {
		struct ev_record_level lvl;

		if (ev_record_level_parse(value, &lvl, err, sizeof(err))) {
			snprintf(why, why_len, "%s", err);
			return -1;
		}
	} else if (!strcmp(key, "costs")) {
		struct cost_model m;

		cost_model_default(&m);
		if (cost_model_override(&m, value, err, sizeof(err))) {
			snprintf(why, why_len, "%s", err);
			return -1;
		}
	} else if (!strcmp(key, "tlb")) {
		struct soft_mmu_config cfg;

		soft_mmu_config_default(&cfg);
		if (soft_mmu_config_parse(value, &cfg, err, sizeof(err))) {
			snprintf(why, why_len, "%s", err);
			return -1;
		}
	} else if (!strcmp(key, "guest")) {
		if (access(value, R_OK)) {
			snprintf(why, why_len, "guest image '%s': %s", value, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{"jobs", required_argument, NULL, 'j'},
		{"db", required_argument, NULL, 'd'},
		{"resume", no_argument, NULL, 'r'},
		{"check", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = MV_DEFAULT_DB;
	uint64_t jobs = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	bool resume = false, check_only = false;
	struct sweep_file *f = NULL;
	struct sweep_totals t;
	struct sigaction sa, old_int, old_term;
	char err[1024], command[4096];
	size_t off = 0;
	int c, rc;

	/* Recorded before getopt permutes argv. */
	for (int i = 0; i < argc && off < sizeof(command); i++)
		off += (size_t)snprintf(command + off, sizeof(command) - off, "%s%s", i ? " " : "memvirt ",
					argv[i]);
	while ((c = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!cli_parse_u64(optarg, &jobs) || jobs < 1 || jobs > 256)
				return cli_fail(MV_EXIT_USAGE, "sweep",
						"bad value '%s' for --jobs: expected a number from 1 to 256", optarg);
			break;
		case 'd': db_path = optarg; break;
		case 'r': resume = true; break;
		case 'c': check_only = true; break;
		case 'h':
			sweep_usage(stdout);
			return MV_EXIT_OK;
		default:
			return cli_usage_hint("sweep");
		}
	}
	if (optind != argc - 1)
		return cli_fail(MV_EXIT_USAGE, "sweep", optind == argc ? "no sweep file given (memvirt sweep FILE)"
								 : "one sweep file, not several ('%s')",
				argv[optind + (optind < argc - 1)]);
	rc = sweep_parse(argv[optind], &f, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_USAGE, "sweep", "%s", err);
	rc = sweep_check(f, check_value, NULL, err, sizeof(err));
	if (rc) {
		sweep_free(f);
		return cli_fail(MV_EXIT_USAGE, "sweep", "%s", err);
	}
	if (check_only) {
		printf("%s: %zu runs (%" PRIu32 " repetitions)\n", f->path, sweep_point_count(f), f->repetitions);
		sweep_free(f);
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
		};

		rc = sweep_run(f, &o, &t, err, sizeof(err));
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc && rc != -EINTR) {
		sweep_free(f);
		return cli_fail(rc == -EPROTO || rc == -ERANGE ? MV_EXIT_USAGE : MV_EXIT_ENV, "sweep", "%s", err);
	}
	printf("sweep %" PRId64 " (%s)%s: %" PRIu32 " runs: %" PRIu32 " ok, %" PRIu32 " failed, %" PRIu32
	       " skipped (already ok)%s in %.1f s\n",
	       t.sweep_id, f->name, t.interrupted ? " INTERRUPTED" : "", t.points, t.ok, t.failed, t.skipped,
	       t.interrupted ? ", the rest not run" : "", t.elapsed_s);
	if (t.interrupted)
		printf("resume with: memvirt sweep %s --db %s --resume\n", f->path, db_path);
	printf("report with: memvirt report --db %s --runs sweep=%" PRId64 " -o DIR\n", db_path, t.sweep_id);
	sweep_free(f);
	if (t.interrupted)
		return 130;
	return t.failed ? MV_EXIT_RUN_FAILED : MV_EXIT_OK;
}
