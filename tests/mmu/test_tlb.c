/*
 * tests/mmu/test_tlb.c — the TLB as a model: stale entries used until
 * INVLPG / a flushing CR3 write; PCID switches with and without flush;
 * untagged TLB (asid-bits=0); global pages; LRU versus random replacement
 * on a set conflict; L2 and page-walk-cache counts.
 */
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define MEM MIB(64)
#define TABLES MIB(32)
#define PA_A MIB(1)
#define PA_B (MIB(1) + KIB(4))
#define VA UINT64_C(0x7f0000400000)

static void setup(struct fx *f, struct ptb *b, const char *tlb)
{
	fx_init(f, MEM, tlb);
	ptb_init(b, f->mem, 0, TABLES, MEM);
	f->regs.cr3 = b->root;
	fx_apply(f);
}

/* A changed PTE is not seen until INVLPG, for 4K and 2M pages. */
static void stale_until_invlpg(void)
{
	struct fx f;
	struct ptb b;

	setup(&f, &b, NULL);
	ptb_map(&b, VA, PA_A, 0, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&f, VA + 8, SOFT_ACCESS_WRITE, false, PA_A + 8);  /* caches D set */
	*ptb_entry(&b, VA, 3) = PA_B | MV_PTE_P | MV_PTE_W;
	EXPECT_HPA(&f, VA + 8, SOFT_ACCESS_READ, false, PA_A + 8);
	EXPECT_HPA(&f, VA + 8, SOFT_ACCESS_WRITE, false, PA_A + 8);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 1);
	/* Even unmapping is not seen. */
	*ptb_entry(&b, VA, 3) = 0;
	EXPECT_HPA(&f, VA + 16, SOFT_ACCESS_READ, false, PA_A + 16);
	/* INVLPG of another page changes nothing. */
	soft_mmu_invlpg(f.mmu, VA + KIB(4));
	EXPECT_HPA(&f, VA + 16, SOFT_ACCESS_READ, false, PA_A + 16);
	soft_mmu_invlpg(f.mmu, VA + 100);
	EXPECT_FAULT(&f, VA + 16, SOFT_ACCESS_READ, false, SOFT_FAULT_PF, 0, VA + 16);
	*ptb_entry(&b, VA, 3) = PA_B | MV_PTE_P | MV_PTE_W;
	EXPECT_HPA(&f, VA + 16, SOFT_ACCESS_READ, false, PA_B + 16);
	CHECK_EQ_U64(fx_stat(&f, "tlb_flush_invlpg"), 2);
	CHECK(fx_stat(&f, "tlb_entries_flushed") >= 1, "INVLPG dropped nothing");

	/* 2M page: INVLPG of any address inside it drops it. */
	ptb_map(&b, VA + MIB(2), MIB(4), 1, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&f, VA + MIB(2) + 5, SOFT_ACCESS_READ, false, MIB(4) + 5);
	*ptb_entry(&b, VA + MIB(2), 2) = MIB(6) | MV_PTE_P | MV_PTE_W | MV_PTE_PS;
	EXPECT_HPA(&f, VA + MIB(3), SOFT_ACCESS_READ, false, MIB(5));
	soft_mmu_invlpg(f.mmu, VA + MIB(3) + KIB(100));
	EXPECT_HPA(&f, VA + MIB(3), SOFT_ACCESS_READ, false, MIB(7));
	fx_fini(&f);
}

/* A CR3 write flushes (PCIDE=0), a no-flush CR3 write (PCIDE=1, bit 63)
 * does not. */
static void stale_until_cr3(void)
{
	struct fx f;
	struct ptb b;

	setup(&f, &b, NULL);
	ptb_map(&b, VA, PA_A, 0, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	*ptb_entry(&b, VA, 3) = PA_B | MV_PTE_P | MV_PTE_W;
	/* PCIDE=1, CR3 reloaded with the no-flush bit: the CPU calls nothing. */
	f.regs.cr4 |= MV_CR4_PCIDE;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	/* CR3 write with bit 63 clear: flush the PCID. */
	soft_mmu_flush_pcid(f.mmu, 0, true, SOFT_FLUSH_CR3);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_B);
	CHECK_EQ_U64(fx_stat(&f, "tlb_flush_cr3"), 1);
	fx_fini(&f);
}

/* Two address spaces with PCIDs 1 and 2 mapping VA differently. */
static void pcid_switches(const char *tlb, bool tagged)
{
	struct fx f;
	struct ptb b1, b2;

	fx_init(&f, MEM, tlb);
	ptb_init(&b1, f.mem, 0, TABLES, TABLES + MIB(1));
	ptb_init(&b2, f.mem, 0, TABLES + MIB(1), TABLES + MIB(2));
	ptb_map(&b1, VA, PA_A, 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	ptb_map(&b2, VA, PA_B, 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	f.regs.cr4 |= MV_CR4_PCIDE;
	f.regs.cr3 = b1.root | 1;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_A);
	/* Switch to PCID 2 without flush. */
	f.regs.cr3 = b2.root | 2;
	fx_apply(&f);
	if (!tagged) {
		/* Untagged: the other space's entry is used — the VMM/CPU must
		 * flush on every switch, which is what asid-bits=0 models. */
		EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_A);
		soft_mmu_flush_pcid(f.mmu, 2, true, SOFT_FLUSH_CR3);
		EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_B);
		fx_fini(&f);
		return;
	}
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_B);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 2);
	/* Back to PCID 1 without flush: its entry survived, no walk. */
	f.regs.cr3 = b1.root | 1;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 2);
	/* Back to PCID 1 with flush: walks again, PCID 2's entry survives. */
	soft_mmu_flush_pcid(f.mmu, 1, true, SOFT_FLUSH_CR3);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 3);
	f.regs.cr3 = b2.root | 2;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_B);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 3);
	/* INVPCID-style single-PCID flush of PCID 1 from PCID 2. */
	soft_mmu_flush_pcid(f.mmu, 1, true, SOFT_FLUSH_PCID);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_B);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 3);
	f.regs.cr3 = b1.root | 1;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, true, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 4);
	CHECK_EQ_U64(fx_stat(&f, "tlb_flush_pcid"), 1);
	CHECK_EQ_U64(fx_stat(&f, "tlb_flush_cr3"), 1);
	/* Tags are truncated to asid-bits: with 1 bit, PCIDs 1 and 3 alias. */
	fx_fini(&f);
}

static void pcid_truncation(void)
{
	struct fx f;
	struct ptb b1, b3;

	fx_init(&f, MEM, "asid-bits=1");
	ptb_init(&b1, f.mem, 0, TABLES, TABLES + MIB(1));
	ptb_init(&b3, f.mem, 0, TABLES + MIB(1), TABLES + MIB(2));
	ptb_map(&b1, VA, PA_A, 0, MV_PTE_P);
	ptb_map(&b3, VA, PA_B, 0, MV_PTE_P);
	f.regs.cr4 |= MV_CR4_PCIDE;
	f.regs.cr3 = b1.root | 1;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	f.regs.cr3 = b3.root | 3;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);  /* 3 & 1 == 1 */
	f.regs.cr3 = b3.root | 2;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_B);
	fx_fini(&f);
}

static void global_pages(void)
{
	struct fx f;
	struct ptb b1, b2;

	fx_init(&f, MEM, NULL);
	ptb_init(&b1, f.mem, 0, TABLES, TABLES + MIB(1));
	ptb_init(&b2, f.mem, 0, TABLES + MIB(1), TABLES + MIB(2));
	ptb_map(&b1, VA, PA_A, 0, MV_PTE_P | MV_PTE_W | MV_PTE_G);
	ptb_map(&b1, VA + KIB(4), PA_A + KIB(4), 0, MV_PTE_P | MV_PTE_W);
	ptb_map(&b2, VA, PA_B, 0, MV_PTE_P | MV_PTE_W | MV_PTE_G);
	f.regs.cr4 |= MV_CR4_PGE | MV_CR4_PCIDE;
	f.regs.cr3 = b1.root | 1;
	fx_apply(&f);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	EXPECT_HPA(&f, VA + KIB(4), SOFT_ACCESS_READ, false, PA_A + KIB(4));
	/* A flushing CR3 write keeps the global entry, drops the other. */
	soft_mmu_flush_pcid(f.mmu, 1, true, SOFT_FLUSH_CR3);
	uint64_t walks = fx_stat(&f, "walks");
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "walks"), walks);
	EXPECT_HPA(&f, VA + KIB(4), SOFT_ACCESS_READ, false, PA_A + KIB(4));
	CHECK_EQ_U64(fx_stat(&f, "walks"), walks + 1);
	/* A global entry matches every PCID: PCID 2's tables are not walked. */
	f.regs.cr3 = b2.root | 2;
	fx_apply(&f);
	soft_mmu_flush_pcid(f.mmu, 2, true, SOFT_FLUSH_CR3);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	/* INVLPG drops it; a global flush (CR4.PGE toggle) drops all. */
	soft_mmu_invlpg(f.mmu, VA);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_B);
	soft_mmu_flush_all(f.mmu, false, SOFT_FLUSH_GLOBAL);
	*ptb_entry(&b2, VA, 3) = PA_A | MV_PTE_P | MV_PTE_G;
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "tlb_flush_global"), 1);
	/* Without CR4.PGE the G bit means nothing: a CR3 flush drops it. */
	f.regs.cr4 &= ~MV_CR4_PGE;
	fx_apply(&f);
	soft_mmu_flush_all(f.mmu, false, SOFT_FLUSH_GLOBAL);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_A);
	*ptb_entry(&b2, VA, 3) = PA_B | MV_PTE_P | MV_PTE_G;
	soft_mmu_flush_pcid(f.mmu, 2, true, SOFT_FLUSH_CR3);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_READ, false, PA_B);
	fx_fini(&f);
}

/* 3 pages in one 2-way set, accessed round robin. */
static void replacement(void)
{
	const unsigned rounds = 200;
	/* l1=8:2 has 4 sets: pages 16 KiB apart share a set. */
	const uint64_t stride = KIB(16);
	uint64_t misses[2];

	for (unsigned pol = 0; pol < 2; pol++) {
		struct fx f;
		struct ptb b;
		setup(&f, &b, pol ? "l1=8:2,l2=0,pwc=0,repl=random,seed=5" : "l1=8:2,l2=0,pwc=0");
		for (unsigned p = 0; p < 3; p++)
			ptb_map(&b, VA + p * stride, PA_A + p * KIB(4), 0, MV_PTE_P);
		for (unsigned r = 0; r < rounds; r++)
			for (unsigned p = 0; p < 3; p++)
				EXPECT_HPA(&f, VA + p * stride, SOFT_ACCESS_READ, false,
					   PA_A + p * KIB(4));
		misses[pol] = fx_stat(&f, "tlb_l1d_misses");
		CHECK_EQ_U64(fx_stat(&f, "tlb_accesses"), 3 * rounds);
		CHECK_EQ_U64(fx_stat(&f, "tlb_l1d_hits") + misses[pol], 3 * rounds);

		/* LRU keeps the most recently used: A B A C A. */
		soft_mmu_flush_all(f.mmu, false, SOFT_FLUSH_VMM);
		soft_mmu_stats_reset(f.mmu);
		static const unsigned seq[] = { 0, 1, 0, 2, 0 };
		for (unsigned i = 0; i < 5; i++)
			EXPECT_HPA(&f, VA + seq[i] * stride, SOFT_ACCESS_READ, false,
				   PA_A + seq[i] * KIB(4));
		if (pol == 0) {
			CHECK_EQ_U64(fx_stat(&f, "tlb_l1d_misses"), 3);
			CHECK_EQ_U64(fx_stat(&f, "tlb_l1d_hits"), 2);
		}
		fx_fini(&f);
	}
	/* LRU thrashes completely on 3 pages in 2 ways; random keeps some. */
	CHECK_EQ_U64(misses[0], 3 * rounds);
	CHECK(misses[1] < 3 * rounds * 3 / 4 && misses[1] > 3,
	      "random replacement: %" PRIu64 " misses of %u", misses[1], 3 * rounds);
}

static void l2_counts(void)
{
	struct fx f;
	struct ptb b;

	/* One fully associative 4-entry L1, a 64-entry L2. */
	setup(&f, &b, "l1=4:4,l2=64:4,pwc=0");
	for (unsigned p = 0; p < 8; p++)
		ptb_map(&b, VA + p * KIB(4), PA_A + p * KIB(4), 0, MV_PTE_P | MV_PTE_W);
	for (unsigned r = 0; r < 2; r++)
		for (unsigned p = 0; p < 8; p++)
			EXPECT_HPA(&f, VA + p * KIB(4), SOFT_ACCESS_READ, false, PA_A + p * KIB(4));
	CHECK_EQ_U64(fx_stat(&f, "tlb_l1d_misses"), 16);
	CHECK_EQ_U64(fx_stat(&f, "tlb_l2_misses"), 8);
	CHECK_EQ_U64(fx_stat(&f, "tlb_l2_hits"), 8);
	CHECK_EQ_U64(fx_stat(&f, "walks"), 8);
	CHECK_EQ_U64(fx_stat(&f, "walk_refs"), 32);
	/* Instruction fetches use the other L1 but share the L2. */
	EXPECT_HPA(&f, VA, SOFT_ACCESS_FETCH, false, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "tlb_l1i_misses"), 1);
	CHECK_EQ_U64(fx_stat(&f, "tlb_l2_hits"), 9);
	EXPECT_HPA(&f, VA, SOFT_ACCESS_FETCH, false, PA_A);
	CHECK_EQ_U64(fx_stat(&f, "tlb_l1i_hits"), 1);
	/* A CR3 flush empties both levels. */
	soft_mmu_flush_pcid(f.mmu, 0, true, SOFT_FLUSH_CR3);
	CHECK_EQ_U64(fx_stat(&f, "tlb_entries_flushed"), 4 + 1 + 8);
	fx_fini(&f);
}

static void pwc_counts(unsigned pwc)
{
	struct fx f;
	struct ptb b;
	char tlb[64];
	/* Same PT, same PD (other PT), same PDPT (other PD), other PML4E slot. */
	static const uint64_t off[] = { 0, KIB(4), MIB(2), GIB(1), GIB(512) };
	/* References with a PWC: cold 4, then PDE hit 1, PDPTE hit 2, PML4E
	 * hit 3, nothing shared 4. */
	static const uint64_t refs_pwc[] = { 4, 1, 2, 3, 4 };

	snprintf(tlb, sizeof(tlb), "pwc=%u,l2=0", pwc);
	setup(&f, &b, tlb);
	for (unsigned i = 0; i < 5; i++)
		ptb_map(&b, VA + off[i], PA_A, 0, MV_PTE_P);
	uint64_t total = 0, hits = 0;
	for (unsigned i = 0; i < 5; i++) {
		uint64_t before = fx_stat(&f, "walk_refs");
		EXPECT_HPA(&f, VA + off[i], SOFT_ACCESS_READ, false, PA_A);
		uint64_t want = pwc ? refs_pwc[i] : 4;
		CHECK(fx_stat(&f, "walk_refs") - before == want, "access %u: %" PRIu64
		      " refs, expected %" PRIu64, i, fx_stat(&f, "walk_refs") - before, want);
		total += want;
		hits += pwc && refs_pwc[i] < 4;
	}
	CHECK_EQ_U64(fx_stat(&f, "walk_refs"), total);
	CHECK_EQ_U64(fx_stat(&f, "pwc_hits"), hits);
	if (pwc) {
		/* INVLPG drops the PWC entries of the tag: a cold walk again. */
		ptb_map(&b, VA + KIB(8), PA_A, 0, MV_PTE_P);
		soft_mmu_invlpg(f.mmu, VA);
		uint64_t before = fx_stat(&f, "walk_refs");
		EXPECT_HPA(&f, VA + KIB(8), SOFT_ACCESS_READ, false, PA_A);
		CHECK_EQ_U64(fx_stat(&f, "walk_refs") - before, 4);
		CHECK(fx_stat(&f, "pwc_entries_flushed") > 0, "INVLPG flushed no PWC entry");
		/* A stale PWC entry is used like a stale TLB entry: the PDE is
		 * changed to another PT, the cached one is still walked. */
		uint64_t *pde = ptb_entry(&b, VA, 2);
		uint64_t old_pt = *pde;
		ptb_map(&b, VA + KIB(12), PA_B, 0, MV_PTE_P);
		*pde = ptb_alloc(&b) | MV_PTE_P | MV_PTE_W | MV_PTE_U;  /* empty PT */
		EXPECT_HPA(&f, VA + KIB(12), SOFT_ACCESS_READ, false, PA_B);
		soft_mmu_flush_pcid(f.mmu, 0, true, SOFT_FLUSH_CR3);
		EXPECT_FAULT(&f, VA + KIB(16), SOFT_ACCESS_READ, false, SOFT_FAULT_PF, 0,
			     VA + KIB(16));
		*pde = old_pt;
	}
	fx_fini(&f);
}

int main(void)
{
	stale_until_invlpg();
	stale_until_cr3();
	pcid_switches(NULL, true);
	pcid_switches("asid-bits=0", false);
	pcid_truncation();
	global_pages();
	replacement();
	l2_counts();
	pwc_counts(16);
	pwc_counts(0);
	return 0;
}
