/*
 * tests/kvm/kvm-kick.c — a wall-clock limit on a guest that never exits:
 * a timer signal whose handler calls kvm_vcpu_kick() makes run() return
 * -EINTR, and the vCPU can be run (and kicked) again.
 *
 * Needs /dev/kvm: skips without it (see kvm-smoke.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"

static const uint8_t guest[] = {
	0xeb, 0xfe,  /* 1: jmp 1b */
};

/* The handler needs the vCPU; a signal handler can only reach it through
 * a file-scope pointer (tests only). */
static struct engine_vcpu *volatile kick_target;

static void on_alarm(int sig)
{
	(void)sig;
	if (kick_target)
		kvm_vcpu_kick(kick_target);
}

static void arm(long usec)
{
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = usec } };

	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer: %s", strerror(errno));
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvmt t;
	struct kvmt_stats st;

	kvmt_setup(&t, 4u << 20, guest, sizeof(guest));
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
	kick_target = t.vcpu;

	for (int i = 0; i < 2; i++) {
		arm(100000);
		int ret = kvm_engine_ops.run(t.vcpu);

		CHECK(ret == -EINTR, "run %d returned %d (%s), expected -EINTR", i, ret,
		      strerror(-ret));
	}
	kick_target = NULL;
	kvmt_read_stats(&t, &st);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_runs_interrupted"), 2);
	kvmt_teardown(&t);
	printf("ok: kvm kick\n");
	return 0;
}
