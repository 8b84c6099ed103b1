/*
 * tests/kvm/kvm-fail-entry.c — a state that the hardware refuses to enter
 * ends the run with ENGINE_EXIT_FAIL_ENTRY and a message carrying
 * hardware_entry_failure_reason, not with a host error.  The state: a
 * 64-bit code segment with both CS.L and CS.D set, which KVM_SET_SREGS
 * accepts but VMRUN rejects (AMD APM vol. 2, "Canonicalization and
 * Consistency Checks").
 *
 * Needs /dev/kvm on AMD (kvm_amd): skips elsewhere (see kvm-smoke.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"

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
	if (access("/sys/module/kvm_amd", F_OK) != 0)
		SKIP("the CS.L+CS.D consistency check is VMRUN's; this host's KVM is not kvm_amd");
	CHECK(kvm_engine_ops.get_sregs(t.vcpu, &s) == 0, "get_sregs");
	s.cs.db = 1;
	CHECK(kvm_engine_ops.set_sregs(t.vcpu, &s) == 0, "set_sregs");
	e = kvmt_run(&t);
	printf("exit %s: %s\n", engine_exit_reason_name(e->reason), e->message);
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
