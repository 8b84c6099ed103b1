/*
 * tests/store/test_program_output.c — schema version 5: a program's
 * output is stored per VM and stream, bytes as they came (a NUL and
 * non-UTF-8 included) with what was cut; an empty stream is an empty
 * BLOB; a version-4 database opened for writing gains the table with its
 * runs kept (read-only, it is read as it is, with no output); `memvirt
 * merge` (rec_merge) carries the table with its runs, run ids renumbered.
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

struct seen {
	int rows;
	char text[4][64];
	size_t len[4];
	uint64_t truncated[4];
	int vm[4];
};

static int collect(void *ctx, int vm, const char *stream, const void *data, size_t len, uint64_t truncated)
{
	struct seen *s = ctx;

	CHECK(s->rows < 4, "more than 4 output rows");
	CHECK(len < sizeof(s->text[0]), "row of %zu bytes", len);
	memcpy(s->text[s->rows], data ? data : "", len);
	s->len[s->rows] = len;
	s->truncated[s->rows] = truncated;
	s->vm[s->rows] = vm;
	CHECK(!strcmp(stream, s->rows % 2 ? "stderr" : "stdout"), "row %d is %s", s->rows, stream);
	s->rows++;
	return 0;
}

static const char out0[] = "hi\0\xff\xfe there\n";

/* A finished program run with output for two VMs. */
static int64_t program_run(struct rec_db *db)
{
	struct rec_run_desc d = {.engine = "soft", .backend = "native", .workload = "program:hello", .vms = 2,
				 .config_json = "{\"program\":{\"sha256\":\"ab\"}}"};
	struct rec_run_result res = {.status = REC_STATUS_FAILED, .exit_code = 1, .error = "program exited with status 3",
				     .modelled_cycles = 5};
	int64_t id;

	CHECK(rec_run_begin(db, &d, &id) == 0, "begin: %s", rec_errmsg(db));
	CHECK(rec_begin(db) == 0, "transaction");
	CHECK(rec_run_output(db, id, 0, "stdout", out0, sizeof(out0) - 1, 0) == 0, "stdout: %s", rec_errmsg(db));
	CHECK(rec_run_output(db, id, 0, "stderr", NULL, 0, 0) == 0, "stderr: %s", rec_errmsg(db));
	CHECK(rec_run_output(db, id, 1, "stdout", "cut", 3, 1000) == 0, "vm 1 stdout: %s", rec_errmsg(db));
	CHECK(rec_run_output(db, id, 1, "stderr", "e", 1, 0) == 0, "vm 1 stderr: %s", rec_errmsg(db));
	CHECK(rec_run_finish(db, id, &res) == 0 && rec_commit(db) == 0, "finish: %s", rec_errmsg(db));
	return id;
}

static void check_rows(struct rec_db *db, int64_t id)
{
	struct seen s = {0};

	CHECK(rec_run_outputs(db, id, collect, &s) == 0, "read outputs: %s", rec_errmsg(db));
	CHECK(s.rows == 4, "%d output rows of run %lld", s.rows, (long long)id);
	CHECK(s.len[0] == sizeof(out0) - 1 && !memcmp(s.text[0], out0, sizeof(out0) - 1),
	      "vm 0 stdout changed: %zu bytes", s.len[0]);
	CHECK(s.len[1] == 0 && s.vm[1] == 0, "vm 0 stderr: %zu bytes", s.len[1]);
	CHECK(s.vm[2] == 1 && s.len[2] == 3 && s.truncated[2] == 1000, "vm 1 stdout: vm %d %zu bytes, %llu cut", s.vm[2],
	      s.len[2], (unsigned long long)s.truncated[2]);
}

int main(void)
{
	char dir[] = "/tmp/memvirt-progout-XXXXXX", a[256], b[256], out[256], err[512];
	struct rec_db *db;
	struct rec_merge_totals tot;
	int64_t id, old_id;

	CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	snprintf(out, sizeof(out), "%s/out.db", dir);

	CHECK(rec_open(a, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "create: %s", err);
	id = program_run(db);
	check_rows(db, id);
	rec_close(db);
	CHECK(sql_int(a, "SELECT version FROM schema_version") == 5, "new databases are version 5");
	CHECK(sql_int(a, "SELECT count(*) FROM program_output WHERE typeof(data) = 'blob'") == 4, "data is a BLOB");

	/* Version 4: the table taken out again. */
	CHECK(rec_open(b, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "create: %s", err);
	{
		struct rec_run_desc d = {.engine = "soft", .backend = "native", .workload = "scan", .vms = 1};
		struct rec_run_result res = {.status = REC_STATUS_OK, .modelled_cycles = 5};

		CHECK(rec_run_begin(db, &d, &old_id) == 0 && rec_run_finish(db, old_id, &res) == 0, "run");
	}
	rec_close(db);
	sql_exec(b, "DROP TABLE program_output; UPDATE schema_version SET version = 4");
	CHECK(rec_open(b, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "read-only open of v4: %s", err);
	{
		struct seen s = {0};

		CHECK(rec_run_outputs(db, old_id, collect, &s) == 0 && s.rows == 0, "v4 outputs: %d rows", s.rows);
	}
	rec_close(db);
	CHECK(sql_int(b, "SELECT version FROM schema_version") == 4, "a read-only open migrated");
	CHECK(rec_open(b, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "migrate: %s", err);
	id = program_run(db);
	check_rows(db, id);
	rec_close(db);
	CHECK(sql_int(b, "SELECT version FROM schema_version") == 5, "migrated to 5");
	CHECK(sql_int(b, "SELECT count(*) FROM runs") == 2, "the old run was kept");

	/* Merged: both inputs' output rows, under the output's run ids. */
	CHECK(rec_open(out, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "create out: %s", err);
	CHECK(rec_merge(db, a, &tot, err, sizeof(err)) == 0, "merge a: %s", err);
	CHECK(rec_merge(db, b, &tot, err, sizeof(err)) == 0, "merge b: %s", err);
	memset(&tot, 0, sizeof(tot));
	CHECK(rec_merge(db, b, &tot, err, sizeof(err)) == 0 && tot.runs_added == 0, "merging b again added %u",
	      tot.runs_added);
	rec_close(db);
	CHECK(sql_int(out, "SELECT count(*) FROM runs") == 3, "3 runs merged");
	CHECK(sql_int(out, "SELECT count(*) FROM program_output") == 8, "%lld output rows merged",
	      (long long)sql_int(out, "SELECT count(*) FROM program_output"));
	CHECK(sql_int(out, "SELECT count(*) FROM program_output o JOIN runs r ON r.id = o.run_id"
			   " WHERE r.workload = 'program:hello'") == 8,
	      "output rows under the wrong runs");
	CHECK(rec_open(out, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "open out: %s", err);
	check_rows(db, sql_int(out, "SELECT max(run_id) FROM program_output"));
	rec_close(db);
	snprintf(a, sizeof(a), "rm -rf '%s'", dir);
	if (system(a) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("program output: stored, migrated from version 4, merged\n");
	return 0;
}
