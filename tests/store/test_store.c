/*
 * tests/store/test_store.c — the results store keeps its promises:
 * schema and round trip, refusal of foreign and newer databases, and a
 * writer killed with SIGKILL mid-run leaving a database that opens,
 * passes integrity_check and shows the run as incomplete, and writers
 * opening the database while others write and die (a sweep with -j > 1
 * and crashing runs) always get in.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/store.h"

static char dir[] = "/tmp/memvirt-store-XXXXXX";

static void path_in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "exec '%s': %s", sql,
	      msg ? msg : "?");
	sqlite3_close(db);
}

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s", path);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare '%s': %s", sql,
	      sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static const char *sql_text_integrity(const char *path, char *buf, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s", path);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK, "prepare");
	buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static const struct rec_run_desc desc = {
	.engine = "soft", .backend = "native", .workload = "scan",
	.params_json = "{\"wss\":4096}", .config_json = "{}", .record_level = "full",
	.seed = 7, .vms = 1,
};

struct found {
	int n;
	struct rec_run_row last;
	char status[16];
	char error[256];
};

static int remember(void *ctx, const struct rec_run_row *row)
{
	struct found *f = ctx;

	f->n++;
	f->last = *row;
	snprintf(f->status, sizeof(f->status), "%s", rec_status_name(row->status));
	snprintf(f->error, sizeof(f->error), "%s", row->error ? row->error : "");
	return 0;
}

static void test_round_trip(void)
{
	char path[256], err[256];
	struct rec_db *db;
	int64_t id;
	struct found f = {0};

	path_in_dir(path, sizeof(path), "roundtrip.db");
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(rec_run_begin(db, &desc, &id) == 0, "begin: %s", rec_errmsg(db));
	for (uint64_t i = 0; i < 10000; i++) {
		struct mv_event ev = {.type = MV_EV_SHADOW_FAULT_HIDDEN, .icount = i, .gva = 0xffff800000000000ull + i};

		CHECK(rec_run_event(db, id, &ev) == 0, "event %llu", (unsigned long long)i);
	}
	CHECK(rec_run_counter(db, id, -1, "instructions", 12345) == 0, "counter");
	CHECK(rec_run_finish(db, id, &(struct rec_run_result){.status = REC_STATUS_OK,
							      .checksum_json = "[\"00ff\"]",
							      .modelled_cycles = 99}) == 0,
	      "finish: %s", rec_errmsg(db));
	rec_close(db);

	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM events"), 10000);
	CHECK_EQ_U64(sql_int(path, "SELECT count(DISTINCT seq) FROM events"), 10000);
	/* Addresses above 2^63 survive as their 64-bit pattern. */
	CHECK_EQ_U64(sql_int(path, "SELECT gva FROM events WHERE seq = 5"), 0xffff800000000005ull);
	CHECK_EQ_U64(sql_int(path, "SELECT value FROM counters WHERE name = 'instructions'"), 12345);
	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM event_types"), MV_EV__COUNT);
	CHECK_EQ_U64(sql_int(path, "PRAGMA application_id"), REC_APPLICATION_ID);

	CHECK(rec_open(path, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "reopen: %s", err);
	CHECK(rec_select_runs(db, "backend=native,last:5", remember, &f, err, sizeof(err)) == 0,
	      "select: %s", err);
	CHECK(f.n == 1 && !strcmp(f.status, "ok"), "runs %d status %s", f.n, f.status);
	f.n = 0;
	CHECK(rec_select_runs(db, "backend=shadow", remember, &f, err, sizeof(err)) == 0, "select");
	CHECK(f.n == 0, "a filter that matches nothing selected %d runs", f.n);
	CHECK(rec_select_runs(db, "colour=blue", remember, &f, err, sizeof(err)) == -EINVAL,
	      "a bad filter is refused");
	CHECK(strstr(err, "colour=blue") != NULL, "message names the term: %s", err);
	rec_close(db);
}

static void test_refuses_foreign(void)
{
	char path[256], err[256];
	struct rec_db *db;
	int rc;

	path_in_dir(path, sizeof(path), "foreign.db");
	sql_exec(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)");
	rc = rec_open(path, REC_READ_WRITE, &db, err, sizeof(err));
	CHECK(rc == -EPROTO, "foreign database: rc %d (%s)", rc, err);
	CHECK(strstr(err, "not a memvirt") != NULL, "message: %s", err);
	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs'"), 0);

	path_in_dir(path, sizeof(path), "garbage.db");
	{
		FILE *f = fopen(path, "w");

		CHECK(f != NULL, "create %s", path);
		fputs("this is not an SQLite database, only text that is long enough to matter\n", f);
		fclose(f);
	}
	rc = rec_open(path, REC_READ_WRITE, &db, err, sizeof(err));
	CHECK(rc == -EPROTO, "a text file: rc %d (%s)", rc, err);
	rc = rec_open(path, REC_READ_ONLY, &db, err, sizeof(err));
	CHECK(rc == -EPROTO, "a text file read-only: rc %d (%s)", rc, err);
}

static void test_refuses_newer(void)
{
	char path[256], err[256];
	struct rec_db *db;
	int rc;

	path_in_dir(path, sizeof(path), "newer.db");
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "create: %s", err);
	rec_close(db);
	sql_exec(path, "UPDATE schema_version SET version = 99");
	rc = rec_open(path, REC_READ_WRITE, &db, err, sizeof(err));
	CHECK(rc == -ERANGE, "newer schema: rc %d (%s)", rc, err);
	CHECK(strstr(err, "newer memvirt") != NULL && strstr(err, "99") != NULL, "message: %s", err);
	rc = rec_open(path, REC_READ_ONLY, &db, err, sizeof(err));
	CHECK(rc == -ERANGE, "newer schema read-only: rc %d", rc);
}

static void test_killed_writer(void)
{
	char path[256], err[256], integrity[64];
	struct rec_db *db;
	struct found f = {0};
	int pipefd[2], status;
	pid_t child;
	char ready;

	path_in_dir(path, sizeof(path), "killed.db");
	CHECK(pipe(pipefd) == 0, "pipe");
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		int64_t id;
		uint64_t i = 0;

		close(pipefd[0]);
		if (rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) ||
		    rec_run_begin(db, &desc, &id))
			_exit(3);
		/* Write forever; tell the parent once batches are committed. */
		for (;;) {
			struct mv_event ev = {.type = MV_EV_PT_WRITE_EMULATED, .icount = i++};

			if (rec_run_event(db, id, &ev))
				_exit(4);
			if (i == 50000 && write(pipefd[1], "r", 1) != 1)
				_exit(5);
		}
	}
	close(pipefd[1]);
	CHECK(read(pipefd[0], &ready, 1) == 1, "the writer got going");
	usleep(20000); /* let it be in the middle of another batch */
	kill(child, SIGKILL);
	CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status), "writer killed");
	close(pipefd[0]);

	CHECK(!strcmp(sql_text_integrity(path, integrity, sizeof(integrity)), "ok"),
	      "integrity_check after SIGKILL: %s", integrity);
	/* At most one buffer of events (EVENT_BATCH = 16384 in store.c) was
	 * not committed yet when the writer died. */
	CHECK(sql_int(path, "SELECT count(*) FROM events") >= 50000 - 16384,
	      "committed batches survive: %lld events",
	      (long long)sql_int(path, "SELECT count(*) FROM events"));

	/* A reader sees the run as incomplete without writing. */
	CHECK(rec_open(path, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(rec_select_runs(db, NULL, remember, &f, err, sizeof(err)) == 0, "select: %s", err);
	CHECK(f.n == 1 && !strcmp(f.status, "incomplete"), "reader sees %d runs, status %s", f.n,
	      f.status);
	rec_close(db);
	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);

	/* The next writer marks it incomplete for good. */
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "open rw: %s", err);
	rec_close(db);
	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM runs WHERE status = 'incomplete'"), 1);

	/* A live writer's run is not mistaken for a dead one. */
	{
		int64_t id;

		f.n = 0;
		CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "open: %s", err);
		CHECK(rec_run_begin(db, &desc, &id) == 0, "begin");
		CHECK(rec_select_runs(db, "status=running", remember, &f, err, sizeof(err)) == 0, "select");
		CHECK(f.n == 1 && !strcmp(f.status, "running"), "own run reads %s", f.status);
		rec_close(db);
	}
}

/* One worker of test_concurrent_opens: rounds of (a run that dies
 * after its first row, then an open that must reap it and a run that
 * finishes).  Exits 0, or the round and the error of the open that
 * failed on stderr and 1. */
static void open_while_others_write(const char *path, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		struct rec_run_result res = {.status = REC_STATUS_OK};
		char err[256];
		struct rec_db *db;
		int64_t id;
		pid_t dying = fork();
		int status;

		if (dying < 0)
			_exit(2);
		if (dying == 0) {
			if (rec_open(path, REC_READ_WRITE, &db, err, sizeof(err))) {
				fprintf(stderr, "round %d: the dying run's open: %s\n", r, err);
				_exit(1);
			}
			if (rec_run_begin(db, &desc, &id)) {
				fprintf(stderr, "round %d: the dying run's begin: %s\n", r, rec_errmsg(db));
				_exit(1);
			}
			_exit(0); /* dies with its run 'running' */
		}
		if (waitpid(dying, &status, 0) != dying || !WIFEXITED(status) || WEXITSTATUS(status))
			_exit(1);
		if (rec_open(path, REC_READ_WRITE, &db, err, sizeof(err))) {
			fprintf(stderr, "round %d: open beside other writers: %s\n", r, err);
			_exit(1);
		}
		if (rec_run_begin(db, &desc, &id) || rec_run_finish(db, id, &res)) {
			fprintf(stderr, "round %d: run: %s\n", r, rec_errmsg(db));
			_exit(1);
		}
		rec_close(db);
	}
	_exit(0);
}

/* Each open marks the runs of dead writers incomplete; with other
 * writers committing in between, that must wait for the write lock
 * rather than fail on a stale snapshot. */
static void test_concurrent_opens(void)
{
	enum { WORKERS = 3, ROUNDS = 60 };
	char path[256], err[256];
	struct rec_db *db;
	pid_t workers[WORKERS];
	int failed = 0;

	path_in_dir(path, sizeof(path), "concurrent.db");
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "create: %s", err);
	rec_close(db);
	for (int w = 0; w < WORKERS; w++) {
		workers[w] = fork();
		CHECK(workers[w] >= 0, "fork");
		if (workers[w] == 0)
			open_while_others_write(path, ROUNDS);
	}
	for (int w = 0; w < WORKERS; w++) {
		int status;

		CHECK(waitpid(workers[w], &status, 0) == workers[w], "wait");
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	CHECK(failed == 0, "%d of %d writers failed to open beside the others", failed, WORKERS);
	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM runs WHERE status = 'ok'"), WORKERS * ROUNDS);
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "open: %s", err);
	rec_close(db);
	CHECK_EQ_U64(sql_int(path, "SELECT count(*) FROM runs WHERE status = 'incomplete'"), WORKERS * ROUNDS);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	test_round_trip();
	test_refuses_foreign();
	test_refuses_newer();
	test_killed_writer();
	test_concurrent_opens();
	printf("store: all checks passed\n");
	return 0;
}
