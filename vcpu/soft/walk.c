/*
 * vcpu/soft/walk.c — the soft MMU's use of the SDK's page-table walker
 * (memvirt/pagetable.h) for the guest and nested dimensions (see walk.h).
 *
 * The walker reads one 8-byte entry per level at a machine address.  How
 * the address of a table entry becomes a machine address is the only
 * thing that differs between the dimensions:
 *   nested dimension: tables are at machine addresses already;
 *   guest dimension, nested paging: the entry's GPA goes through a nested
 *     walk (a user write, as AMD checks guest table accesses), so a cold
 *     4+4-level walk costs 4 * (4 + 1) + 4 = 24 references;
 *   guest dimension, no nested paging: hpa = gpa + phys_base, below the
 *     VM's limit.
 * Every machine address is checked against the machine buffer before it
 * is dereferenced.  Faults: guest dimension -> SOFT_FAULT_PF (addr = the
 * GVA), nested dimension -> SOFT_FAULT_NPF (addr = the GPA), an address
 * outside memory -> SOFT_FAULT_PHYS.
 */
#include "vcpu/soft/walk.h"

#include <string.h>

#include "memvirt/pagetable.h"
#include "vcpu/soft/tlb.h"

/* One walk's parameters. */
struct walk_req {
	const struct mv_pt_format *fmt;
	uint64_t root;       /* root table address (GPA or HPA per dimension) */
	uint64_t addr;       /* the address translated */
	bool nested_dim;     /* tables are HPAs; faults are NPF; refs count as nested */
	bool write, fetch, user;
	bool wp, nxe;
	bool commit;
	bool use_pwc;
	uint64_t gva;
	bool npf_table;
};



static bool in_memory(const struct soft_mmu *mmu, uint64_t hpa, uint64_t len)
{
	return hpa < mmu->mem_size && len <= mmu->mem_size - hpa;
}

static uint64_t load64(const struct soft_mmu *mmu, uint64_t hpa)
{
	uint64_t v;

	memcpy(&v, mmu->mem + hpa, sizeof(v));
	return v;
}

static void store64(struct soft_mmu *mmu, uint64_t hpa, uint64_t v)
{
	memcpy(mmu->mem + hpa, &v, sizeof(v));
}

static bool fault_phys(struct soft_fault *f, uint64_t addr, uint64_t gva)
{
	*f = (struct soft_fault){ .kind = SOFT_FAULT_PHYS, .addr = addr, .gva = gva };
	return false;
}

/* A #PF or NPF with the error code the walker computed. */
static bool fault_walk(const struct walk_req *rq, struct soft_fault *f, uint32_t ec)
{
	if (rq->nested_dim)
		*f = (struct soft_fault){ .kind = SOFT_FAULT_NPF, .error_code = ec, .addr = rq->addr,
					  .gva = rq->gva, .npf_table = rq->npf_table };
	else
		*f = (struct soft_fault){ .kind = SOFT_FAULT_PF, .error_code = ec, .addr = rq->addr,
					  .gva = rq->addr };
	return false;
}

/* The machine address of the guest-physical entry address gpa. */
static bool guest_table_hpa(struct soft_mmu *mmu, const struct walk_req *rq, uint64_t gpa,
			    uint64_t *hpa, struct soft_fault *f)
{
	if (!mmu->regs.npt) {
		if (!soft_walk_reloc(mmu, gpa, 8, hpa))
			return fault_phys(f, gpa, rq->gva);
		return true;
	}
	struct soft_walk_result nr;
	if (!soft_walk_nested(mmu, gpa, SOFT_ACCESS_WRITE, true, rq->gva, rq->commit, &nr, f))
		return false;
	*hpa = nr.out;
	return true;
}

/* The walker's view of the MMU's memory (memvirt/pagetable.h). */
struct walk_ctx {
	struct soft_mmu *mmu;
	const struct walk_req *rq;
	struct soft_fault *f;
	/* A page-walk-cache hit: the first table's machine address. */
	bool have_hpa;
	uint64_t table_hpa;
	/* A page-walk-cache fill waiting for the next table's machine address. */
	int pwc_level;
	uint8_t pwc_rights;
	enum soft_mmu_ctr ref_ctr;
};

static inline __attribute__((always_inline)) bool read_entry(void *vctx, unsigned level, uint64_t table, uint64_t idx, uint64_t *where,
		       uint64_t *entry)
{
	struct walk_ctx *c = vctx;
	struct soft_mmu *mmu = c->mmu;
	const struct walk_req *rq = c->rq;
	uint64_t ehpa;

	if (c->have_hpa) {
		ehpa = c->table_hpa + idx * 8;
		c->have_hpa = false;
	} else if (rq->nested_dim) {
		ehpa = table + idx * 8;
	} else if (!guest_table_hpa(mmu, rq, table + idx * 8, &ehpa, c->f)) {
		return false;
	}
	if (!in_memory(mmu, ehpa, 8))
		return fault_phys(c->f, ehpa, rq->gva);
	if (c->pwc_level >= 0) {
		soft_pwc_insert(mmu, (unsigned)c->pwc_level, rq->addr >> MV_PT_SHIFT(c->pwc_level),
				ehpa - idx * 8, c->pwc_rights);
		c->pwc_level = -1;
	}
	if (rq->commit) {
		mmu->ctr[SOFT_CTR_WALK_REFS]++;
		mmu->ctr[c->ref_ctr]++;
		/* A last-level table: a hint for the next access's prefetch. */
		if (level + 1 == rq->fmt->levels)
			soft_note_hint(mmu, rq->nested_dim, rq->addr, ehpa - idx * 8);
	}
	*where = ehpa;
	*entry = load64(mmu, ehpa);
	return true;
}

static inline __attribute__((always_inline)) void write_entry(void *vctx, uint64_t where, uint64_t entry)
{
	struct walk_ctx *c = vctx;

	store64(c->mmu, where, entry);
	c->mmu->ctr[SOFT_CTR_AD_WRITEBACKS]++;
}

static inline __attribute__((always_inline)) void descend(void *vctx, unsigned level, uint64_t next, uint8_t rights)
{
	struct walk_ctx *c = vctx;

	(void)next;
	if (c->rq->use_pwc) {
		c->pwc_level = (int)level;
		c->pwc_rights = rights;
	}
}

/* A committed walk counts, writes A/D bits back and uses the page-walk
 * cache; a probe only reads. */
static const struct mv_pt_walk_ops commit_ops = {.read = read_entry, .write = write_entry, .descend = descend};
static const struct mv_pt_walk_ops probe_ops = {.read = read_entry};

static const uint8_t pwc_shifts[MV_PT_LEVELS] = {MV_PT_SHIFT(0), MV_PT_SHIFT(1), MV_PT_SHIFT(2), MV_PT_SHIFT(3)};

/* Inlined into each dimension's entry point with its format and the ops
 * constant at every call of the walker, so that the walker's callbacks
 * inline too (a walk is the miss path of every TLB miss). */
static inline __attribute__((always_inline)) bool walk(struct soft_mmu *mmu,
							const struct walk_req *rq,
							struct soft_walk_result *res,
							struct soft_fault *f)
{
	const struct mv_pt_format *fmt = rq->fmt;
	const struct mv_pt_access a = {
		.write = rq->write, .fetch = rq->fetch, .user = rq->user, .wp = rq->wp, .nxe = rq->nxe,
	};
	struct walk_ctx c = {
		.mmu = mmu, .rq = rq, .f = f, .pwc_level = -1,
		.ref_ctr = rq->nested_dim ? SOFT_CTR_WALK_REFS_NESTED : SOFT_CTR_WALK_REFS_GUEST,
	};
	struct mv_pt_walk_start start = {.table = rq->root, .level = 0, .rights = MV_PT_RIGHTS_ALL};
	struct mv_pt_walk w;

	if (rq->use_pwc) {
		struct soft_pwc_entry *p = soft_pwc_find(mmu, rq->addr, pwc_shifts, fmt->levels - 2);
		if (p) {
			mmu->ctr[SOFT_CTR_PWC_HITS]++;
			start.level = p->level + 1u;
			start.rights = (uint8_t)p->flags;
			c.table_hpa = p->next_hpa;
			c.have_hpa = true;
		} else {
			mmu->ctr[SOFT_CTR_PWC_MISSES]++;
		}
	}
	bool ok = rq->commit ? mv_pt_walk(fmt, &commit_ops, &c, &start, rq->addr, &a, &w)
			     : mv_pt_walk(fmt, &probe_ops, &c, &start, rq->addr, &a, &w);
	if (!ok) {
		if (w.status == MV_PT_WALK_STOPPED)
			return false;
		return fault_walk(rq, f, w.error_code);
	}
	res->size = (w.page_shift - 12u) / 9u;
	res->out = w.out;
	res->flags = w.rights;
	if (w.dirty)
		res->flags |= SOFT_TLBF_D;
	if (w.global && (mmu->regs.cr4 & MV_CR4_PGE))
		res->flags |= SOFT_TLBF_G;
	return true;
}

_Static_assert(MV_PT_RIGHT_W == SOFT_TLBF_W && MV_PT_RIGHT_U == SOFT_TLBF_U && MV_PT_RIGHT_X == SOFT_TLBF_X,
	       "the walker's rights are the TLB's flags");

static inline __attribute__((always_inline)) bool
walk_guest(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user, bool commit,
	   struct soft_walk_result *res, struct soft_fault *fault)
{
	const struct walk_req rq = {
		.fmt = &mv_pt_long4,
		.root = mmu->regs.cr3,
		.addr = va,
		.nested_dim = false,
		.write = acc == SOFT_ACCESS_WRITE,
		.fetch = acc == SOFT_ACCESS_FETCH,
		.user = user,
		.wp = (mmu->regs.cr0 & MV_CR0_WP) != 0,
		.nxe = (mmu->regs.efer & MV_EFER_NXE) != 0,
		.commit = commit,
		.use_pwc = commit && mmu->cfg.pwc_entries > 0,
		.gva = va,
	};
	return walk(mmu, &rq, res, fault);
}

bool soft_walk_guest(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		     bool commit, struct soft_walk_result *res, struct soft_fault *fault)
{
	return walk_guest(mmu, va, acc, user, commit, res, fault);
}

bool soft_walk_nested(struct soft_mmu *mmu, uint64_t gpa, enum soft_access acc, bool table,
		      uint64_t gva, bool commit, struct soft_walk_result *res,
		      struct soft_fault *fault)
{
	const struct walk_req rq = {
		.fmt = &mv_pt_npt,
		.root = mmu->regs.ncr3,
		.addr = gpa,
		.nested_dim = true,
		.write = acc == SOFT_ACCESS_WRITE,
		.fetch = acc == SOFT_ACCESS_FETCH,
		.user = true,
		.wp = true,
		.nxe = true,
		.commit = commit,
		.use_pwc = false,
		.gva = gva,
		.npf_table = table,
	};
	return walk(mmu, &rq, res, fault);
}

static uint64_t page_bytes(unsigned size)
{
	return UINT64_C(1) << SOFT_PAGE_SHIFT(size);
}

/* The full translation of va to a machine page: guest walk, then the
 * final GPA through the nested tables or the relocation.  Out: the
 * machine address, and the TLB entry to fill (VA page size, machine page
 * base, flags). */
static inline __attribute__((always_inline)) bool
walk_full(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user, bool commit,
	  bool npt, uint64_t *hpa, unsigned *size_out, uint64_t *hpa_page, uint16_t *flags_out,
	  struct soft_fault *f)
{
	struct soft_walk_result gw;
	unsigned size;
	uint64_t gpa, base;
	uint16_t flags;

	if (!walk_guest(mmu, va, acc, user, commit, &gw, f))
		return false;
	gpa = gw.out;
	size = gw.size;
	flags = gw.flags;
	if (npt) {
		struct soft_walk_result nr;
		if (!soft_walk_nested(mmu, gpa, acc, false, va, commit, &nr, f))
			return false;
		if (nr.size < size)
			size = nr.size;
		/* Combined rights: the guest's, with the nested X and D, and
		 * the nested R/W kept apart (it binds supervisor writes too). */
		flags &= (uint16_t)(SOFT_TLBF_W | SOFT_TLBF_U | SOFT_TLBF_G | (nr.flags & SOFT_TLBF_X) |
				    (nr.flags & SOFT_TLBF_D));
		if (nr.flags & SOFT_TLBF_W)
			flags |= SOFT_TLBF_NW;
		*hpa = nr.out;
		base = nr.out & ~(page_bytes(size) - 1);
		/* A page reaching past machine memory is cached as 4 KiB. */
		if (base + page_bytes(size) > mmu->mem_size || base + page_bytes(size) < base) {
			size = SOFT_PAGE_4K;
			base = nr.out & ~(page_bytes(size) - 1);
		}
		if (base + page_bytes(size) > mmu->mem_size) {
			*f = (struct soft_fault){ .kind = SOFT_FAULT_PHYS, .addr = nr.out, .gva = va };
			return false;
		}
	} else {
		uint64_t gbase = gpa & ~(page_bytes(size) - 1);
		flags |= SOFT_TLBF_NW;
		/* A large page reaching past the VM's memory is cached as a
		 * 4 KiB splinter, so no entry spans memory outside it. */
		if (!soft_walk_reloc(mmu, gbase, page_bytes(size), &base)) {
			size = SOFT_PAGE_4K;
			gbase = gpa & ~(page_bytes(size) - 1);
			if (!soft_walk_reloc(mmu, gbase, page_bytes(size), &base)) {
				*f = (struct soft_fault){ .kind = SOFT_FAULT_PHYS, .addr = gpa, .gva = va };
				return false;
			}
		}
		*hpa = base + (gpa - gbase);
	}
	*size_out = size;
	*hpa_page = base;
	*flags_out = flags;
	return true;
}

bool soft_walk_full(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		    bool commit, uint64_t *hpa, unsigned *size_out, uint64_t *hpa_page,
		    uint16_t *flags_out, struct soft_fault *f)
{
	/* The walk of every TLB miss without nested paging, compiled on its
	 * own with the dimension and the commit known. */
	if (!mmu->regs.npt && commit)
		return walk_full(mmu, va, acc, user, true, false, hpa, size_out, hpa_page, flags_out, f);
	return walk_full(mmu, va, acc, user, commit, mmu->regs.npt, hpa, size_out, hpa_page,
			 flags_out, f);
}
