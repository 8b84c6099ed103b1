/*
 * shadowpt/shadow_internal.h — what the files of the shadow backend share:
 * its state (shadow pages, the reverse map, the root cache, per-VM and
 * per-run state), small helpers, and the functions one file offers the
 * others.  shadow.c: exits and the backend ops; shadow_pages.c: the pool of
 * shadow pages, the reverse map and resyncs; shadow_fault.c: the path of a
 * hidden fault; shadow_write.c: propagating guest page-table writes;
 * shadow_check.c: the invariant checker.  Nothing outside shadowpt/
 * includes it.
 */
#ifndef MEMVIRT_SHADOWPT_SHADOW_INTERNAL_H
#define MEMVIRT_SHADOWPT_SHADOW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "memvirt/stats.h"
#include "shadowpt/shadow.h"

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
	bool oos;               /* sync == SYNC_OOS, as a statistic */
	bool check;
	unsigned flood;         /* zap a shadow page after this many unused emulated writes; 0: never */

	uint64_t cache_hits, cache_misses, cache_evictions;
	uint64_t pages_live, pages_peak;
	uint64_t unsyncs, flood_zaps, path_rebuilds, checks, single_steps;
	uint64_t emulated_entries;
	char why[256];
};

static inline void sh_post(struct svm *v, uint32_t type, uint64_t gva, uint64_t gpa, uint64_t detail)
{
	struct mv_event ev = {.type = type, .gva = gva, .gpa = gpa, .detail = detail};

	v->s->hw->post(v->vm, &ev);
}
static inline uint64_t sh_gread(const struct svm *v, uint64_t gpa)
{
	uint64_t e;

	memcpy(&e, v->ram + gpa, sizeof(e));
	return e;
}
static inline uint64_t sh_canonical(uint64_t va)
{
	return (va & (UINT64_C(1) << 47)) ? va | UINT64_C(0xffff000000000000)
					  : va & UINT64_C(0x0000ffffffffffff);
}
static inline bool sh_gfn_protected(const struct svm *v, uint64_t gfn)
{
	return v->gfn_head[gfn] != NONE && !v->oos[gfn];
}
static inline void sh_mark_dirty(struct svm *v, uint32_t id)
{
	struct sp *p = &v->sp[id];

	if (!v->s->check || p->dirty)
		return;
	p->dirty = true;
	p->dirty_next = v->dirty_head;
	v->dirty_head = id;
}

/* shadow.c */
int shadow_flush(struct svm *v, enum mv_flush_scope scope, uint64_t arg);
int shadow_handle_intercept(struct svm *v, struct engine_exit *ex);
int shadow_violation(struct svm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* shadow_pages.c */
uint64_t shadow_compute_leaf(const struct svm *v, uint32_t id, uint32_t idx);
uint8_t shadow_entry_acc(const struct svm *v, uint64_t e);
bool shadow_oos_eligible(const struct svm *v, uint64_t gfn);
int shadow_resync(struct svm *v, uint64_t gfn);
int shadow_resync_all(struct svm *v);
int shadow_set_leaf(struct svm *v, uint32_t id, uint32_t idx, uint64_t spte);
int shadow_sp_alloc(struct svm *v, uint8_t depth, bool direct, uint64_t gfn, uint64_t gva,
		    uint8_t acc, uint32_t *out);
void shadow_unlink_child(struct svm *v, uint32_t id, uint32_t idx);
void shadow_unsync(struct svm *v, uint64_t gfn);
void shadow_zap(struct svm *v, uint32_t id);

/* shadow_fault.c */
int shadow_build_path(struct svm *v, uint64_t va, const struct shadow_gwalk *w, uint32_t *leaf);

/* shadow_write.c */
int shadow_emulate_write(struct svm *v, uint64_t va, uint64_t gpa, uint32_t leaf, uint32_t idx);

/* shadow_check.c */
int shadow_finish(struct svm *v, int rc);

#endif
