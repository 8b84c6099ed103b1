/*
 * vcpu/soft/walk.h — the page-table walker of the soft MMU: one loop
 * driven by a format of memvirt/pagetable.h, used for the guest dimension (tables
 * at guest-physical addresses, relocated or translated through the nested
 * tables) and for the nested dimension (tables at machine addresses).
 * Internal to the MMU.
 */
#ifndef MEMVIRT_VCPU_SOFT_WALK_H
#define MEMVIRT_VCPU_SOFT_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/soft/mmu_internal.h"

struct soft_walk_result {
	uint64_t out;     /* translated address (GPA for guest, HPA for nested) */
	unsigned size;    /* enum soft_page_size of the leaf */
	uint16_t flags;   /* SOFT_TLBF_W/U/X/D/G as the tables say after the walk */
};

/* Guest dimension: va -> GPA with the current CR3.  commit: count
 * references, write A/D bits, use and fill the page-walk cache; without
 * it the walk only reads. */
bool soft_walk_guest(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		     bool commit, struct soft_walk_result *res, struct soft_fault *fault);

/* Nested dimension: gpa -> HPA with ncr3, checked as a user access of
 * kind acc.  table: the GPA is a guest page-table address (reported in
 * fault->npf_table).  gva: for fault reports. */
bool soft_walk_nested(struct soft_mmu *mmu, uint64_t gpa, enum soft_access acc, bool table,
		      uint64_t gva, bool commit, struct soft_walk_result *res,
		      struct soft_fault *fault);

/* The full translation of va to a machine page: the guest walk, then the
 * final GPA through the nested tables or the relocation.  Out: the
 * machine address, and the TLB entry to fill (VA page size, machine page
 * base, flags).  commit as for soft_walk_guest(). */
bool soft_walk_full(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		    bool commit, uint64_t *hpa, unsigned *size_out, uint64_t *hpa_page,
		    uint16_t *flags_out, struct soft_fault *f);

/* Non-nested relocation of [gpa, gpa + len): the HPA, or false when it
 * is not inside the VM's memory.  Inline: every walk without nested
 * paging relocates each table entry it reads. */
static inline bool soft_walk_reloc(const struct soft_mmu *mmu, uint64_t gpa, uint64_t len,
				   uint64_t *hpa)
{
	if (gpa >= mmu->gpa_limit || len > mmu->gpa_limit - gpa)
		return false;
	*hpa = gpa + mmu->regs.phys_base;
	return true;
}

#endif
