/*
 * shadowpt/shadow_fault.c — the shadow backend's hidden faults: building
 * the path of shadow pages down to the leaf a guest walk found, one
 * shadow page per guest table reached.
 */
#include "shadowpt/shadow_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building the path of a hidden fault ---- */

/* Shadow pages from the loaded root down to the leaf table for va, as
 * the guest walk w describes them; returns the leaf table. */
int shadow_build_path(struct svm *v, uint64_t va, const struct shadow_gwalk *w, uint32_t *leaf)
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
			acc = p->acc & shadow_entry_acc(v, w->entry[d]);
		} else {
			want_direct = false;
			want_gfn = (w->entry[d] & MV_PTE_ADDR) / PAGE;
			acc = p->acc & shadow_entry_acc(v, w->entry[d]);
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
				return shadow_violation(v, "shadow path for %#" PRIx64 " at depth %u shadows frame %#" PRIx64 " (direct %d), the guest says %#" PRIx64 " (direct %d)",
						 va, d + 1, cp->gfn, cp->direct, want_gfn, want_direct);
			v->s->path_rebuilds++;
			shadow_unlink_child(v, id, idx);
		}
		rc = shadow_sp_alloc(v, (uint8_t)(d + 1), want_direct, want_gfn,
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
		sh_mark_dirty(v, id);
		/* A new table of an out-of-sync guest page above the leaf
		 * level: bring it back in sync first. */
		if (!want_direct && d + 1 < 3 && v->oos[want_gfn]) {
			rc = shadow_resync(v, want_gfn);
			if (rc)
				return rc;
		}
		id = c;
	}
	v->sp[id].flood = 0;
	*leaf = id;
	return 0;
}
