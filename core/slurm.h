/*
 * core/slurm.h — sweeps on a Slurm cluster: `memvirt sweep FILE --slurm`
 * writes a job array (one task per shard of the grid, each running
 * `memvirt sweep FILE --shard I/N` into a database of its own) and a
 * job that merges the shards' databases into the sweep's once the array
 * has ended, submits both with sbatch and returns; `--status` reads the
 * shards' progress back.  docs/cluster.md has the whole story.
 *
 * Invariants:
 * - Everything of one submission lives in the sweep's shard folder,
 *   <folder of the database>/shards/<sweep name>-<hash of the file text>/:
 *   the sweep file as submitted (tasks read that copy, so editing the file
 *   afterwards changes nothing queued), the two batch scripts, the shard
 *   databases shard-I.db and logs, and `submission` (what was submitted).
 * - Memvirt never waits for the cluster: it submits and returns.
 * - A folder holding shards is never started afresh by accident: only
 *   --resume continues it, submitting only the shards with points not ok,
 *   and not while jobs of it are still queued or running.
 */
#ifndef MEMVIRT_CORE_SLURM_H
#define MEMVIRT_CORE_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/sweep.h"

#define SLURM_MAX_OPTS 64

struct slurm_submit_opts {
	const struct sweep_file *f;
	const char *db_path;        /* the database the shards are merged into */
	uint32_t shards;            /* 0: the default (docs/cluster.md) */
	const char *sbatch_opts[SLURM_MAX_OPTS];   /* each one sbatch option, as given */
	size_t sbatch_opt_count;
	bool resume;
};

/* The shard folder of a sweep file merged into db_path. */
void slurm_shard_dir(const struct sweep_file *f, const char *db_path, char *buf, size_t len);

/* Check one --slurm-opt value: an sbatch option ("--partition=debug",
 * "-t 10"), one line, not one memvirt sets itself.  false with why. */
bool slurm_opt_check(const char *opt, char *why, size_t why_len);

/* Write the scripts and submit.  Returns 0 (the job ids printed to out),
 * -EINVAL (bad request: err says why), -EEXIST (the folder holds shards
 * and resume was not asked for), -EBUSY (its jobs are still queued),
 * -ENOENT (no sbatch) or another negative errno (the file system, sbatch
 * refusing: the environment's). */
int slurm_submit(const struct slurm_submit_opts *o, FILE *out, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* Per-shard progress of the sweep's submission (or of `shards` shard
 * databases in its folder when shards is not 0), the merged database's,
 * and the queue's when squeue is there.  -ENOENT: nothing submitted. */
int slurm_status(const struct sweep_file *f, const char *db_path, uint32_t shards, FILE *out, char *err,
		 size_t err_len) __attribute__((warn_unused_result));

#endif
