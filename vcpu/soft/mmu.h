/*
 * vcpu/soft/mmu.h — the soft engine's MMU: page walks (one walker driven
 * by a format description, for guest tables and nested NPT tables), the
 * two-dimensional walk, and the TLB model (levels, associativity,
 * replacement, PCID/ASID tags, page-walk cache) with its counters.
 *
 * Machine memory ("HPA") is one host buffer [0, size).  The CPU asks the
 * MMU for the HPA of every access; the MMU walks tables in machine memory,
 * writes accessed/dirty bits back, and counts everything.  The TLB is a
 * model, not a cache of convenience: an entry stays until it is evicted or
 * flushed, even when the page table under it changed.
 *
 * Hot path: soft_mmu_translate() is meant to be inlined by the CPU; a TLB
 * hit costs a set index, a tag compare per way and a counter increment.
 * Misses and faults go to the out-of-line soft_mmu_translate_slow().
 */
#ifndef MEMVIRT_VCPU_SOFT_MMU_H
#define MEMVIRT_VCPU_SOFT_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcpu/engine.h"

enum soft_access {
	SOFT_ACCESS_READ = 0,
	SOFT_ACCESS_WRITE = 1,
	SOFT_ACCESS_FETCH = 2,
};

enum soft_tlb_repl {
	SOFT_TLB_LRU = 0,
	SOFT_TLB_RANDOM,
};

/* TLB geometry; parsed from the --tlb option text. */
struct soft_mmu_config {
	unsigned l1_entries, l1_ways;    /* per L1 TLB (instruction and data each) */
	enum soft_tlb_repl repl;
	unsigned l2_entries, l2_ways;    /* unified second level; 0 entries = none */
	unsigned pwc_entries;            /* page-walk cache of upper-level entries; 0 = none */
	unsigned asid_bits;              /* width of the PCID/ASID tag kept in entries; 0 = untagged */
	uint64_t seed;                   /* for random replacement */
};

/* Defaults: 64-entry 4-way L1s, LRU, 1024-entry 8-way L2, 16-entry PWC,
 * 12-bit tags. */
void soft_mmu_config_default(struct soft_mmu_config *cfg);

/* Parse "l1=64:4,l2=1024:8,repl=lru|random,pwc=16,asid-bits=12" (any subset,
 * l2=0 and pwc=0 turn those off) over the defaults already in *cfg.
 * Returns 0, or -EINVAL with a one-line message naming the problem and
 * what is accepted in err. */
int soft_mmu_config_parse(const char *text, struct soft_mmu_config *cfg,
			  char *err, size_t err_len);

/* The control state a walk depends on, set by the CPU whenever it changes. */
struct soft_mmu_regs {
	uint64_t cr0, cr3, cr4, efer;
	/* Nested paging (AMD NPT format: ordinary long-mode tables mapping
	 * GPA -> HPA, rooted at ncr3).  When off, guest-physical addresses
	 * are relocated: hpa = gpa + phys_base, valid while gpa < phys_limit. */
	bool npt;
	uint64_t ncr3;
	uint64_t phys_base, phys_limit;
	/* Tag of the running VM in nested mode (AMD ASID); 0 otherwise. */
	uint32_t vm_asid;
	/* Architected-TLB machine: hardware walks off, a miss is a refill fault. */
	bool arch_tlb;
};

enum soft_fault_kind {
	SOFT_FAULT_NONE = 0,
	SOFT_FAULT_PF,       /* #PF for the guest: error_code, addr = CR2 */
	SOFT_FAULT_NPF,      /* nested page fault: addr = GPA, gva = faulting GVA */
	SOFT_FAULT_REFILL,   /* architected TLB miss: addr = GVA */
	SOFT_FAULT_PHYS,     /* an address outside machine memory / the VM's limit */
};

struct soft_fault {
	enum soft_fault_kind kind;
	uint32_t error_code;  /* x86 #PF error code bits: P, W, U, RSVD, I/D */
	uint64_t addr;
	uint64_t gva;
};

enum soft_flush_cause {
	SOFT_FLUSH_CR3 = 0,      /* CR3 write without the no-flush bit */
	SOFT_FLUSH_INVLPG,
	SOFT_FLUSH_PCID,         /* one PCID/ASID */
	SOFT_FLUSH_GLOBAL,       /* everything, global entries included (CR4.PGE toggle, ...) */
	SOFT_FLUSH_VMM,          /* requested by the VMM / a backend */
	SOFT_FLUSH__COUNT
};

struct soft_mmu;

/* Machine memory is not owned by the MMU. */
int soft_mmu_create(const struct soft_mmu_config *cfg, uint8_t *mem, uint64_t mem_size,
		    struct soft_mmu **out);
void soft_mmu_destroy(struct soft_mmu *mmu);

void soft_mmu_set_regs(struct soft_mmu *mmu, const struct soft_mmu_regs *regs);
const struct soft_mmu_regs *soft_mmu_regs(const struct soft_mmu *mmu);

/* Translate one access of the current mode (user = CPL 3) to an HPA.
 * Returns true on success; false with *fault filled otherwise.  Counts
 * the access, a hit or a miss per level, the walk and its memory
 * references, and A/D write-backs. */
bool soft_mmu_translate_slow(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
			     bool user, uint64_t *hpa, struct soft_fault *fault);

/* Walk without touching the TLB, A/D bits or counters (debugging, the
 * VMM's instruction fetch for emulation, invariant checkers). */
bool soft_mmu_probe(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		    uint64_t *hpa, struct soft_fault *fault);

void soft_mmu_invlpg(struct soft_mmu *mmu, uint64_t va);
/* Entries of one tag (PCID, or ASID in nested mode); keep_global spares G entries. */
void soft_mmu_flush_tag(struct soft_mmu *mmu, uint32_t tag, bool keep_global,
			enum soft_flush_cause cause);
void soft_mmu_flush_all(struct soft_mmu *mmu, bool keep_global, enum soft_flush_cause cause);

/* Architected-TLB machine: write/read/probe entries under software control
 * (completed by the softtlb issue). */

void soft_mmu_stats(const struct soft_mmu *mmu, engine_stat_fn fn, void *ctx);

/* The inline fast path: implementation detail of mmu.c, exposed so the
 * CPU's access path inlines the common TLB hit. */
bool soft_mmu_translate(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
			bool user, uint64_t *hpa, struct soft_fault *fault);

#endif
