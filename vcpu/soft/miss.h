/*
 * vcpu/soft/miss.h — the soft MMU's common TLB miss in one pass: a 4 KiB
 * page of a guest without nested paging, found in the L2 TLB or through
 * page tables that need no A/D write-back and raise no fault.  Internal
 * to the soft engine: mmu.c calls it first on its slow path, and the CPU's
 * data path (soft_host_ptr_fill() in cpu_exec.c) enters it directly
 * after its own L1 scan missed, so that a data miss scans L1 once.
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

/* The same for a data access whose scan of the L1 data TLB's 4 KiB set
 * (soft_tlb_scan_set_4k()) found nothing and chose l1_fill, with the
 * checks of soft_mmu_translate_slow() before it (paging on, the one-pass
 * miss not turned off), and one of the CPU's: a write to a machine page
 * whose bit is set in write_veto (a bit per machine page, bit p % 64 of
 * word p / 64) is left to the generic path.  The L1 entry filled, with
 * *hpa; NULL with nothing counted or changed when not taken here. */
struct soft_tlb_entry *soft_miss_data(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
				      bool user, struct soft_tlb_entry *l1_fill,
				      const uint64_t *write_veto, uint64_t *hpa);

#endif
