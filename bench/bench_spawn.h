/*
 * bench/bench_spawn.h — run a whole command as the benchmarks time it: from the
 * spawn to the reaping, its output kept.  Shared by bench/vs-qemu.c and
 * bench/programs.c.
 */
#ifndef MEMVIRT_BENCH_SPAWN_H
#define MEMVIRT_BENCH_SPAWN_H

#include <stdbool.h>

/* Output kept of one run: past it, bytes are read and dropped. */
#define BENCH_MAX_OUT (4u << 20)

struct bench_run {
	double wall_s;          /* spawn to reaping */
	long maxrss_kib;        /* peak resident memory */
	int exit_code;          /* -1: killed by a signal */
	char *out;              /* stdout (and stderr when asked), NUL-terminated; free() it */
};

/* A monotonic clock in seconds. */
double bench_now(void);

/* Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null,
 * stdout into r->out, stderr there too with `with_stderr`, else to
 * /dev/null.  0, or -errno when it could not start. */
int bench_spawn(char *const argv[], bool with_stderr, struct bench_run *r);

#endif
