/*
 * vcpu/soft/miss.h — the soft MMU's common TLB miss in one pass: a 4 KiB
 * page of a guest without nested paging, found in the L2 TLB or through
 * page tables that need no A/D write-back and raise no fault.  Internal
 * to the MMU (mmu.c calls it first on its slow path).
 *
 * It decides before it changes anything: either it does exactly what the
 * generic slow path (soft_mmu_translate_slow() in mmu.c with the walker
 * in walk.c) would do for that access — every counter, LRU stamp, fill,
 * page-walk-cache lookup and fill — and returns true, or it changes
 * nothing and returns false, and the generic path runs.  tests/mmu
 * (mmu-miss) holds the two to each other on random tables and accesses.
 */
#ifndef MEMVIRT_VCPU_SOFT_MISS_H
#define MEMVIRT_VCPU_SOFT_MISS_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/soft/mmu_internal.h"

/* The translation of va for (acc, user) after the L1 lookup of the
 * inline path missed, with paging on: true with *hpa when taken here. */
bool soft_miss_fast(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		    uint64_t *hpa);

#endif
