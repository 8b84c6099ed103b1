/*
 * shadowpt/shadow_check.c — the invariant checker of check=1: every
 * shadow page changed since the last check is compared with the guest's
 * tables (see shadow.c for the invariants).
 */
#include "shadowpt/shadow_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
				return shadow_violation(v, "shadow page %u entry %u: child %u linked but entry absent", id, i, p->child[i]);
			continue;
		}
		if (p->depth < 3) {
			uint32_t c = p->child[i];

			if (c == NONE || !v->sp[c].live || v->sp[c].hpa != hpa || v->sp[c].parent != id ||
			    v->sp[c].parent_idx != i)
				return shadow_violation(v, "shadow page %u entry %u (%#" PRIx64 ") points at no live shadow page of its own", id, i, e);
			if (hpa >= v->ram_hpa && hpa < ram_end)
				return shadow_violation(v, "shadow table at %#" PRIx64 " lies inside the guest's RAM", hpa);
			if ((e & ~MV_PTE_ADDR) & ~(NONLEAF_BITS | MV_PTE_D))
				return shadow_violation(v, "non-leaf shadow entry %#" PRIx64 " has unexpected bits", e);
			continue;
		}
		if (hpa < v->ram_hpa || hpa + PAGE > ram_end)
			return shadow_violation(v, "shadow leaf %#" PRIx64 " maps machine memory outside the VM's RAM [%#" PRIx64 ", %#" PRIx64 ")",
					 e, v->ram_hpa, ram_end);
		if (!p->direct && v->oos[p->gfn])
			continue; /* out of sync by policy: only containment holds */

		uint64_t va = sh_canonical(p->gva + ((uint64_t)i << 12));
		struct shadow_gaccess a = {.wp = true, .nxe = v->nxe};
		struct shadow_gwalk w;

		shadow_gwalk(v->ram, v->mem_size, sl->cr3, va, &a, &w);
		if (w.fault || w.phys)
			return shadow_violation(v, "shadow maps %#" PRIx64 " -> %#" PRIx64 " (root of guest CR3 %#" PRIx64 ") but the guest tables do not (error code %#x)",
					 va, hpa, sl->cr3, w.error_code);
		uint64_t want = v->ram_hpa + (w.gpa & ~(uint64_t)(PAGE - 1));
		uint64_t gleaf = w.entry[w.leaf];

		if (hpa != want)
			return shadow_violation(v, "shadow maps %#" PRIx64 " -> %#" PRIx64 ", guest translation composed with GPA->HPA gives %#" PRIx64,
					 va, hpa, want);
		if (!(gleaf & MV_PTE_A))
			return shadow_violation(v, "shadow maps %#" PRIx64 " while the guest leaf's accessed bit is clear", va);
		if ((e & MV_PTE_W) &&
		    (!(w.acc & MV_PT_RIGHT_W) || !(gleaf & MV_PTE_D) || sh_gfn_protected(v, w.gpa / PAGE)))
			return shadow_violation(v, "shadow leaf for %#" PRIx64 " is writable: guest W %d, guest D %d, page-table page %d",
					 va, !!(w.acc & MV_PT_RIGHT_W), !!(gleaf & MV_PTE_D),
					 sh_gfn_protected(v, w.gpa / PAGE));
		if ((e & MV_PTE_U) && !(w.acc & MV_PT_RIGHT_U))
			return shadow_violation(v, "shadow leaf for %#" PRIx64 " is user-accessible, the guest's is not", va);
		if (v->nxe && !(e & MV_PTE_NX) && !(w.acc & MV_PT_RIGHT_X))
			return shadow_violation(v, "shadow leaf for %#" PRIx64 " is executable, the guest's is not", va);
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
int shadow_finish(struct svm *v, int rc)
{
	if (rc >= 0 && v->flush_pending) {
		int frc = shadow_flush(v, MV_FLUSH_ALL, 0);

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
