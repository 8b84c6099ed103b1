/*
 * tests/sweep/test_runner.c — the sweep runner with -j 2 over a fake
 * `memvirt run` (argv[1]): every point ends with a final record, crashes
 * (a real SIGSEGV of the child, before and after it recorded its row) are
 * failed runs with the signal as reason, the sweep goes on past them;
 * stopping mid-sweep keeps the finished runs and marks the sweep
 * interrupted; --resume runs only what is not ok yet.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/sweep.h"
#include "core/sweeprun.h"
#include "check.h"

static char dir[] = "/tmp/memvirt-sweeprun-XXXXXX";
static volatile sig_atomic_t stop_flag;

static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s", path);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static struct sweep_file *parse(const char *text)
{
	struct sweep_file *f;
	char err[512];

	CHECK(sweep_parse_text("test.sweep", text, &f, err, sizeof(err)) == 0, "parse: %s", err);
	return f;
}

int main(int argc, char **argv)
{
	char db[256], err[1024], sql[512];
	struct sweep_totals t;
	struct sweep_file *f;
	FILE *log;
	int rc;

	CHECK(argc == 2, "usage: test-runner PATH/TO/fake-run");
	/* Under AddressSanitizer the children's SIGSEGV must stay a signal,
	 * not become ASan's report and exit status 1. */
	{
		const char *asan = getenv("ASAN_OPTIONS");
		char opts[512];

		snprintf(opts, sizeof(opts), "%s%shandle_segv=0", asan ? asan : "", asan && *asan ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(db, sizeof(db), "%s/r.db", dir);
	log = stdout;

	/* 1. -j 2 over 3 backends x 2 sizes x 2 repetitions, one backend crashing. */
	f = parse("[sweep]\nbackend = native, crash, shadow, crash-early, fail, usage\n"
		  "repetitions = 2\n[params]\nwss = 64K, 1M\n");
	{
		struct sweep_run_opts o = {
			.exe = argv[1], .db_path = db, .command = "test", .jobs = 2,
			.out = log, .stop = &stop_flag,
		};

		rc = sweep_run(f, &o, &t, err, sizeof(err));
	}
	CHECK(rc == 0, "sweep_run: %d %s", rc, err);
	CHECK(t.points == 24 && t.ok == 8 && t.failed == 16 && t.skipped == 0 && !t.interrupted,
	      "totals: points %u ok %u failed %u skipped %u", t.points, t.ok, t.failed, t.skipped);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE sweep_id = %lld", (long long)t.sweep_id);
	CHECK(sql_int(db, sql) == 24, "one run row per point: %lld", (long long)sql_int(db, sql));
	CHECK(sql_int(db, "SELECT count(DISTINCT sweep_key) FROM runs") == 24, "distinct keys");
	CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE status NOT IN ('ok','failed')") == 0,
	      "every row final");
	/* The crash after recording: the child's own row, now failed with the signal. */
	CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE backend = 'crash' AND status = 'failed' AND exit_code = 139"
			  " AND error LIKE 'memvirt run was killed by signal 11 (Segmentation fault); its last message: about to crash'") == 4,
	      "crash rows: %lld", (long long)sql_int(db, "SELECT count(*) FROM runs WHERE backend = 'crash'"));
	/* The crash before recording: a row written by the runner. */
	CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE backend = 'crash-early' AND status = 'failed'"
			  " AND error LIKE 'memvirt run was killed by signal 11%' AND sweep_key LIKE 'backend=crash-early;%'"
			  " AND params = '{\"wss\":65536}' OR params = '{\"wss\":1048576}'") >= 4,
	      "crash-early rows");
	CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE backend = 'crash-early' AND status = 'failed'") == 4,
	      "crash-early rows: 4");
	CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE backend = 'fail' AND status = 'failed'"
			  " AND error = 'checksum mismatch (fake)'") == 4, "fail rows keep the child's reason");
	CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE backend = 'usage' AND status = 'failed' AND exit_code = 2"
			  " AND error = 'memvirt run: unknown backend ''usage'''") == 4, "usage rows quote the child");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sweeps WHERE id = %lld AND status = 'done' AND runs_ok = 8"
		 " AND runs_failed = 16 AND points = 24 AND file_text LIKE '%%crash-early%%'", (long long)t.sweep_id);
	CHECK(sql_int(db, sql) == 1, "sweep row done");
	sweep_free(f);

	/* 2. Interrupted after 0.5 s of 12 runs of 0.3 s each on 2 workers. */
	setenv("FAKE_RUN_SLEEP_MS", "300", 1);
	f = parse("[sweep]\nname = slow\nbackend = native, shadow\nrepetitions = 3\n[params]\nwss = 4K, 8K\n");
	{
		struct sweep_run_opts o = {
			.exe = argv[1], .db_path = db, .command = "test", .jobs = 2,
			.out = log, .stop = &stop_flag,
		};
		struct itimerval it = {.it_value = {0, 500000}};
		struct sigaction sa = {.sa_handler = on_alarm};

		sigaction(SIGALRM, &sa, NULL);
		stop_flag = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		rc = sweep_run(f, &o, &t, err, sizeof(err));
	}
	CHECK(rc == -EINTR && t.interrupted, "stopped sweep: rc %d interrupted %d", rc, t.interrupted);
	/* Runs are started as soon as others are reaped, so at any moment
	 * some are running: the stop always catches at least one. */
	CHECK(t.ok < 12 && t.stopped >= 1 && t.failed == 0,
	      "stopped: ok %u stopped %u failed %u", t.ok, t.stopped, t.failed);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sweeps WHERE id = %lld AND status = 'interrupted'",
		 (long long)t.sweep_id);
	CHECK(sql_int(db, sql) == 1, "sweep marked interrupted");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE sweep_id = %lld AND status = 'incomplete'"
		 " AND error LIKE 'stopped: the sweep was interrupted%%'", (long long)t.sweep_id);
	CHECK(sql_int(db, sql) == t.stopped, "stopped runs incomplete: %lld vs %u", (long long)sql_int(db, sql),
	      t.stopped);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE sweep_id = %lld AND status = 'ok'",
		 (long long)t.sweep_id);
	CHECK(sql_int(db, sql) == t.ok, "finished runs kept");
	{
		uint32_t ok_before = t.ok;
		int64_t first_id = t.sweep_id;
		struct sweep_run_opts o = {
			.exe = argv[1], .db_path = db, .command = "test --resume", .jobs = 2, .resume = true,
			.out = log, .stop = &stop_flag,
		};

		setenv("FAKE_RUN_SLEEP_MS", "10", 1);
		stop_flag = 0;
		rc = sweep_run(f, &o, &t, err, sizeof(err));
		CHECK(rc == 0, "resume: %d %s", rc, err);
		CHECK(t.resumed && t.sweep_id == first_id, "resumed sweep %lld of %lld", (long long)t.sweep_id,
		      (long long)first_id);
		CHECK(t.skipped == ok_before && t.ok == 12 - ok_before && t.failed == 0,
		      "resume: skipped %u (want %u) ok %u", t.skipped, ok_before, t.ok);
		snprintf(sql, sizeof(sql), "SELECT count(DISTINCT sweep_key) FROM runs WHERE sweep_id = %lld AND status = 'ok'",
			 (long long)first_id);
		CHECK(sql_int(db, sql) == 12, "every point ok once: %lld", (long long)sql_int(db, sql));
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sweeps WHERE id = %lld AND status = 'done'",
			 (long long)first_id);
		CHECK(sql_int(db, sql) == 1, "resumed sweep done");
		/* Resuming a finished sweep runs nothing. */
		rc = sweep_run(f, &o, &t, err, sizeof(err));
		CHECK(rc == 0 && t.skipped == 12 && t.ok == 0, "second resume: skipped %u ok %u", t.skipped, t.ok);
	}
	sweep_free(f);
	CHECK(sql_int(db, "PRAGMA integrity_check") != -1, "integrity");
	snprintf(sql, sizeof(sql), "rm -rf '%s'", dir);
	if (system(sql) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("sweep runner: all checks passed\n");
	return 0;
}
