/*
 * vcpu/soft/archtlb.h — the architected-TLB machine's guest-visible
 * interface on the soft engine: CPUID leaf, MSRs modelled on MIPS CP0
 * (EntryHi, EntryLo, Index, Wired, the current ASID, BadVAddr, a command
 * register) and the refill exception.  docs/arch-tlb.md is the contract a
 * guest is written against; the constants here are that contract's.
 *
 * The machine boots with hardware walks on (the boot protocol is the same
 * on both machines); the guest writes its wired entries and then sets
 * ATLB_CTL.E, after which the hardware never walks again (E cannot be
 * cleared).  Entries map virtual pages to physical pages: under `native`
 * the CPU relocates the guest's frame (a GPA) into the VM's slice of
 * machine memory; under softtlb/asid the command exits to the VMM, which
 * translates and programs the real TLB through the functions below.
 *
 * Invariants: the guest-visible registers (struct soft_atlb) belong to the
 * vCPU and are saved with it; the real current ASID is the MMU register
 * mregs.arch_asid, equal to the guest-visible ASID unless a backend maps
 * ASIDs (asid/).
 */
#ifndef MEMVIRT_VCPU_SOFT_ARCHTLB_H
#define MEMVIRT_VCPU_SOFT_ARCHTLB_H

#include <stdbool.h>
#include <stdint.h>

#include "memvirt/archtlb.h"
#include "vcpu/engine.h"

/* The interface's constants are memvirt/archtlb.h's (MV_ATLB_*). */

/* Per-vCPU guest-visible state.  `present`: this vCPU is an
 * architected-TLB machine (the MSRs and the CPUID bit exist). */
struct soft_atlb {
	bool present;
	uint64_t index, entryhi, entrylo, wired, badvaddr, ctl;
	uint32_t asid;         /* guest-visible current ASID */
	uint32_t asid_bits;    /* guest-visible ASID width (CPUID.ECX) */
	uint32_t entries;      /* guest-visible TLB size (CPUID.EBX) */
	uint64_t rng;          /* write-random's generator (deterministic) */
};

/* The architected registers a VMM reads and writes when it emulates the
 * interface (softtlb, asid): same meaning as the MSRs. */
struct soft_atlb_regs {
	uint64_t index, entryhi, entrylo, wired, badvaddr;
	uint32_t asid, asid_bits, entries;
	bool walks_off;
};

/* ---- the VMM's side (hw_soft.c) ---- */

/* Make the vCPU an architected-TLB machine (before it runs).  Its
 * guest-visible size and ASID width start as the real TLB's (ASID width
 * capped at MV_ATLB_MAX_ASID_BITS).  -ENODEV when the machine's MMU has
 * no arch entries. */
int soft_atlb_enable(struct engine_vcpu *vcpu);
bool soft_atlb_present(struct engine_vcpu *vcpu);
void soft_atlb_get_regs(struct engine_vcpu *vcpu, struct soft_atlb_regs *r);
/* Sets index, entryhi, entrylo, wired, badvaddr, asid, asid_bits and
 * entries (walks_off is ignored).  -EINVAL for a width above 12 bits. */
int soft_atlb_set_regs(struct engine_vcpu *vcpu, const struct soft_atlb_regs *r);
/* The real current ASID the MMU matches (asid backend). */
void soft_atlb_set_real_asid(struct engine_vcpu *vcpu, uint32_t asid);

/* The real TLB in the documented EntryHi/EntryLo format, PFN = machine
 * address (HPA).  write: -EINVAL for a bad index or entry (outside
 * machine memory, misaligned 2 MiB page); probe: index or -ENOENT. */
int soft_atlb_real_write(struct engine_vcpu *vcpu, uint32_t index, uint64_t hi, uint64_t lo);
int soft_atlb_real_read(struct engine_vcpu *vcpu, uint32_t index, uint64_t *hi, uint64_t *lo);
int soft_atlb_real_probe(struct engine_vcpu *vcpu, uint64_t hi);
/* Write where the real TLB's replacement puts it (soft_mmu_arch_write_free). */
int soft_atlb_real_write_free(struct engine_vcpu *vcpu, uint64_t hi, uint64_t lo, uint32_t first,
			      uint32_t *index);
/* The second ASID real translations match while this vCPU runs (a VMM's
 * per-VM ASID for its guest-global entries); on = false: none. */
void soft_atlb_set_vm_asid(struct engine_vcpu *vcpu, bool on, uint32_t asid);
void soft_atlb_real_flush(struct engine_vcpu *vcpu, bool all, uint32_t asid);
/* Invalidate every entry at an index >= wired (the FLUSH_ALL command's
 * meaning); -EINVAL for wired > MV_ATLB_MAX_WIRED. */
struct soft_mmu;
int soft_atlb_flush_unwired(struct soft_mmu *mmu, uint32_t wired);
/* Real TLB size and ASID width (the MMU's tag width). */
void soft_atlb_real_info(struct engine_vcpu *vcpu, uint32_t *entries, uint32_t *asid_bits);

#endif
