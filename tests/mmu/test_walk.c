/*
 * tests/mmu/test_walk.c — the guest walk against the SDM, non-nested:
 * every page size x leaf rights (R/W, U/S, NX) x a restriction one level
 * up x CR0.WP x EFER.NXE x access kind x CPL, with the exact #PF error
 * code and CR2; not-present at every level; reserved bits; A/D bits.
 */
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define TABLES GIB(2)          /* page tables live above the data pages */
#define MEM (GIB(2) + MIB(4))

/* Data: a 4K page at 1 MiB + 4K, a 2M page at 2 MiB, a 1G page at 1 GiB. */
static const uint64_t page_pa[3] = { MIB(1) + KIB(4), MIB(2), GIB(1) };
static const uint64_t page_va[3] = { UINT64_C(0x7f0000001000), UINT64_C(0x7f0000200000),
				     UINT64_C(0x7f0040000000) };

enum restrict_kind { R_NONE, R_UPPER_U, R_UPPER_W, R_UPPER_NX, R__COUNT };

static void fresh(struct fx *f, struct ptb *b)
{
	soft_mmu_flush_all(f->mmu, false, SOFT_FLUSH_VMM);
	ptb_init(b, f->mem, 0, TABLES, MEM);
	f->regs.cr3 = b->root;
}

static void matrix(struct fx *f)
{
	struct ptb b;
	unsigned cases = 0;

	for (unsigned size = 0; size < 3; size++)
	for (unsigned leaf = 0; leaf < 8; leaf++)
	for (unsigned r = 0; r < R__COUNT; r++)
	for (unsigned wp = 0; wp < 2; wp++)
	for (unsigned nxe = 0; nxe < 2; nxe++)
	for (unsigned acc = 0; acc < 3; acc++)
	for (unsigned user = 0; user < 2; user++) {
		bool lw = leaf & 1, lu = leaf & 2, lnx = leaf & 4;
		uint64_t va = page_va[size] + 0x123 * 8 + (size ? KIB(12) : 0);
		uint64_t pa = page_pa[size] + (va - page_va[size]);
		unsigned leaf_level = 3 - size;

		fresh(f, &b);
		ptb_map(&b, page_va[size], page_pa[size], size,
			MV_PTE_P | (lw ? MV_PTE_W : 0) | (lu ? MV_PTE_U : 0) | (lnx ? MV_PTE_NX : 0));
		uint64_t *up = ptb_entry(&b, va, leaf_level - 1);
		if (r == R_UPPER_U)
			*up &= ~MV_PTE_U;
		if (r == R_UPPER_W)
			*up &= ~MV_PTE_W;
		if (r == R_UPPER_NX)
			*up |= MV_PTE_NX;
		f->regs.cr0 = wp ? CR0_LONG : CR0_LONG & ~MV_CR0_WP;
		f->regs.efer = EFER_LONG | (nxe ? MV_EFER_NXE : 0);
		fx_apply(f);

		/* The SDM's rules, written out independently of the model. */
		bool any_nx = lnx || r == R_UPPER_NX;
		bool eff_u = lu && r != R_UPPER_U;
		bool eff_w = lw && r != R_UPPER_W;
		bool write = acc == SOFT_ACCESS_WRITE, fetch = acc == SOFT_ACCESS_FETCH;
		uint32_t ec = (write ? SOFT_PFEC_W : 0) | (user ? SOFT_PFEC_U : 0) |
			      (fetch && nxe ? SOFT_PFEC_ID : 0);
		bool rsvd = !nxe && any_nx;
		bool prot = (user && !eff_u) || (write && !eff_w && (user || wp)) ||
			    (fetch && nxe && any_nx);

		if (rsvd) {
			EXPECT_FAULT(f, va, acc, user, SOFT_FAULT_PF,
				     ec | SOFT_PFEC_P | SOFT_PFEC_RSVD, va);
		} else if (prot) {
			EXPECT_FAULT(f, va, acc, user, SOFT_FAULT_PF, ec | SOFT_PFEC_P, va);
			CHECK(!(*ptb_entry(&b, va, leaf_level) & MV_PTE_A),
			      "leaf A set by a faulting access");
		} else {
			EXPECT_HPA(f, va, acc, user, pa);
			for (unsigned l = 0; l < leaf_level; l++)
				CHECK(*ptb_entry(&b, va, l) & MV_PTE_A, "level %u: A clear", l);
			uint64_t lf = *ptb_entry(&b, va, leaf_level);
			CHECK(lf & MV_PTE_A, "leaf A clear after access");
			CHECK(!!(lf & MV_PTE_D) == write, "leaf D %d after acc %u", !!(lf & MV_PTE_D), acc);
		}
		cases++;
	}
	CHECK_EQ_U64(cases, 3 * 8 * R__COUNT * 2 * 2 * 3 * 2);
}

static void not_present(struct fx *f)
{
	struct ptb b;

	for (unsigned size = 0; size < 3; size++)
	for (unsigned level = 0; level <= 3 - size; level++) {
		uint64_t va = page_va[size] + 64;
		fresh(f, &b);
		f->regs.cr0 = CR0_LONG;
		f->regs.efer = EFER_LONG | MV_EFER_NXE;
		fx_apply(f);
		ptb_map(&b, page_va[size], page_pa[size], size, MV_PTE_P | MV_PTE_W | MV_PTE_U);
		*ptb_entry(&b, va, level) &= ~MV_PTE_P;
		EXPECT_FAULT(f, va, SOFT_ACCESS_READ, false, SOFT_FAULT_PF, 0, va);
		EXPECT_FAULT(f, va, SOFT_ACCESS_WRITE, true, SOFT_FAULT_PF,
			     SOFT_PFEC_W | SOFT_PFEC_U, va);
		EXPECT_FAULT(f, va, SOFT_ACCESS_FETCH, true, SOFT_FAULT_PF,
			     SOFT_PFEC_U | SOFT_PFEC_ID, va);
	}
}

static void reserved_bits(struct fx *f)
{
	struct ptb b;
	const uint32_t rs = SOFT_PFEC_P | SOFT_PFEC_RSVD;
	uint64_t va;

	f->regs.cr0 = CR0_LONG;
	f->regs.efer = EFER_LONG | MV_EFER_NXE;
	/* Bit 48 (above MAXPHYADDR 48) at every level of a 4K walk. */
	for (unsigned level = 0; level < 4; level++) {
		fresh(f, &b);
		fx_apply(f);
		va = page_va[0];
		ptb_map(&b, va, page_pa[0], 0, MV_PTE_P | MV_PTE_W);
		*ptb_entry(&b, va, level) |= UINT64_C(1) << SOFT_MMU_MAXPHYADDR;
		EXPECT_FAULT(f, va, SOFT_ACCESS_READ, false, SOFT_FAULT_PF, rs, va);
		/* Bit 52 and up are ignored (software-available). */
		*ptb_entry(&b, va, level) &= ~(UINT64_C(1) << SOFT_MMU_MAXPHYADDR);
		*ptb_entry(&b, va, level) |= UINT64_C(1) << 52;
		EXPECT_HPA(f, va, SOFT_ACCESS_READ, false, page_pa[0]);
	}
	/* PS in a PML4E. */
	fresh(f, &b);
	fx_apply(f);
	va = page_va[0];
	ptb_map(&b, va, page_pa[0], 0, MV_PTE_P | MV_PTE_W);
	*ptb_entry(&b, va, 0) |= MV_PTE_PS;
	EXPECT_FAULT(f, va, SOFT_ACCESS_WRITE, true, SOFT_FAULT_PF,
		     rs | SOFT_PFEC_W | SOFT_PFEC_U, va);
	/* 2M page with address bit 13 set; 1G page with bit 29 set. */
	fresh(f, &b);
	fx_apply(f);
	ptb_map(&b, page_va[1], page_pa[1] | KIB(8), 1, MV_PTE_P | MV_PTE_W);
	EXPECT_FAULT(f, page_va[1], SOFT_ACCESS_READ, false, SOFT_FAULT_PF, rs, page_va[1]);
	fresh(f, &b);
	fx_apply(f);
	ptb_map(&b, page_va[2], page_pa[2] | MIB(512), 2, MV_PTE_P | MV_PTE_W);
	EXPECT_FAULT(f, page_va[2], SOFT_ACCESS_FETCH, false, SOFT_FAULT_PF, rs | SOFT_PFEC_ID,
		     page_va[2]);
	/* Bit 12 of a large page is PAT, not reserved; bit 7 of a PTE is PAT. */
	fresh(f, &b);
	fx_apply(f);
	ptb_map(&b, page_va[1], page_pa[1] | KIB(4), 1, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(f, page_va[1] + 5, SOFT_ACCESS_READ, false, page_pa[1] + 5);
	ptb_map(&b, page_va[0], page_pa[0] | MV_PTE_PS, 0, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(f, page_va[0] + 5, SOFT_ACCESS_READ, false, page_pa[0] + 5);
}

static void accessed_dirty(struct fx *f)
{
	struct ptb b;
	uint64_t va = page_va[0] + 8;

	fresh(f, &b);
	f->regs.cr0 = CR0_LONG;
	fx_apply(f);
	ptb_map(&b, page_va[0], page_pa[0], 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	soft_mmu_stats_reset(f->mmu);
	EXPECT_HPA(f, va, SOFT_ACCESS_READ, true, page_pa[0] + 8);
	/* A on PML4E, PDPTE, PDE and the PTE: four write-backs. */
	CHECK_EQ_U64(fx_stat(f, "ad_writebacks"), 4);
	CHECK(!(*ptb_entry(&b, va, 3) & MV_PTE_D), "D set by a read");
	/* A read hit does not walk; the first write hits an entry whose D is
	 * clear, so it walks again and sets D (one more write-back). */
	EXPECT_HPA(f, va, SOFT_ACCESS_READ, true, page_pa[0] + 8);
	CHECK_EQ_U64(fx_stat(f, "walks"), 1);
	EXPECT_HPA(f, va, SOFT_ACCESS_WRITE, true, page_pa[0] + 8);
	CHECK_EQ_U64(fx_stat(f, "walks"), 2);
	CHECK_EQ_U64(fx_stat(f, "tlb_rewalks"), 1);
	CHECK_EQ_U64(fx_stat(f, "ad_writebacks"), 5);
	CHECK(*ptb_entry(&b, va, 3) & MV_PTE_D, "D clear after the first write");
	/* Later writes hit. */
	EXPECT_HPA(f, va, SOFT_ACCESS_WRITE, true, page_pa[0] + 8);
	CHECK_EQ_U64(fx_stat(f, "walks"), 2);
	CHECK_EQ_U64(fx_stat(f, "tlb_l1d_hits"), 3);
	CHECK_EQ_U64(fx_stat(f, "tlb_accesses"), 4);
	/* The guest clears D (and flushes): the next write sets it again. */
	*ptb_entry(&b, va, 3) &= ~MV_PTE_D;
	soft_mmu_invlpg(f->mmu, va);
	EXPECT_HPA(f, va, SOFT_ACCESS_WRITE, false, page_pa[0] + 8);
	CHECK(*ptb_entry(&b, va, 3) & MV_PTE_D, "D not set again");
	/* Supervisor write to a read-only page with CR0.WP=0 succeeds, sets D. */
	fresh(f, &b);
	f->regs.cr0 = CR0_LONG & ~MV_CR0_WP;
	fx_apply(f);
	ptb_map(&b, page_va[1], page_pa[1], 1, MV_PTE_P);
	EXPECT_HPA(f, page_va[1] + 3, SOFT_ACCESS_WRITE, false, page_pa[1] + 3);
	CHECK(*ptb_entry(&b, page_va[1], 2) & MV_PTE_D, "D clear after WP=0 write");
	/* ... and that cached entry does not let a user write through. */
	EXPECT_FAULT(f, page_va[1] + 3, SOFT_ACCESS_WRITE, true, SOFT_FAULT_PF,
		     SOFT_PFEC_P | SOFT_PFEC_W | SOFT_PFEC_U, page_va[1] + 3);
}

int main(void)
{
	struct fx f;

	fx_init(&f, MEM, "pwc=0");
	matrix(&f);
	not_present(&f);
	reserved_bits(&f);
	accessed_dirty(&f);
	fx_fini(&f);
	return 0;
}
