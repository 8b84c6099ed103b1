/*
 * core/crashguard.c — crash containment for foreign code (crashguard.h).
 *
 * A signal handler can reach only global state; the innermost guard of
 * the thread is therefore a thread-local pointer, and the deadline's
 * timer a process-wide one: the global state of memvirt, kept here and
 * nowhere else.
 */
#define UNW_LOCAL_ONLY
#include "core/crashguard.h"

#include <dlfcn.h>
#include <errno.h>
#include <libunwind.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The landing point of one guarded call. */
struct crash_guard {
	sigjmp_buf jmp;
	struct crash_report *report;
	struct crash_guard *outer;
};

static _Thread_local struct crash_guard *innermost;
static timer_t deadline_timer;
static bool deadline_timer_made;
static int deadline_signal;
static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static const char *signal_name(int signo)
{
	switch (signo) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	}
	return "signal";
}

static void describe_frames(ucontext_t *uc, char *buf, size_t len, size_t off)
{
	unw_cursor_t cursor;
	int frames = 0;

	if (unw_init_local2(&cursor, uc, UNW_INIT_SIGNAL_FRAME) != 0)
		return;
	do {
		unw_word_t ip = 0, offset = 0;
		char name[128];
		Dl_info dl;
		const char *obj = "?";

		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0)
			break;
		if (unw_get_proc_name(&cursor, name, sizeof(name), &offset) != 0)
			snprintf(name, sizeof(name), "??");
		if (dladdr((void *)(uintptr_t)ip, &dl) && dl.dli_fname) {
			obj = strrchr(dl.dli_fname, '/');
			obj = obj ? obj + 1 : dl.dli_fname;
		}
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s+0x%lx (%s)",
					frames ? " <- " : " in ", name, (unsigned long)offset, obj);
		if (off >= len)
			break;
	} while (++frames < 12 && unw_step(&cursor) > 0);
}

static void on_crash(int signo, siginfo_t *info, void *ctx)
{
	struct crash_guard *g = innermost;
	size_t off;

	if (!g) {
		/* Not in foreign code: a crash of memvirt itself.  Let it die
		 * the default way so the bug shows. */
		signal(signo, SIG_DFL);
		raise(signo);
		return;
	}
	g->report->signo = signo;
	off = (size_t)snprintf(g->report->text, sizeof(g->report->text), "%s at address %p",
			       signal_name(signo), info->si_addr);
	describe_frames(ctx, g->report->text, sizeof(g->report->text), off);
	siglongjmp(g->jmp, 1);
}

/* The deadline passed: end the guarded call that runs now, if any. */
static void on_deadline(int signo, siginfo_t *info, void *ctx)
{
	struct crash_guard *g = innermost;

	(void)signo;
	(void)info;
	(void)ctx;
	if (!g)
		return;
	g->report->signo = 0;
	g->report->timed_out = true;
	snprintf(g->report->text, sizeof(g->report->text), "the deadline passed while it ran");
	siglongjmp(g->jmp, 1);
}

int crash_guard_deadline(double seconds)
{
	struct itimerspec it = {0};

	if (!deadline_timer_made) {
		struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL};
		struct sigaction sa;

		if (seconds <= 0)
			return 0;
		deadline_signal = SIGRTMIN + 2;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_deadline;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(deadline_signal, &sa, NULL) != 0)
			return -errno;
		ev.sigev_signo = deadline_signal;
		if (timer_create(CLOCK_MONOTONIC, &ev, &deadline_timer) != 0)
			return -errno;
		deadline_timer_made = true;
	}
	if (seconds > 0) {
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
		if (it.it_value.tv_sec == 0 && it.it_value.tv_nsec == 0)
			it.it_value.tv_nsec = 1;
		/* Again and again after it: a hook called after the deadline
		 * must not hang either. */
		it.it_interval.tv_nsec = 100 * 1000 * 1000;
	}
	return timer_settime(deadline_timer, 0, &it, NULL) == 0 ? 0 : -errno;
}

int crash_guard_install(void)
{
	/* Page aligned: sanitizers unpoison the alternate stack by granules. */
	static _Thread_local bool installed;
	static _Thread_local _Alignas(4096) char alt_stack[64 * 1024];
	struct sigaction sa;
	stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof(alt_stack)};

	if (installed)
		return 0;
	/* A stack overflow in a plugin needs a stack of its own to report. */
	if (sigaltstack(&ss, NULL) != 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(guarded_signals) / sizeof(guarded_signals[0]); i++)
		if (sigaction(guarded_signals[i], &sa, NULL) != 0)
			return -errno;
	installed = true;
	return 0;
}

int crash_guard_run(crash_guard_fn fn, void *ctx, struct crash_report *report, bool *crashed)
{
	struct crash_guard g = {.report = report, .outer = innermost};
	volatile int rc = -EFAULT;

	*crashed = false;
	report->timed_out = false;
	innermost = &g;
	if (sigsetjmp(g.jmp, 1) == 0)
		rc = fn(ctx);
	else
		*crashed = true;
	innermost = g.outer;
	return rc;
}
