/*
 * shadowpt/shadow_write.c — propagating guest page-table writes (sync=wp):
 * the write to a write-protected guest table runs as one single-stepped
 * instruction with the page writable, the page is diffed against a
 * snapshot and each changed entry is propagated; a table written often
 * without being used is zapped (flood).
 */
#include "shadowpt/shadow_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
				rc = shadow_set_leaf(v, id, idx, shadow_compute_leaf(v, id, idx));
				if (rc)
					return rc;
			}
		} else if (p->child[idx] != NONE) {
			/* A guest table pointer changed: what hung under it
			 * is no longer known to be right. */
			shadow_unlink_child(v, id, idx);
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
			shadow_unlink_child(v, p->parent, p->parent_idx);
		} else if (p->slot != v->cur) {
			v->s->flood_zaps++;
			v->cache[p->slot].used = false;
			shadow_zap(v, id);
		}
	}
}


/* The guest writes a write-protected page-table page at va (leaf table
 * `leaf`, entry idx maps it): let it, for exactly one instruction. */
int shadow_emulate_write(struct svm *v, uint64_t va, uint64_t gpa, uint32_t leaf, uint32_t idx)
{
	const struct mv_hw *hw = v->s->hw;
	uint64_t gfn = gpa / PAGE;
	struct engine_exit *ex = NULL;
	uint64_t spte;
	int rc, step;

	if (!HW_HAS(hw, single_step))
		return shadow_violation(v, "the VMM offers no single_step service: guest page-table writes cannot be emulated");
	/* The step must not run on stale translations: a page-walk-cache
	 * entry may still point at a shadow frame freed in this exit. */
	if (v->flush_pending) {
		v->flush_pending = false;
		rc = shadow_flush(v, MV_FLUSH_ALL, 0);
		if (rc)
			return rc;
	}
	memcpy(v->snap, v->ram + gfn * PAGE, PAGE);
	spte = shadow_compute_leaf(v, leaf, idx) | MV_PTE_W | MV_PTE_D;
	rc = shadow_set_leaf(v, leaf, idx, spte);
	if (rc)
		return rc;
	v->s->single_steps++;
	step = hw->single_step(v->vm, &ex);
	/* Back to read-only before anything else looks, and out of the
	 * TLB, which may have cached the writable entry. */
	rc = shadow_set_leaf(v, leaf, idx, shadow_compute_leaf(v, leaf, idx));
	if (!rc)
		rc = shadow_flush(v, MV_FLUSH_ADDRESS, va);
	if (rc)
		return rc;
	if (step)
		return step;
	sh_post(v, MV_EV_PT_WRITE_EMULATED, va, gpa, 0);
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
		rc = shadow_set_leaf(v, leaf, idx, shadow_compute_leaf(v, leaf, idx));
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
		rc = shadow_handle_intercept(v, ex);
		v->nesting--;
		if (rc < 0)
			return rc;
		if (rc == MV_EXIT_HANDLED)
			return 0;
		break;
	default:
		break;
	}
	return shadow_violation(v, "the single-stepped page-table write at %#" PRIx64 " stopped on an exit (engine reason %d) the backend cannot hand back to the VMM",
			 va, (int)ex->reason);
}
