/*
 * tests/sweep/fake_run.c — stands in for `memvirt run` under the sweep
 * runner: it reads the options the runner passes and records a run
 * through the store API like the real command, then behaves as its
 * --backend says:
 *   ok-ish names  record 'ok', modelled_cycles = 1000 + wss / 1024, exit 0
 *   fail          record 'failed' with a reason, exit 1
 *   crash         record 'running', then die of SIGSEGV (a real crash)
 *   crash-early   die of SIGSEGV before recording anything
 *   usage         print one error line, exit 2 without recording
 * FAKE_RUN_SLEEP_MS in the environment makes every run take that long.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/store.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"engine", required_argument, NULL, 'e'}, {"backend", required_argument, NULL, 'b'},
		{"workload", required_argument, NULL, 'w'}, {"param", required_argument, NULL, 'p'},
		{"rep", required_argument, NULL, 'r'}, {"db", required_argument, NULL, 'd'},
		{"sweep-id", required_argument, NULL, 's'}, {"sweep-key", required_argument, NULL, 'k'},
		{"vms", required_argument, NULL, 'v'}, {"tlb", required_argument, NULL, 't'},
		{"seed", required_argument, NULL, 'S'}, {0},
	};
	const char *engine = "soft", *backend = "native", *workload = "scan", *db_path = NULL, *key = NULL;
	char params[256] = "{}";
	uint64_t rep = 0, wss = 0;
	int64_t sweep_id = 0, run_id;
	struct rec_db *db;
	char err[512];
	const char *sleep_ms = getenv("FAKE_RUN_SLEEP_MS");
	int c;

	if (argc < 2 || strcmp(argv[1], "run")) {
		fprintf(stderr, "fake run: expected 'run' first\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': engine = optarg; break;
		case 'b': backend = optarg; break;
		case 'w': workload = optarg; break;
		case 'p':
			if (!strncmp(optarg, "wss=", 4)) {
				wss = strtoull(optarg + 4, NULL, 10);
				snprintf(params, sizeof(params), "{\"wss\":%" PRIu64 "}", wss);
			}
			break;
		case 'r': rep = strtoull(optarg, NULL, 10); break;
		case 'd': db_path = optarg; break;
		case 's': sweep_id = strtoll(optarg, NULL, 10); break;
		case 'k': key = optarg; break;
		default: break;
		}
	}
	if (sleep_ms) {
		long ms = atol(sleep_ms);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (!strcmp(backend, "usage")) {
		fprintf(stderr, "some warning first\nmemvirt run: unknown backend 'usage'\n");
		return 2;
	}
	if (!strcmp(backend, "crash-early"))
		raise(SIGSEGV);
	if (!db_path || rec_open(db_path, REC_READ_WRITE, &db, err, sizeof(err))) {
		fprintf(stderr, "fake run: cannot open the database: %s\n", db_path ? err : "no --db");
		return 3;
	}
	{
		struct rec_run_desc d = {
			.engine = engine, .backend = backend, .workload = workload,
			.params_json = params, .config_json = "{}", .record_level = "summary",
			.seed = 1 + rep, .vms = 1, .rep = (uint32_t)rep, .sweep_id = sweep_id, .sweep_key = key,
		};
		if (rec_run_begin(db, &d, &run_id))
			return 3;
	}
	if (!strcmp(backend, "crash")) {
		fprintf(stderr, "about to crash\n");
		raise(SIGSEGV);
	}
	{
		bool fail = !strcmp(backend, "fail");
		struct rec_run_result res = {
			.status = fail ? REC_STATUS_FAILED : REC_STATUS_OK,
			.exit_code = fail ? 1 : 0,
			.error = fail ? "checksum mismatch (fake)" : NULL,
			.modelled_cycles = 1000.0 + (double)wss / 1024.0,
		};

		if (rec_run_finish(db, run_id, &res))
			return 3;
		rec_close(db);
		if (fail) {
			fprintf(stderr, "memvirt run: checksum mismatch (fake)\n");
			return 1;
		}
	}
	return 0;
}
