/*
 * tests/kvm/kvm-internal-error.c — a guest that jumps into a guest-physical
 * range with no memory slot makes KVM fetch instructions from MMIO, which
 * its emulator cannot do: the run ends with ENGINE_EXIT_INTERNAL_ERROR and
 * a message naming KVM's suberror, not with a host error.
 *
 * Needs /dev/kvm: skips without it (see kvm-smoke.c).
 */
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"

static const uint8_t guest[] = {
	0xb8, 0x00, 0x00, 0x00, 0xd0,  /* mov $0xd0000000, %eax (no slot there) */
	0xff, 0xe0,                    /* jmp *%rax                            */
};

int main(void)
{
	struct kvmt t;
	struct kvmt_stats st;
	struct engine_exit *e;

	kvmt_setup(&t, 4u << 20, guest, sizeof(guest));
	e = kvmt_run(&t);
	printf("exit %s: %s\n", engine_exit_reason_name(e->reason), e->message);
	CHECK(e->reason == ENGINE_EXIT_INTERNAL_ERROR, "expected internal_error, got %s: %s",
	      engine_exit_reason_name(e->reason), e->message);
	CHECK(strstr(e->message, "suberror 1 (emulation failed)") != NULL, "message: %s", e->message);
	kvmt_read_stats(&t, &st);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_internal_error"), 1);
	kvmt_teardown(&t);
	printf("ok: kvm internal error\n");
	return 0;
}
