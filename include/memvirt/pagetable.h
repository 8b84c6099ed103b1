/*
 * memvirt/pagetable.h — the x86-64 page-table formats and the one walker
 * that reads them.  Part of the plugin SDK: the soft engine's MMU, the
 * shadow and ept backends, the boot tables and plugins all use these
 * definitions, so that an entry bit, a reserved-bit rule or an error code
 * is written down once (SDM vol. 3 ch. 4; AMD APM vol. 2 15.25 for NPT).
 *
 * A format is data, not code: long-mode guest tables and AMD NPT nested
 * tables are two descriptions of one layout that differ in how accesses
 * are checked.  The walker is a static inline function driven by a format
 * and by the caller's callbacks (where an entry lives, how it is read and
 * written back), so that each user gets it compiled for its own memory
 * and its hot path stays free of indirect calls.
 */
#ifndef MEMVIRT_PAGETABLE_H
#define MEMVIRT_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- entry bits (both formats) ---- */
#define MV_PTE_P    (UINT64_C(1) << 0)
#define MV_PTE_W    (UINT64_C(1) << 1)
#define MV_PTE_U    (UINT64_C(1) << 2)
#define MV_PTE_PWT  (UINT64_C(1) << 3)
#define MV_PTE_PCD  (UINT64_C(1) << 4)
#define MV_PTE_A    (UINT64_C(1) << 5)
#define MV_PTE_D    (UINT64_C(1) << 6)
#define MV_PTE_PS   (UINT64_C(1) << 7)
#define MV_PTE_G    (UINT64_C(1) << 8)
#define MV_PTE_NX   (UINT64_C(1) << 63)
/* The next table or the frame: bits 51..12. */
#define MV_PTE_ADDR UINT64_C(0x000ffffffffff000)
/* The modelled CPU has 48 physical-address bits (CPUID 0x80000008 says
 * so): bits 51..48 of an entry are reserved. */
#define MV_PT_MAXPHYADDR 48
#define MV_PTE_PHYS_HI UINT64_C(0x000f000000000000)

#define MV_PT_LEVELS 4
#define MV_PT_ENTRIES 512u
/* Address bits below the index of level `l` (0 = PML4 ... 3 = page table). */
#define MV_PT_SHIFT(l) (39u - 9u * (unsigned)(l))

/* ---- control registers that decide how the tables are read ---- */
#define MV_CR0_PE    (UINT64_C(1) << 0)
#define MV_CR0_WP    (UINT64_C(1) << 16)
#define MV_CR0_PG    (UINT64_C(1) << 31)
#define MV_CR4_PAE   (UINT64_C(1) << 5)
#define MV_CR4_PGE   (UINT64_C(1) << 7)
#define MV_CR4_PCIDE (UINT64_C(1) << 17)
#define MV_EFER_SCE  (UINT64_C(1) << 0)
#define MV_EFER_LME  (UINT64_C(1) << 8)
#define MV_EFER_LMA  (UINT64_C(1) << 10)
#define MV_EFER_NXE  (UINT64_C(1) << 11)
/* CR3: with CR4.PCIDE the low 12 bits are the PCID and bit 63 of a MOV
 * to CR3 asks for no flush. */
#define MV_CR3_PCID    UINT64_C(0xfff)
#define MV_CR3_NOFLUSH (UINT64_C(1) << 63)

/* ---- #PF / NPF error-code bits (SDM 4.7, APM 15.25.6) ---- */
#define MV_PFEC_P    (1u << 0)  /* a protection violation (0: not present) */
#define MV_PFEC_W    (1u << 1)  /* the access was a write */
#define MV_PFEC_U    (1u << 2)  /* a user-mode access (always set for NPF) */
#define MV_PFEC_RSVD (1u << 3)  /* a reserved bit was set in an entry */
#define MV_PFEC_ID   (1u << 4)  /* an instruction fetch (reported with EFER.NXE) */

/* Rights accumulated over the levels of a walk. */
#define MV_PT_RIGHT_W 1u
#define MV_PT_RIGHT_U 2u
#define MV_PT_RIGHT_X 4u
#define MV_PT_RIGHTS_ALL (MV_PT_RIGHT_W | MV_PT_RIGHT_U | MV_PT_RIGHT_X)

/* ---- formats ---- */
struct mv_pt_level {
	bool large_ok;        /* the PS bit makes this entry a leaf */
	uint64_t rsvd_table;  /* reserved bits in a non-leaf entry (or the last level's leaf) */
	uint64_t rsvd_large;  /* reserved bits in a PS=1 leaf */
};

struct mv_pt_format {
	const char *name;
	unsigned levels;                       /* level[0] is the root table */
	struct mv_pt_level level[MV_PT_LEVELS];
	/* Every access is checked as a user access, so U/S must be set on
	 * every level, and the error code always has U (AMD NPT); G is
	 * ignored. */
	bool user_only;
	bool has_global;
};

#define MV_PT_BITS(hi, lo) ((((UINT64_C(1) << ((hi) - (lo) + 1)) - 1)) << (lo))

/* x86-64 4-level paging as a guest uses it (CR3 -> PML4). */
static const struct mv_pt_format mv_pt_long4 = {
	.name = "long4",
	.levels = 4,
	.level = {
		/* PML4E: PS is reserved. */
		[0] = {.large_ok = false, .rsvd_table = MV_PTE_PHYS_HI | MV_PTE_PS},
		/* PDPTE: PS=1 maps 1 GiB; bits 29:13 of its address must be 0. */
		[1] = {.large_ok = true, .rsvd_table = MV_PTE_PHYS_HI, .rsvd_large = MV_PTE_PHYS_HI | MV_PT_BITS(29, 13)},
		/* PDE: PS=1 maps 2 MiB; bits 20:13 must be 0. */
		[2] = {.large_ok = true, .rsvd_table = MV_PTE_PHYS_HI, .rsvd_large = MV_PTE_PHYS_HI | MV_PT_BITS(20, 13)},
		/* PTE: bit 7 is PAT, not PS. */
		[3] = {.large_ok = false, .rsvd_table = MV_PTE_PHYS_HI},
	},
	.user_only = false,
	.has_global = true,
};

/* AMD NPT nested tables (nCR3 -> PML4 of GPA -> HPA). */
static const struct mv_pt_format mv_pt_npt = {
	.name = "npt",
	.levels = 4,
	.level = {
		[0] = {.large_ok = false, .rsvd_table = MV_PTE_PHYS_HI | MV_PTE_PS},
		[1] = {.large_ok = true, .rsvd_table = MV_PTE_PHYS_HI, .rsvd_large = MV_PTE_PHYS_HI | MV_PT_BITS(29, 13)},
		[2] = {.large_ok = true, .rsvd_table = MV_PTE_PHYS_HI, .rsvd_large = MV_PTE_PHYS_HI | MV_PT_BITS(20, 13)},
		[3] = {.large_ok = false, .rsvd_table = MV_PTE_PHYS_HI},
	},
	.user_only = true,
	.has_global = false,
};

/* ---- the walker ---- */

/* The access a walk checks. */
struct mv_pt_access {
	bool write, fetch, user;
	bool wp;     /* CR0.WP: supervisor writes honour R/W */
	bool nxe;    /* EFER.NXE: NX is a right (else a reserved bit) */
};

/*
 * The caller's memory, in callbacks the inlined walker calls directly:
 *
 * read: the entry `index` of the table at `table` (the format's address
 *   space: a GPA for guest tables, an HPA for nested ones), at level
 *   `level`.  Stores where it lives (the caller's handle for write) and
 *   its value; returns false to stop the walk (the caller recorded why:
 *   the table lies outside memory, its own translation faulted).
 * write: optional (NULL: the walk only reads); store `entry` back at
 *   `where` (accessed and dirty bits), in the walk's order: every
 *   non-leaf entry as it is passed, the leaf once the access is allowed.
 * descend: optional; a non-leaf entry at `level` passed with the rights
 *   `rights` accumulated so far, the next table is at `next`.
 */
struct mv_pt_walk_ops {
	bool (*read)(void *ctx, unsigned level, uint64_t table, uint64_t index, uint64_t *where,
		     uint64_t *entry);
	void (*write)(void *ctx, uint64_t where, uint64_t entry);
	void (*descend)(void *ctx, unsigned level, uint64_t next, uint8_t rights);
};

/* Where a walk begins: the root table at level 0, or a table further
 * down with the rights of the levels above (a page-walk cache hit). */
struct mv_pt_walk_start {
	uint64_t table;
	unsigned level;
	uint8_t rights;
};

enum mv_pt_walk_status {
	MV_PT_WALK_OK = 0,
	MV_PT_WALK_FAULT,     /* the access faults: error_code says how */
	MV_PT_WALK_STOPPED,   /* read() stopped it */
};

struct mv_pt_walk {
	enum mv_pt_walk_status status;
	uint32_t error_code;   /* FAULT: MV_PFEC_* for this access */
	unsigned level;        /* the leaf, or the level it faulted or stopped at */
	uint64_t out;          /* OK: the translated address */
	unsigned page_shift;   /* OK: 12, 21 or 30 */
	uint8_t rights;        /* MV_PT_RIGHT_* over every level walked */
	bool dirty;            /* OK: the leaf's D (after any write-back) */
	bool global;           /* OK: the leaf's G (the format has one; CR4.PGE is the caller's) */
	/* Entries read, from the start level on. */
	unsigned nread;
	uint64_t where[MV_PT_LEVELS];
	uint64_t entry[MV_PT_LEVELS];
	/* Non-leaf entries that passed: levels start .. nonleaf_end - 1 (the
	 * hardware sets their A bits even when the walk then faults). */
	unsigned nonleaf_end;
};

static inline uint32_t mv_pt_error_code(const struct mv_pt_format *fmt, const struct mv_pt_access *a,
					uint32_t why)
{
	uint32_t ec = why;

	if (a->write)
		ec |= MV_PFEC_W;
	if (a->user || fmt->user_only)
		ec |= MV_PFEC_U;
	/* SDM 4.7: I/D is reported only with NXE (SMEP is not modelled). */
	if (a->fetch && a->nxe)
		ec |= MV_PFEC_ID;
	return ec;
}

/* Walk fmt's tables for `addr`.  Returns true for MV_PT_WALK_OK. */
static inline __attribute__((always_inline)) bool
mv_pt_walk(const struct mv_pt_format *fmt, const struct mv_pt_walk_ops *ops, void *ctx,
	   const struct mv_pt_walk_start *start, uint64_t addr, const struct mv_pt_access *a,
	   struct mv_pt_walk *w)
{
	uint64_t table = start->table & MV_PTE_ADDR;
	uint8_t rights = start->rights;

	w->nread = 0;
	w->nonleaf_end = start->level;
	for (unsigned i = start->level; i < fmt->levels; i++) {
		const struct mv_pt_level *lvl = &fmt->level[i];
		uint64_t where, pte;

		w->level = i;
		if (!ops->read(ctx, i, table, (addr >> MV_PT_SHIFT(i)) & (MV_PT_ENTRIES - 1), &where, &pte)) {
			w->status = MV_PT_WALK_STOPPED;
			w->rights = rights;
			return false;
		}
		w->where[w->nread] = where;
		w->entry[w->nread] = pte;
		w->nread++;
		if (!(pte & MV_PTE_P))
			goto fault_np;
		bool last = i + 1 == fmt->levels;
		bool leaf = last || (lvl->large_ok && (pte & MV_PTE_PS));
		uint64_t rsvd = leaf && !last ? lvl->rsvd_large : lvl->rsvd_table;

		if (!a->nxe)
			rsvd |= MV_PTE_NX;
		if (pte & rsvd) {
			w->status = MV_PT_WALK_FAULT;
			w->error_code = mv_pt_error_code(fmt, a, MV_PFEC_P | MV_PFEC_RSVD);
			w->rights = rights;
			return false;
		}
		if (!(pte & MV_PTE_W))
			rights &= (uint8_t)~MV_PT_RIGHT_W;
		if (!(pte & MV_PTE_U))
			rights &= (uint8_t)~MV_PT_RIGHT_U;
		if (a->nxe && (pte & MV_PTE_NX))
			rights &= (uint8_t)~MV_PT_RIGHT_X;
		if (!leaf) {
			w->nonleaf_end = i + 1;
			if (ops->write && !(pte & MV_PTE_A))
				ops->write(ctx, where, pte | MV_PTE_A);
			table = pte & MV_PTE_ADDR;
			if (ops->descend)
				ops->descend(ctx, i, table, rights);
			continue;
		}
		/* Rights: SDM 4.6.  Supervisor writes ignore R/W when CR0.WP=0;
		 * supervisor fetches from user pages are allowed (no SMEP). */
		bool user = a->user || fmt->user_only;

		w->rights = rights;
		if ((user && !(rights & MV_PT_RIGHT_U)) ||
		    (a->write && !(rights & MV_PT_RIGHT_W) && (user || a->wp)) ||
		    (a->fetch && !(rights & MV_PT_RIGHT_X))) {
			w->status = MV_PT_WALK_FAULT;
			w->error_code = mv_pt_error_code(fmt, a, MV_PFEC_P);
			return false;
		}
		uint64_t set = MV_PTE_A | (a->write ? MV_PTE_D : 0);

		if (ops->write && (pte & set) != set) {
			pte |= set;
			ops->write(ctx, where, pte);
		}
		uint64_t page_mask = (UINT64_C(1) << MV_PT_SHIFT(i)) - 1;

		w->status = MV_PT_WALK_OK;
		w->page_shift = MV_PT_SHIFT(i);
		w->out = ((pte & MV_PTE_ADDR) & ~page_mask) | (addr & page_mask);
		w->dirty = (pte & MV_PTE_D) != 0;
		w->global = fmt->has_global && (pte & MV_PTE_G);
		return true;
	}
fault_np:
	w->status = MV_PT_WALK_FAULT;
	w->error_code = mv_pt_error_code(fmt, a, 0);
	w->rights = rights;
	return false;
}

#endif
