/*
 * vcpu/soft/tlb.h — the TLB arrays and the page-walk cache of the soft
 * MMU: allocation, fill with replacement, invalidation by page and by tag.
 * Internal to the MMU (mmu.c, walk.c); the layout is in mmu_internal.h.
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

/*
 * soft_tlb_find() for the slow path, which fills the same TLB when it
 * finds nothing: while the hint is on 4 KiB pages, the probe of the 4 KiB
 * set also notes which way soft_tlb_insert() would choose there for a
 * 4 KiB fill with the current tags (the first invalid way, else with LRU
 * the least recently used one), so that the fill does not scan the set
 * again.  *fill is NULL when it has not been chosen (another hint, or
 * every way valid under random replacement: the victim is drawn at the
 * fill, in the generator's order).  A fill with other tags, of another
 * size, or after the TLB changed must use soft_tlb_insert().
 */
static inline struct soft_tlb_entry *soft_tlb_find_fill(struct soft_tlb *t,
							 const struct soft_mmu *mmu, uint64_t va,
							 struct soft_tlb_entry **fill)
{
	*fill = NULL;
	if (t->hint != SOFT_PAGE_4K)
		return soft_tlb_find(t, mmu, va);

	const uint64_t key = soft_tlb_key(va, SOFT_PAGE_4K);
	struct soft_tlb_entry *set = t->e + (((va >> 12) & t->set_mask) << t->way_shift);
	struct soft_tlb_entry *invalid = NULL, *oldest = &set[0];
	for (unsigned w = 0; w < t->ways; w++) {
		struct soft_tlb_entry *e = &set[w];
		if (e->key == key && e->asid == mmu->cur_asid &&
		    (e->pcid == mmu->cur_pcid || (e->flags & SOFT_TLBF_G)))
			return e;
		/* No entry here has the key and the current tags (it would have
		 * matched): soft_tlb_insert()'s "same entry" cannot exist. */
		if (e->key == 0) {
			if (!invalid)
				invalid = e;
		} else if (e->stamp < oldest->stamp) {
			oldest = e;
		}
	}
	for (unsigned s = SOFT_PAGE_2M; s < SOFT_PAGE__COUNT; s++) {
		if (!t->nlarge[s])
			continue;
		struct soft_tlb_entry *e = soft_tlb_probe(t, mmu, va, s);
		if (e) {
			t->hint = s;
			t->gen++;
			return e;
		}
	}
	*fill = invalid ? invalid : mmu->cfg.repl == SOFT_TLB_LRU ? oldest : NULL;
	return NULL;
}

/* A 4 KiB fill of va into the way soft_tlb_find_fill() chose. */
struct soft_tlb_entry *soft_tlb_fill_at(struct soft_tlb *t, struct soft_tlb_entry *victim,
					 uint64_t va, uint64_t hpa, uint32_t asid, uint16_t pcid,
					 uint16_t flags);

/* Drop the entries of every size that contain va for (asid, pcid), and
 * the global ones of asid; returns how many. */
unsigned soft_tlb_invalidate_page(struct soft_tlb *t, uint64_t va, uint32_t asid, uint16_t pcid);
/* Drop the entries the filter selects; returns how many. */
unsigned soft_tlb_flush(struct soft_tlb *t, const struct soft_tlb_filter *f);

/* Deepest page-walk-cache entry for va and the current tags, or NULL. */
struct soft_pwc_entry *soft_pwc_find(struct soft_mmu *mmu, uint64_t va, const uint8_t *shifts,
				     unsigned max_level);
void soft_pwc_insert(struct soft_mmu *mmu, unsigned level, uint64_t prefix, uint64_t next_hpa,
		     uint16_t flags);
unsigned soft_pwc_flush(struct soft_mmu *mmu, const struct soft_tlb_filter *f);

/* The MMU's seeded generator (xorshift64*): deterministic per seed. */
uint64_t soft_mmu_rand(struct soft_mmu *mmu);

#endif
