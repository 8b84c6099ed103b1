/*
 * shadowpt/shadow.h — the `shadow` memory backend: shadow page tables
 * with a virtualized page-table pointer (docs/shadow.md).
 *
 * The backend is used through its ops table alone, exactly as a plugin
 * would be (memvirt/backend.h); this header adds only what the table does
 * not carry: the guest page-table walk the backend and its tests share
 * (shadow_gwalk), on the SDK's walker.
 */
#ifndef MEMVIRT_SHADOWPT_SHADOW_H
#define MEMVIRT_SHADOWPT_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "memvirt/backend.h"
#include "memvirt/pagetable.h"

extern const struct mv_backend_ops shadow_backend_ops;

/* Entry bits, error codes and rights are memvirt/pagetable.h's (MV_PTE_*,
 * MV_PFEC_*, MV_PT_RIGHT_*); depth d of a walk is its level d. */

/* What the guest's own tables say about one access (no side effects). */
struct shadow_gwalk {
	bool fault;            /* the guest would take #PF: error_code */
	bool phys;             /* a table or entry lies outside the guest's RAM: phys_gpa */
	uint32_t error_code;   /* as the hardware reports it for this access */
	uint64_t phys_gpa;
	unsigned leaf;         /* depth of the leaf: 3 (4 KiB), 2 (2 MiB), 1 (1 GiB) */
	/* Entries read, depth 0 .. leaf (or up to the faulting one). */
	unsigned nread;
	uint64_t entry_gpa[4];
	uint64_t entry[4];
	/* Non-leaf entries that passed (the hardware sets their A bits even
	 * when the walk then faults). */
	unsigned nonleaf_ok;
	uint8_t acc;           /* MV_PT_RIGHT_* over every level, leaf included */
	uint64_t gpa;          /* the translation */
};

struct shadow_gaccess {
	bool write, fetch, user;
	bool wp;               /* CR0.WP */
	bool nxe;              /* EFER.NXE */
};

/* Walk the guest's 4-level tables rooted at cr3 for va over guest RAM
 * [ram, ram + mem_size) (GPA 0 at ram), with the SDK's walker that the
 * soft MMU uses too (memvirt/pagetable.h): reserved bits, rights and error
 * codes are the hardware's.  Reads only. */
void shadow_gwalk(const uint8_t *ram, uint64_t mem_size, uint64_t cr3, uint64_t va,
		  const struct shadow_gaccess *a, struct shadow_gwalk *w);

/* The A (and D for a write) bits the hardware would have set for walk w:
 * every non-leaf entry that passed, and on success the leaf.  Writes them
 * into guest RAM. */
void shadow_gwalk_set_ad(uint8_t *ram, const struct shadow_gwalk *w, bool write);

#endif
