/*
 * tests/kvm/kvm-shutdown.c — a guest that triple-faults ends with
 * ENGINE_EXIT_SHUTDOWN and a message, not with a host error: UD2 with an
 * empty IDT (limit 0) cannot deliver #UD, then #GP, then #DF.
 *
 * Needs /dev/kvm: skips without it (see kvm-smoke.c).
 */
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"

static const uint8_t guest[] = {
	0x66, 0xba, 0xf8, 0x03,  /* mov $0x3f8, %dx     */
	0xb0, '!', 0xee,         /* mov $'!', %al; out  */
	0x0f, 0x0b,              /* ud2                 */
};

int main(void)
{
	struct kvmt t;
	struct kvmt_stats st;
	struct engine_exit *e;

	kvmt_setup(&t, 4u << 20, guest, sizeof(guest));
	CHECK_EQ_U64(kvmt_expect_out(&t, 0x3f8, 1), '!');
	e = kvmt_run(&t);
	CHECK(e->reason == ENGINE_EXIT_SHUTDOWN, "expected shutdown, got %s: %s",
	      engine_exit_reason_name(e->reason), e->message);
	CHECK(strstr(e->message, "triple fault") != NULL, "message: %s", e->message);
	printf("shutdown message: %s\n", e->message);
	kvmt_read_stats(&t, &st);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_shutdown"), 1);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_io"), 1);
	kvmt_teardown(&t);
	printf("ok: kvm shutdown\n");
	return 0;
}
