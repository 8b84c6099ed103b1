/*
 * shadowpt/shadow_pages.c — the shadow backend's pool of shadow pages
 * (allocation, zapping a page and its subtree), the reverse map from guest
 * frames to the shadow leaves that map them, shadow leaves computed from
 * guest entries, write protection of shadowed guest tables, and the
 * out-of-sync leaf tables of sync=oos with their resyncs.
 */
#include "shadowpt/shadow_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int shadow_set_leaf(struct svm *v, uint32_t id, uint32_t idx, uint64_t spte)
{
	struct sp *p = &v->sp[id];
	uint64_t old = p->tbl[idx];

	if (old == spte)
		return 0;
	if (old & MV_PTE_P)
		rmap_del(v, spte_gfn(v, old), id, idx);
	p->tbl[idx] = spte;
	sh_mark_dirty(v, id);
	if (spte & MV_PTE_P)
		return rmap_add(v, spte_gfn(v, spte), id, idx);
	return 0;
}

/* ---- shadow pages ---- */


/* Drop the shadow page under entry idx of id (a non-leaf entry). */
void shadow_unlink_child(struct svm *v, uint32_t id, uint32_t idx)
{
	struct sp *p = &v->sp[id];
	uint32_t c = p->child[idx];

	p->tbl[idx] = 0;
	p->child[idx] = NONE;
	sh_mark_dirty(v, id);
	if (c != NONE)
		shadow_zap(v, c);
}

/* Free a shadow page and everything under it.  The caller clears the
 * entry that pointed at it.  A full TLB flush becomes due: the page-walk
 * cache may still hold the freed frame. */
void shadow_zap(struct svm *v, uint32_t id)
{
	struct sp *p = &v->sp[id];

	if (p->depth < 3) {
		for (uint32_t i = 0; i < ENTRIES; i++)
			if (p->child[i] != NONE)
				shadow_unlink_child(v, id, i);
	} else {
		for (uint32_t i = 0; i < ENTRIES; i++)
			if (p->tbl[i] & MV_PTE_P)
				shadow_set_leaf(v, id, i, 0);
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
	sh_post(v, MV_EV_SHADOW_PAGE_ZAP, p->gva, p->direct ? 0 : p->gfn * PAGE, p->depth);
}

static int write_protect(struct svm *v, uint64_t gfn);

int shadow_sp_alloc(struct svm *v, uint8_t depth, bool direct, uint64_t gfn, uint64_t gva,
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
	p->gva = sh_canonical(gva);
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
	sh_post(v, MV_EV_SHADOW_PAGE_ALLOC, p->gva, direct ? 0 : gfn * PAGE, depth);
	sh_mark_dirty(v, id);
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

uint8_t shadow_entry_acc(const struct svm *v, uint64_t e)
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
uint64_t shadow_compute_leaf(const struct svm *v, uint32_t id, uint32_t idx)
{
	const struct sp *p = &v->sp[id];
	uint64_t ge, frame, spte;
	uint8_t acc;

	if (p->direct) {
		ge = sh_gread(v, p->large_gpa);
		frame = p->gfn + idx;
		acc = p->acc;
	} else {
		ge = sh_gread(v, p->gfn * PAGE + idx * 8);
		if ((ge & MV_PTE_PHYS_HI) || (!v->nxe && (ge & MV_PTE_NX)))
			return 0;
		frame = (ge & MV_PTE_ADDR) / PAGE;
		acc = p->acc & shadow_entry_acc(v, ge);
	}
	if (!(ge & MV_PTE_P) || !(ge & MV_PTE_A) || frame >= v->nframes)
		return 0;
	spte = (v->ram_hpa + frame * PAGE) | MV_PTE_P | MV_PTE_A;
	if (acc & MV_PT_RIGHT_U)
		spte |= MV_PTE_U;
	if (v->nxe && !(acc & MV_PT_RIGHT_X))
		spte |= MV_PTE_NX;
	if ((acc & MV_PT_RIGHT_W) && (ge & MV_PTE_D) && !sh_gfn_protected(v, frame))
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
			sh_mark_dirty(v, v->rmap[n].sp);
			/* The TLB may hold the writable translation, under any
			 * PCID and as a global entry. */
			v->flush_pending = true;
		}
	}
	return 0;
}

/* Bring guest table gfn back in sync: recompute every present shadow
 * leaf of every shadow page of it, then write-protect it again. */
int shadow_resync(struct svm *v, uint64_t gfn)
{
	int rc;

	if (!v->oos[gfn])
		return 0;
	v->oos[gfn] = 0;
	for (uint32_t id = v->gfn_head[gfn]; id != NONE; id = v->sp[id].gfn_next)
		for (uint32_t i = 0; i < ENTRIES; i++)
			if (v->sp[id].tbl[i] & MV_PTE_P) {
				rc = shadow_set_leaf(v, id, i, shadow_compute_leaf(v, id, i));
				if (rc)
					return rc;
			}
	rc = write_protect(v, gfn);
	sh_post(v, MV_EV_SHADOW_RESYNC, 0, gfn * PAGE, 0);
	return rc;
}

int shadow_resync_all(struct svm *v)
{
	int rc;

	for (uint32_t i = 0; i < v->n_oos; i++) {
		rc = shadow_resync(v, v->oos_list[i]);
		if (rc)
			return rc;
	}
	v->n_oos = 0;
	return 0;
}

/* sync=oos: may guest table gfn go out of sync?  Only when every shadow
 * page of it is a leaf table (upper levels always stay in sync). */
bool shadow_oos_eligible(const struct svm *v, uint64_t gfn)
{
	if (v->s->sync != SYNC_OOS || v->oos[gfn])
		return false;
	for (uint32_t id = v->gfn_head[gfn]; id != NONE; id = v->sp[id].gfn_next)
		if (v->sp[id].depth != 3)
			return false;
	return true;
}

void shadow_unsync(struct svm *v, uint64_t gfn)
{
	/* oos_list holds at most one entry per frame: oos[] guards it and
	 * shadow_resync_all() empties the list. */
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
