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
