/*
 * tests/kvm/kvm-fail-entry.c — a state that the hardware refuses to enter
 * ends the run with ENGINE_EXIT_FAIL_ENTRY and a message carrying
 * hardware_entry_failure_reason, not with a host error.  The state: a
 * 64-bit code segment with both CS.L and CS.D set, which KVM_SET_SREGS
 * accepts but VMRUN rejects (AMD APM vol. 2, "Canonicalization and
 * Consistency Checks").
 *
 * Where the host does not make that check (kvm_pvm runs the guest on its
 * shadow MMU and enters the state), the test says so and checks what
 * happens instead: the run still ends with a defined exit and a message,
 * not a host error or a hang.  Needs /dev/kvm: skips without it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"

/* kvmt loads the guest at 1 MiB: past its one-byte hlt. */
#define TH_ENTRY_AFTER_HLT 0x100001u

static const uint8_t guest[] = {
	0xf4,  /* hlt: never runs */
};

int main(void)
{
	struct kvmt t;
	struct kvmt_stats st;
	struct engine_sregs s;
	struct engine_exit *e;

	kvmt_setup(&t, 4u << 20, guest, sizeof(guest));
	CHECK(kvm_engine_ops.get_sregs(t.vcpu, &s) == 0, "get_sregs");
	s.cs.db = 1;
	CHECK(kvm_engine_ops.set_sregs(t.vcpu, &s) == 0, "set_sregs");
	if (kvmt_run_for(&t, 3.0, &e) == -EINTR) {
		struct engine_regs r;

		/* Observed on kvm_pvm: the state is entered, the hlt runs,
		 * and KVM keeps the vCPU halted inside KVM_RUN. */
		CHECK(kvm_engine_ops.get_regs(t.vcpu, &r) == 0, "get_regs");
		printf("this host does not refuse CS.L+CS.D at entry: the guest %s (rip %#" PRIx64
		       ") and KVM_RUN returned only when the engine's timer ended it\n",
		       r.rip == TH_ENTRY_AFTER_HLT ? "ran its hlt" : "did not reach its hlt", r.rip);
		kvmt_teardown(&t);
		printf("ok: kvm fail entry (the host enters the state; the engine's timer ends the run)\n");
		return 0;
	}
	printf("exit %s: %s\n", engine_exit_reason_name(e->reason), e->message);
	if (e->reason != ENGINE_EXIT_FAIL_ENTRY) {
		printf("this host does not refuse CS.L+CS.D at entry: the guest ran to %s\n",
		       engine_exit_reason_name(e->reason));
		CHECK(e->reason == ENGINE_EXIT_HLT, "expected fail_entry or hlt, got %s: %s",
		      engine_exit_reason_name(e->reason), e->message);
		kvmt_teardown(&t);
		printf("ok: kvm fail entry (the host enters the state; the run ends at hlt)\n");
		return 0;
	}
	CHECK(e->reason == ENGINE_EXIT_FAIL_ENTRY, "expected fail_entry, got %s: %s",
	      engine_exit_reason_name(e->reason), e->message);
	CHECK(strstr(e->message, "hardware_entry_failure_reason=0x") != NULL, "message: %s",
	      e->message);
	kvmt_read_stats(&t, &st);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_fail_entry"), 1);
	kvmt_teardown(&t);
	printf("ok: kvm fail entry\n");
	return 0;
}
