/*
 * shadowpt/shadow.c — the `shadow` backend: shadow page tables (GVA ->
 * HPA) built by the VMM from the guest's tables (GVA -> GPA) and its own
 * GPA -> HPA map, with the guest's CR3 virtualized.  docs/shadow.md tells
 * the whole story; the short version:
 *
 * - Guest CR3 writes and reads, INVLPG and #PF exit.  Each guest address
 *   space (CR3, with its PCID) has a shadow root in a per-VM cache of
 *   `cache=N` roots, evicted LRU; an evicted root's tree is zapped.
 * - Shadow entries are built lazily on hidden faults by walking the guest
 *   tables.  A #PF the guest tables explain is a true fault and is
 *   reflected with the error code and CR2 the hardware would have given.
 * - A shadow page (struct sp) shadows one guest table as reached through
 *   one path of one root (no sharing), so a shadow leaf carries the rights
 *   of the whole guest path: non-leaf shadow entries are P|W|U, the leaf
 *   has W only if every guest level allows it, U likewise, NX if any
 *   level has NX.  Guest large pages are shadowed with 4 KiB entries in
 *   "direct" shadow pages that have no guest table behind them.
 * - A guest page that holds a shadowed guest table is write-protected in
 *   every shadow leaf that maps it (reverse map per guest frame).  A guest
 *   write to it faults; sync=wp emulates it by letting the guest run one
 *   instruction with the page writable (hw->single_step), diffs the page
 *   against a snapshot and propagates each changed entry.  sync=oos lets a
 *   leaf table go out of sync instead (writable) and resyncs it on CR3
 *   writes and INVLPG.
 * - Accessed/dirty bits: a shadow leaf exists only while the guest leaf
 *   has A set (set when the leaf is built, as the hardware would), and is
 *   writable only while the guest leaf has D set (set on the first write,
 *   which faults because the leaf was built read-only).
 *
 * Invariants (checked after every change with check=1, see check_sp()):
 * each present shadow leaf of an in-sync table maps exactly the guest
 * translation composed with GPA -> HPA, with rights no wider than the
 * guest's and W only with the guest's D set and the frame not a shadowed
 * guest table; every shadow leaf maps inside the VM's RAM; every non-leaf
 * shadow entry points at a live shadow page of this VM.  Freed shadow
 * frames may still be referenced by the TLB's page-walk cache, so any
 * zap is followed by a full TLB flush before the guest runs again.
 */
#include "shadowpt/shadow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
/* An appended struct mv_hw service the VMM offers (memvirt/backend.h). */
#define HW_HAS(hw, f) ((hw)->size >= offsetof(struct mv_hw, f) + sizeof((hw)->f) && (hw)->f)
#define PAGE 4096u
#define ENTRIES MV_PT_ENTRIES
/* A non-leaf shadow entry: the rights live in the leaves. */
#define NONLEAF_BITS (MV_PTE_P | MV_PTE_W | MV_PTE_U | MV_PTE_A)

enum sync_policy { SYNC_WP = 0, SYNC_OOS };

/* One shadow page-table page. */
struct sp {
	uint64_t hpa;
	uint64_t *tbl;          /* host view of the frame */
	uint64_t gfn;           /* guest table's frame; direct: first guest frame mapped */
	uint64_t large_gpa;     /* direct: GPA of the guest large-page entry */
	uint64_t gva;           /* first GVA covered */
	uint32_t *child;        /* depth < 3: shadow page per entry, NONE */
	uint32_t parent;        /* NONE for a root */
	uint32_t root;          /* root of its tree */
	uint32_t gfn_next;      /* next shadow page of the same guest table; free-list link */
	uint32_t dirty_next;    /* checker's list */
	uint32_t flood;         /* emulated writes since it was last used */
	uint32_t slot;          /* roots: cache slot */
	uint16_t parent_idx;
	uint8_t depth;          /* 0 = PML4 ... 3 = page table */
	uint8_t acc;            /* SHADOW_ACC_* of the guest entries above it */
	bool direct;
	bool live;
	bool dirty;
};

struct rmap {
	uint32_t sp;
	uint32_t idx;
	uint32_t next;
};

struct slot {
	bool used;
	uint64_t key;           /* guest CR3: address bits, plus the PCID with CR4.PCIDE */
	uint64_t cr3;
	uint32_t root;
	uint64_t stamp;
};

struct shadow;

/* Per-VM state. */
struct svm {
	struct shadow *s;
	struct mv_vm *vm;
	uint8_t *ram;           /* host view of guest-physical 0 */
	uint64_t ram_hpa, mem_size, nframes;

	struct sp *sp;
	uint32_t nsp, cap_sp, free_sp;
	uint32_t *gfn_head;     /* per guest frame: shadow pages of that guest table */
	uint32_t *rmap_head;    /* per guest frame: shadow leaves mapping it */
	struct rmap *rmap;
	uint32_t nrmap, cap_rmap, free_rmap;
	uint8_t *oos;           /* per guest frame: its table is out of sync */
	uint32_t *oos_list;
	uint32_t n_oos;
	uint32_t dirty_head;

	struct slot *cache;
	uint32_t cur;           /* slot of the loaded root */
	uint64_t clock;
	uint64_t cr3;           /* the guest's CR3 (no-flush bit clear) */

	/* The guest's control state, refreshed at every exit. */
	bool wp, nxe, pcide;

	bool flush_pending;
	unsigned nesting;       /* exits handled inside a single step */
	uint8_t snap[PAGE];
	uint64_t live;
};

struct shadow {
	const struct mv_hw *hw;
	unsigned cache_size;
	enum sync_policy sync;
	bool check;
	unsigned flood;         /* zap a shadow page after this many unused emulated writes; 0: never */

	uint64_t cache_hits, cache_misses, cache_evictions;
	uint64_t pages_live, pages_peak;
	uint64_t unsyncs, flood_zaps, path_rebuilds, checks, single_steps;
	uint64_t emulated_entries;
	char why[256];
};

static int violation(struct svm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int violation(struct svm *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->s->why, sizeof(v->s->why), fmt, ap);
	va_end(ap);
	/* The errno alone would say nothing: the VMM reports this reason. */
	v->s->hw->fail_reason(v->vm, v->s->why);
	return -ENOTRECOVERABLE;
}

static void post(struct svm *v, uint32_t type, uint64_t gva, uint64_t gpa, uint64_t detail)
{
	struct mv_event ev = {.type = type, .gva = gva, .gpa = gpa, .detail = detail};

	v->s->hw->post(v->vm, &ev);
}

static uint64_t gread(const struct svm *v, uint64_t gpa)
{
	uint64_t e;

	memcpy(&e, v->ram + gpa, sizeof(e));
	return e;
}

static uint64_t canonical(uint64_t va)
{
	return (va & (UINT64_C(1) << 47)) ? va | UINT64_C(0xffff000000000000)
					  : va & UINT64_C(0x0000ffffffffffff);
}

static bool gfn_protected(const struct svm *v, uint64_t gfn)
{
	return v->gfn_head[gfn] != NONE && !v->oos[gfn];
}

static void mark_dirty(struct svm *v, uint32_t id)
{
	struct sp *p = &v->sp[id];

	if (!v->s->check || p->dirty)
		return;
	p->dirty = true;
	p->dirty_next = v->dirty_head;
	v->dirty_head = id;
}

/* ---- reverse map: guest frame -> shadow leaves mapping it ---- */

static int rmap_add(struct svm *v, uint64_t gfn, uint32_t sp, uint32_t idx)
{
	uint32_t n;

	if (v->free_rmap != NONE) {
		n = v->free_rmap;
		v->free_rmap = v->rmap[n].next;
	} else {
		if (v->nrmap == v->cap_rmap) {
			uint32_t cap = v->cap_rmap ? v->cap_rmap * 2 : 1024;
			struct rmap *r = realloc(v->rmap, cap * sizeof(*r));

			if (!r)
				return -ENOMEM;
			v->rmap = r;
			v->cap_rmap = cap;
		}
		n = v->nrmap++;
	}
	v->rmap[n] = (struct rmap){.sp = sp, .idx = idx, .next = v->rmap_head[gfn]};
	v->rmap_head[gfn] = n;
	return 0;
}

static void rmap_del(struct svm *v, uint64_t gfn, uint32_t sp, uint32_t idx)
{
	for (uint32_t *pp = &v->rmap_head[gfn]; *pp != NONE; pp = &v->rmap[*pp].next) {
		uint32_t n = *pp;

		if (v->rmap[n].sp == sp && v->rmap[n].idx == idx) {
			*pp = v->rmap[n].next;
			v->rmap[n].next = v->free_rmap;
			v->free_rmap = n;
			return;
		}
	}
}

static uint64_t spte_gfn(const struct svm *v, uint64_t spte)
{
	return ((spte & MV_PTE_ADDR) - v->ram_hpa) / PAGE;
}

/* Replace a leaf entry, keeping the reverse map right. */
static int set_leaf(struct svm *v, uint32_t id, uint32_t idx, uint64_t spte)
{
	struct sp *p = &v->sp[id];
	uint64_t old = p->tbl[idx];

	if (old == spte)
		return 0;
	if (old & MV_PTE_P)
		rmap_del(v, spte_gfn(v, old), id, idx);
	p->tbl[idx] = spte;
	mark_dirty(v, id);
	if (spte & MV_PTE_P)
		return rmap_add(v, spte_gfn(v, spte), id, idx);
	return 0;
}

/* ---- shadow pages ---- */

static void zap(struct svm *v, uint32_t id);

/* Drop the shadow page under entry idx of id (a non-leaf entry). */
static void unlink_child(struct svm *v, uint32_t id, uint32_t idx)
{
	struct sp *p = &v->sp[id];
	uint32_t c = p->child[idx];

	p->tbl[idx] = 0;
	p->child[idx] = NONE;
	mark_dirty(v, id);
	if (c != NONE)
		zap(v, c);
}

/* Free a shadow page and everything under it.  The caller clears the
 * entry that pointed at it.  A full TLB flush becomes due: the page-walk
 * cache may still hold the freed frame. */
static void zap(struct svm *v, uint32_t id)
{
	struct sp *p = &v->sp[id];

	if (p->depth < 3) {
		for (uint32_t i = 0; i < ENTRIES; i++)
			if (p->child[i] != NONE)
				unlink_child(v, id, i);
	} else {
		for (uint32_t i = 0; i < ENTRIES; i++)
			if (p->tbl[i] & MV_PTE_P)
				set_leaf(v, id, i, 0);
	}
	if (!p->direct) {
		for (uint32_t *pp = &v->gfn_head[p->gfn]; *pp != NONE; pp = &v->sp[*pp].gfn_next)
			if (*pp == id) {
				*pp = p->gfn_next;
				break;
			}
		if (v->gfn_head[p->gfn] == NONE && v->oos[p->gfn])
			v->oos[p->gfn] = 0; /* dropped from oos_list lazily */
	}
	v->s->hw->frame_free(v->vm, p->hpa);
	free(p->child);
	p->child = NULL;
	p->live = false; /* the checker skips dead pages */
	p->gfn_next = v->free_sp;
	v->free_sp = id;
	v->live--;
	v->s->pages_live--;
	v->flush_pending = true;
	post(v, MV_EV_SHADOW_PAGE_ZAP, p->gva, p->direct ? 0 : p->gfn * PAGE, p->depth);
}

static int write_protect(struct svm *v, uint64_t gfn);

static int sp_alloc(struct svm *v, uint8_t depth, bool direct, uint64_t gfn, uint64_t gva,
		    uint8_t acc, uint32_t *out)
{
	const struct mv_hw *hw = v->s->hw;
	uint32_t id;
	uint64_t hpa;
	struct sp *p;
	int rc;

	if (v->free_sp != NONE) {
		id = v->free_sp;
		v->free_sp = v->sp[id].gfn_next;
	} else {
		if (v->nsp == v->cap_sp) {
			uint32_t cap = v->cap_sp ? v->cap_sp * 2 : 256;
			struct sp *n = realloc(v->sp, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			v->sp = n;
			v->cap_sp = cap;
		}
		id = v->nsp++;
		v->sp[id].dirty = false;
		v->sp[id].dirty_next = NONE;
	}
	p = &v->sp[id];
	/* A reused slot may still sit on the checker's list: keep that. */
	bool dirty = p->dirty;
	uint32_t dirty_next = p->dirty_next;

	memset(p, 0, sizeof(*p));
	p->dirty = dirty;
	p->dirty_next = dirty_next;
	p->gfn_next = v->free_sp; /* back on the free list if we fail below */
	rc = hw->frame_alloc(v->vm, &hpa);
	if (rc) {
		v->free_sp = id;
		return rc;
	}
	p->tbl = hw->hpa_ptr(v->vm, hpa, PAGE);
	if (!p->tbl) {
		hw->frame_free(v->vm, hpa);
		v->free_sp = id;
		return -EFAULT;
	}
	if (depth < 3) {
		p->child = malloc(ENTRIES * sizeof(*p->child));
		if (!p->child) {
			hw->frame_free(v->vm, hpa);
			v->free_sp = id;
			return -ENOMEM;
		}
		memset(p->child, 0xff, ENTRIES * sizeof(*p->child));
	}
	p->hpa = hpa;
	p->gfn = gfn;
	p->gva = canonical(gva);
	p->depth = depth;
	p->direct = direct;
	p->acc = acc;
	p->parent = NONE;
	p->root = id;
	p->slot = NONE;
	p->gfn_next = NONE;
	p->live = true;
	v->live++;
	if (++v->s->pages_live > v->s->pages_peak)
		v->s->pages_peak = v->s->pages_live;
	post(v, MV_EV_SHADOW_PAGE_ALLOC, p->gva, direct ? 0 : gfn * PAGE, depth);
	mark_dirty(v, id);
	if (!direct) {
		bool first = v->gfn_head[gfn] == NONE;

		p->gfn_next = v->gfn_head[gfn];
		v->gfn_head[gfn] = id;
		/* The guest table is now shadowed: its page must not be
		 * writable through any shadow leaf. */
		if (first) {
			rc = write_protect(v, gfn);
			if (rc)
				return rc;
		}
	}
	*out = id;
	return 0;
}

/* ---- shadow leaves from guest entries ---- */

static uint8_t entry_acc(const struct svm *v, uint64_t e)
{
	uint8_t acc = 0;

	if (e & MV_PTE_W)
		acc |= MV_PT_RIGHT_W;
	if (e & MV_PTE_U)
		acc |= MV_PT_RIGHT_U;
	if (!(v->nxe && (e & MV_PTE_NX)))
		acc |= MV_PT_RIGHT_X;
	return acc;
}

/* The shadow leaf that entry idx of leaf table id should hold now, from
 * the guest's current tables: 0 when the guest entry is absent, not yet
 * accessed, malformed or outside RAM (a fault will sort it out). */
static uint64_t compute_leaf(const struct svm *v, uint32_t id, uint32_t idx)
{
	const struct sp *p = &v->sp[id];
	uint64_t ge, frame, spte;
	uint8_t acc;

	if (p->direct) {
		ge = gread(v, p->large_gpa);
		frame = p->gfn + idx;
		acc = p->acc;
	} else {
		ge = gread(v, p->gfn * PAGE + idx * 8);
		if ((ge & MV_PTE_PHYS_HI) || (!v->nxe && (ge & MV_PTE_NX)))
			return 0;
		frame = (ge & MV_PTE_ADDR) / PAGE;
		acc = p->acc & entry_acc(v, ge);
	}
	if (!(ge & MV_PTE_P) || !(ge & MV_PTE_A) || frame >= v->nframes)
		return 0;
	spte = (v->ram_hpa + frame * PAGE) | MV_PTE_P | MV_PTE_A;
	if (acc & MV_PT_RIGHT_U)
		spte |= MV_PTE_U;
	if (v->nxe && !(acc & MV_PT_RIGHT_X))
		spte |= MV_PTE_NX;
	if ((acc & MV_PT_RIGHT_W) && (ge & MV_PTE_D) && !gfn_protected(v, frame))
		spte |= MV_PTE_W | MV_PTE_D;
	if (ge & MV_PTE_G)
		spte |= MV_PTE_G;
	return spte;
}

/* Take W away from every shadow leaf mapping gfn. */
static int write_protect(struct svm *v, uint64_t gfn)
{
	for (uint32_t n = v->rmap_head[gfn]; n != NONE; n = v->rmap[n].next) {
		struct sp *p = &v->sp[v->rmap[n].sp];
		uint64_t *e = &p->tbl[v->rmap[n].idx];

		if (*e & MV_PTE_W) {
			*e &= ~(MV_PTE_W | MV_PTE_D);
			mark_dirty(v, v->rmap[n].sp);
			/* The TLB may hold the writable translation, under any
			 * PCID and as a global entry. */
			v->flush_pending = true;
		}
	}
	return 0;
}

/* Bring guest table gfn back in sync: recompute every present shadow
 * leaf of every shadow page of it, then write-protect it again. */
static int resync(struct svm *v, uint64_t gfn)
{
	int rc;

	if (!v->oos[gfn])
		return 0;
	v->oos[gfn] = 0;
	for (uint32_t id = v->gfn_head[gfn]; id != NONE; id = v->sp[id].gfn_next)
		for (uint32_t i = 0; i < ENTRIES; i++)
			if (v->sp[id].tbl[i] & MV_PTE_P) {
				rc = set_leaf(v, id, i, compute_leaf(v, id, i));
				if (rc)
					return rc;
			}
	rc = write_protect(v, gfn);
	post(v, MV_EV_SHADOW_RESYNC, 0, gfn * PAGE, 0);
	return rc;
}

static int resync_all(struct svm *v)
{
	int rc;

	for (uint32_t i = 0; i < v->n_oos; i++) {
		rc = resync(v, v->oos_list[i]);
		if (rc)
			return rc;
	}
	v->n_oos = 0;
	return 0;
}

/* sync=oos: may guest table gfn go out of sync?  Only when every shadow
 * page of it is a leaf table (upper levels always stay in sync). */
static bool oos_eligible(const struct svm *v, uint64_t gfn)
{
	if (v->s->sync != SYNC_OOS || v->oos[gfn])
		return false;
	for (uint32_t id = v->gfn_head[gfn]; id != NONE; id = v->sp[id].gfn_next)
		if (v->sp[id].depth != 3)
			return false;
	return true;
}

static void unsync(struct svm *v, uint64_t gfn)
{
	/* oos_list holds at most one entry per frame: oos[] guards it and
	 * resync_all() empties the list. */
	for (uint32_t i = 0; i < v->n_oos; i++)
		if (v->oos_list[i] == gfn) {
			v->oos[gfn] = 1;
			v->s->unsyncs++;
			return;
		}
	v->oos_list[v->n_oos++] = (uint32_t)gfn;
	v->oos[gfn] = 1;
	v->s->unsyncs++;
}

/* ---- building the path of a hidden fault ---- */

/* Shadow pages from the loaded root down to the leaf table for va, as
 * the guest walk w describes them; returns the leaf table. */
static int build_path(struct svm *v, uint64_t va, const struct shadow_gwalk *w, uint32_t *leaf)
{
	uint32_t id = v->cache[v->cur].root;
	int rc;

	for (uint8_t d = 0; d < 3; d++) {
		struct sp *p = &v->sp[id];
		uint32_t idx = (uint32_t)((va >> MV_PT_SHIFT(d)) & 511);
		bool large_here = !p->direct && w->leaf == d;
		uint64_t want_gfn;
		bool want_direct;
		uint8_t acc;

		p->flood = 0;
		if (p->direct) {
			want_direct = true;
			want_gfn = p->gfn + (uint64_t)idx * ENTRIES;
			acc = p->acc;
		} else if (large_here) {
			uint64_t base = w->entry[d] & MV_PTE_ADDR &
					~((UINT64_C(1) << MV_PT_SHIFT(d)) - 1);

			want_direct = true;
			want_gfn = base / PAGE;
			acc = p->acc & entry_acc(v, w->entry[d]);
		} else {
			want_direct = false;
			want_gfn = (w->entry[d] & MV_PTE_ADDR) / PAGE;
			acc = p->acc & entry_acc(v, w->entry[d]);
		}
		uint32_t c = p->child[idx];

		if (c != NONE) {
			const struct sp *cp = &v->sp[c];

			if (cp->direct == want_direct && cp->gfn == want_gfn && cp->acc == acc) {
				id = c;
				continue;
			}
			/* Upper levels are always in sync, so this is a bug
			 * the checker reports; without it, repair. */
			if (v->s->check)
				return violation(v, "shadow path for %#" PRIx64 " at depth %u shadows frame %#" PRIx64 " (direct %d), the guest says %#" PRIx64 " (direct %d)",
						 va, d + 1, cp->gfn, cp->direct, want_gfn, want_direct);
			v->s->path_rebuilds++;
			unlink_child(v, id, idx);
		}
		rc = sp_alloc(v, (uint8_t)(d + 1), want_direct, want_gfn,
			      va & ~((UINT64_C(1) << MV_PT_SHIFT(d)) - 1), acc, &c);
		if (rc)
			return rc;
		p = &v->sp[id]; /* sp_alloc may have moved the array */
		v->sp[c].parent = id;
		v->sp[c].parent_idx = (uint16_t)idx;
		v->sp[c].root = p->root;
		if (want_direct)
			v->sp[c].large_gpa = p->direct ? p->large_gpa : w->entry_gpa[d];
		p->child[idx] = c;
		p->tbl[idx] = v->sp[c].hpa | NONLEAF_BITS;
		mark_dirty(v, id);
		/* A new table of an out-of-sync guest page above the leaf
		 * level: bring it back in sync first. */
		if (!want_direct && d + 1 < 3 && v->oos[want_gfn]) {
			rc = resync(v, want_gfn);
			if (rc)
				return rc;
		}
		id = c;
	}
	v->sp[id].flood = 0;
	*leaf = id;
	return 0;
}

/* ---- the guest's control state ---- */

static int refresh_cpu(struct svm *v)
{
	struct engine_sregs s;
	int rc = v->s->hw->get_sregs(v->vm, &s);

	if (rc)
		return rc;
	v->wp = (s.cr0 & MV_CR0_WP) != 0;
	v->nxe = (s.efer & MV_EFER_NXE) != 0;
	v->pcide = (s.cr4 & MV_CR4_PCIDE) != 0;
	if (!v->wp)
		return violation(v, "the guest cleared CR0.WP: write protection of its page tables (and dirty-bit tracking) would not hold, so shadow paging cannot run it");
	return 0;
}

static int flush(struct svm *v, enum mv_flush_scope scope, uint64_t arg)
{
	int rc = v->s->hw->flush_tlb(v->vm, scope, arg);

	if (!rc)
		post(v, MV_EV_TLB_FLUSH, scope == MV_FLUSH_ADDRESS ? arg : 0, 0, scope);
	return rc;
}

static int load_paging(struct svm *v)
{
	const struct slot *sl = &v->cache[v->cur];
	struct mv_paging pg = {
		.mode = MV_PAGING_HOST,
		.root = v->sp[sl->root].hpa | (v->pcide ? (v->cr3 & 0xfff) : 0),
	};

	return v->s->hw->set_paging(v->vm, &pg);
}

/* Make the shadow root of guest CR3 `cr3` current: from the cache, or a
 * fresh one in the least recently used slot. */
static int load_root(struct svm *v, uint64_t cr3, bool *hit)
{
	struct shadow *s = v->s;
	uint64_t key = v->pcide ? cr3 & (MV_PTE_ADDR | 0xfff) : cr3 & MV_PTE_ADDR;
	uint64_t gfn = (cr3 & MV_PTE_ADDR) / PAGE;
	uint32_t victim = 0;
	int rc;

	if (gfn >= v->nframes)
		return violation(v, "guest CR3 %#" PRIx64 " lies outside its %" PRIu64 " MiB of RAM",
				 cr3, v->mem_size >> 20);
	v->cr3 = cr3;
	for (uint32_t i = 0; i < s->cache_size; i++) {
		struct slot *sl = &v->cache[i];

		if (sl->used && sl->key == key) {
			sl->stamp = ++v->clock;
			sl->cr3 = cr3;
			v->cur = i;
			v->sp[sl->root].flood = 0;
			s->cache_hits++;
			*hit = true;
			return load_paging(v);
		}
		if (!sl->used || (v->cache[victim].used && sl->stamp < v->cache[victim].stamp))
			victim = i;
	}
	*hit = false;
	s->cache_misses++;
	if (v->cache[victim].used) {
		s->cache_evictions++;
		v->cache[victim].used = false;
		zap(v, v->cache[victim].root);
	}
	uint32_t root;

	rc = sp_alloc(v, 0, false, gfn, 0, MV_PT_RIGHT_W | MV_PT_RIGHT_U | MV_PT_RIGHT_X, &root);
	if (rc)
		return rc;
	v->sp[root].slot = victim;
	v->cache[victim] = (struct slot){.used = true, .key = key, .cr3 = cr3, .root = root,
					 .stamp = ++v->clock};
	v->cur = victim;
	return load_paging(v);
}

/* ---- propagating guest page-table writes ---- */

/* Guest table gfn changed at entry idx: update every shadow page of it. */
static int propagate(struct svm *v, uint64_t gfn, uint32_t idx)
{
	uint32_t next;
	int rc;

	for (uint32_t id = v->gfn_head[gfn]; id != NONE; id = next) {
		struct sp *p = &v->sp[id];

		/* Zapping one shadow page may have zapped the next one (a
		 * guest table that maps itself): start over from the head. */
		if (!p->live) {
			next = v->gfn_head[gfn];
			continue;
		}
		next = p->gfn_next;
		if (p->depth == 3) {
			/* Lazy: an absent shadow leaf stays absent. */
			if (p->tbl[idx] & MV_PTE_P) {
				rc = set_leaf(v, id, idx, compute_leaf(v, id, idx));
				if (rc)
					return rc;
			}
		} else if (p->child[idx] != NONE) {
			/* A guest table pointer changed: what hung under it
			 * is no longer known to be right. */
			unlink_child(v, id, idx);
		}
	}
	return 0;
}

/* Zap the shadow pages of gfn that were written `flood` times without
 * being used in between (the guest reuses the frame for something else:
 * emulating every write to it would cost an exit per store). */
static void flood_check(struct svm *v, uint64_t gfn)
{
	uint32_t next;

	if (!v->s->flood)
		return;
	for (uint32_t id = v->gfn_head[gfn]; id != NONE; id = next) {
		struct sp *p = &v->sp[id];

		/* Zapping one shadow page may have zapped the next one (a
		 * guest table that maps itself): start over from the head. */
		if (!p->live) {
			next = v->gfn_head[gfn];
			continue;
		}
		next = p->gfn_next;
		if (++p->flood < v->s->flood)
			continue;
		if (p->parent != NONE) {
			v->s->flood_zaps++;
			unlink_child(v, p->parent, p->parent_idx);
		} else if (p->slot != v->cur) {
			v->s->flood_zaps++;
			v->cache[p->slot].used = false;
			zap(v, id);
		}
	}
}

static int handle_intercept(struct svm *v, struct engine_exit *ex);

/* The guest writes a write-protected page-table page at va (leaf table
 * `leaf`, entry idx maps it): let it, for exactly one instruction. */
static int emulate_write(struct svm *v, uint64_t va, uint64_t gpa, uint32_t leaf, uint32_t idx)
{
	const struct mv_hw *hw = v->s->hw;
	uint64_t gfn = gpa / PAGE;
	struct engine_exit *ex = NULL;
	uint64_t spte;
	int rc, step;

	if (!HW_HAS(hw, single_step))
		return violation(v, "the VMM offers no single_step service: guest page-table writes cannot be emulated");
	/* The step must not run on stale translations: a page-walk-cache
	 * entry may still point at a shadow frame freed in this exit. */
	if (v->flush_pending) {
		v->flush_pending = false;
		rc = flush(v, MV_FLUSH_ALL, 0);
		if (rc)
			return rc;
	}
	memcpy(v->snap, v->ram + gfn * PAGE, PAGE);
	spte = compute_leaf(v, leaf, idx) | MV_PTE_W | MV_PTE_D;
	rc = set_leaf(v, leaf, idx, spte);
	if (rc)
		return rc;
	v->s->single_steps++;
	step = hw->single_step(v->vm, &ex);
	/* Back to read-only before anything else looks, and out of the
	 * TLB, which may have cached the writable entry. */
	rc = set_leaf(v, leaf, idx, compute_leaf(v, leaf, idx));
	if (!rc)
		rc = flush(v, MV_FLUSH_ADDRESS, va);
	if (rc)
		return rc;
	if (step)
		return step;
	post(v, MV_EV_PT_WRITE_EMULATED, va, gpa, 0);
	for (uint32_t i = 0; i < ENTRIES; i++) {
		uint64_t before, after;

		memcpy(&before, v->snap + i * 8, 8);
		memcpy(&after, v->ram + gfn * PAGE + i * 8, 8);
		if (before == after)
			continue;
		v->s->emulated_entries++;
		rc = propagate(v, gfn, i);
		if (rc)
			return rc;
	}
	/* The written entry may have changed what va itself maps. */
	if (v->sp[leaf].live && v->sp[leaf].tbl[idx] & MV_PTE_P) {
		rc = set_leaf(v, leaf, idx, compute_leaf(v, leaf, idx));
		if (rc)
			return rc;
	}
	flood_check(v, gfn);
	if (!ex)
		return 0;
	switch (ex->reason) {
	case ENGINE_EXIT_QUANTUM:
	case ENGINE_EXIT_INSN_LIMIT:
		/* Retired (the limit is reported again at the next run). */
		return 0;
	case ENGINE_EXIT_INTERCEPT:
		/* The step stopped on an exit of ours (say a fault on the
		 * instruction's other operand): handle it now; the guest
		 * retries the instruction if it did not retire. */
		v->nesting++;
		rc = handle_intercept(v, ex);
		v->nesting--;
		if (rc < 0)
			return rc;
		if (rc == MV_EXIT_HANDLED)
			return 0;
		break;
	default:
		break;
	}
	return violation(v, "the single-stepped page-table write at %#" PRIx64 " stopped on an exit (engine reason %d) the backend cannot hand back to the VMM",
			 va, (int)ex->reason);
}

/* ---- exits ---- */

static int on_page_fault(struct svm *v, uint64_t va, uint32_t ec)
{
	const struct mv_hw *hw = v->s->hw;
	struct shadow_gaccess a = {
		.write = (ec & MV_PFEC_W) != 0,
		.fetch = (ec & MV_PFEC_ID) != 0,
		.user = (ec & MV_PFEC_U) != 0,
		.wp = v->wp,
		.nxe = v->nxe,
	};
	struct shadow_gwalk w;
	uint32_t leaf = NONE, idx;
	uint64_t spte;
	int rc;

	if (ec & MV_PFEC_RSVD)
		return violation(v, "reserved bit in a shadow entry for %#" PRIx64 " (error code %#x)", va, ec);
	shadow_gwalk(v->ram, v->mem_size, v->cr3, va, &a, &w);
	if (w.phys)
		return violation(v, "guest translation of %#" PRIx64 " reaches guest-physical %#" PRIx64 ", outside its RAM",
				 va, w.phys_gpa);
	if (w.fault) {
		/* A true fault: the hardware would have set the A bits of
		 * the upper levels it went through, then faulted. */
		shadow_gwalk_set_ad(v->ram, &w, false);
		rc = hw->inject_exception(v->vm, 14, w.error_code, va);
		if (rc)
			return rc;
		post(v, MV_EV_TRUE_FAULT_REFLECTED, va, 0, w.error_code);
		return 0;
	}
	shadow_gwalk_set_ad(v->ram, &w, a.write);
	rc = build_path(v, va, &w, &leaf);
	if (rc)
		return rc;
	idx = (uint32_t)((va >> 12) & 511);
	spte = compute_leaf(v, leaf, idx);
	rc = set_leaf(v, leaf, idx, spte);
	if (rc)
		return rc;
	post(v, MV_EV_SHADOW_FAULT_HIDDEN, va, w.gpa, ec);
	if (!a.write || (spte & MV_PTE_W))
		return 0;
	/* The guest may write (its walk passed) but the page holds one of
	 * its shadowed page tables. */
	if (oos_eligible(v, w.gpa / PAGE)) {
		unsync(v, w.gpa / PAGE);
		return set_leaf(v, leaf, idx, compute_leaf(v, leaf, idx));
	}
	if (v->nesting)
		return 0; /* inside a single step: the guest retries the write */
	return emulate_write(v, va, w.gpa, leaf, idx);
}

static int skip_insn(struct svm *v, uint8_t len)
{
	struct engine_regs r;
	int rc = v->s->hw->get_regs(v->vm, &r);

	if (rc)
		return rc;
	r.rip += len;
	return v->s->hw->set_regs(v->vm, &r);
}

static int on_cr3_write(struct svm *v, uint64_t val, uint8_t len)
{
	bool noflush = v->pcide && (val & MV_CR3_NOFLUSH);
	bool hit;
	int rc;

	val &= ~MV_CR3_NOFLUSH;
	if (val >> 52)
		return v->s->hw->inject_exception(v->vm, 13, 0, 0);
	/* The guest expects its table edits visible after a CR3 write. */
	rc = resync_all(v);
	if (rc)
		return rc;
	rc = v->s->hw->set_guest_cr3(v->vm, val);
	if (rc)
		return rc;
	rc = load_root(v, val, &hit);
	if (rc)
		return rc;
	post(v, MV_EV_CR3_WRITE, 0, val & MV_PTE_ADDR, hit);
	/* SDM 4.10.4.1: the write invalidates the non-global entries of the
	 * PCID it loads (PCID 0 without PCIDs), unless bit 63 says not to.
	 * A VMM without flush_tlb_nonglobal flushes the tag with its global
	 * entries, a little more than the guest asked for. */
	if (!noflush) {
		uint64_t tag = v->pcide ? val & 0xfff : 0;
		const struct mv_hw *hw = v->s->hw;

		rc = HW_HAS(hw, flush_tlb_nonglobal) ? hw->flush_tlb_nonglobal(v->vm, tag)
						     : flush(v, MV_FLUSH_TAG, tag);
		if (rc)
			return rc;
	}
	return skip_insn(v, len);
}

/* Register numbers of mov from CR3 (x86 encoding) to engine_regs. */
static uint64_t *gpr(struct engine_regs *r, unsigned n)
{
	uint64_t *const map[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return n < 16 ? map[n] : NULL;
}

static int on_cr3_read(struct svm *v, unsigned reg, uint8_t len)
{
	struct engine_regs r;
	uint64_t *dst;
	int rc = v->s->hw->get_regs(v->vm, &r);

	if (rc)
		return rc;
	dst = gpr(&r, reg);
	if (!dst)
		return violation(v, "CR3 read into register %u", reg);
	*dst = v->cr3;
	r.rip += len;
	post(v, MV_EV_CR3_READ, 0, v->cr3 & MV_PTE_ADDR, 0);
	return v->s->hw->set_regs(v->vm, &r);
}

static int on_invlpg(struct svm *v, uint64_t va, uint8_t len)
{
	int rc;

	post(v, MV_EV_INVLPG, va, 0, 0);
	if (v->s->sync == SYNC_OOS) {
		/* Resync the leaf table that maps va in the loaded root. */
		uint32_t id = v->cache[v->cur].root;

		for (unsigned d = 0; id != NONE && d < 3; d++)
			id = v->sp[id].child[(va >> MV_PT_SHIFT(d)) & 511];
		if (id != NONE && !v->sp[id].direct && v->oos[v->sp[id].gfn]) {
			rc = resync(v, v->sp[id].gfn);
			if (rc)
				return rc;
		}
	}
	rc = v->s->hw->flush_tlb(v->vm, MV_FLUSH_ADDRESS, va);
	if (rc)
		return rc;
	return skip_insn(v, len);
}

static int handle_intercept(struct svm *v, struct engine_exit *ex)
{
	int rc = refresh_cpu(v);

	if (rc)
		return rc;
	switch (ex->intercept.cause) {
	case ENGINE_ICPT_EXCEPTION:
		if (ex->intercept.vector != 14)
			return MV_EXIT_NOT_MINE;
		rc = on_page_fault(v, ex->intercept.info1, ex->intercept.error_code);
		break;
	case ENGINE_ICPT_CR3_WRITE:
		rc = on_cr3_write(v, ex->intercept.info1, ex->intercept.insn_len);
		break;
	case ENGINE_ICPT_CR3_READ:
		rc = on_cr3_read(v, (unsigned)ex->intercept.info2, ex->intercept.insn_len);
		break;
	case ENGINE_ICPT_INVLPG:
		rc = on_invlpg(v, ex->intercept.info1, ex->intercept.insn_len);
		break;
	default:
		return MV_EXIT_NOT_MINE;
	}
	return rc < 0 ? rc : MV_EXIT_HANDLED;
}

/* ---- the invariant checker ---- */

static int check_sp(struct svm *v, uint32_t id)
{
	const struct sp *p = &v->sp[id];
	const struct slot *sl = &v->cache[v->sp[p->root].slot];
	uint64_t ram_end = v->ram_hpa + v->mem_size;

	for (uint32_t i = 0; i < ENTRIES; i++) {
		uint64_t e = p->tbl[i];
		uint64_t hpa = e & MV_PTE_ADDR;

		if (!(e & MV_PTE_P)) {
			if (p->depth < 3 && p->child[i] != NONE)
				return violation(v, "shadow page %u entry %u: child %u linked but entry absent", id, i, p->child[i]);
			continue;
		}
		if (p->depth < 3) {
			uint32_t c = p->child[i];

			if (c == NONE || !v->sp[c].live || v->sp[c].hpa != hpa || v->sp[c].parent != id ||
			    v->sp[c].parent_idx != i)
				return violation(v, "shadow page %u entry %u (%#" PRIx64 ") points at no live shadow page of its own", id, i, e);
			if (hpa >= v->ram_hpa && hpa < ram_end)
				return violation(v, "shadow table at %#" PRIx64 " lies inside the guest's RAM", hpa);
			if ((e & ~MV_PTE_ADDR) & ~(NONLEAF_BITS | MV_PTE_D))
				return violation(v, "non-leaf shadow entry %#" PRIx64 " has unexpected bits", e);
			continue;
		}
		if (hpa < v->ram_hpa || hpa + PAGE > ram_end)
			return violation(v, "shadow leaf %#" PRIx64 " maps machine memory outside the VM's RAM [%#" PRIx64 ", %#" PRIx64 ")",
					 e, v->ram_hpa, ram_end);
		if (!p->direct && v->oos[p->gfn])
			continue; /* out of sync by policy: only containment holds */

		uint64_t va = canonical(p->gva + ((uint64_t)i << 12));
		struct shadow_gaccess a = {.wp = true, .nxe = v->nxe};
		struct shadow_gwalk w;

		shadow_gwalk(v->ram, v->mem_size, sl->cr3, va, &a, &w);
		if (w.fault || w.phys)
			return violation(v, "shadow maps %#" PRIx64 " -> %#" PRIx64 " (root of guest CR3 %#" PRIx64 ") but the guest tables do not (error code %#x)",
					 va, hpa, sl->cr3, w.error_code);
		uint64_t want = v->ram_hpa + (w.gpa & ~(uint64_t)(PAGE - 1));
		uint64_t gleaf = w.entry[w.leaf];

		if (hpa != want)
			return violation(v, "shadow maps %#" PRIx64 " -> %#" PRIx64 ", guest translation composed with GPA->HPA gives %#" PRIx64,
					 va, hpa, want);
		if (!(gleaf & MV_PTE_A))
			return violation(v, "shadow maps %#" PRIx64 " while the guest leaf's accessed bit is clear", va);
		if ((e & MV_PTE_W) &&
		    (!(w.acc & MV_PT_RIGHT_W) || !(gleaf & MV_PTE_D) || gfn_protected(v, w.gpa / PAGE)))
			return violation(v, "shadow leaf for %#" PRIx64 " is writable: guest W %d, guest D %d, page-table page %d",
					 va, !!(w.acc & MV_PT_RIGHT_W), !!(gleaf & MV_PTE_D),
					 gfn_protected(v, w.gpa / PAGE));
		if ((e & MV_PTE_U) && !(w.acc & MV_PT_RIGHT_U))
			return violation(v, "shadow leaf for %#" PRIx64 " is user-accessible, the guest's is not", va);
		if (v->nxe && !(e & MV_PTE_NX) && !(w.acc & MV_PT_RIGHT_X))
			return violation(v, "shadow leaf for %#" PRIx64 " is executable, the guest's is not", va);
	}
	return 0;
}

static int check_dirty(struct svm *v)
{
	int rc = 0;

	while (v->dirty_head != NONE) {
		uint32_t id = v->dirty_head;
		struct sp *p = &v->sp[id];

		v->dirty_head = p->dirty_next;
		p->dirty = false;
		if (!p->live)
			continue;
		v->s->checks++;
		if (!rc)
			rc = check_sp(v, id);
	}
	return rc;
}

/* Run at the end of everything that may change the shadow. */
static int finish(struct svm *v, int rc)
{
	if (rc >= 0 && v->flush_pending) {
		int frc = flush(v, MV_FLUSH_ALL, 0);

		v->flush_pending = false;
		if (frc)
			return frc;
	}
	if (rc >= 0 && v->s->check && !v->nesting) {
		int crc = check_dirty(v);

		if (crc)
			return crc;
	}
	return rc;
}

/* ---- backend ops ---- */

static const char *const sync_names[] = {"wp", "oos", NULL};

enum { OPT_CACHE, OPT_SYNC, OPT_CHECK, OPT_FLOOD, OPT__COUNT };
static const struct mv_option shadow_option_table[OPT__COUNT] = {
	[OPT_CACHE] = {.name = "cache", .type = MV_OPT_UINT, .min = 1, .max = 4096, .def = "8",
		       .help = "shadow roots cached per VM (one per guest CR3)"},
	[OPT_SYNC] = {.name = "sync", .type = MV_OPT_CHOICE, .choices = sync_names, .def = "wp",
		      .help = "write-protect guest page tables and emulate writes (wp), or let leaf tables go out of sync and resync (oos)"},
	[OPT_CHECK] = {.name = "check", .type = MV_OPT_BOOL, .def = "0",
		       .help = "check the shadow tables against the guest's after every exit (slow)"},
	[OPT_FLOOD] = {.name = "flood", .type = MV_OPT_UINT, .min = 0, .max = 1000000, .def = "8",
		       .help = "emulated writes to one guest table before its shadow is zapped, 0 for never"},
};

static int parse_options(struct shadow *s, const char *opt, char *err, size_t err_len)
{
	struct mv_opt_value v[OPT__COUNT];

	mv_options_defaults(shadow_option_table, OPT__COUNT, v);
	if (mv_options_parse(shadow_option_table, OPT__COUNT, opt, v, "shadow", err, err_len))
		return -EINVAL;
	s->cache_size = (unsigned)v[OPT_CACHE].u;
	s->sync = v[OPT_SYNC].u ? SYNC_OOS : SYNC_WP;
	s->check = v[OPT_CHECK].u != 0;
	s->flood = (unsigned)v[OPT_FLOOD].u;
	return 0;
}

static int shadow_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			 size_t err_len)
{
	struct shadow *s;
	int rc;

	if (hw->engine != MV_ENGINE_SOFT) {
		snprintf(err, err_len, "shadow runs on the soft engine only");
		return -ENOTSUP;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->hw = hw;
	rc = parse_options(s, options, err, err_len);
	if (rc) {
		free(s);
		return rc;
	}
	*state = s;
	return 0;
}

static void shadow_destroy(void *state)
{
	free(state);
}

static void svm_free(struct svm *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; v->sp && i < v->nsp; i++)
		if (v->sp[i].live) {
			v->s->hw->frame_free(v->vm, v->sp[i].hpa);
			free(v->sp[i].child);
			v->s->pages_live--;
		}
	free(v->sp);
	free(v->gfn_head);
	free(v->rmap_head);
	free(v->rmap);
	free(v->oos);
	free(v->oos_list);
	free(v->cache);
	free(v);
}

static int shadow_vm_init(void *state, struct mv_vm *vm)
{
	struct shadow *s = state;
	const struct mv_hw *hw = s->hw;
	struct engine_sregs sregs;
	struct svm *v;
	uint64_t last;
	bool hit;
	int rc;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->s = s;
	v->vm = vm;
	v->mem_size = hw->vm_mem_size(vm) & ~(uint64_t)(PAGE - 1);
	v->nframes = v->mem_size / PAGE;
	v->free_sp = v->free_rmap = v->dirty_head = NONE;
	/* Guest RAM must be one run of machine memory (it is, in the VMM):
	 * the backend reads guest tables through one host pointer. */
	rc = hw->gpa_to_hpa(vm, 0, &v->ram_hpa);
	rc = rc ? rc : hw->gpa_to_hpa(vm, v->mem_size - 1, &last);
	if (!rc && last != v->ram_hpa + v->mem_size - 1)
		rc = -ENOTSUP;
	v->ram = rc ? NULL : hw->hpa_ptr(vm, v->ram_hpa, v->mem_size);
	if (!v->ram) {
		free(v);
		return rc ? rc : -EFAULT;
	}
	v->gfn_head = malloc(v->nframes * sizeof(*v->gfn_head));
	v->rmap_head = malloc(v->nframes * sizeof(*v->rmap_head));
	v->oos = calloc(v->nframes, 1);
	v->oos_list = malloc(v->nframes * sizeof(*v->oos_list));
	v->cache = calloc(s->cache_size, sizeof(*v->cache));
	if (!v->gfn_head || !v->rmap_head || !v->oos || !v->oos_list || !v->cache) {
		svm_free(v);
		return -ENOMEM;
	}
	memset(v->gfn_head, 0xff, v->nframes * sizeof(*v->gfn_head));
	memset(v->rmap_head, 0xff, v->nframes * sizeof(*v->rmap_head));
	hw->set_vm_state(vm, v);

	rc = hw->set_intercepts(vm,
				(UINT64_C(1) << ENGINE_ICPT_CR3_WRITE) | (UINT64_C(1) << ENGINE_ICPT_CR3_READ) |
				(UINT64_C(1) << ENGINE_ICPT_INVLPG) | (UINT64_C(1) << ENGINE_ICPT_EXCEPTION),
				1u << 14);
	rc = rc ? rc : hw->get_sregs(vm, &sregs);
	if (!rc) {
		v->wp = (sregs.cr0 & MV_CR0_WP) != 0;
		v->nxe = (sregs.efer & MV_EFER_NXE) != 0;
		v->pcide = (sregs.cr4 & MV_CR4_PCIDE) != 0;
		sregs.cr3 &= ~MV_CR3_NOFLUSH;
		rc = hw->set_guest_cr3(vm, sregs.cr3);
	}
	rc = rc ? rc : load_root(v, sregs.cr3, &hit);
	rc = finish(v, rc);
	if (rc) {
		hw->set_vm_state(vm, NULL);
		svm_free(v);
	}
	return rc;
}

static void shadow_vm_fini(void *state, struct mv_vm *vm)
{
	struct shadow *s = state;

	svm_free(s->hw->vm_state(vm));
	s->hw->set_vm_state(vm, NULL);
}

static int shadow_vm_switch(void *state, struct mv_vm *prev, struct mv_vm *next)
{
	struct shadow *s = state;
	struct svm *v = s->hw->vm_state(next);
	int rc;

	if (!v)
		return -EINVAL;
	/* The incoming VM's real CR3 is its own shadow root (it travels with
	 * its vCPU state); load it again so that the paging mode is right
	 * whatever ran before. */
	rc = refresh_cpu(v);
	rc = rc ? rc : load_paging(v);
	if (rc)
		return rc;
	/* TLB entries carry no VM tag in this mode: the previous VM's
	 * translations (and page-walk-cache entries) must go. */
	if (prev)
		rc = flush(v, MV_FLUSH_ALL, 0);
	return rc;
}

static int shadow_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *exit)
{
	struct shadow *s = state;
	struct svm *v = s->hw->vm_state(vm);

	if (!v || exit->reason != ENGINE_EXIT_INTERCEPT)
		return MV_EXIT_NOT_MINE;
	return finish(v, handle_intercept(v, exit));
}

static void shadow_stats(void *state, engine_stat_fn fn, void *ctx)
{
	struct shadow *s = state;

	fn(ctx, "shadow_cache_size", s->cache_size);
	fn(ctx, "shadow_cache_hits", s->cache_hits);
	fn(ctx, "shadow_cache_misses", s->cache_misses);
	fn(ctx, "shadow_cache_evictions", s->cache_evictions);
	fn(ctx, "shadow_pages_live", s->pages_live);
	fn(ctx, "shadow_pages_peak", s->pages_peak);
	fn(ctx, "shadow_sync_oos", s->sync == SYNC_OOS);
	fn(ctx, "shadow_unsyncs", s->unsyncs);
	fn(ctx, "shadow_pt_entries_emulated", s->emulated_entries);
	fn(ctx, "shadow_single_steps", s->single_steps);
	fn(ctx, "shadow_flood_zaps", s->flood_zaps);
	fn(ctx, "shadow_path_rebuilds", s->path_rebuilds);
	fn(ctx, "shadow_checks", s->checks);
}

const struct mv_backend_ops shadow_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "shadow",
	.description = "shadow page tables with a virtualized CR3: lazy shadow faults, write-protected guest tables (sync=wp|oos), cache=N roots",
	.engines = MV_ENGINE_SOFT,
	.create = shadow_create,
	.destroy = shadow_destroy,
	.vm_init = shadow_vm_init,
	.vm_fini = shadow_vm_fini,
	.vm_switch = shadow_vm_switch,
	.handle_exit = shadow_handle_exit,
	.stats = shadow_stats,
	.options = shadow_option_table,
	.option_count = OPT__COUNT,
	.needs = MV_CAP_MMU | MV_CAP_ICOUNT,
};
