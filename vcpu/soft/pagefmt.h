/*
 * vcpu/soft/pagefmt.h — page-table format descriptions for the one walker
 * in walk.c: levels, index shifts, which levels may map a large page, the
 * entry bits and the reserved-bit masks.  A format is data, not code: the
 * guest's long-mode tables and AMD NPT nested tables are two descriptions
 * of the same layout that differ only in how accesses are checked.
 */
#ifndef MEMVIRT_VCPU_SOFT_PAGEFMT_H
#define MEMVIRT_VCPU_SOFT_PAGEFMT_H

#include <stdbool.h>
#include <stdint.h>

#define SOFT_PT_MAX_LEVELS 4

struct soft_pt_level {
	bool large_ok;        /* the PS bit makes this entry a leaf */
	uint64_t rsvd_table;  /* reserved bits in a non-leaf entry (or the last level's leaf) */
	uint64_t rsvd_large;  /* reserved bits in a PS=1 leaf */
};

struct soft_pt_format {
	const char *name;
	unsigned levels;                      /* level[0] is the root table */
	struct soft_pt_level level[SOFT_PT_MAX_LEVELS];
	uint8_t shift[SOFT_PT_MAX_LEVELS];    /* address bits below this level's index */
	unsigned index_bits;                  /* 9: 512 entries of 8 bytes per table */
	uint64_t addr_mask;                   /* next-table / frame address in an entry */
	uint64_t bit_p, bit_rw, bit_us, bit_a, bit_d, bit_ps, bit_g, bit_nx;
	/* Every access is checked as a user access, so U/S must be set on
	 * every level (AMD NPT); G is ignored. */
	bool user_only;
};

/* x86-64 4-level paging as the guest uses it (CR3 -> PML4). */
extern const struct soft_pt_format soft_pt_long4;
/* AMD NPT nested tables (nCR3 -> PML4 of GPA -> HPA). */
extern const struct soft_pt_format soft_pt_npt;

#endif
