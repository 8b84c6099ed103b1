/*
 * core/store_internal.h — what the files of the store module share (the
 * open database handle and the writer's identity).  Only core/store*.c
 * include it: to everyone else a rec_db stays opaque.
 */
#ifndef MEMVIRT_CORE_STORE_INTERNAL_H
#define MEMVIRT_CORE_STORE_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/store.h"

struct rec_db {
	sqlite3 *sql;
	char path[PATH_MAX];
	bool writable;
	sqlite3_stmt *insert_events;    /* EVENT_ROWS rows */
	sqlite3_stmt *insert_event_one; /* the tail of a batch */
	sqlite3_stmt *insert_counter;
	sqlite3_stmt *insert_series;
	/* Buffered events, all of one run. */
	struct mv_event *events;
	size_t event_count;
	int64_t event_run;
	int64_t event_seq;
	char host[256];
	char boot_id[64];
	int schema_version;   /* of the file: older ones are read-only (not migrated) */
	/* SQLite's message of the last failed write, taken when it failed:
	 * read later, after a ROLLBACK or a finalize, it says "not an error". */
	char last_error[512];
	bool created;         /* this open made the schema */
	double last_flush_s;
};

/* Resolve the status of a stored 'running' row: RUNNING while its writer
 * may be alive (on another host memvirt cannot tell), else INCOMPLETE. */
enum rec_status rec_running_row_status(const struct rec_db *db, const char *host, const char *boot_id, long pid,
				       uint64_t pid_start);
/* A failed write: keep SQLite's reason for rec_errmsg(); returns -EIO. */
int rec_write_failed(struct rec_db *db);

#endif
