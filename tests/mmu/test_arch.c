/*
 * tests/mmu/test_arch.c — the architected-TLB machine hook: no hardware
 * walks; a miss is SOFT_FAULT_REFILL with the GVA; software writes,
 * probes, reads and flushes entries; the L1 micro-TLBs never keep a
 * translation the architected TLB no longer has.
 */
#include "tests/mmu/fixture.h"

#define MEM MIB(16)
#define VA UINT64_C(0x400000)

static struct soft_arch_entry entry(uint64_t va, uint64_t hpa, uint32_t asid)
{
	return (struct soft_arch_entry){ .valid = true, .size = SOFT_PAGE_4K, .va = va, .hpa = hpa,
					 .asid = asid, .writable = true, .user = true,
					 .exec = true };
}

int main(void)
{
	struct fx f;
	struct soft_arch_entry e, r;
	unsigned idx;

	fx_init(&f, MEM, "arch=8,asid-bits=8");
	f.regs.arch_tlb = true;
	f.regs.arch_asid = 3;
	/* CR3 points at nothing useful: it must never be walked. */
	f.regs.cr3 = MIB(15);
	fx_apply(&f);

	EXPECT_FAULT(&f, VA + 12, SOFT_ACCESS_READ, true, SOFT_FAULT_REFILL, 0, VA + 12);
	CHECK_EQ_U64(fx_stat(&f, "faults_refill"), 1);
	e = entry(VA, MIB(2), 3);
	CHECK(soft_mmu_arch_write(f.mmu, 5, &e) == 0, "write");
	EXPECT_HPA(&f, VA + 12, SOFT_ACCESS_READ, true, MIB(2) + 12);
	EXPECT_HPA(&f, VA + 12, SOFT_ACCESS_READ, true, MIB(2) + 12);
	CHECK_EQ_U64(fx_stat(&f, "arch_tlb_hits"), 1);   /* the second hit the L1 */
	CHECK_EQ_U64(fx_stat(&f, "tlb_l1d_hits"), 1);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 0);
	CHECK_EQ_U64(soft_mmu_arch_probe(f.mmu, VA + 100, 3), 5);
	CHECK(soft_mmu_arch_probe(f.mmu, VA, 4) == -ENOENT, "other ASID matched");
	CHECK(soft_mmu_arch_read(f.mmu, 5, &r) == 0 && r.hpa == MIB(2) && r.asid == 3, "read back");

	/* Another ASID misses. */
	f.regs.arch_asid = 4;
	fx_apply(&f);
	EXPECT_FAULT(&f, VA, SOFT_ACCESS_READ, true, SOFT_FAULT_REFILL, 0, VA);
	f.regs.arch_asid = 3;
	fx_apply(&f);

	/* Overwriting entry 5 drops what the L1 derived from it. */
	e = entry(VA, MIB(3), 3);
	CHECK(soft_mmu_arch_write(f.mmu, 5, &e) == 0, "rewrite");
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, MIB(3));

	/* Rights: a read-only, supervisor, no-exec entry. */
	e = entry(VA + KIB(4), MIB(4), 3);
	e.writable = e.user = e.exec = false;
	CHECK(soft_mmu_arch_write(f.mmu, 0, &e) == 0, "write");
	EXPECT_HPA(&f, VA + KIB(4), SOFT_ACCESS_READ, false, MIB(4));
	EXPECT_FAULT(&f, VA + KIB(4), SOFT_ACCESS_WRITE, false, SOFT_FAULT_PF,
		     SOFT_PFEC_P | SOFT_PFEC_W, VA + KIB(4));
	EXPECT_FAULT(&f, VA + KIB(4), SOFT_ACCESS_READ, true, SOFT_FAULT_PF,
		     SOFT_PFEC_P | SOFT_PFEC_U, VA + KIB(4));
	EXPECT_FAULT(&f, VA + KIB(4), SOFT_ACCESS_FETCH, false, SOFT_FAULT_PF,
		     SOFT_PFEC_P | SOFT_PFEC_ID, VA + KIB(4));

	/* A global 2M entry matches every ASID. */
	e = entry(MIB(8), MIB(8), 9);
	e.size = SOFT_PAGE_2M;
	e.global = true;
	CHECK(soft_mmu_arch_write_random(f.mmu, &e, &idx) == 0 && idx < 8, "random write %u", idx);
	EXPECT_HPA(&f, MIB(9), SOFT_ACCESS_READ, true, MIB(9));
	f.regs.arch_asid = 7;
	fx_apply(&f);
	EXPECT_HPA(&f, MIB(9) + 1, SOFT_ACCESS_READ, true, MIB(9) + 1);

	/* Flush ASID 3: its entries go, the global one stays. */
	soft_mmu_arch_flush_asid(f.mmu, 3);
	f.regs.arch_asid = 3;
	fx_apply(&f);
	EXPECT_FAULT(&f, VA, SOFT_ACCESS_READ, true, SOFT_FAULT_REFILL, 0, VA);
	EXPECT_HPA(&f, MIB(9), SOFT_ACCESS_READ, true, MIB(9));
	soft_mmu_arch_flush_all(f.mmu);
	EXPECT_FAULT(&f, MIB(9), SOFT_ACCESS_READ, true, SOFT_FAULT_REFILL, 0, MIB(9));
	CHECK_EQ_U64(fx_stat(&f, "arch_tlb_flushes"), 2);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 0);
	CHECK_EQ_U64(fx_stat(&f, "walk_refs"), 0);

	/* Bad writes. */
	e = entry(VA, MIB(2), 3);
	CHECK(soft_mmu_arch_write(f.mmu, 8, &e) == -EINVAL, "index 8 of 8 accepted");
	e.hpa = MIB(2) + 1;
	CHECK(soft_mmu_arch_write(f.mmu, 0, &e) == -EINVAL, "unaligned hpa accepted");
	e = entry(VA, MEM, 3);
	CHECK(soft_mmu_arch_write(f.mmu, 0, &e) == -EINVAL, "hpa outside memory accepted");
	e = entry(0, 0, 3);
	e.size = SOFT_PAGE_1G;
	CHECK(soft_mmu_arch_write(f.mmu, 0, &e) == -EINVAL, "1G page past memory accepted");
	e.size = SOFT_PAGE_2M;
	CHECK(soft_mmu_arch_write(f.mmu, 0, &e) == 0, "2M page inside memory refused");
	fx_fini(&f);

	/* Random indexes come from the seed: the same seed, the same sequence. */
	unsigned seq[2][16];
	for (unsigned run = 0; run < 2; run++) {
		fx_init(&f, MEM, "arch=64,seed=42");
		for (unsigned i = 0; i < 16; i++) {
			e = entry(VA + i * KIB(4), MIB(1), 0);
			CHECK(soft_mmu_arch_write_random(f.mmu, &e, &seq[run][i]) == 0, "write");
		}
		fx_fini(&f);
	}
	CHECK(memcmp(seq[0], seq[1], sizeof(seq[0])) == 0, "random indexes differ between runs");
	fx_init(&f, MEM, "arch=0");
	e = entry(VA, MIB(1), 0);
	CHECK(soft_mmu_arch_write(f.mmu, 0, &e) == -ENODEV, "arch=0 accepted a write");
	fx_fini(&f);
	return 0;
}
