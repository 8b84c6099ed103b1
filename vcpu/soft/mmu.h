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
 *
 * What the model promises (the tests in tests/mmu/ check each):
 * - Long-mode 4-level tables, 4 KiB / 2 MiB / 1 GiB pages, P, R/W, U/S,
 *   NX (EFER.NXE), CR0.WP, reserved bits (MAXPHYADDR = SOFT_MMU_MAXPHYADDR,
 *   NX when NXE=0, PS in a PML4E, the low address bits of a large page),
 *   #PF error codes as the SDM gives them.  SMEP/SMAP/protection keys are
 *   not modelled.  Canonical-address checks (#GP) belong to the CPU.
 * - Accessed bits are set on every entry a walk uses, the leaf's A (and D
 *   on a write) only when the access is allowed.  A TLB entry caches the
 *   leaf's D; a write that hits an entry with D clear walks again.
 * - A TLB hit whose cached rights do not allow the access walks again
 *   (as AMD does); a walk that ends in #PF drops the entries for that page
 *   (as the SDM says a #PF does).
 * - Non-nested: every guest-physical address is relocated to
 *   gpa + phys_base and must be below phys_limit (and inside machine
 *   memory), else SOFT_FAULT_PHYS.  A large page that reaches past that
 *   limit is cached as a 4 KiB splinter, so no TLB entry ever spans memory
 *   outside the VM.
 * - Nested (AMD NPT): the 2-D walk; every guest table access is checked
 *   in the nested tables as a user write (as AMD and KVM's walker do), the
 *   final GPA as a user access of the access's kind.  Nested NX is always
 *   enforced (the host runs with NXE).  TLB entries are combined GVA->HPA
 *   of the smaller of the two page sizes, tagged (VM ASID, PCID).
 * - The page-walk cache holds guest-dimension upper-level entries (PML4E,
 *   PDPTE, PDE pointing to a table) with the HPA of the next table; nested
 *   references are always walked.  Not global; flushed with the TLB for the
 *   tags concerned, and INVLPG drops the current tag's entries (as the SDM
 *   says for paging-structure caches).
 * - Memory references are counted per 8-byte entry read; A/D updates are
 *   counted separately (ad_writebacks, one per entry written).
 */
#ifndef MEMVIRT_VCPU_SOFT_MMU_H
#define MEMVIRT_VCPU_SOFT_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcpu/engine.h"

/* Host errors must be looked at (STYLE.md). */
#define SOFT_MMU_MUST_CHECK __attribute__((warn_unused_result))

enum soft_access {
	SOFT_ACCESS_READ = 0,
	SOFT_ACCESS_WRITE = 1,
	SOFT_ACCESS_FETCH = 2,
};

/* Physical-address width of the modelled CPU: bits 51..48 of a
 * paging-structure entry are reserved.  CPUID 0x80000008 must say so. */
#define SOFT_MMU_MAXPHYADDR 48

/* #PF / NPF error-code bits (SDM vol. 3 4.7; AMD APM 15.25.6). */
#define SOFT_PFEC_P    (1u << 0)  /* protection violation (0: not present) */
#define SOFT_PFEC_W    (1u << 1)  /* the access was a write */
#define SOFT_PFEC_U    (1u << 2)  /* user-mode access (always set for NPF) */
#define SOFT_PFEC_RSVD (1u << 3)  /* a reserved bit was set in an entry */
#define SOFT_PFEC_ID   (1u << 4)  /* instruction fetch (with EFER.NXE for #PF) */

enum soft_page_size {
	SOFT_PAGE_4K = 0,
	SOFT_PAGE_2M,
	SOFT_PAGE_1G,
	SOFT_PAGE__COUNT
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
	unsigned arch_entries;           /* architected-TLB machine: software-managed entries */
};

/* Defaults: 64-entry 4-way L1s, LRU, 1024-entry 8-way L2, 16-entry PWC,
 * 12-bit tags, seed 1, 64 architected-TLB entries. */
void soft_mmu_config_default(struct soft_mmu_config *cfg);

/* Parse "l1=64:4,l2=1024:8,repl=lru|random,pwc=16,asid-bits=12" (any subset,
 * l2=0 and pwc=0 turn those off; also seed=N and arch=N) over the defaults
 * already in *cfg.  WAYS and the number of sets (ENTRIES / WAYS) must be
 * powers of two; ways at most 64; asid-bits at most 32.
 * Returns 0, or -EINVAL with a one-line message naming the problem and
 * what is accepted in err.  *cfg is left unchanged on error. */
SOFT_MMU_MUST_CHECK int soft_mmu_config_parse(const char *text, struct soft_mmu_config *cfg,
			  char *err, size_t err_len);
/* The canonical --tlb text of a geometry: every key, in a fixed order,
 * so that the default spelled out and the default compare equal. */
size_t soft_mmu_config_format(const struct soft_mmu_config *cfg, char *buf, size_t len);
/* The --tlb keys (memvirt/options.h), for help and documentation. */
struct mv_option;
const struct mv_option *soft_mmu_config_options(size_t *count);

/* The control state a walk depends on, set by the CPU whenever it changes. */
struct soft_mmu_regs {
	uint64_t cr0, cr3, cr4, efer;
	/* Nested paging (AMD NPT format: ordinary long-mode tables mapping
	 * GPA -> HPA, rooted at ncr3).  When off, guest-physical addresses
	 * are relocated: hpa = gpa + phys_base, valid while gpa < phys_limit. */
	bool npt;
	uint64_t ncr3;
	uint64_t phys_base, phys_limit;
	/* Tag of the running VM (AMD ASID), kept in every TLB entry next to
	 * the PCID.  Nested mode uses it so that VMs keep their translations
	 * across switches; a VMM that does not tag VMs leaves it 0 (and then
	 * flushes on a VM switch). */
	uint32_t vm_asid;
	/* Architected-TLB machine: hardware walks off, a miss is a refill fault. */
	bool arch_tlb;
	/* Architected-TLB machine: the current ASID register (entries whose
	 * ASID differs and that are not global do not match). */
	uint32_t arch_asid;
	/* Architected-TLB machine, for a VMM: a second ASID that translations
	 * match while the VM runs (the real ASID the VMM gives the VM's
	 * guest-global entries, as MIPS VZ tags root entries with a GuestID);
	 * off for a machine without a VMM. */
	bool arch_vm_asid_on;
	uint32_t arch_vm_asid;
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
	/* NPF only: true when the nested fault was on a guest page-table
	 * access (AMD EXITINFO1 bit 33), false when on the final GPA (bit 32). */
	bool npf_table;
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
SOFT_MMU_MUST_CHECK int soft_mmu_create(const struct soft_mmu_config *cfg, uint8_t *mem,
					 uint64_t mem_size, struct soft_mmu **out);
void soft_mmu_destroy(struct soft_mmu *mmu);

/* Install the control state.  Never flushes: the CPU calls the flush that
 * the architectural event implies (see below).  CR0.PG clear means no
 * translation (va is the guest-physical address). */
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

/*
 * Flushes.  What the CPU calls for each architectural event:
 *   MOV CR3 (PCIDE=0)           soft_mmu_flush_pcid(mmu, 0, true, SOFT_FLUSH_CR3)
 *   MOV CR3 (PCIDE=1, bit 63=0) soft_mmu_flush_pcid(mmu, new PCID, true, SOFT_FLUSH_CR3)
 *   MOV CR3 (PCIDE=1, bit 63=1) nothing (store CR3 with bit 63 clear)
 *   INVLPG                      soft_mmu_invlpg(mmu, va)
 *   CR4.PGE or PCIDE changed,   soft_mmu_flush_all(mmu, false, SOFT_FLUSH_GLOBAL)
 *   CR0.PG changed
 *   INVPCID type 1 / 2 / 3      flush_pcid(pcid, true, PCID) / flush_all(false, GLOBAL)
 *                               / flush_all(true, GLOBAL)
 * set_regs first, then the flush.  Flushes also drop page-walk-cache
 * entries of the tags concerned.  Every flush counts one tlb_flush_<cause>
 * and the entries it drops (tlb_entries_flushed, pwc_entries_flushed).
 */

/* The page containing va, every size, in the current tag, and global
 * entries for it; plus the current tag's page-walk-cache entries. */
void soft_mmu_invlpg(struct soft_mmu *mmu, uint64_t va);
/* Entries of one tag (PCID, or ASID in nested mode); keep_global spares G entries. */
void soft_mmu_flush_tag(struct soft_mmu *mmu, uint32_t tag, bool keep_global,
			enum soft_flush_cause cause);
/* Entries of one PCID within the current VM ASID (0 when not nested). */
void soft_mmu_flush_pcid(struct soft_mmu *mmu, uint32_t pcid, bool keep_global,
			 enum soft_flush_cause cause);
/* Entries of one VM ASID, all PCIDs, global ones included (the VMM). */
void soft_mmu_flush_asid(struct soft_mmu *mmu, uint32_t asid, enum soft_flush_cause cause);
void soft_mmu_flush_all(struct soft_mmu *mmu, bool keep_global, enum soft_flush_cause cause);

/*
 * Architected-TLB machine (regs.arch_tlb): the hardware never walks.  The
 * software-managed TLB has cfg.arch_entries fully associative entries
 * written by index; the L1 TLBs are micro-TLBs filled only from it, and an
 * arch entry that is overwritten or flushed drops what the L1s derived
 * from it, so the L1s never hold a translation the arch TLB does not.
 * A miss in both is SOFT_FAULT_REFILL with addr = GVA; an entry that does
 * not permit the access is SOFT_FAULT_PF (P set, W/U/I-D as for #PF).
 * Entries map VA pages directly to HPA pages: the softtlb/asid backends
 * translate GPA to HPA before writing.  These functions count
 * arch_tlb_writes / arch_tlb_flushes, and never touch the walk counters.
 */
struct soft_arch_entry {
	bool valid;
	enum soft_page_size size;
	uint64_t va;        /* page-aligned virtual page */
	uint64_t hpa;       /* page-aligned machine page, inside machine memory */
	uint32_t asid;      /* truncated to cfg.asid_bits when written */
	bool global;        /* matches every ASID */
	bool writable, user, exec;
};

/* Write entry index (0 <= index < cfg.arch_entries).  -EINVAL for a bad
 * index, size, alignment, or a page outside machine memory; -ENODEV when
 * the MMU has no arch entries. */
SOFT_MMU_MUST_CHECK int soft_mmu_arch_write(struct soft_mmu *mmu, unsigned index,
					     const struct soft_arch_entry *e);
/* Write at an index from the MMU's seeded generator (deterministic);
 * the index used in *index (may be NULL). */
SOFT_MMU_MUST_CHECK int soft_mmu_arch_write_random(struct soft_mmu *mmu,
						    const struct soft_arch_entry *e, unsigned *index);
/* Write where the real TLB's replacement puts a VMM's entry: the lowest
 * invalid index >= first, else one from the MMU's seeded generator in
 * [first, entries).  The index used in *index. */
SOFT_MMU_MUST_CHECK int soft_mmu_arch_write_free(struct soft_mmu *mmu, const struct soft_arch_entry *e,
						  unsigned first, unsigned *index);
/* The index of the valid entry matching va for asid (or a global one), or
 * -ENOENT. */
int soft_mmu_arch_probe(const struct soft_mmu *mmu, uint64_t va, uint32_t asid);
SOFT_MMU_MUST_CHECK int soft_mmu_arch_read(const struct soft_mmu *mmu, unsigned index,
					    struct soft_arch_entry *e);
/* Invalidate the non-global entries of asid / every entry. */
void soft_mmu_arch_flush_asid(struct soft_mmu *mmu, uint32_t asid);
void soft_mmu_arch_flush_all(struct soft_mmu *mmu);

/* Report every counter as (name, value); names are listed in mmu.c's
 * counter table. */
void soft_mmu_stats(const struct soft_mmu *mmu, engine_stat_fn fn, void *ctx);
/* One counter by name; -ENOENT for an unknown name. */
SOFT_MMU_MUST_CHECK int soft_mmu_stat(const struct soft_mmu *mmu, const char *name,
				       uint64_t *value);
void soft_mmu_stats_reset(struct soft_mmu *mmu);

/* The inline fast path (mmu_internal.h): an L1 hit whose cached rights
 * allow the access; everything else goes to soft_mmu_translate_slow().
 * Same contract as soft_mmu_translate_slow(). */
#include "vcpu/soft/mmu_internal.h"

#endif
