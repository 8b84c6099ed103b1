/*
 * vcpu/soft/mmu_internal.h — the MMU's internals that the inline TLB hit
 * path needs: the TLB structures, the MMU handle, the counter indices.
 * Included by mmu.h; nothing outside vcpu/soft/mmu*.c, tlb.c and walk.c
 * may touch these fields (use the functions in mmu.h).
 *
 * TLB organisation: every TLB (L1 instruction, L1 data, unified L2) is one
 * set-associative array holding entries of all three page sizes.  An entry
 * of size class s lives in set (va >> shift(s)) & (sets - 1), so a lookup
 * probes the set of the size class that hit last, then the other sets
 * (the 2 MiB and 1 GiB ones only when the TLB holds entries of that size,
 * nlarge[]).  The key is the page's VA base
 * with the size class in bits 1..2 and a valid bit in bit 0, so one 64-bit
 * compare checks address, size and validity.
 *
 * Tags: an entry carries the VM ASID (nested mode, or the architected-TLB
 * ASID; 0 otherwise) and the PCID (CR4.PCIDE; 0 otherwise), both truncated
 * to cfg.asid_bits.  An entry matches when both are equal to the current
 * ones, or when it is global and its ASID is the current one.
 *
 * Invariants: key != 0 iff the entry is valid; an invalid entry's stamp
 * is 0 and a valid one's is not (the clock starts at 0 and every stamp is
 * a new tick), so the first of the least stamps in a set is its first
 * invalid way if it has one, else its least recently used way; nlarge[] counts the valid
 * 2 MiB / 1 GiB entries of that TLB; the hpa of an entry plus its size is
 * inside machine memory (and inside phys_limit when not nested); ways is
 * a power of two.
 */
#ifndef MEMVIRT_VCPU_SOFT_MMU_INTERNAL_H
#define MEMVIRT_VCPU_SOFT_MMU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vcpu/soft/mmu.h"

/* Entry flags: the rights the walk found, combined over every level (and
 * both dimensions when nested). */
enum {
	SOFT_TLBF_W = 1u << 0,   /* guest R/W on every level */
	SOFT_TLBF_U = 1u << 1,   /* U/S on every level */
	SOFT_TLBF_X = 1u << 2,   /* executable (no NX on any level, both dimensions) */
	SOFT_TLBF_D = 1u << 3,   /* leaf dirty (both dimensions) */
	SOFT_TLBF_G = 1u << 4,   /* global (G bit with CR4.PGE; arch entries) */
	SOFT_TLBF_NW = 1u << 5,  /* nested R/W (always set when not nested) */
	/* Never set in an entry: need[] holds it while paging is off, so
	 * that the inline path always goes to the slow path. */
	SOFT_TLBF_NEVER = 1u << 15,
};

struct soft_tlb_entry {
	uint64_t key;     /* VA page base | size << 1 | 1; 0 = invalid */
	uint64_t addend;  /* machine page base - VA page base (mod 2^64): hpa = va + addend */
	uint64_t stamp;   /* LRU: the TLB clock at the last use */
	uint32_t asid;
	uint16_t pcid;
	uint16_t flags;   /* SOFT_TLBF_* */
};
_Static_assert(sizeof(struct soft_tlb_entry) == 32, "two TLB entries per cache line");

struct soft_tlb {
	struct soft_tlb_entry *e;  /* sets * ways entries, set-major */
	unsigned ways, sets;
	unsigned way_shift;        /* ways == 1 << way_shift */
	uint64_t set_mask;
	uint64_t clock;
	unsigned nlarge[SOFT_PAGE__COUNT];
	unsigned hint;             /* size class of the last hit found off the hint */
	/* Changes (from 1 on) whenever what a lookup finds may change: an
	 * entry filled or dropped, the hint moved, the tags or the rights a
	 * hit needs set again (soft_mmu_set_regs), and when the CPU says so
	 * (soft_mmu_lookups_changed()).  Caches of lookups outside the MMU
	 * (the CPU's) are good while it stays the same. */
	uint64_t gen;
};

/* A page-walk-cache entry's payload.  Which table it caches (valid bit,
 * level, address prefix) is its key in soft_mmu.pwc_key, its LRU stamp is
 * in soft_mmu.pwc_stamp: a lookup scans those two compact arrays only. */
struct soft_pwc_entry {
	uint64_t next_hpa;   /* machine address of the table it points to */
	uint32_t asid;
	uint16_t pcid;
	uint8_t flags;       /* SOFT_TLBF_W/U/X accumulated down to this entry */
	uint8_t level;       /* format level index of the cached entry (0 = top) */
};

/* The key of a valid page-walk-cache entry: the prefix (va >> shift of
 * its level), the level, and bit 0 set; 0 is an invalid entry. */
static inline uint64_t soft_pwc_key(uint64_t prefix, unsigned level)
{
	return prefix << 3 | (uint64_t)level << 1 | 1;
}

#define SOFT_PWC_NONE UINT16_C(0xffff)

/* The page-walk-cache index's bucket of a key (see soft_mmu.pwc_head). */
static inline unsigned soft_pwc_bucket(uint64_t key, unsigned bits)
{
	return (unsigned)((key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - bits));
}

/* Counters: indices into soft_mmu.ctr; names in mmu.c's table. */
enum soft_mmu_ctr {
	SOFT_CTR_TLB_ACCESSES = 0,
	SOFT_CTR_L1I_HITS,
	SOFT_CTR_L1I_MISSES,
	SOFT_CTR_L1D_HITS,
	SOFT_CTR_L1D_MISSES,
	SOFT_CTR_L2_HITS,
	SOFT_CTR_L2_MISSES,
	SOFT_CTR_REWALKS,
	SOFT_CTR_WALKS,
	SOFT_CTR_WALK_REFS,
	SOFT_CTR_WALK_REFS_GUEST,
	SOFT_CTR_WALK_REFS_NESTED,
	SOFT_CTR_PWC_HITS,
	SOFT_CTR_PWC_MISSES,
	SOFT_CTR_AD_WRITEBACKS,
	SOFT_CTR_FAULT_PF,
	SOFT_CTR_FAULT_NPF,
	SOFT_CTR_FAULT_REFILL,
	SOFT_CTR_FAULT_PHYS,
	SOFT_CTR_FLUSH_CR3,
	SOFT_CTR_FLUSH_INVLPG,
	SOFT_CTR_FLUSH_PCID,
	SOFT_CTR_FLUSH_GLOBAL,
	SOFT_CTR_FLUSH_VMM,
	SOFT_CTR_ENTRIES_FLUSHED,
	SOFT_CTR_PWC_ENTRIES_FLUSHED,
	SOFT_CTR_UNPAGED,
	SOFT_CTR_ARCH_HITS,
	SOFT_CTR_ARCH_MISSES,
	SOFT_CTR_ARCH_WRITES,
	SOFT_CTR_ARCH_FLUSHES,
	SOFT_CTR__COUNT
};

#define SOFT_MISS_HINTS 512u   /* a power of two */

struct soft_mmu {
	struct soft_mmu_config cfg;
	uint8_t *mem;
	uint64_t mem_size;
	struct soft_mmu_regs regs;

	/* Derived from regs by soft_mmu_set_regs(). */
	uint32_t cur_asid;
	uint32_t cur_vm_asid;  /* arch: regs.arch_vm_asid, masked; meaningful with vm_asid_on */
	bool vm_asid_on;
	bool vm_asid_seen;     /* a second ASID was ever on (see soft_mmu_arch_flush_asid) */
	uint16_t cur_pcid;
	uint16_t need[3][2];   /* [access][user]: flags a hit must have */
	uint64_t gpa_limit;    /* non-nested: min(phys_limit, mem_size - phys_base) */
	uint32_t tag_mask;

	struct soft_tlb itlb, dtlb, l2;   /* l2.e == NULL: no L2 */
	struct soft_pwc_entry *pwc;
	uint64_t *pwc_key;     /* soft_pwc_key() of each entry, 0 = invalid */
	uint64_t *pwc_stamp;   /* LRU: pwc_clock at the entry's last use; 0 = invalid */
	uint64_t pwc_clock;
	unsigned pwc_last;     /* index of the last hit (a hint, any value) */
	/* An exact index of the valid keys: each entry with one is on the
	 * chain of its key's bucket (soft_pwc_bucket()), from pwc_head
	 * through pwc_next to SOFT_PWC_NONE, so that a lookup compares the
	 * few entries whose keys hash alike instead of every key.  Derived
	 * from pwc_key alone; tlb.c keeps it. */
	uint16_t *pwc_head;
	uint16_t *pwc_next;
	unsigned pwc_bucket_bits;
	/* Also derived, from pwc_stamp: the valid entries in the order of
	 * their stamps, oldest first (pwc_older/pwc_newer, SOFT_PWC_NONE at
	 * the ends), and a bit per invalid entry (pwc_free), so that a fill
	 * finds the least stamp (the first invalid entry, or the least
	 * recently used) without reading every stamp. */
	uint16_t *pwc_older, *pwc_newer;
	uint16_t pwc_oldest, pwc_newest;
	uint64_t *pwc_free;
	struct soft_arch_entry *arch;
	uint64_t rng;

	/* Tests only (mmu-miss): every miss takes the generic path; how
	 * many took the one-pass miss (miss.h). */
	bool no_miss_fast;
	uint64_t miss_fast_taken;

	/* Not part of the model: per 2 MiB region of VA, the machine address
	 * of the last-level table the last walk there went through (tag: the
	 * region with bit 63 set).  Read only to start the access's host
	 * cache miss before the lookups have found the page
	 * (soft_prefetch_by_hint()); a stale one costs a useless prefetch and
	 * nothing else. */
	struct soft_miss_hint {
		uint64_t tag;
		uint64_t table;
	} miss_hint[SOFT_MISS_HINTS];
	/* The same per 2 MiB region of guest-physical memory, for the nested
	 * tables (the machine address of the last nested table a walk read
	 * there). */
	struct soft_miss_hint nested_hint[SOFT_MISS_HINTS];

	/* The L1 data entry the last slow translation filled after a miss
	 * of a 4 KiB page (see soft_mmu_data_filled()), and dtlb.gen then. */
	struct soft_tlb_entry *dtlb_filled;
	uint64_t dtlb_filled_gen;

	uint64_t ctr[SOFT_CTR__COUNT];
};

#define SOFT_PAGE_SHIFT(s) (12u + 9u * (unsigned)(s))

/* The hit path is forced inline into every access of the CPU: with the
 * access kind constant at each call it folds to a set probe, a rights
 * check and three increments. */
#define SOFT_MMU_HOT static inline __attribute__((always_inline))

/* Valid page-walk-cache entry i was used: its stamp becomes the newest,
 * and so does its place in the order of stamps. */
SOFT_MMU_HOT void soft_pwc_touch(struct soft_mmu *mmu, unsigned i)
{
	mmu->pwc_stamp[i] = ++mmu->pwc_clock;
	if (mmu->pwc_newest == i)
		return;
	const uint16_t older = mmu->pwc_older[i], newer = mmu->pwc_newer[i];
	if (older != SOFT_PWC_NONE)
		mmu->pwc_newer[older] = newer;
	else
		mmu->pwc_oldest = newer;
	mmu->pwc_older[newer] = older;   /* i is not the newest: newer is an entry */
	mmu->pwc_older[i] = mmu->pwc_newest;
	mmu->pwc_newer[i] = SOFT_PWC_NONE;
	mmu->pwc_newer[mmu->pwc_newest] = (uint16_t)i;
	mmu->pwc_newest = (uint16_t)i;
}

/* After a walk read a last-level table at machine address table for
 * address addr (a VA, or with nested a GPA and the nested tables):
 * remember it for soft_prefetch_by_hint(). */
SOFT_MMU_HOT void soft_note_hint(struct soft_mmu *mmu, bool nested, uint64_t addr, uint64_t table)
{
	if (table + 4096 > mmu->mem_size)
		return;
	struct soft_miss_hint *h =
		&(nested ? mmu->nested_hint : mmu->miss_hint)[(addr >> 21) & (SOFT_MISS_HINTS - 1)];
	h->tag = (addr >> 21) | UINT64_C(1) << 63;
	h->table = table;
}

/* The machine address the hints give for addr (through the nested hints
 * too when nested), or false when they know nothing.  Reads one table
 * entry a dimension and nothing of the model. */
SOFT_MMU_HOT bool soft_hint_lookup(const struct soft_mmu *mmu, const struct soft_miss_hint *hints,
				   uint64_t addr, uint64_t *out)
{
	const struct soft_miss_hint *h = &hints[(addr >> 21) & (SOFT_MISS_HINTS - 1)];
	if (h->tag != ((addr >> 21) | UINT64_C(1) << 63))
		return false;
	uint64_t pte;
	memcpy(&pte, mmu->mem + h->table + ((addr >> 12) & 511) * 8, sizeof(pte));
	/* Bits 12-51: the address field of the guest's and the nested format. */
	*out = (pte & UINT64_C(0x000ffffffffff000)) | (addr & 0xfff);
	return true;
}

/* The line of the access va, prefetched before anything is looked up
 * when the hints know the last-level tables on its way: a miss of the
 * model is usually a host cache miss too, and the lookups and the walk
 * that find the page for certain take about as long as the line takes to
 * come.  Changes nothing of the model. */
SOFT_MMU_HOT void soft_prefetch_by_hint(const struct soft_mmu *mmu, uint64_t va, bool nested)
{
	uint64_t gpa, hpa;
	if (!soft_hint_lookup(mmu, mmu->miss_hint, va, &gpa))
		return;
	if (nested) {
		/* Nested tables hold machine addresses. */
		if (!soft_hint_lookup(mmu, mmu->nested_hint, gpa, &hpa) || hpa >= mmu->mem_size)
			return;
	} else {
		if (gpa >= mmu->gpa_limit)
			return;
		hpa = gpa + mmu->regs.phys_base;
	}
	__builtin_prefetch(mmu->mem + hpa);
}

/* The page-walk-cache entry with key want and the current tags, or -1:
 * the chain of want's bucket holds every entry that could match, and no
 * two valid entries have the same key and tags (a fill replaces its
 * like). */
SOFT_MMU_HOT int soft_pwc_match(const struct soft_mmu *mmu, uint64_t want)
{
	for (unsigned i = mmu->pwc_head[soft_pwc_bucket(want, mmu->pwc_bucket_bits)];
	     i != SOFT_PWC_NONE; i = mmu->pwc_next[i])
		if (mmu->pwc_key[i] == want && mmu->pwc[i].asid == mmu->cur_asid &&
		    mmu->pwc[i].pcid == mmu->cur_pcid)
			return (int)i;
	return -1;
}

/* soft_pwc_lookup() (tlb.h), inlined into the one-pass miss. */
SOFT_MMU_HOT int soft_pwc_lookup_inline(const struct soft_mmu *mmu, uint64_t va,
					   const uint8_t *shifts, unsigned max_level)
{
	const unsigned n = mmu->cfg.pwc_entries;

	/* A match of the deepest level is the answer wherever it is (at
	 * most one entry has its key and the tags): the entry of the last hit
	 * is tried first, as the next walk usually descends the same
	 * tables. */
	const unsigned last = mmu->pwc_last;
	if (last < n && mmu->pwc_key[last] == soft_pwc_key(va >> shifts[max_level], max_level) &&
	    mmu->pwc[last].asid == mmu->cur_asid && mmu->pwc[last].pcid == mmu->cur_pcid)
		return (int)last;
	if (n == 0)
		return -1;
	/* The deepest match. */
	for (unsigned l = max_level + 1; l-- > 0;) {
		int i = soft_pwc_match(mmu, soft_pwc_key(va >> shifts[l], l));
		if (i >= 0)
			return i;
	}
	return -1;
}

static inline uint64_t soft_tlb_key(uint64_t va, unsigned size)
{
	return (va & ~((UINT64_C(1) << SOFT_PAGE_SHIFT(size)) - 1)) | ((uint64_t)size << 1) | 1;
}

/* The entry of t in the set for size class s that maps va for the
 * current tags, or NULL. */
SOFT_MMU_HOT struct soft_tlb_entry *soft_tlb_probe(struct soft_tlb *t, const struct soft_mmu *mmu,
						    uint64_t va, unsigned s)
{
	const uint64_t key = soft_tlb_key(va, s);
	struct soft_tlb_entry *e =
		t->e + (((va >> SOFT_PAGE_SHIFT(s)) & t->set_mask) << t->way_shift);
	struct soft_tlb_entry *const end = e + t->ways;

	for (; e < end; e++)
		if (e->key == key && e->asid == mmu->cur_asid &&
		    (e->pcid == mmu->cur_pcid || (e->flags & SOFT_TLBF_G)))
			return e;
	return NULL;
}

/* The probes of soft_tlb_find() after the hint's set: the size classes
 * from `from` on but the hint's, large ones only while t holds entries of
 * that size; a hit moves the hint there. */
SOFT_MMU_HOT struct soft_tlb_entry *soft_tlb_find_off_hint(struct soft_tlb *t,
							    const struct soft_mmu *mmu, uint64_t va,
							    unsigned from)
{
	for (unsigned s = from; s < SOFT_PAGE__COUNT; s++) {
		if (s == t->hint || (s != SOFT_PAGE_4K && !t->nlarge[s]))
			continue;
		struct soft_tlb_entry *e = soft_tlb_probe(t, mmu, va, s);
		if (e) {
			t->hint = s;
			t->gen++;
			return e;
		}
	}
	return NULL;
}

/* The entry of t that maps va for the current tags, or NULL.  The set of
 * the size class that hit last is probed first (the kernel's 2 MiB pages
 * and a process's 4 KiB pages each hit in one probe), then the others,
 * large ones only while t holds entries of that size.  Only the lookup
 * cost depends on the hint: when two entries of different sizes map va
 * (a page remapped at another size without INVLPG, which the SDM leaves
 * undefined) the one found first is used, deterministically. */
SOFT_MMU_HOT struct soft_tlb_entry *soft_tlb_find(struct soft_tlb *t, const struct soft_mmu *mmu,
						   uint64_t va)
{
	const unsigned hint = t->hint;
	/* Two calls so that the common 4 KiB probe has constant shifts. */
	struct soft_tlb_entry *e = hint == SOFT_PAGE_4K ? soft_tlb_probe(t, mmu, va, SOFT_PAGE_4K)
							: soft_tlb_probe(t, mmu, va, hint);

	if (e)
		return e;
	return soft_tlb_find_off_hint(t, mmu, va, SOFT_PAGE_4K);
}

SOFT_MMU_HOT bool soft_mmu_translate(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
				      bool user, uint64_t *hpa, struct soft_fault *fault)
{
	struct soft_tlb *t = acc == SOFT_ACCESS_FETCH ? &mmu->itlb : &mmu->dtlb;
	struct soft_tlb_entry *e = soft_tlb_find(t, mmu, va);
	unsigned need = mmu->need[acc][user];

	if (e && (e->flags & need) == need) {
		mmu->ctr[SOFT_CTR_TLB_ACCESSES]++;
		mmu->ctr[acc == SOFT_ACCESS_FETCH ? SOFT_CTR_L1I_HITS : SOFT_CTR_L1D_HITS]++;
		e->stamp = ++t->clock;
		*hpa = va + e->addend;
		return true;
	}
	return soft_mmu_translate_slow(mmu, va, acc, user, hpa, fault);
}

/* Whether e's rights allow an access of kind acc in mode user (the check
 * of a hit in soft_mmu_translate()). */
SOFT_MMU_HOT bool soft_mmu_entry_allows(const struct soft_mmu *mmu, const struct soft_tlb_entry *e,
					enum soft_access acc, bool user)
{
	unsigned need = mmu->need[acc][user];
	return (e->flags & need) == need;
}

/* A slow translation filled e into the L1 TLB l1 after a miss: tell the
 * CPU (soft_mmu_data_filled()) when it is the data TLB with the hint on
 * 4 KiB pages, where the scan of the CPU's fast path would find it. */
SOFT_MMU_HOT void soft_mmu_note_fill(struct soft_mmu *mmu, const struct soft_tlb *l1,
				     struct soft_tlb_entry *e)
{
	if (l1 == &mmu->dtlb && l1->hint == SOFT_PAGE_4K) {
		mmu->dtlb_filled = e;
		mmu->dtlb_filled_gen = l1->gen;
	}
}

/* The entry the CPU's scan of the L1 data TLB's 4 KiB set would find
 * for va (before any rights check), when the last
 * soft_mmu_translate_slow() of a data access filled the L1 data TLB for
 * va's 4 KiB page after a miss and nothing that
 * changes a lookup happened since: that entry (the only one of its set
 * for va and the current tags, with the hint on 4 KiB pages).  NULL
 * otherwise.  Counts nothing. */
SOFT_MMU_HOT struct soft_tlb_entry *soft_mmu_data_filled(const struct soft_mmu *mmu, uint64_t va)
{
	struct soft_tlb_entry *e = mmu->dtlb_filled;
	if (mmu->dtlb_filled_gen != mmu->dtlb.gen || !e || e->key != soft_tlb_key(va, SOFT_PAGE_4K))
		return NULL;
	return e;
}

/* The CPU's own cache of data lookups depends on something outside the
 * MMU (the host side of a page) that changed: forget it. */
SOFT_MMU_HOT void soft_mmu_lookups_changed(struct soft_mmu *mmu)
{
	mmu->dtlb.gen++;
}

/* What soft_mmu_translate() counts and updates for a data hit on e. */
SOFT_MMU_HOT void soft_mmu_commit_data_hit(struct soft_mmu *mmu, struct soft_tlb_entry *e)
{
	mmu->ctr[SOFT_CTR_TLB_ACCESSES]++;
	mmu->ctr[SOFT_CTR_L1D_HITS]++;
	e->stamp = ++mmu->dtlb.clock;
}

#endif
