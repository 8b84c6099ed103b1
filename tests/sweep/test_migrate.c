/*
 * tests/sweep/test_migrate.c — a version-1 results database (made here by
 * taking version 2's additions out of a fresh one) reads as it is when
 * opened read-only, and opened for writing is migrated to version 2 with
 * its runs kept and sweeps usable.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/store.h"

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "exec '%s': %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s", path);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static int count_runs(void *ctx, const struct rec_run_row *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/memvirt-migrate-XXXXXX", path[256], err[512];
	struct rec_db *db;
	int64_t id, sweep_id;
	int runs = 0;

	CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "create: %s", err);
	{
		struct rec_run_desc d = {.engine = "soft", .backend = "native", .workload = "scan", .vms = 1};
		struct rec_run_result res = {.status = REC_STATUS_OK, .modelled_cycles = 5};

		CHECK(rec_run_begin(db, &d, &id) == 0 && rec_run_finish(db, id, &res) == 0, "run");
	}
	rec_close(db);
	CHECK(sql_int(path, "SELECT version FROM schema_version") == 5, "new databases are version 5");
	CHECK(sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'") == 2, "run_summary and overhead");
	/* Back to version 1. */
	sql_exec(path, "DROP TABLE program_output; DROP TABLE sweep_sources; DROP INDEX runs_uid; ALTER TABLE runs DROP COLUMN uid;"
		       "DROP VIEW overhead; DROP VIEW run_summary; DROP TABLE sweeps; DROP INDEX runs_sweep_key;"
		       "ALTER TABLE runs DROP COLUMN sweep_key; UPDATE schema_version SET version = 1");
	CHECK(sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'sweeps'") == 0, "downgraded");

	/* Read-only: readable as it is, no sweeps, file untouched. */
	CHECK(rec_open(path, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "read-only open of v1: %s", err);
	CHECK(rec_select_runs(db, "", count_runs, &runs, err, sizeof(err)) == 0 && runs == 1, "runs %d", runs);
	CHECK(rec_sweep_find(db, "x", 0, 0, &sweep_id) == -ENOENT, "no sweeps in v1");
	rec_close(db);
	CHECK(sql_int(path, "SELECT version FROM schema_version") == 1, "read-only open changed the file");

	/* Writable: migrated, the old run kept, sweeps work. */
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "migrate: %s", err);
	{
		struct rec_sweep_desc d = {.name = "m", .file = "m.sweep", .file_text = "[sweep]\n", .command = "c",
					   .jobs = 1, .points = 1};

		CHECK(rec_sweep_begin(db, &d, &sweep_id) == 0, "sweep after migration: %s", rec_errmsg(db));
		CHECK(rec_sweep_finish(db, sweep_id, REC_SWEEP_DONE, 1, 0, 0) == 0, "finish sweep");
	}
	rec_close(db);
	CHECK(sql_int(path, "SELECT version FROM schema_version") == 5, "migrated to 5");
	CHECK(sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'program_output'") == 1,
	      "version 5's program_output");
	CHECK(sql_int(path, "SELECT count(*) FROM runs WHERE uid IS NULL OR length(uid) != 32") == 0,
	      "the old run got a uid");
	CHECK(sql_int(path, "SELECT count(*) FROM sweeps WHERE uid IS NOT NULL AND grid_points = 1"
			    " AND shard_count IS NULL") == 1, "the sweep row of version 4");
	CHECK(sql_int(path, "SELECT count(*) FROM overhead WHERE run_id = 1") == 0, "the views work on old rows");
	CHECK(sql_int(path, "SELECT count(*) FROM run_summary WHERE run_id = 1 AND status = 'ok'") == 1, "run_summary");
	CHECK(sql_int(path, "SELECT count(*) FROM runs WHERE id = 1 AND status = 'ok' AND sweep_key IS NULL") == 1,
	      "old run kept");
	CHECK(sql_int(path, "SELECT count(*) FROM sweeps WHERE status = 'done'") == 1, "sweep row");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("schema migration 1 -> 2 -> 3 -> 4 -> 5: all checks passed\n");
	return 0;
}
