/*
 * bench/programs.c — the programs of workloads/programs/ as memvirt
 * workloads: each under the soft engine's native, shadow and ept
 * backends, with the instructions it retired (the run's JSON counter
 * `instructions`), the run's wall time and the guest MIPS that makes.
 *
 * Each configuration runs REPS times (default 1; the soft engine is
 * deterministic, so the instruction count is the same every time and only
 * the wall time varies: with REPS > 1 its median is taken).  Every run
 * must be ok, and every backend must give the program the same checksum
 * (the one program_abi.h defines over its stdout and exit status), or the
 * bench fails.  Wall time is the run's own (the JSON `wall_ns`: the VMM's
 * run, from the VM's creation to the guest's end; the command's start-up
 * and the program package's building left out); the whole process's
 * time is printed beside it.
 *
 * Sizes (--size): small, the sizes tests/programs uses (some 10-40 M
 * guest instructions a run); medium (the default), about ten times as
 * much; default, each program's own defaults (natively 0.2-2 s: on the
 * soft engine tens of seconds to minutes a run).
 *
 * Usage: programs [--reps N] [--size small|medium|default] [--musl] [PROGRAM...]
 * Environment: MEMVIRT (the memvirt binary; default this build's).
 * The programs are this build's workloads/programs/ (the folder and the
 * names come from meson).  Exit 1 when a run fails, 2 on a bad command line.
 * Printed last, as name=value, per program P and backend B:
 * insns_P_B, wall_P_B_s, mips_P_B, and last of all ratio_P_shadow and
 * ratio_P_ept (wall time against native).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_spawn.h"
#include "memvirt-config.h"

#ifndef BENCH_PROGRAM_DIR
#error "meson passes BENCH_PROGRAM_DIR, the folder of the built workloads/programs/"
#endif
#ifndef BENCH_PROGRAMS
#error "meson passes BENCH_PROGRAMS, the programs' names separated by spaces"
#endif

#define MAX_REPS 15
#define MAX_PROGRAMS 16
#define MAX_ARGS 32
#define NBACKENDS 3

static const char *const backends[NBACKENDS] = {"native", "shadow", "ept"};

/* Arguments per size; a program not listed runs with its defaults. */
struct bp_sizes {
	const char *name;
	const char *small;      /* = tests/programs/meson.build's */
	const char *medium;
};

static const struct bp_sizes bp_sizes[] = {
	{"btree", "10000 20000 3", "100000 200000 1"},
	{"hashjoin", "10000 30000 3 5", "100000 300000 4 1"},
	{"bfs", "11 8 2 7", "14 16 2 1"},
	{"triad", "40000 5 2", "400000 5 1"},
	{"sort", "40000 9 64", "400000 1 64"},
	{"gups", "16 200000 4", "20 2000000 1"},
};

/* The number after "KEY": in the JSON's top-level counters (the first
 * occurrence: `counters` comes before `vm_counters`). */
static bool bp_number(const char *json, const char *key, double *v)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = json ? strstr(json, pat) : NULL;
	if (!p)
		return false;
	char *end;
	*v = strtod(p + strlen(pat), &end);
	return end != p + strlen(pat);
}

static bool bp_checksum(const char *json, char out[17])
{
	const char *p = json ? strstr(json, "\"checksum\":[\"") : NULL;
	if (!p)
		return false;
	p += strlen("\"checksum\":[\"");
	size_t n = strspn(p, "0123456789abcdefABCDEF");
	if (n == 0 || n > 16)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static int bp_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bp_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bp_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *bp_args_for(const char *name, const char *size)
{
	for (size_t i = 0; i < sizeof(bp_sizes) / sizeof(bp_sizes[0]); i++)
		if (!strcmp(bp_sizes[i].name, name))
			return !strcmp(size, "small") ? bp_sizes[i].small
			     : !strcmp(size, "medium") ? bp_sizes[i].medium : "";
	return "";
}

struct bp_result {
	double insns, wall_s, proc_s, mips;
	char checksum[17];
};

/* One configuration, REPS times; 0, or 1 after saying what failed. */
static int bp_measure(const char *memvirt, const char *path, const char *args, const char *backend, int reps,
		      struct bp_result *res)
{
	char argbuf[512];
	char *argv[MAX_ARGS + 16];
	unsigned n = 0;
	argv[n++] = (char *)memvirt;
	argv[n++] = "run";
	argv[n++] = "--engine";
	argv[n++] = "soft";
	argv[n++] = "--backend";
	argv[n++] = (char *)backend;
	argv[n++] = "--program";
	argv[n++] = (char *)path;
	argv[n++] = "--mem";
	argv[n++] = "512M";
	argv[n++] = "--no-db";
	argv[n++] = "--json";
	snprintf(argbuf, sizeof(argbuf), "%s", args);
	for (char *tok = strtok(argbuf, " "); tok && n < MAX_ARGS + 12; tok = strtok(NULL, " ")) {
		argv[n++] = "--arg";
		argv[n++] = tok;
	}
	argv[n] = NULL;

	double wall[MAX_REPS], proc[MAX_REPS];
	for (int rep = 0; rep < reps; rep++) {
		struct bench_run r;
		int rc = bench_spawn(argv, false, &r);
		double insns = 0, wall_ns = 0;
		char sum[17];
		if (rc) {
			fprintf(stderr, "programs: cannot run %s: %s\n", memvirt, strerror(-rc));
			return 1;
		}
		if (r.exit_code != 0 || !strstr(r.out ? r.out : "", "\"status\":\"ok\"") ||
		    !bp_number(r.out, "instructions", &insns) || !bp_number(r.out, "wall_ns", &wall_ns) ||
		    !bp_checksum(r.out, sum)) {
			const char *e = r.out ? strstr(r.out, "\"error\":") : NULL;
			fprintf(stderr, "programs: %s on %s failed (exit %d): %.400s\n", path, backend, r.exit_code,
				e ? e : (r.out ? r.out : "no output"));
			free(r.out);
			return 1;
		}
		if (rep && (insns != res->insns || strcmp(sum, res->checksum))) {
			fprintf(stderr, "programs: %s on %s: two runs differ (%.0f / %.0f instructions, checksum "
					"%s / %s)\n", path, backend, res->insns, insns, res->checksum, sum);
			free(r.out);
			return 1;
		}
		res->insns = insns;
		memcpy(res->checksum, sum, sizeof(sum));
		wall[rep] = wall_ns / 1e9;
		proc[rep] = r.wall_s;
		free(r.out);
	}
	res->wall_s = bp_median(wall, reps);
	res->proc_s = bp_median(proc, reps);
	res->mips = res->wall_s > 0 ? res->insns / res->wall_s / 1e6 : 0;
	return 0;
}

int main(int argc, char **argv)
{
	const char *memvirt = getenv("MEMVIRT"), *size = "medium";
	char mpath[4096];
	int reps = 1;
	bool musl = false;
	const char *want[MAX_PROGRAMS];
	unsigned nwant = 0;
	static char known_buf[] = BENCH_PROGRAMS;
	const char *known[MAX_PROGRAMS];
	unsigned nknown = 0;

	for (char *tok = strtok(known_buf, " "); tok && nknown < MAX_PROGRAMS; tok = strtok(NULL, " "))
		known[nknown++] = tok;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "programs: --reps takes 1 to %d\n", MAX_REPS);
				return 2;
			}
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			size = argv[++i];
			if (strcmp(size, "small") && strcmp(size, "medium") && strcmp(size, "default")) {
				fprintf(stderr, "programs: --size takes small, medium or default\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--musl")) {
			musl = true;
		} else {
			unsigned k = 0;
			while (k < nknown && strcmp(known[k], argv[i]))
				k++;
			if (k == nknown) {
				fprintf(stderr, "usage: programs [--reps N] [--size small|medium|default] [--musl] "
						"[%s]...\n", BENCH_PROGRAMS);
				return 2;
			}
			if (nwant < MAX_PROGRAMS)
				want[nwant++] = known[k];
		}
	}
	if (!nwant)
		for (unsigned k = 0; k < nknown; k++)
			want[nwant++] = known[k];
	if (!memvirt) {
		snprintf(mpath, sizeof(mpath), "%s/memvirt", MEMVIRT_BUILD_ROOT);
		memvirt = mpath;
	}

	static struct bp_result res[MAX_PROGRAMS][NBACKENDS];
	printf("%-12s %-8s %14s %10s %10s %9s  %s\n", "program", "backend", "instructions", "run s", "process s",
	       "MIPS", "arguments");
	for (unsigned p = 0; p < nwant; p++) {
		char path[4096];
		const char *args = bp_args_for(want[p], size);
		snprintf(path, sizeof(path), "%s/%s%s", BENCH_PROGRAM_DIR, want[p], musl ? "-musl" : "");
		if (access(path, R_OK)) {
			fprintf(stderr, "programs: %s: %s (build it: ninja -C %s)\n", path, strerror(errno),
				MEMVIRT_BUILD_ROOT);
			return 1;
		}
		for (unsigned b = 0; b < NBACKENDS; b++) {
			if (bp_measure(memvirt, path, args, backends[b], reps, &res[p][b]))
				return 1;
			printf("%-12s %-8s %14.0f %10.3f %10.3f %9.1f  %s\n", want[p], backends[b], res[p][b].insns,
			       res[p][b].wall_s, res[p][b].proc_s, res[p][b].mips, *args ? args : "(defaults)");
			fflush(stdout);
			if (strcmp(res[p][b].checksum, res[p][0].checksum)) {
				fprintf(stderr, "programs: %s: checksum %s under %s, %s under native\n", want[p],
					res[p][b].checksum, backends[b], res[p][0].checksum);
				return 1;
			}
		}
	}
	for (unsigned p = 0; p < nwant; p++)
		for (unsigned b = 0; b < NBACKENDS; b++) {
			printf("insns_%s_%s=%.0f\n", want[p], backends[b], res[p][b].insns);
			printf("wall_%s_%s_s=%.3f\n", want[p], backends[b], res[p][b].wall_s);
			printf("mips_%s_%s=%.1f\n", want[p], backends[b], res[p][b].mips);
		}
	for (unsigned p = 0; p < nwant; p++)
		for (unsigned b = 1; b < NBACKENDS; b++)
			printf("ratio_%s_%s=%.3f\n", want[p], backends[b],
			       res[p][0].wall_s > 0 ? res[p][b].wall_s / res[p][0].wall_s : 0);
	return 0;
}
