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
 * - The runner holds no global state; the caller owns the stop flag its
 *   signal handler sets.
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
	bool resume;              /* skip points with an 'ok' run of the same key */
	bool tty;                 /* progress bar (true) or one line per run */
	FILE *out;                /* where progress goes */
	volatile sig_atomic_t *stop;   /* set asynchronously to stop the sweep */
};

struct sweep_totals {
	int64_t sweep_id;
	bool resumed;             /* continued an earlier sweep of the same file */
	uint32_t points, skipped, ok, failed, stopped;
	bool interrupted;
	double elapsed_s;
};

/* Run the grid.  Returns 0 when every point was tried (failures are
 * counted, not errors), -EINTR when stopped, or a negative errno with a
 * message in err when the sweep could not go on (database, fork). */
int sweep_run(const struct sweep_file *f, const struct sweep_run_opts *o,
	      struct sweep_totals *t, char *err, size_t err_len) __attribute__((warn_unused_result));

#endif
