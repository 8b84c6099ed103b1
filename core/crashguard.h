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
	int signo;
	char text[1024];   /* "SIGSEGV at 0x0 in fn (obj.so+0x12) <- fn2 (...) <- ..." */
};

/* Install the handlers (idempotent).  0 or a negative errno. */
int crash_guard_install(void) __attribute__((warn_unused_result));

typedef int (*crash_guard_fn)(void *ctx);

/* Runs fn(ctx) and returns what it returns; when it crashes, returns
 * -EFAULT with *crashed set and *report filled.  Guards nest. */
int crash_guard_run(crash_guard_fn fn, void *ctx, struct crash_report *report, bool *crashed);

#endif
