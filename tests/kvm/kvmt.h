/*
 * tests/kvm/kvmt.h — a tiny host API for the kvm engine's tests, in the
 * spirit of KVM's selftests: one VM with one vCPU started in long mode by
 * memvirt's boot protocol (docs/boot-protocol.md) on a hand-assembled
 * guest, run to the next exit, look at statistics.
 *
 * Tests only: failures end the test through CHECK (tests/check.h), and a
 * machine without a usable /dev/kvm skips (exit 77) with the reason.
 */
#ifndef MEMVIRT_TESTS_KVMT_H
#define MEMVIRT_TESTS_KVMT_H

#include <stddef.h>
#include <stdint.h>

#include "vcpu/kvm/kvm.h"

#define KVMT_MAX_STATS 512

struct kvmt {
	struct engine_vm *vm;
	struct engine_vcpu *vcpu;
	uint8_t *mem;
	size_t mem_size;
};

struct kvmt_stats {
	size_t count;
	char names[KVMT_MAX_STATS][64];
	uint64_t values[KVMT_MAX_STATS];
};

/* Skip unless kvm_engine_ops is available; then build guest memory of
 * mem_size bytes with the boot GDT, identity page tables covering the
 * first 4 GiB with 2 MiB pages (beyond RAM too, so a guest can reach
 * MMIO addresses), the boot-info block, `code` at 0x100000, and a vCPU
 * in the boot protocol's architectural state. */
void kvmt_setup(struct kvmt *t, size_t mem_size, const uint8_t *code, size_t code_len);
void kvmt_teardown(struct kvmt *t);

/* One engine run; CHECKs that it returned 0 and returns the exit. */
struct engine_exit *kvmt_run(struct kvmt *t);
/* Run with the engine's timer armed for `seconds`: 0 and *e for an exit,
 * -EINTR when the timer ended the run first (the guest made no exit). */
int kvmt_run_for(struct kvmt *t, double seconds, struct engine_exit **e);

/* Run and CHECK that the exit is an OUT of `size` bytes to `port`;
 * returns the value written. */
uint32_t kvmt_expect_out(struct kvmt *t, uint16_t port, uint8_t size);

/* Every statistic the engine reports, and one of them by name
 * (UINT64_MAX when absent). */
void kvmt_read_stats(struct kvmt *t, struct kvmt_stats *st);
uint64_t kvmt_stat(const struct kvmt_stats *st, const char *name);

#endif
