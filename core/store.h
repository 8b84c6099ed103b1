/*
 * core/store.h — the results store: memvirt's SQLite database.
 *
 * The only module that talks to SQLite.  The schema is versioned and
 * documented in docs/results-schema.md; any language can read it.
 *
 * Invariants:
 * - A run row is inserted as 'running' before the guest starts and is
 *   finished as 'ok' or 'failed'.  A 'running' row whose writer process is
 *   gone (same host, and the pid no longer exists with the same start time,
 *   or the host rebooted) is incomplete: rec_open() in write mode marks such
 *   rows 'incomplete', and readers report them so without writing.
 * - Events are buffered and inserted in batches inside transactions, so a
 *   writer killed at any point leaves a consistent database (WAL mode).
 */
#ifndef MEMVIRT_CORE_STORE_H
#define MEMVIRT_CORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "memvirt/event.h"

#define REC_SCHEMA_VERSION 5
#define REC_APPLICATION "memvirt"
/* PRAGMA application_id: "MVRT". */
#define REC_APPLICATION_ID 0x4d565254

struct rec_db;

enum rec_mode {
	REC_READ_ONLY = 0,
	REC_READ_WRITE,      /* creates the file and schema when missing */
};

/* Errors: -ENOENT (missing, read-only mode), -EPROTO (not a memvirt
 * database), -ERANGE (made by a newer memvirt), -EACCES/-EIO (cannot open
 * or write).  err gets a one-line message naming the file and the problem. */
int rec_open(const char *path, enum rec_mode mode, struct rec_db **out,
	     char *err, size_t err_len) __attribute__((warn_unused_result));
void rec_close(struct rec_db *db);

/* What a run is, stored with it.  Strings are copied. */
struct rec_run_desc {
	const char *engine, *backend, *workload;
	const char *params_json;   /* JSON object of workload parameters */
	const char *config_json;   /* JSON object: the whole configuration */
	const char *record_level;  /* summary | sampled:N | full */
	const char *command;       /* the command line, for reproducibility; may be NULL */
	uint64_t seed;
	uint32_t vms;
	uint32_t rep;              /* repetition index */
	int64_t sweep_id;          /* 0: not part of a sweep */
	const char *sweep_key;     /* the sweep point it runs (see rec_sweep_key_ok); may be NULL */
};

int rec_run_begin(struct rec_db *db, const struct rec_run_desc *desc, int64_t *run_id)
	__attribute__((warn_unused_result));

/* Counters: vm = -1 for whole-run totals. */
int rec_run_counter(struct rec_db *db, int64_t run_id, int vm, const char *name,
		    double value) __attribute__((warn_unused_result));

/* Events are buffered; rec_run_flush() or rec_run_finish() writes them. */
int rec_run_event(struct rec_db *db, int64_t run_id, const struct mv_event *ev)
	__attribute__((warn_unused_result));
int rec_run_flush(struct rec_db *db) __attribute__((warn_unused_result));

/* One transaction around several writes (a run's counters and its
 * finish: either all are stored or none).  Flush events first: a flush
 * is a transaction of its own.  rec_errmsg() says why one failed. */
int rec_begin(struct rec_db *db) __attribute__((warn_unused_result));
int rec_commit(struct rec_db *db) __attribute__((warn_unused_result));
void rec_rollback(struct rec_db *db);

int rec_run_timeseries(struct rec_db *db, int64_t run_id, int vm, uint64_t icount,
		       const char *name, double value) __attribute__((warn_unused_result));
/* One snapshot: every counter of ctr's VM `vm` at icount, in one
 * transaction (a killed run keeps every snapshot it finished). */
int rec_run_timeseries_snapshot(struct rec_db *db, int64_t run_id, int vm, uint64_t icount,
				const struct ctr_set *ctr) __attribute__((warn_unused_result));
/* A run's series of one counter, by icount.  0, -EIO, or fn's non-zero
 * return. */
typedef int (*rec_series_fn)(void *ctx, int vm, uint64_t icount, double value);
int rec_run_timeseries_read(struct rec_db *db, int64_t run_id, int vm, const char *name, rec_series_fn fn,
			    void *ctx) __attribute__((warn_unused_result));

int rec_run_kvm_stat(struct rec_db *db, int64_t run_id, const char *scope,
		     const char *name, double before, double after)
	__attribute__((warn_unused_result));

/* A program's output (schema version 5, table program_output): what one
 * VM's program wrote to `stream` ("stdout" or "stderr"), and how many
 * more bytes were cut at memvirt's cap.  Written in the transaction that
 * finishes the run. */
int rec_run_output(struct rec_db *db, int64_t run_id, int vm, const char *stream, const void *data, size_t len,
		   uint64_t truncated) __attribute__((warn_unused_result));
/* Each output row of a run, by VM, stdout before stderr; fn's nonzero
 * return stops the walk and is returned.  0 with no calls on a database
 * older than version 5. */
typedef int (*rec_output_fn)(void *ctx, int vm, const char *stream, const void *data, size_t len,
			     uint64_t truncated);
int rec_run_outputs(struct rec_db *db, int64_t run_id, rec_output_fn fn, void *ctx)
	__attribute__((warn_unused_result));

enum rec_status {
	REC_STATUS_RUNNING = 0,
	REC_STATUS_OK,
	REC_STATUS_FAILED,
	REC_STATUS_INCOMPLETE,
};
const char *rec_status_name(enum rec_status status);

struct rec_run_result {
	enum rec_status status;   /* OK or FAILED */
	int exit_code;            /* the memvirt exit code */
	const char *error;        /* one line, NULL when none */
	const char *checksum_json;/* JSON list, NULL when none */
	uint64_t wall_ns;
	double modelled_cycles;   /* < 0: not modelled */
};

int rec_run_finish(struct rec_db *db, int64_t run_id, const struct rec_run_result *res)
	__attribute__((warn_unused_result));

/* ---- reading ---- */

/* One run as stored, with its status resolved (a dead writer's run reads
 * as incomplete).  Strings point into the row and live until the next
 * call of the iterator. */
struct rec_run_row {
	int64_t id;
	enum rec_status status;
	const char *engine, *backend, *workload, *params_json, *config_json;
	const char *record_level, *host, *version, *started_at, *ended_at;
	const char *error, *checksum_json, *command;
	uint64_t seed, wall_ns;
	uint32_t vms, rep;
	int exit_code;
	double modelled_cycles;   /* < 0 when not modelled */
	int64_t sweep_id;
	const char *sweep_key;    /* NULL for a lone run */
};

/* Run selectors: comma-separated terms; ids ("12") and ranges ("10-20")
 * select those runs; "key=value" filters on engine, backend, workload,
 * status or sweep (status on the resolved status: a 'running' row whose
 * writer died is incomplete); "last:N" keeps the N newest of what matched.
 * Empty or NULL: every run.  Returns -EINVAL with a message for a bad
 * selector. */
typedef int (*rec_run_fn)(void *ctx, const struct rec_run_row *row);
int rec_select_runs(struct rec_db *db, const char *selector, rec_run_fn fn, void *ctx,
		    char *err, size_t err_len) __attribute__((warn_unused_result));

typedef int (*rec_counter_fn)(void *ctx, int vm, const char *name, double value);
int rec_run_counters(struct rec_db *db, int64_t run_id, rec_counter_fn fn, void *ctx)
	__attribute__((warn_unused_result));

/* One value of a run's configuration (runs.config) by JSON path, e.g.
 * "$.tlb"; objects come back as JSON text, NULL as "".  -ENOENT: no run. */
int rec_run_config_get(struct rec_db *db, int64_t run_id, const char *json_path, char *buf,
		       size_t len) __attribute__((warn_unused_result));

/* ---- sweeps (schema version 2; -ENOENT on a version-1 file opened
 * read-only, which has none) ---- */

struct rec_sweep_desc {
	const char *name;       /* from the sweep file */
	const char *file;       /* path as given */
	const char *file_text;  /* the whole sweep file, for reproducibility */
	const char *command;    /* the memvirt sweep command line */
	uint32_t jobs, points;  /* worker processes; runs this sweep is to make */
	/* A slice of the grid (memvirt sweep --shard I/N): 1..shard_count;
	 * 0/0 for the whole grid.  grid_points: runs in the whole grid. */
	uint32_t shard_index, shard_count, grid_points;
};

enum rec_sweep_status {
	REC_SWEEP_RUNNING = 0,
	REC_SWEEP_DONE,          /* every point was tried */
	REC_SWEEP_INTERRUPTED,   /* stopped by SIGINT/SIGTERM; resumable */
	REC_SWEEP_INCOMPLETE,    /* its memvirt process died (reading only) */
};
const char *rec_sweep_status_name(enum rec_sweep_status status);

int rec_sweep_begin(struct rec_db *db, const struct rec_sweep_desc *desc, int64_t *sweep_id)
	__attribute__((warn_unused_result));
/* The newest sweep made from exactly this file text and the same slice
 * of its grid (0/0: the whole grid); -ENOENT if none. */
int rec_sweep_find(struct rec_db *db, const char *file_text, uint32_t shard_index, uint32_t shard_count,
		   int64_t *sweep_id) __attribute__((warn_unused_result));
/* Mark a sweep running again (for --resume), under this process. */
int rec_sweep_reopen(struct rec_db *db, int64_t sweep_id, const char *command, uint32_t jobs)
	__attribute__((warn_unused_result));
int rec_sweep_finish(struct rec_db *db, int64_t sweep_id, enum rec_sweep_status status,
		     uint32_t ok, uint32_t failed, uint32_t skipped)
	__attribute__((warn_unused_result));

struct rec_sweep_row {
	int64_t id;
	enum rec_sweep_status status;
	const char *name, *file, *file_text, *command, *host, *version, *started_at, *ended_at;
	uint32_t jobs, points, runs_ok, runs_failed, runs_skipped;
	uint32_t shard_index, shard_count, grid_points;   /* as in rec_sweep_desc */
};
typedef int (*rec_sweep_fn)(void *ctx, const struct rec_sweep_row *row);
/* Calls fn once with the sweep; -ENOENT when there is no such sweep. */
int rec_sweep_get(struct rec_db *db, int64_t sweep_id, rec_sweep_fn fn, void *ctx)
	__attribute__((warn_unused_result));

/* 0 and the newest such run id when some run with this sweep key is 'ok'
 * (whatever sweep it belonged to); -ENOENT when none is. */
int rec_sweep_key_ok(struct rec_db *db, const char *sweep_key, int64_t *run_id)
	__attribute__((warn_unused_result));

/* How far a sweep point has got in this database, over all its rows
 * (whatever sweep they belong to): REC_STATUS_OK if any row is ok, else
 * RUNNING if one may still be running (its writer alive, or on another
 * host), else FAILED if one failed, else INCOMPLETE; -ENOENT when no row
 * has this key. */
int rec_sweep_key_status(struct rec_db *db, const char *sweep_key, enum rec_status *status)
	__attribute__((warn_unused_result));

/* The run process `pid` of a sweep ended: give the rows of that key it
 * left unfinished (it crashed, was killed or stopped) a final status and
 * reason.  *changed: rows finished here; *recorded: rows that process
 * wrote for that key at all (0 when it died before recording anything). */
int rec_sweep_settle(struct rec_db *db, int64_t sweep_id, const char *sweep_key, long pid,
		     enum rec_status status, int exit_code, const char *error, int *changed,
		     int *recorded) __attribute__((warn_unused_result));

/* ---- merging databases (core/store_merge.c) ---- */

struct rec_merge_totals {
	uint32_t runs_added;       /* runs new to the output */
	uint32_t runs_replaced;    /* the output's unfinished copy replaced by a finished one */
	uint32_t runs_present;     /* already there, as final as in the input */
	uint32_t runs_live;        /* still being run by a live process here: left out */
	uint32_t runs_unfinished;  /* 'running' in the input, writer not seen: copied as incomplete */
	uint32_t sweeps_added, sweeps_joined;
};

/* Copy every run of the database at src_path, with everything recorded
 * for it (counters, events, time series, KVM statistics) and the sweeps
 * they belong to, into out, in one transaction.  Runs are matched by
 * their uid, so merging the same input again adds nothing; a run the
 * output holds unfinished is replaced by its finished copy.  The shards
 * of one sweep file (memvirt sweep --shard I/N) join one sweep in out.
 * Errors: -EPROTO (src is not a memvirt database of this schema version,
 * or is out itself), -ENOENT, -EIO; err gets one line. */
int rec_merge(struct rec_db *out, const char *src_path, struct rec_merge_totals *totals, char *err,
	      size_t err_len) __attribute__((warn_unused_result));
/* What rec_merge() checks of an input before it writes anything (a
 * directory: -EISDIR; out_path itself, another application's file, an
 * older schema version: -EPROTO; rec_open()'s errors), alone: for
 * refusing a whole list of inputs before merging any. */
int rec_merge_check(const char *out_path, const char *src_path, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* After a write failed for want of space (full disk, file size limit):
 * move the write-ahead log into the database and truncate it, so that a
 * small write (marking the run failed) may still fit. */
int rec_make_room(struct rec_db *db);

/* The last SQLite error text, for messages. */
const char *rec_errmsg(struct rec_db *db);

#endif
