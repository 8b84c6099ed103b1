/*
 * vcpu/soft/soft.h — the soft engine's "hardware" API: the software
 * x86-64 machine that the VMM and the memory backends program.
 *
 * A struct soft_machine is one physical CPU's shared hardware: machine
 * memory (HPA space, one host buffer), the MMU/TLB model (mmu.h) and the
 * predecode cache.  Several VMs' vCPUs may be timeshared on one machine;
 * only one runs at a time (the caller's loop), and the TLB keeps their
 * entries apart by ASID/PCID tags, exactly as hardware does: the engine
 * never flushes on a vCPU switch by itself.
 *
 * The engine ops (soft_engine_ops, name "soft") implement vcpu/engine.h.
 * For this engine engine_vm_config.machine is a struct soft_machine *;
 * NULL gives the VM a private machine that adopts the memory given to the
 * first set_memory() as machine memory.
 *
 * Guest physical memory without nested paging is a relocation: a VM's GPA
 * g is HPA g + phys_base, valid for g < phys_limit.  set_memory() with a
 * host pointer inside machine memory sets phys_base = host - machine base
 * and phys_limit = size (one RAM slot at GPA 0).  With nested paging the
 * backend sets nCR3 and an ASID instead (soft_vcpu_set_nested()).
 *
 * Intercepts are modelled on AMD SVM: a bitmask of enum engine_intercept
 * causes, an exception-vector bitmap and MSR ranges.  An intercepted
 * instruction exits BEFORE it executes (exit.intercept.insn_len lets the
 * VMM emulate and skip it); an intercepted exception exits instead of
 * being delivered (the VMM may reflect it with soft_vcpu_inject()).
 * IN/OUT always exit as ENGINE_EXIT_IO: the VMM owns the devices.
 *
 * Guest time is retired instructions: RDTSC, the APIC timer, the quantum
 * and the limit all count them, so runs are deterministic bit for bit.
 */
#ifndef MEMVIRT_VCPU_SOFT_SOFT_H
#define MEMVIRT_VCPU_SOFT_SOFT_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/engine.h"
#include "vcpu/soft/mmu.h"

extern const struct engine_ops soft_engine_ops;

struct soft_machine;

struct soft_machine_config {
	uint64_t mem_size;           /* bytes of machine memory, page multiple */
	uint8_t *mem;                /* caller's buffer of mem_size bytes, or NULL: allocate */
	struct soft_mmu_config mmu;  /* TLB geometry (soft_mmu_config_default()) */
};

/* Create a machine; its memory is zeroed when allocated here.  Returns 0
 * or -ENOMEM / -EINVAL (size not a page multiple, or 0). */
int soft_machine_create(const struct soft_machine_config *cfg, struct soft_machine **out);
/* The machine must outlive every VM created on it. */
void soft_machine_destroy(struct soft_machine *m);

/* Machine memory: host address of HPA 0 and its size. */
uint8_t *soft_machine_mem(struct soft_machine *m, uint64_t *size);
struct soft_mmu *soft_machine_mmu(struct soft_machine *m);

/* The VMM or a backend wrote [hpa, hpa+len) directly (not through a
 * guest store): drop predecoded instructions of those pages.  Guest
 * stores invalidate by themselves. */
void soft_machine_code_written(struct soft_machine *m, uint64_t hpa, uint64_t len);

/* Machine-wide statistics: the MMU/TLB counters and the predecode cache. */
void soft_machine_stats(const struct soft_machine *m, engine_stat_fn fn, void *ctx);

/* ---- intercept control ---- */

#define SOFT_MSR_RANGES 8

struct soft_msr_range {
	uint32_t first, last;        /* inclusive */
};

struct soft_intercepts {
	uint32_t causes;             /* bit (1u << enum engine_intercept) */
	uint32_t exceptions;         /* bit n: exception vector n exits (with ENGINE_ICPT_EXCEPTION) */
	/* With ENGINE_ICPT_MSR_READ/WRITE set, the MSRs in these ranges exit;
	 * no range at all means every MSR. */
	unsigned msr_read_count, msr_write_count;
	struct soft_msr_range msr_read[SOFT_MSR_RANGES], msr_write[SOFT_MSR_RANGES];
};

#define SOFT_ICPT(cause) (1u << (cause))

/* -EINVAL for too many MSR ranges. */
int soft_vcpu_set_intercepts(struct engine_vcpu *vcpu, const struct soft_intercepts *icpt);
void soft_vcpu_get_intercepts(struct engine_vcpu *vcpu, struct soft_intercepts *icpt);

/* ---- the MMU registers of a vCPU ---- */

/* Nested paging on (ncr3: root of the AMD NPT GPA->HPA tables, asid: the
 * VM's TLB tag) or off.  No TLB flush is implied: that is the backend's
 * call, through soft_mmu_flush_*(). */
void soft_vcpu_set_nested(struct engine_vcpu *vcpu, bool npt, uint64_t ncr3, uint32_t asid);
/* Relocation of guest-physical memory when nested paging is off. */
void soft_vcpu_set_phys(struct engine_vcpu *vcpu, uint64_t phys_base, uint64_t phys_limit);
/* The MMU's architected-TLB mode bit (hardware walks off).  The machine's
 * guest-visible registers and refill exception are in archtlb.h. */
void soft_vcpu_set_arch_tlb(struct engine_vcpu *vcpu, bool on);
/* The MMU registers this vCPU runs with (CR0/CR3/CR4/EFER from its state). */
void soft_vcpu_mmu_regs(struct engine_vcpu *vcpu, struct soft_mmu_regs *out);
struct soft_machine *soft_vcpu_machine(struct engine_vcpu *vcpu);
/* The vCPU's FPU and SSE registers (vcpu/soft/fpu.h), read and written in
 * place between runs (tests, state transfer). */
struct soft_fpu;
struct soft_fpu *soft_vcpu_fpu(struct engine_vcpu *vcpu);

/* ---- events ---- */

/* Deliver exception `vector` (with an error code when has_error; cr2 is
 * loaded for #PF) before the next instruction, as SVM's EVENTINJ does.
 * Used to reflect an intercepted exception to the guest.  -EBUSY when an
 * event is already pending, -EINVAL for a vector > 31. */
int soft_vcpu_inject(struct engine_vcpu *vcpu, uint8_t vector, bool has_error,
		     uint32_t error_code, uint64_t cr2);
/* Raise external interrupt `vector` (16..255) in the local APIC's IRR:
 * delivered when RFLAGS.IF=1 and its priority allows. */
int soft_vcpu_irq(struct engine_vcpu *vcpu, uint8_t vector);

/* Retired instructions that were HLT time fast-forwarded to a timer. */
uint64_t soft_vcpu_idle_instructions(struct engine_vcpu *vcpu);

#endif
