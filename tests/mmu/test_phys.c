/*
 * tests/mmu/test_phys.c — containment without nested paging: guest
 * physical addresses are relocated by phys_base and must be below
 * phys_limit (and inside machine memory); tables, CR3, leaf pages and
 * large pages that reach past the limit, and paging off.
 *
 * Layout: machine memory 32 MiB; the VM is [16 MiB, 16 MiB + 7 MiB):
 * phys_base = 16 MiB, phys_limit = 7 MiB.  Guest tables at GPA 4 MiB.
 */
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define MEM MIB(32)
#define BASE MIB(16)
#define LIMIT MIB(7)
#define VA UINT64_C(0x600000000)

int main(void)
{
	struct fx f;
	struct ptb b;
	struct soft_fault flt;
	uint64_t hpa;

	fx_init(&f, MEM, "pwc=0");
	ptb_init(&b, f.mem, BASE, MIB(4), MIB(5));
	f.regs.cr3 = b.root;
	f.regs.phys_base = BASE;
	f.regs.phys_limit = LIMIT;
	fx_apply(&f);

	/* Inside: relocated. */
	ptb_map(&b, VA, MIB(1), 0, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&f, VA + 3, SOFT_ACCESS_READ, false, BASE + MIB(1) + 3);
	/* A leaf at or past the limit: SOFT_FAULT_PHYS with the GPA. */
	ptb_map(&b, VA + KIB(4), LIMIT, 0, MV_PTE_P | MV_PTE_W);
	EXPECT_FAULT(&f, VA + KIB(4) + 9, SOFT_ACCESS_READ, false, SOFT_FAULT_PHYS, 0, LIMIT + 9);
	ptb_map(&b, VA + KIB(8), GIB(4), 0, MV_PTE_P | MV_PTE_W);
	EXPECT_FAULT(&f, VA + KIB(8), SOFT_ACCESS_WRITE, false, SOFT_FAULT_PHYS, 0, GIB(4));
	CHECK_EQ_U64(fx_stat(&f, "faults_phys"), 2);
	/* The last page below the limit is fine. */
	ptb_map(&b, VA + KIB(12), LIMIT - KIB(4), 0, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&f, VA + KIB(12) + 4095, SOFT_ACCESS_READ, false, BASE + LIMIT - 1);

	/* A 2M page [6 MiB, 8 MiB) straddles the limit: the part below is
	 * reachable through 4K splinters, the part above faults, and no
	 * TLB entry covers the part above. */
	ptb_map(&b, VA + MIB(2), MIB(6), 1, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&f, VA + MIB(2) + 5, SOFT_ACCESS_READ, false, BASE + MIB(6) + 5);
	EXPECT_FAULT(&f, VA + MIB(3), SOFT_ACCESS_READ, false, SOFT_FAULT_PHYS, 0, LIMIT);
	uint64_t walks = fx_stat(&f, "walks");
	EXPECT_HPA(&f, VA + MIB(2) + KIB(4), SOFT_ACCESS_READ, false, BASE + MIB(6) + KIB(4));
	CHECK_EQ_U64(fx_stat(&f, "walks"), walks + 1);  /* the splinter did not cover it */
	EXPECT_FAULT(&f, VA + MIB(3) + KIB(4), SOFT_ACCESS_READ, false, SOFT_FAULT_PHYS, 0,
		     LIMIT + KIB(4));

	/* A table pointer past the limit: the PDE read itself is refused. */
	ptb_map(&b, VA + GIB(1), MIB(1), 0, MV_PTE_P);
	uint64_t *pdpte = ptb_entry(&b, VA + GIB(1), 1);
	uint64_t saved = *pdpte;
	*pdpte = MIB(8) | MV_PTE_P | MV_PTE_W;
	uint64_t pde_gpa = MIB(8) + ((VA + GIB(1)) >> 21 & 511) * 8;
	EXPECT_FAULT(&f, VA + GIB(1), SOFT_ACCESS_READ, false, SOFT_FAULT_PHYS, 0, pde_gpa);
	*pdpte = saved;
	/* CR3 past the limit. */
	f.regs.cr3 = MIB(12);
	fx_apply(&f);
	soft_mmu_flush_all(f.mmu, false, SOFT_FLUSH_VMM);
	CHECK(!soft_mmu_translate(f.mmu, VA, SOFT_ACCESS_READ, false, &hpa, &flt), "translated");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_PHYS);
	CHECK_EQ_U64(flt.addr, MIB(12) + (VA >> 39 & 511) * 8);

	/* A limit past machine memory is clamped to it: with phys_base at
	 * 30 MiB only 2 MiB exist. */
	f.regs.cr3 = 0;
	f.regs.phys_base = MIB(30);
	f.regs.phys_limit = MIB(64);
	f.regs.cr0 &= ~(UINT64_C(1) << 31);   /* paging off: va is the GPA */
	fx_apply(&f);
	EXPECT_HPA(&f, MIB(2) - 1, SOFT_ACCESS_READ, false, MIB(32) - 1);
	EXPECT_FAULT(&f, MIB(2), SOFT_ACCESS_READ, false, SOFT_FAULT_PHYS, 0, MIB(2));
	CHECK_EQ_U64(fx_stat(&f, "unpaged_accesses"), 2);
	/* phys_base past machine memory: nothing is reachable. */
	f.regs.phys_base = MIB(40);
	fx_apply(&f);
	EXPECT_FAULT(&f, 0, SOFT_ACCESS_READ, false, SOFT_FAULT_PHYS, 0, 0);

	/* Probe walks without touching the TLB, A/D bits or counters. */
	f.regs = (struct soft_mmu_regs){ .cr0 = CR0_LONG, .cr4 = MV_CR4_PAE, .efer = EFER_LONG,
					 .cr3 = b.root, .phys_base = BASE, .phys_limit = LIMIT };
	fx_apply(&f);
	soft_mmu_flush_all(f.mmu, false, SOFT_FLUSH_VMM);
	ptb_map(&b, VA + KIB(16), MIB(2), 0, MV_PTE_P | MV_PTE_W);
	soft_mmu_stats_reset(f.mmu);
	CHECK(soft_mmu_probe(f.mmu, VA + KIB(16) + 1, SOFT_ACCESS_WRITE, false, &hpa, &flt),
	      "probe failed: kind %d", flt.kind);
	CHECK_EQ_U64(hpa, BASE + MIB(2) + 1);
	CHECK(!(*ptb_entry(&b, VA + KIB(16), 3) & (MV_PTE_A | MV_PTE_D)), "probe wrote A/D");
	CHECK_EQ_U64(fx_stat(&f, "walk_refs") + fx_stat(&f, "tlb_accesses"), 0);
	CHECK(!soft_mmu_probe(f.mmu, VA + KIB(4), SOFT_ACCESS_READ, false, &hpa, &flt), "probe");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_PHYS);
	fx_fini(&f);
	return 0;
}
