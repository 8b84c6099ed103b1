/*
 * core/sweeprun.h — runs a sweep's grid: one `memvirt run` child
 * process per point, N at a time, each tagged with the sweep id and its
 * point key, with progress on a terminal or as plain lines.
 *
 * Invariants:
 * - Every point tried ends with a final run row: 'ok' or 'failed' as the
 *   child recorded it, or — when the child died without finishing its row
 *   (signal, exit before recording) — 'failed' with the reason written by
 *   this runner, or 'incomplete' when the sweep was stopped under it.
 * - Children run in their own process groups, so a terminal's Ctrl-C
 *   reaches only the runner, which then stops them itself (SIGTERM, then
 *   SIGKILL after a grace period) and marks the sweep interrupted.
 * - No child outlives the runner: each is SIGKILLed by the kernel when the
 *   runner dies, however it dies (PR_SET_PDEATHSIG), so its row reads as
 *   incomplete.  This ties children to the thread that forked them: call
 *   sweep_run() from a thread that lives as long as the sweep.
 * - No child outlives its run's timeout by more than a grace period: the
 *   runner kills it and records it failed with that reason.
 * - With resume, a point another live process is running (its 'running'
 *   row's writer is alive) is not started a second time.
 * - The runner holds no global state; the caller owns the stop flag its
 *   signal handler sets.
 * - A slot is refilled as soon as its run ends (SIGCHLD wakes the
 *   runner), so N jobs keep N runs going.
 */
#ifndef MEMVIRT_CORE_SWEEPRUN_H
#define MEMVIRT_CORE_SWEEPRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/sweep.h"

struct sweep_run_opts {
	const char *exe;          /* the memvirt program: exec'd as EXE run ARGS... */
	const char *db_path;
	const char *command;      /* this sweep's command line, recorded */
	unsigned jobs;            /* worker processes, >= 1 */
	bool resume;              /* skip points with an 'ok' run of the same key, or one
				   * another live process is running */
	bool tty;                 /* progress bar (true) or one line per run */
	/* Only these points of the grid (ascending), e.g. one shard's
	 * (sweep_shard_points); NULL: every point. */
	const size_t *points;
	size_t point_count;
	uint32_t shard_index, shard_count;   /* recorded with the sweep; 0/0: whole grid */
	FILE *out;                /* where progress goes */
	volatile sig_atomic_t *stop;   /* set asynchronously to stop the sweep */
};

struct sweep_totals {
	int64_t sweep_id;
	bool resumed;             /* continued an earlier sweep of the same file */
	uint32_t points, skipped, ok, failed, stopped;
	uint32_t busy;            /* not started: another process was running them */
	bool interrupted;
	double elapsed_s;
};

/* Run the grid.  Returns 0 when every point was tried (failures are
 * counted, not errors), -EINTR when stopped, or a negative errno with a
 * message in err when the sweep could not go on (database, fork). */
int sweep_run(const struct sweep_file *f, const struct sweep_run_opts *o,
	      struct sweep_totals *t, char *err, size_t err_len) __attribute__((warn_unused_result));

#endif
