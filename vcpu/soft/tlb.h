/*
 * vcpu/soft/tlb.h — the TLB arrays and the page-walk cache of the soft
 * MMU: allocation, fill with replacement, invalidation by page and by tag.
 * Internal to the MMU (mmu.c, walk.c, miss.c) and the CPU's data path
 * (cpu_exec.c scans the L1 data TLB's set); the layout is in mmu_internal.h.
 */
#ifndef MEMVIRT_VCPU_SOFT_TLB_H
#define MEMVIRT_VCPU_SOFT_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/soft/mmu_internal.h"

/* Which entries a flush drops. */
struct soft_tlb_filter {
	bool any_asid, any_pcid;
	uint32_t asid;
	uint16_t pcid;
	bool keep_global;      /* spare global entries */
	uint64_t key;          /* nonzero: only entries with this key (page, size) */
};

/* entries == 0 leaves t empty (t->e == NULL).  Returns 0 or -ENOMEM. */
int soft_tlb_init(struct soft_tlb *t, unsigned entries, unsigned ways);
void soft_tlb_free(struct soft_tlb *t);

/* Fill: replaces an entry with the same key and tags if there is one,
 * else an invalid way, else the victim the replacement policy picks. */
struct soft_tlb_entry *soft_tlb_insert(struct soft_tlb *t, struct soft_mmu *mmu, uint64_t va,
				       unsigned size, uint64_t hpa, uint32_t asid, uint16_t pcid,
				       uint16_t flags);

/* The probe of soft_tlb_find_fill() over one 4 KiB set of ways entries
 * (a constant where inlined, so that the loop unrolls): the entry that
 * matches, or NULL with *first_least the first of the least stamps. */
SOFT_MMU_HOT struct soft_tlb_entry *soft_tlb_scan_4k(struct soft_tlb_entry *set, unsigned ways,
						     const struct soft_mmu *mmu, uint64_t key,
						     struct soft_tlb_entry **first_least)
{
	struct soft_tlb_entry *least = set;
	uint64_t least_stamp = set->stamp;
	const uint32_t asid = mmu->cur_asid;
	const uint16_t pcid = mmu->cur_pcid;
#pragma GCC unroll 8
	for (unsigned w = 0; w < ways; w++) {
		struct soft_tlb_entry *e = &set[w];
		if (__builtin_expect(e->key == key, 0) && e->asid == asid &&
		    (e->pcid == pcid || (e->flags & SOFT_TLBF_G)))
			return e;
		const uint64_t stamp = e->stamp;
		least = stamp < least_stamp ? e : least;
		least_stamp = stamp < least_stamp ? stamp : least_stamp;
	}
	*first_least = least;
	return NULL;
}

/* soft_tlb_scan_4k() over va's 4 KiB set of t, the default geometry's
 * ways (4 for L1, 8 for L2) unrolled. */
SOFT_MMU_HOT struct soft_tlb_entry *soft_tlb_scan_set_4k(struct soft_tlb *t,
							  const struct soft_mmu *mmu, uint64_t va,
							  struct soft_tlb_entry **least)
{
	const uint64_t key = soft_tlb_key(va, SOFT_PAGE_4K);
	struct soft_tlb_entry *set = t->e + (((va >> 12) & t->set_mask) << t->way_shift);
	if (t->ways == 4)
		return soft_tlb_scan_4k(set, 4, mmu, key, least);
	if (t->ways == 8)
		return soft_tlb_scan_4k(set, 8, mmu, key, least);
	return soft_tlb_scan_4k(set, t->ways, mmu, key, least);
}

/*
 * soft_tlb_find() for the slow path, which fills the same TLB when it
 * finds nothing: while the hint is on 4 KiB pages, the probe of the 4 KiB
 * set also notes which way soft_tlb_insert() would choose there for a
 * 4 KiB fill with the current tags (the first invalid way, else with LRU
 * the least recently used one: the first of the least stamps either way),
 * so that the fill does not scan the set again.  No entry of the set has
 * the key and the current tags (it would have matched), so the "same
 * entry" soft_tlb_insert() looks for first is not there.  *fill is NULL
 * when it has not been chosen (another hint, or every way valid under
 * random replacement: the victim is drawn at the fill, in the
 * generator's order).  A fill with other tags, of another size, or after
 * the TLB changed must use soft_tlb_insert().
 */
SOFT_MMU_HOT struct soft_tlb_entry *soft_tlb_find_fill(struct soft_tlb *t,
							const struct soft_mmu *mmu, uint64_t va,
							struct soft_tlb_entry **fill)
{
	*fill = NULL;
	if (t->hint != SOFT_PAGE_4K)
		return soft_tlb_find(t, mmu, va);

	struct soft_tlb_entry *least, *e = soft_tlb_scan_set_4k(t, mmu, va, &least);
	if (e)
		return e;
	if ((e = soft_tlb_find_off_hint(t, mmu, va, SOFT_PAGE_2M)))
		return e;
	if (least->stamp == 0 || mmu->cfg.repl == SOFT_TLB_LRU)
		*fill = least;
	return NULL;
}

/* Fill the way chosen (the last step of soft_tlb_insert()). */
static inline struct soft_tlb_entry *soft_tlb_place(struct soft_tlb *t,
						     struct soft_tlb_entry *victim, uint64_t key,
						     unsigned size, uint64_t hpa, uint32_t asid,
						     uint16_t pcid, uint16_t flags)
{
	if (victim->key) {
		unsigned old = (unsigned)(victim->key >> 1) & 3;
		if (old != SOFT_PAGE_4K)
			t->nlarge[old]--;
	}
	*victim = (struct soft_tlb_entry){
		.key = key,
		.addend = hpa - (key & ~UINT64_C(0xfff)),
		.stamp = ++t->clock,
		.asid = asid,
		.pcid = pcid,
		.flags = flags,
	};
	if (size != SOFT_PAGE_4K)
		t->nlarge[size]++;
	/* One move for the drop and the fill: nothing looks in between. */
	t->gen++;
	return victim;
}

/* A 4 KiB fill of va into the way soft_tlb_find_fill() chose. */
static inline struct soft_tlb_entry *soft_tlb_fill_at(struct soft_tlb *t,
						       struct soft_tlb_entry *victim, uint64_t va,
						       uint64_t hpa, uint32_t asid, uint16_t pcid,
						       uint16_t flags)
{
	return soft_tlb_place(t, victim, soft_tlb_key(va, SOFT_PAGE_4K), SOFT_PAGE_4K, hpa, asid,
			      pcid, flags);
}

/* Drop the entries of every size that contain va for (asid, pcid), and
 * the global ones of asid; returns how many. */
unsigned soft_tlb_invalidate_page(struct soft_tlb *t, uint64_t va, uint32_t asid, uint16_t pcid);
/* Drop the entries the filter selects; returns how many. */
unsigned soft_tlb_flush(struct soft_tlb *t, const struct soft_tlb_filter *f);

/* The page-walk cache's index (soft_mmu.pwc_head), empty: 0, or -ENOMEM. */
int soft_pwc_index_init(struct soft_mmu *mmu);
/* The index of the deepest page-walk-cache entry for va and the current
 * tags, or -1; counts and stamps nothing. */
int soft_pwc_lookup(const struct soft_mmu *mmu, uint64_t va, const uint8_t *shifts,
		    unsigned max_level);
/* Deepest page-walk-cache entry for va and the current tags, or NULL;
 * stamped as used. */
struct soft_pwc_entry *soft_pwc_find(struct soft_mmu *mmu, uint64_t va, const uint8_t *shifts,
				     unsigned max_level);
void soft_pwc_insert(struct soft_mmu *mmu, unsigned level, uint64_t prefix, uint64_t next_hpa,
		     uint16_t flags);
unsigned soft_pwc_flush(struct soft_mmu *mmu, const struct soft_tlb_filter *f);

/* The MMU's seeded generator (xorshift64*): deterministic per seed. */
uint64_t soft_mmu_rand(struct soft_mmu *mmu);

#endif
