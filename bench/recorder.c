/*
 * bench/recorder.c — sustained events per second into the results store,
 * at the `full` level (every event recorded) and at `sampled:100`, through
 * the same event bus and sink `memvirt run` uses.
 *
 * Usage: bench-recorder [EVENTS]   (default 2,000,000)
 * Prints its key figures last as name=value lines; events_per_s is the
 * full level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/evbus.h"
#include "core/store.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct sink {
	struct rec_db *db;
	int64_t run;
};

static int to_store(void *ctx, const struct mv_event *ev)
{
	struct sink *s = ctx;

	return rec_run_event(s->db, s->run, ev);
}

/* Posts n events of mixed types with varying fields; returns events/s
 * posted (recorded ones are what the level keeps). */
static double measure(const char *path, const char *level_text, uint64_t n, uint64_t *recorded)
{
	struct rec_run_desc d = {.engine = "soft", .backend = "bench", .workload = "recorder",
				 .record_level = level_text, .vms = 1};
	struct ev_record_level level;
	struct ev_bus bus;
	struct sink s;
	char err[256];
	double t0, t1;

	unlink(path);
	if (rec_open(path, REC_READ_WRITE, &s.db, err, sizeof(err)) ||
	    rec_run_begin(s.db, &d, &s.run) ||
	    ev_record_level_parse(level_text, &level, err, sizeof(err)) ||
	    ev_bus_init(&bus, 1, &level, to_store, &s)) {
		fprintf(stderr, "bench-recorder: setup failed: %s\n", err);
		exit(1);
	}
	t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		struct mv_event ev = {
			.type = (uint32_t)(i % 7),
			.icount = i * 13,
			.gva = 0x400000 + (i << 12),
			.gpa = 0x100000 + ((i * 7919) & 0xffffff000ull),
			.hpa = 0x800000 + (i << 12),
			.asid = (uint32_t)(i & 15),
			.detail = i & 0xff,
		};

		ev_post(&bus, &ev);
	}
	if (rec_run_finish(s.db, s.run, &(struct rec_run_result){.status = REC_STATUS_OK,
								 .modelled_cycles = -1}) ||
	    bus.sink_error) {
		fprintf(stderr, "bench-recorder: recording failed: %s\n", rec_errmsg(s.db));
		exit(1);
	}
	t1 = now_s();
	*recorded = bus.recorded;
	ev_bus_fini(&bus);
	rec_close(s.db);
	return (double)n / (t1 - t0);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	char dir[] = "/tmp/memvirt-bench-XXXXXX", path[256];
	uint64_t rec_full, rec_sampled;
	double full, sampled;

	if (n == 0 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench-recorder [EVENTS > 0]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	full = measure(path, "full", n, &rec_full);
	sampled = measure(path, "sampled:100", n, &rec_sampled);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.db-shm", dir);
	unlink(path);
	rmdir(dir);
	printf("events=%llu\n", (unsigned long long)n);
	printf("recorded_full=%llu\n", (unsigned long long)rec_full);
	printf("recorded_sampled_100=%llu\n", (unsigned long long)rec_sampled);
	printf("sampled_100_events_per_s=%.0f\n", sampled);
	printf("events_per_s=%.0f\n", full);
	return 0;
}
