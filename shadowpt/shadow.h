/*
 * shadowpt/shadow.h — the `shadow` memory backend: shadow page tables
 * with a virtualized page-table pointer (docs/shadow.md).
 *
 * The backend is used through its ops table alone, exactly as a plugin
 * would be (memvirt/backend.h); this header adds only what the table does
 * not carry: the guest page-table walker the backend and its tests share
 * (shadow_gwalk), and the x86 page-table entry bits they both use.
 */
#ifndef MEMVIRT_SHADOWPT_SHADOW_H
#define MEMVIRT_SHADOWPT_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "memvirt/backend.h"

extern const struct mv_backend_ops shadow_backend_ops;

/* Long-mode page-table entry bits (SDM vol. 3, 4.5). */
#define SHADOW_PTE_P    (UINT64_C(1) << 0)
#define SHADOW_PTE_W    (UINT64_C(1) << 1)
#define SHADOW_PTE_U    (UINT64_C(1) << 2)
#define SHADOW_PTE_A    (UINT64_C(1) << 5)
#define SHADOW_PTE_D    (UINT64_C(1) << 6)
#define SHADOW_PTE_PS   (UINT64_C(1) << 7)
#define SHADOW_PTE_G    (UINT64_C(1) << 8)
#define SHADOW_PTE_NX   (UINT64_C(1) << 63)
#define SHADOW_PTE_ADDR UINT64_C(0x000ffffffffff000)
/* Bits 51..48 are reserved: the modelled CPU has 48 physical-address bits. */
#define SHADOW_PTE_PHYS_HI UINT64_C(0x000f000000000000)

/* #PF error-code bits. */
#define SHADOW_PFEC_P    (1u << 0)
#define SHADOW_PFEC_W    (1u << 1)
#define SHADOW_PFEC_U    (1u << 2)
#define SHADOW_PFEC_RSVD (1u << 3)
#define SHADOW_PFEC_ID   (1u << 4)

/* Rights accumulated over the levels of a walk. */
#define SHADOW_ACC_W 1u
#define SHADOW_ACC_U 2u
#define SHADOW_ACC_X 4u

/* Index shift of each depth: depth 0 is the PML4, depth 3 the page table. */
#define SHADOW_SHIFT(depth) (39u - 9u * (unsigned)(depth))

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
	uint8_t acc;           /* SHADOW_ACC_* over every level, leaf included */
	uint64_t gpa;          /* the translation */
};

struct shadow_gaccess {
	bool write, fetch, user;
	bool wp;               /* CR0.WP */
	bool nxe;              /* EFER.NXE */
};

/* Walk the guest's 4-level tables rooted at cr3 for va over guest RAM
 * [ram, ram + mem_size) (GPA 0 at ram).  Mirrors the soft MMU's walk
 * (vcpu/soft/walk.c): reserved bits, rights, error codes.  Reads only. */
void shadow_gwalk(const uint8_t *ram, uint64_t mem_size, uint64_t cr3, uint64_t va,
		  const struct shadow_gaccess *a, struct shadow_gwalk *w);

/* The A (and D for a write) bits the hardware would have set for walk w:
 * every non-leaf entry that passed, and on success the leaf.  Writes them
 * into guest RAM. */
void shadow_gwalk_set_ad(uint8_t *ram, const struct shadow_gwalk *w, bool write);

#endif
