/*
 * core/hw_kvm.c — VMM glue for the kvm engine.  The host's KVM owns the
 * MMU (EPT/NPT or its shadow MMU), so every MMU service answers -ENOTSUP
 * through the NULL hooks.  What the glue does provide is the wall-clock
 * limit: KVM cannot count guest instructions, so an endless guest is
 * stopped by a timer signal that kicks the vCPU out of KVM_RUN.
 *
 * A signal handler reaches only global state: the vCPU to kick is the one
 * file-scope variable here, set while a limit is armed.
 */
#include "core/hw.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "vcpu/kvm/kvm.h"

static struct engine_vcpu *volatile armed_vcpu;

static void on_alarm(int signo)
{
	struct engine_vcpu *vcpu = armed_vcpu;

	(void)signo;
	if (vcpu)
		kvm_vcpu_kick(vcpu);
}

static int kvm_glue_arm_timeout(struct engine_vcpu *vcpu, double seconds)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the signal must interrupt KVM_RUN. */
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return -errno;
	armed_vcpu = vcpu;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	/* Re-fire every second until disarmed, in case one lands outside KVM_RUN. */
	it.it_interval.tv_sec = 1;
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		return -errno;
	return 0;
}

static void kvm_glue_disarm_timeout(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	armed_vcpu = NULL;
}

const struct hw_glue hw_kvm_glue = {
	.engine = MV_ENGINE_KVM,
	.arm_timeout = kvm_glue_arm_timeout,
	.disarm_timeout = kvm_glue_disarm_timeout,
};
