/*
 * tests/soft/harness.h — a tiny host for the soft CPU's tests: one machine,
 * one VM, one vCPU already in 64-bit long mode with an identity-mapped
 * address space, a GDT (kernel and user segments, a TSS), an IDT, and
 * helpers to place code given as hex byte strings and to read the state.
 *
 * Guest layout (GVA = GPA = HPA, 2 MiB pages, user-accessible, writable):
 *   0x1000 PML4, 0x2000 PDPT, 0x3000 PD (maps [0, 8 MiB)),
 *   0x4000 GDT: 0x08 kernel code, 0x10 kernel data, 0x18 user data,
 *               0x20 user code, 0x28 TSS (STAR[63:48] = 0x10 fits SYSRET),
 *   0x5000 IDT (no gates until th_gate()), 0x6000 TSS (RSP0 = TH_KSTACK,
 *   IST1 = TH_ISTSTACK), code at TH_CODE, data at TH_DATA.
 */
#ifndef MEMVIRT_TESTS_SOFT_HARNESS_H
#define MEMVIRT_TESTS_SOFT_HARNESS_H

#include <stdint.h>

#include "check.h"
#include "vcpu/soft/soft.h"

#define TH_MEM       (8u << 20)
#define TH_PML4      0x1000u
#define TH_GDT       0x4000u
#define TH_IDT       0x5000u
#define TH_TSS       0x6000u
#define TH_CODE      0x10000u
#define TH_KSTACK    0x80000u
#define TH_ISTSTACK  0x90000u
#define TH_USTACK    0xa0000u
#define TH_DATA      0x200000u

struct th {
	struct soft_machine *m;
	uint8_t *mem;
	struct engine_vm *vm;
	struct engine_vcpu *vcpu;
	const struct engine_ops *ops;
};

/* Machine + VM + vCPU at TH_CODE, CPL 0, RSP = TH_KSTACK, IF = 0. */
void th_init(struct th *t);
/* With a TLB configuration text (mmu.h's --tlb syntax); NULL: defaults. */
void th_init_tlb(struct th *t, const char *tlb);
void th_fini(struct th *t);

/* Write hex bytes ("48 89 c8", spaces optional) at gva; returns the
 * address just past them. */
uint64_t th_code(struct th *t, uint64_t gva, const char *hex);
/* A 64-bit IDT gate: type 0xe interrupt / 0xf trap. */
void th_gate(struct th *t, unsigned vec, uint64_t handler, unsigned type, unsigned ist,
	     unsigned dpl);

struct engine_exit *th_run(struct th *t);
struct engine_regs th_regs(struct th *t);
void th_set_regs(struct th *t, const struct engine_regs *r);
struct engine_sregs th_sregs(struct th *t);
uint64_t th_rd64(struct th *t, uint64_t gpa);
void th_wr64(struct th *t, uint64_t gpa, uint64_t v);

/* Run and require the given exit reason; prints the state when it differs. */
void th_expect(struct th *t, enum engine_exit_reason reason, const char *what);

#endif
