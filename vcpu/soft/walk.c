/*
 * vcpu/soft/walk.c — the one page-table walker (see walk.h) and the two
 * format descriptions it is driven by.
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

#include "vcpu/soft/pagefmt.h"
#include "vcpu/soft/tlb.h"

#define PHYS_HI (((UINT64_C(1) << 52) - 1) & ~((UINT64_C(1) << SOFT_MMU_MAXPHYADDR) - 1))
#define BITS(hi, lo) ((((UINT64_C(1) << ((hi) - (lo) + 1)) - 1)) << (lo))

const struct soft_pt_format soft_pt_long4 = {
	.name = "long4",
	.levels = 4,
	.level = {
		/* PML4E: PS is reserved. */
		[0] = { .large_ok = false, .rsvd_table = PHYS_HI | BITS(7, 7) },
		/* PDPTE: PS=1 maps 1 GiB; bits 29:13 of its address must be 0. */
		[1] = { .large_ok = true, .rsvd_table = PHYS_HI, .rsvd_large = PHYS_HI | BITS(29, 13) },
		/* PDE: PS=1 maps 2 MiB; bits 20:13 must be 0. */
		[2] = { .large_ok = true, .rsvd_table = PHYS_HI, .rsvd_large = PHYS_HI | BITS(20, 13) },
		/* PTE: bit 7 is PAT, not PS. */
		[3] = { .large_ok = false, .rsvd_table = PHYS_HI },
	},
	.shift = { 39, 30, 21, 12 },
	.index_bits = 9,
	.addr_mask = BITS(51, 12),
	.bit_p = 1u << 0,
	.bit_rw = 1u << 1,
	.bit_us = 1u << 2,
	.bit_a = 1u << 5,
	.bit_d = 1u << 6,
	.bit_ps = 1u << 7,
	.bit_g = 1u << 8,
	.bit_nx = UINT64_C(1) << 63,
	.user_only = false,
};

const struct soft_pt_format soft_pt_npt = {
	.name = "npt",
	.levels = 4,
	.level = {
		[0] = { .large_ok = false, .rsvd_table = PHYS_HI | BITS(7, 7) },
		[1] = { .large_ok = true, .rsvd_table = PHYS_HI, .rsvd_large = PHYS_HI | BITS(29, 13) },
		[2] = { .large_ok = true, .rsvd_table = PHYS_HI, .rsvd_large = PHYS_HI | BITS(20, 13) },
		[3] = { .large_ok = false, .rsvd_table = PHYS_HI },
	},
	.shift = { 39, 30, 21, 12 },
	.index_bits = 9,
	.addr_mask = BITS(51, 12),
	.bit_p = 1u << 0,
	.bit_rw = 1u << 1,
	.bit_us = 1u << 2,
	.bit_a = 1u << 5,
	.bit_d = 1u << 6,
	.bit_ps = 1u << 7,
	.bit_g = 0,
	.bit_nx = UINT64_C(1) << 63,
	.user_only = true,
};

/* One walk's parameters. */
struct walk_req {
	const struct soft_pt_format *fmt;
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

bool soft_walk_reloc(const struct soft_mmu *mmu, uint64_t gpa, uint64_t len, uint64_t *hpa)
{
	if (gpa >= mmu->gpa_limit || len > mmu->gpa_limit - gpa)
		return false;
	*hpa = gpa + mmu->regs.phys_base;
	return true;
}

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

/* A #PF or NPF with the SDM / APM error code for this walk's access. */
static bool fault_walk(const struct walk_req *rq, struct soft_fault *f, uint32_t why)
{
	uint32_t ec = why;

	if (rq->write)
		ec |= SOFT_PFEC_W;
	if (rq->user || rq->nested_dim)
		ec |= SOFT_PFEC_U;
	/* SDM 4.7: I/D is reported only with NXE (SMEP is not modelled);
	 * nested NX is always on. */
	if (rq->fetch && rq->nxe)
		ec |= SOFT_PFEC_ID;
	if (rq->nested_dim)
		*f = (struct soft_fault){ .kind = SOFT_FAULT_NPF, .error_code = ec, .addr = rq->addr,
					  .gva = rq->gva, .npf_table = rq->npf_table };
	else
		*f = (struct soft_fault){ .kind = SOFT_FAULT_PF, .error_code = ec, .addr = rq->addr,
					  .gva = rq->addr };
	return false;
}

static bool walk(struct soft_mmu *mmu, const struct walk_req *rq, struct soft_walk_result *res,
		 struct soft_fault *f);

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

static bool walk(struct soft_mmu *mmu, const struct walk_req *rq, struct soft_walk_result *res,
		 struct soft_fault *f)
{
	const struct soft_pt_format *fmt = rq->fmt;
	const uint64_t idx_mask = (UINT64_C(1) << fmt->index_bits) - 1;
	uint64_t table = rq->root & fmt->addr_mask;
	uint64_t table_hpa = 0;
	bool have_hpa = false;
	uint16_t acc = SOFT_TLBF_W | SOFT_TLBF_U | SOFT_TLBF_X;
	unsigned start = 0;
	/* A page-walk-cache fill waiting for the next table's machine address. */
	int pwc_level = -1;
	uint16_t pwc_flags = 0;
	const enum soft_mmu_ctr ref_ctr =
		rq->nested_dim ? SOFT_CTR_WALK_REFS_NESTED : SOFT_CTR_WALK_REFS_GUEST;

	if (rq->use_pwc) {
		struct soft_pwc_entry *p = soft_pwc_find(mmu, rq->addr, fmt->shift, fmt->levels - 2);
		if (p) {
			mmu->ctr[SOFT_CTR_PWC_HITS]++;
			start = p->level + 1u;
			table_hpa = p->next_hpa;
			have_hpa = true;
			acc = p->flags;
		} else {
			mmu->ctr[SOFT_CTR_PWC_MISSES]++;
		}
	}

	for (unsigned i = start; i < fmt->levels; i++) {
		const struct soft_pt_level *lvl = &fmt->level[i];
		uint64_t idx = (rq->addr >> fmt->shift[i]) & idx_mask;
		uint64_t ehpa;

		if (have_hpa) {
			ehpa = table_hpa + idx * 8;
			have_hpa = false;
		} else if (rq->nested_dim) {
			ehpa = table + idx * 8;
		} else if (!guest_table_hpa(mmu, rq, table + idx * 8, &ehpa, f)) {
			return false;
		}
		if (!in_memory(mmu, ehpa, 8))
			return fault_phys(f, ehpa, rq->gva);
		if (pwc_level >= 0) {
			soft_pwc_insert(mmu, (unsigned)pwc_level, rq->addr >> fmt->shift[pwc_level],
					ehpa - idx * 8, pwc_flags);
			pwc_level = -1;
		}
		if (rq->commit) {
			mmu->ctr[SOFT_CTR_WALK_REFS]++;
			mmu->ctr[ref_ctr]++;
		}

		uint64_t pte = load64(mmu, ehpa);
		if (!(pte & fmt->bit_p))
			return fault_walk(rq, f, 0);
		bool last = i + 1 == fmt->levels;
		bool leaf = last || (lvl->large_ok && (pte & fmt->bit_ps));
		uint64_t rsvd = leaf && !last ? lvl->rsvd_large : lvl->rsvd_table;
		if (!rq->nxe)
			rsvd |= fmt->bit_nx;
		if (pte & rsvd)
			return fault_walk(rq, f, SOFT_PFEC_P | SOFT_PFEC_RSVD);

		if (!(pte & fmt->bit_rw))
			acc &= (uint16_t)~SOFT_TLBF_W;
		if (!(pte & fmt->bit_us))
			acc &= (uint16_t)~SOFT_TLBF_U;
		if (rq->nxe && (pte & fmt->bit_nx))
			acc &= (uint16_t)~SOFT_TLBF_X;

		if (!leaf) {
			if (rq->commit && !(pte & fmt->bit_a)) {
				store64(mmu, ehpa, pte | fmt->bit_a);
				mmu->ctr[SOFT_CTR_AD_WRITEBACKS]++;
			}
			table = pte & fmt->addr_mask;
			if (rq->use_pwc) {
				pwc_level = (int)i;
				pwc_flags = acc;
			}
			continue;
		}

		/* Rights: SDM 4.6.  Supervisor writes ignore R/W when CR0.WP=0;
		 * supervisor fetches from user pages are allowed (no SMEP). */
		bool user = rq->user || fmt->user_only;
		if ((user && !(acc & SOFT_TLBF_U)) ||
		    (rq->write && !(acc & SOFT_TLBF_W) && (user || rq->wp)) ||
		    (rq->fetch && !(acc & SOFT_TLBF_X)))
			return fault_walk(rq, f, SOFT_PFEC_P);

		uint64_t set = fmt->bit_a | (rq->write ? fmt->bit_d : 0);
		if (rq->commit && (pte & set) != set) {
			pte |= set;
			store64(mmu, ehpa, pte);
			mmu->ctr[SOFT_CTR_AD_WRITEBACKS]++;
		}
		unsigned size = (fmt->shift[i] - 12u) / 9u;
		uint64_t page_mask = (UINT64_C(1) << fmt->shift[i]) - 1;
		res->size = size;
		res->out = ((pte & fmt->addr_mask) & ~page_mask) | (rq->addr & page_mask);
		res->flags = acc;
		if (pte & fmt->bit_d)
			res->flags |= SOFT_TLBF_D;
		if (fmt->bit_g && (pte & fmt->bit_g) && (mmu->regs.cr4 & (1u << 7)))
			res->flags |= SOFT_TLBF_G;
		return true;
	}
	/* Not reached: the last level is always a leaf. */
	return fault_walk(rq, f, 0);
}

bool soft_walk_guest(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		     bool commit, struct soft_walk_result *res, struct soft_fault *fault)
{
	const struct walk_req rq = {
		.fmt = &soft_pt_long4,
		.root = mmu->regs.cr3,
		.addr = va,
		.nested_dim = false,
		.write = acc == SOFT_ACCESS_WRITE,
		.fetch = acc == SOFT_ACCESS_FETCH,
		.user = user,
		.wp = (mmu->regs.cr0 & (1u << 16)) != 0,
		.nxe = (mmu->regs.efer & (1u << 11)) != 0,
		.commit = commit,
		.use_pwc = commit && mmu->cfg.pwc_entries > 0,
		.gva = va,
	};
	return walk(mmu, &rq, res, fault);
}

bool soft_walk_nested(struct soft_mmu *mmu, uint64_t gpa, enum soft_access acc, bool table,
		      uint64_t gva, bool commit, struct soft_walk_result *res,
		      struct soft_fault *fault)
{
	const struct walk_req rq = {
		.fmt = &soft_pt_npt,
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
