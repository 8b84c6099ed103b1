/*
 * vcpu/soft/miss.c — the common TLB miss in one pass (see miss.h).
 *
 * What it covers: paging on, the page-table machine, no nested paging,
 * LRU replacement, a 4 KiB page missing from L1; an L2
 * hit with the rights and the current PCID, or a walk whose entries are
 * all present, without reserved bits, with A (and D for a write) already
 * set, that allows the access.  That is nearly every miss of a running
 * workload after its pages were first touched.  Anything else (a large
 * page, a fault, an A/D write-back, a rewalk, random replacement, the
 * architected-TLB machine, nested paging) goes to the generic path.
 *
 * Every step below mirrors one of the generic path, in its order; the
 * comments name it.  Nothing is changed before the whole outcome is
 * known: the lookups and the table reads come first, then the counts,
 * stamps and fills.
 */
#include "vcpu/soft/miss.h"

#include <assert.h>
#include <string.h>

#include "memvirt/pagetable.h"
#include "vcpu/soft/tlb.h"
#include "vcpu/soft/walk.h"

#define MISS_LEVELS 4u            /* mv_pt_long4 */
#define MISS_PWC_MAX_LEVEL 2u     /* levels - 2: soft_walk_guest's page-walk-cache depth */

/* The lookup's probes of the large sets: whether an entry of another
 * size maps va (the generic path takes it, and moves the hint). */
static inline bool large_hit(const struct soft_tlb *t, const struct soft_mmu *mmu, uint64_t va)
{
	for (unsigned s = SOFT_PAGE_2M; s < SOFT_PAGE__COUNT; s++)
		if (t->nlarge[s] && soft_tlb_probe((struct soft_tlb *)t, mmu, va, s))
			return true;
	return false;
}

/* The outcome decide() found, for commit(). */
struct soft_miss {
	uint64_t va;
	uint64_t hpa;                       /* of the access */
	struct soft_tlb *l1;
	struct soft_tlb_entry *l1_fill, *l2_fill;  /* the ways the scans chose */
	struct soft_tlb_entry *l2_hit;      /* NULL: a walk */
	/* The walk's: the page-walk-cache hit (-1 none), the first level
	 * read, each level's table and rights after it, the page and the
	 * fill's flags. */
	int pwc;
	unsigned first;
	uint64_t tables[MISS_LEVELS];
	uint8_t rights_at[MISS_LEVELS];
	uint64_t page;
	uint16_t flags;
	bool fetch;
};

/* Inlined into both entries, so that the outcome stays in registers. */
#define MISS_INLINE static inline __attribute__((always_inline))

/* The machines the one-pass miss covers: the page-table machine without
 * nested paging, LRU replacement. */
MISS_INLINE bool machine_covered(const struct soft_mmu *mmu)
{
	return !mmu->regs.arch_tlb && !mmu->regs.npt && mmu->cfg.repl == SOFT_TLB_LRU;
}

static const uint8_t pwc_shifts[MISS_LEVELS] = {MV_PT_SHIFT(0), MV_PT_SHIFT(1), MV_PT_SHIFT(2),
						 MV_PT_SHIFT(3)};

/* The L2 hit, then the walk, after the L1 scan missed (m->l1_fill set):
 * whether the one-pass miss covers the access (true with *m), having
 * counted and changed nothing. */
MISS_INLINE bool decide_after_l1(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
			    struct soft_miss *m)
{
	const struct soft_mmu_regs *r = &mmu->regs;
	const bool fetch = acc == SOFT_ACCESS_FETCH, write = acc == SOFT_ACCESS_WRITE;
	struct soft_tlb *const l2 = mmu->l2.e ? &mmu->l2 : NULL;
	struct soft_tlb_entry *e;

	if (large_hit(m->l1, mmu, va))
		return false;

	/* The L2 lookup. */
	m->l2_fill = NULL;
	m->l2_hit = NULL;
	if (l2) {
		e = soft_tlb_scan_set_4k(l2, mmu, va, &m->l2_fill);
		if (e) {
			/* An L2 hit that allows the access, filled into L1 with its
			 * own tags into the way L1's scan chose. */
			if (!soft_mmu_entry_allows(mmu, e, acc, user) || e->pcid != mmu->cur_pcid)
				return false;
			m->l2_hit = e;
			m->hpa = va + e->addend;
			/* Unused by the commit of an L2 hit; set for the compiler,
			 * which cannot see that. */
			m->pwc = -1;
			m->first = 0;
			m->page = 0;
			m->flags = 0;
			return true;
		}
		if (large_hit(l2, mmu, va))
			return false;
	}

	/* The walk (walk.c: walk(), read_entry(), descend(); the SDK walker
	 * mv_pt_walk() over mv_pt_long4), reading only. */
	const bool nxe = (r->efer & MV_EFER_NXE) != 0, wp = (r->cr0 & MV_CR0_WP) != 0;
	const int pwc = mmu->cfg.pwc_entries > 0
				? soft_pwc_lookup_inline(mmu, va, pwc_shifts, MISS_PWC_MAX_LEVEL)
				: -1;
	unsigned level = 0;
	uint8_t rights = MV_PT_RIGHTS_ALL;
	uint64_t table_hpa = 0;   /* the machine address of the table read next */
	bool have_hpa = false;
	uint64_t pte = 0;

	if (pwc >= 0) {
		const struct soft_pwc_entry *p = &mmu->pwc[pwc];
		level = p->level + 1u;
		rights = p->flags;
		table_hpa = p->next_hpa;
		have_hpa = true;
	}
	m->pwc = pwc;
	m->first = level;
	uint64_t table = r->cr3 & MV_PTE_ADDR;
	for (;; level++) {
		const struct mv_pt_level *lvl = &mv_pt_long4.level[level];
		const uint64_t idx = (va >> MV_PT_SHIFT(level)) & (MV_PT_ENTRIES - 1);
		uint64_t ehpa;
		if (have_hpa) {
			ehpa = table_hpa + idx * 8;
			have_hpa = false;
		} else if (!soft_walk_reloc(mmu, table + idx * 8, 8, &ehpa)) {
			return false;
		}
		if (ehpa >= mmu->mem_size || 8 > mmu->mem_size - ehpa)
			return false;
		m->tables[level] = ehpa - idx * 8;
		memcpy(&pte, mmu->mem + ehpa, sizeof(pte));
		const bool last = level + 1 == MISS_LEVELS;
		if (!(pte & MV_PTE_P) || (!last && lvl->large_ok && (pte & MV_PTE_PS)))
			return false;   /* not present, or a large page */
		if (pte & (lvl->rsvd_table | (nxe ? 0 : MV_PTE_NX)))
			return false;
		if (!(pte & MV_PTE_W))
			rights &= (uint8_t)~MV_PT_RIGHT_W;
		if (!(pte & MV_PTE_U))
			rights &= (uint8_t)~MV_PT_RIGHT_U;
		if (nxe && (pte & MV_PTE_NX))
			rights &= (uint8_t)~MV_PT_RIGHT_X;
		m->rights_at[level] = rights;
		if (last)
			break;
		if (!(pte & MV_PTE_A))
			return false;   /* an A write-back */
		table = pte & MV_PTE_ADDR;
	}
	if ((user && !(rights & MV_PT_RIGHT_U)) ||
	    (write && !(rights & MV_PT_RIGHT_W) && (user || wp)) ||
	    (fetch && !(rights & MV_PT_RIGHT_X)))
		return false;   /* a #PF */
	const uint64_t set = MV_PTE_A | (write ? MV_PTE_D : 0);
	if ((pte & set) != set)
		return false;   /* an A/D write-back */
	const uint64_t gpa = (pte & MV_PTE_ADDR) | (va & 0xfff);
	if (!soft_walk_reloc(mmu, gpa & ~UINT64_C(0xfff), 4096, &m->page))
		return false;   /* outside the VM */
	uint16_t flags = (uint16_t)(rights | SOFT_TLBF_NW);
	if (pte & MV_PTE_D)
		flags |= SOFT_TLBF_D;
	if ((pte & MV_PTE_G) && (r->cr4 & MV_CR4_PGE))
		flags |= SOFT_TLBF_G;
	m->flags = flags;
	m->hpa = m->page + (va & 0xfff);
	/* The access itself comes next: after a walk it is usually a host
	 * cache miss too, which the commit's counts and fills can overlap
	 * (where the hints knew the page its line is on its way already). */
	__builtin_prefetch(mmu->mem + m->hpa);
	return true;
}

/* Does what the generic path does for the access m was decided for:
 * counts, stamps, fills.  Returns the L1 entry filled. */
MISS_INLINE struct soft_tlb_entry *commit(struct soft_mmu *mmu, const struct soft_miss *m)
{
	struct soft_tlb *const l1 = m->l1;
	struct soft_tlb *const l2 = mmu->l2.e ? &mmu->l2 : NULL;
	struct soft_tlb_entry *filled;
	const uint64_t va = m->va;

	mmu->ctr[SOFT_CTR_TLB_ACCESSES]++;
	mmu->ctr[m->fetch ? SOFT_CTR_L1I_MISSES : SOFT_CTR_L1D_MISSES]++;
	mmu->miss_fast_taken++;
	if (m->l2_hit) {
		struct soft_tlb_entry *e = m->l2_hit;
		mmu->ctr[SOFT_CTR_L2_HITS]++;
		e->stamp = ++l2->clock;
		/* soft_tlb_find() found it off a large hint: the hint moves. */
		if (l2->hint != SOFT_PAGE_4K) {
			l2->hint = SOFT_PAGE_4K;
			l2->gen++;
		}
		filled = soft_tlb_fill_at(l1, m->l1_fill, va, (e->key & ~UINT64_C(0xfff)) + e->addend,
					  e->asid, e->pcid, e->flags);
		soft_mmu_note_fill(mmu, l1, filled);
		return filled;
	}

	/* After the walk: count, stamp and fill as the generic path. */
	if (l2)
		mmu->ctr[SOFT_CTR_L2_MISSES]++;
	mmu->ctr[SOFT_CTR_WALKS]++;
	if (mmu->cfg.pwc_entries > 0) {
		if (m->pwc >= 0) {
			mmu->ctr[SOFT_CTR_PWC_HITS]++;
			soft_pwc_touch(mmu, (unsigned)m->pwc);
			if ((unsigned)m->pwc != mmu->pwc_last)
				mmu->pwc_last = (unsigned)m->pwc;
		} else {
			mmu->ctr[SOFT_CTR_PWC_MISSES]++;
		}
		/* Each table entry read above the leaf names the next table. */
		for (unsigned l = m->first; l + 1 < MISS_LEVELS; l++)
			soft_pwc_insert(mmu, l, va >> MV_PT_SHIFT(l), m->tables[l + 1], m->rights_at[l]);
	}
	const unsigned refs = MISS_LEVELS - m->first;
	mmu->ctr[SOFT_CTR_WALK_REFS] += refs;
	mmu->ctr[SOFT_CTR_WALK_REFS_GUEST] += refs;
	soft_note_hint(mmu, false, va, m->tables[MISS_LEVELS - 1]);
	assert(m->page < mmu->mem_size && 4096 <= mmu->mem_size - m->page);
	filled = soft_tlb_fill_at(l1, m->l1_fill, va, m->page, mmu->cur_asid, mmu->cur_pcid,
				  m->flags);
	soft_mmu_note_fill(mmu, l1, filled);
	if (l2)
		soft_tlb_fill_at(l2, m->l2_fill, va, m->page, mmu->cur_asid, mmu->cur_pcid, m->flags);
	return filled;
}

bool soft_miss_fast(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		    uint64_t *hpa)
{
	struct soft_miss m;
	if (!machine_covered(mmu))
		return false;
	m.va = va;
	m.fetch = acc == SOFT_ACCESS_FETCH;
	m.l1 = m.fetch ? &mmu->itlb : &mmu->dtlb;
	/* The L1 lookup: a hit here (rights the inline path lacked) or in a
	 * large set is the generic path's.  Where the hint points changes
	 * only the order of the probes, so a miss of them all is the same
	 * miss whatever it is; it does not move on a miss. */
	if (soft_tlb_scan_set_4k(m.l1, mmu, va, &m.l1_fill) || !decide_after_l1(mmu, va, acc, user, &m))
		return false;
	commit(mmu, &m);
	*hpa = m.hpa;
	return true;
}

struct soft_tlb_entry *soft_miss_data(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
				      bool user, struct soft_tlb_entry *l1_fill,
				      const uint64_t *write_veto, uint64_t *hpa)
{
	struct soft_miss m;
	/* soft_mmu_translate_slow()'s own checks before soft_miss_fast(). */
	if (!(mmu->regs.cr0 & MV_CR0_PG) || mmu->no_miss_fast || !machine_covered(mmu)) {
		/* The generic path's walk is longer still under nested paging. */
		if ((mmu->regs.cr0 & MV_CR0_PG) && mmu->regs.npt)
			soft_prefetch_by_hint(mmu, va, true);
		return NULL;
	}
	soft_prefetch_by_hint(mmu, va, false);
	m.va = va;
	m.fetch = false;
	m.l1 = &mmu->dtlb;
	m.l1_fill = l1_fill;
	if (!decide_after_l1(mmu, va, acc, user, &m))
		return NULL;
	const uint64_t page = m.hpa >> 12;
	if (acc == SOFT_ACCESS_WRITE && ((write_veto[page / 64] >> (page % 64)) & 1))
		return NULL;
	*hpa = m.hpa;
	return commit(mmu, &m);
}
