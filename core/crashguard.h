/*
 * core/crashguard.h — runs a piece of foreign code (a backend plugin's
 * hook) so that a crash in it (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)
 * ends that call with a report — the signal, a backtrace from libunwind
 * naming each function and the object it lives in — instead of killing
 * memvirt.  The VMM then fails the run and the store finishes it.
 *
 * After a caught crash the process has run code that died half-way; the
 * VMM does nothing more with that backend than report it and finish the
 * run's record.
 */
#ifndef MEMVIRT_CORE_CRASHGUARD_H
#define MEMVIRT_CORE_CRASHGUARD_H

#include <stdbool.h>

struct crash_report {
	int signo;         /* 0 for a call the deadline ended */
	bool timed_out;    /* the deadline passed while it ran */
	char text[1024];   /* "SIGSEGV at 0x0 in fn (obj.so+0x12) <- fn2 (...) <- ..." */
};

/* Install the handlers (idempotent).  0 or a negative errno. */
int crash_guard_install(void) __attribute__((warn_unused_result));

typedef int (*crash_guard_fn)(void *ctx);

/* Runs fn(ctx) and returns what it returns; when it crashes, returns
 * -EFAULT with *crashed set and *report filled.  Guards nest. */
int crash_guard_run(crash_guard_fn fn, void *ctx, struct crash_report *report, bool *crashed);

/*
 * A deadline for guarded calls: once `seconds` from now have passed, a
 * guarded call that is running, or starts later, ends as if it had
 * crashed, with report->timed_out set (a timer signal every 100 ms after
 * the deadline reaches it; outside guarded calls the signal does nothing,
 * the caller checks its own time).  seconds <= 0 disarms.  0 or a
 * negative errno.  Needs crash_guard_install() first.
 */
int crash_guard_deadline(double seconds) __attribute__((warn_unused_result));

#endif
