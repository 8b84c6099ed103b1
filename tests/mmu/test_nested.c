/*
 * tests/mmu/test_nested.c — nested paging (AMD NPT format): the cost of a
 * cold two-dimensional walk with 4 KiB, 2 MiB and 1 GiB nested pages; the
 * page-walk cache in two dimensions; nested faults on guest table
 * accesses and on the final GPA; A/D bits in both dimensions; combined
 * entries tagged with the VM ASID.
 *
 * Layout: guest-physical memory [0, 64 MiB) is backed by machine memory
 * at 1 GiB (1 GiB-aligned so a 1 GiB nested page can map it); nested
 * tables at 2 GiB; guest tables at GPA 32 MiB; the guest's data page at
 * GPA 1 MiB, mapped at VA.
 */
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define MEM (GIB(2) + MIB(8))
#define GPA_BASE_HPA GIB(1)
#define GUEST_MEM MIB(64)
#define GUEST_TABLES MIB(32)
#define NESTED_TABLES GIB(2)
#define DATA_GPA MIB(1)
#define VA UINT64_C(0x7f0000400000)

struct vm {
	struct fx f;
	struct ptb g, n;
};

/* GPA [0, GUEST_MEM) -> HPA base + GPA with nested pages of size nsize. */
static void map_guest_memory(struct ptb *n, unsigned nsize, uint64_t hpa_base, uint64_t flags)
{
	uint64_t step = UINT64_C(1) << (12 + 9 * nsize);
	uint64_t end = GUEST_MEM > step ? GUEST_MEM : step;

	for (uint64_t gpa = 0; gpa < end; gpa += step)
		ptb_map(n, gpa, hpa_base + gpa, nsize, flags);
}

static void vm_init(struct vm *v, const char *tlb, unsigned nsize)
{
	fx_init(&v->f, MEM, tlb);
	ptb_init(&v->n, v->f.mem, 0, NESTED_TABLES, MEM);
	map_guest_memory(&v->n, nsize, GPA_BASE_HPA, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	ptb_init(&v->g, v->f.mem, GPA_BASE_HPA, GUEST_TABLES, GUEST_MEM);
	ptb_map(&v->g, VA, DATA_GPA, 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	v->f.regs.cr3 = v->g.root;
	v->f.regs.npt = true;
	v->f.regs.ncr3 = v->n.root;
	v->f.regs.vm_asid = 1;
	fx_apply(&v->f);
}

static void cold_walk_cost(void)
{
	/* 4 guest levels, each table GPA translated by a nested walk, plus
	 * the final GPA: 5 nested walks of 4 / 3 / 2 references for 4K /
	 * 2M / 1G nested pages, and 4 guest references. */
	static const uint64_t want_nested[3] = { 20, 15, 10 };
	static const uint64_t want_total[3] = { 24, 19, 14 };

	for (unsigned nsize = 0; nsize < 3; nsize++) {
		struct vm v;
		vm_init(&v, "pwc=0", nsize);
		EXPECT_HPA(&v.f, VA + 0x10, SOFT_ACCESS_READ, false, GPA_BASE_HPA + DATA_GPA + 0x10);
		CHECK(fx_stat(&v.f, "walk_refs") == want_total[nsize],
		      "nested page size %u: %" PRIu64 " refs, expected %" PRIu64, nsize,
		      fx_stat(&v.f, "walk_refs"), want_total[nsize]);
		CHECK_EQ_U64(fx_stat(&v.f, "walk_refs_guest"), 4);
		CHECK_EQ_U64(fx_stat(&v.f, "walk_refs_nested"), want_nested[nsize]);
		CHECK_EQ_U64(fx_stat(&v.f, "walks"), 1);
		/* The combined entry hits afterwards: no references. */
		EXPECT_HPA(&v.f, VA + 0x18, SOFT_ACCESS_READ, false, GPA_BASE_HPA + DATA_GPA + 0x18);
		CHECK_EQ_U64(fx_stat(&v.f, "walk_refs"), want_total[nsize]);
		/* A bits in both dimensions: guest PML4E..PTE, nested leaf of
		 * the data page (and D on the guest table pages, which the
		 * nested dimension accesses as writes). */
		for (unsigned l = 0; l < 4; l++)
			CHECK(*ptb_entry(&v.g, VA, l) & MV_PTE_A, "guest level %u: A clear", l);
		uint64_t *nleaf = ptb_entry(&v.n, DATA_GPA, 3 - nsize);
		CHECK(*nleaf & MV_PTE_A, "nested leaf A clear");
		CHECK(!(*ptb_entry(&v.g, VA, 3) & MV_PTE_D), "guest D set by a read");
		uint64_t *ntab = ptb_entry(&v.n, GUEST_TABLES, 3 - nsize);
		CHECK((*ntab & (MV_PTE_A | MV_PTE_D)) == (MV_PTE_A | MV_PTE_D),
		      "nested entry of the guest tables: 0x%" PRIx64, *ntab);
		/* A write: D was clear in the combined entry, so a rewalk sets
		 * the guest D and the nested D. */
		if (nsize == 0)
			CHECK(!(*nleaf & MV_PTE_D), "nested D of the data page set by a read");
		EXPECT_HPA(&v.f, VA, SOFT_ACCESS_WRITE, false, GPA_BASE_HPA + DATA_GPA);
		CHECK(*ptb_entry(&v.g, VA, 3) & MV_PTE_D, "guest D clear after write");
		CHECK(*nleaf & MV_PTE_D, "nested D clear after write");
		CHECK_EQ_U64(fx_stat(&v.f, "walks"), 2);
		fx_fini(&v.f);
	}
}

/* The PWC caches guest upper-level entries with the machine address of
 * the next table: a hit skips those guest references and the nested
 * walks that translated them. */
static void pwc_two_dimensional(void)
{
	struct vm v;

	vm_init(&v, "pwc=16", 0);
	ptb_map(&v.g, VA + KIB(4), DATA_GPA + KIB(4), 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	ptb_map(&v.g, VA + MIB(2), DATA_GPA + KIB(8), 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, GPA_BASE_HPA + DATA_GPA);
	CHECK_EQ_U64(fx_stat(&v.f, "walk_refs"), 24);
	/* Same PT: PDE cached -> 1 guest reference + 4 for the final GPA. */
	EXPECT_HPA(&v.f, VA + KIB(4), SOFT_ACCESS_READ, false, GPA_BASE_HPA + DATA_GPA + KIB(4));
	CHECK_EQ_U64(fx_stat(&v.f, "walk_refs"), 24 + 5);
	/* Other PD entry, same PD: PDPTE cached -> PDE (1) + translate the
	 * new PT (4) + PTE (1) + final (4) = 10. */
	EXPECT_HPA(&v.f, VA + MIB(2), SOFT_ACCESS_READ, false, GPA_BASE_HPA + DATA_GPA + KIB(8));
	CHECK_EQ_U64(fx_stat(&v.f, "walk_refs"), 24 + 5 + 10);
	CHECK_EQ_U64(fx_stat(&v.f, "pwc_hits"), 2);
	CHECK_EQ_U64(fx_stat(&v.f, "walk_refs_guest"), 4 + 1 + 2);
	fx_fini(&v.f);
}

static void nested_faults(void)
{
	struct vm v;
	struct soft_fault flt;
	uint64_t hpa;
	const uint32_t U = SOFT_PFEC_U, W = SOFT_PFEC_W, P = SOFT_PFEC_P;

	vm_init(&v, "pwc=0", 0);
	/* The guest's PD page is not mapped in the nested tables: the fault
	 * is on the guest table access, at the GPA of the PDE read. */
	uint64_t pd_gpa = *ptb_entry(&v.g, VA, 1) & 0x000ffffffffff000ull;
	uint64_t pde_gpa = pd_gpa + ((VA >> 21) & 511) * 8;
	*ptb_entry(&v.n, pd_gpa, 3) = 0;
	CHECK(!soft_mmu_translate(v.f.mmu, VA + 4, SOFT_ACCESS_READ, true, &hpa, &flt), "translated");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	CHECK_EQ_U64(flt.addr, pde_gpa);
	CHECK_EQ_U64(flt.gva, VA + 4);
	CHECK(flt.npf_table, "fault not marked as a guest table access");
	CHECK_EQ_U64(flt.error_code, U | W);   /* not present; table accesses are user writes */
	CHECK_EQ_U64(fx_stat(&v.f, "faults_npf"), 1);
	/* The VMM maps it (read-only: table accesses need write) ... */
	*ptb_entry(&v.n, pd_gpa, 3) = (GPA_BASE_HPA + pd_gpa) | MV_PTE_P | MV_PTE_U;
	CHECK(!soft_mmu_translate(v.f.mmu, VA + 4, SOFT_ACCESS_READ, true, &hpa, &flt), "translated");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	CHECK_EQ_U64(flt.error_code, P | U | W);
	CHECK_EQ_U64(flt.addr, pde_gpa);
	*ptb_entry(&v.n, pd_gpa, 3) |= MV_PTE_W;
	EXPECT_HPA(&v.f, VA + 4, SOFT_ACCESS_READ, true, GPA_BASE_HPA + DATA_GPA + 4);

	/* The final GPA read-only in the nested tables: reads work (the
	 * entry above), a write is an NPF on the final address. */
	*ptb_entry(&v.n, DATA_GPA, 3) &= ~MV_PTE_W;
	soft_mmu_flush_asid(v.f.mmu, 1, SOFT_FLUSH_VMM);
	EXPECT_HPA(&v.f, VA + 4, SOFT_ACCESS_READ, true, GPA_BASE_HPA + DATA_GPA + 4);
	CHECK(!soft_mmu_translate(v.f.mmu, VA + 4, SOFT_ACCESS_WRITE, true, &hpa, &flt), "wrote");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	CHECK_EQ_U64(flt.error_code, P | U | W);
	CHECK_EQ_U64(flt.addr, DATA_GPA + 4);
	CHECK(!flt.npf_table, "final-address fault marked as table access");
	/* Supervisor writes are nested user writes too: CR0.WP=0 does not help. */
	v.f.regs.cr0 &= ~MV_CR0_WP;
	fx_apply(&v.f);
	CHECK(!soft_mmu_translate(v.f.mmu, VA + 4, SOFT_ACCESS_WRITE, false, &hpa, &flt), "wrote");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	v.f.regs.cr0 |= MV_CR0_WP;
	fx_apply(&v.f);
	/* Nested U clear: even guest-supervisor reads fault (NPT wants U). */
	*ptb_entry(&v.n, DATA_GPA, 3) = (GPA_BASE_HPA + DATA_GPA) | MV_PTE_P | MV_PTE_W;
	soft_mmu_flush_asid(v.f.mmu, 1, SOFT_FLUSH_VMM);
	CHECK(!soft_mmu_translate(v.f.mmu, VA, SOFT_ACCESS_READ, false, &hpa, &flt), "read");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	CHECK_EQ_U64(flt.error_code, P | U);
	/* Nested NX: a fetch is an NPF with I/D. */
	*ptb_entry(&v.n, DATA_GPA, 3) = (GPA_BASE_HPA + DATA_GPA) | MV_PTE_P | MV_PTE_W | MV_PTE_U | MV_PTE_NX;
	soft_mmu_flush_asid(v.f.mmu, 1, SOFT_FLUSH_VMM);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, GPA_BASE_HPA + DATA_GPA);
	CHECK(!soft_mmu_translate(v.f.mmu, VA, SOFT_ACCESS_FETCH, false, &hpa, &flt), "fetched");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	CHECK_EQ_U64(flt.error_code, P | U | SOFT_PFEC_ID);
	CHECK_EQ_U64(flt.addr, DATA_GPA);
	/* Unmapped final GPA. */
	*ptb_entry(&v.n, DATA_GPA, 3) = 0;
	soft_mmu_flush_asid(v.f.mmu, 1, SOFT_FLUSH_VMM);
	CHECK(!soft_mmu_translate(v.f.mmu, VA + 8, SOFT_ACCESS_WRITE, true, &hpa, &flt), "wrote");
	CHECK_EQ_U64(flt.kind, SOFT_FAULT_NPF);
	CHECK_EQ_U64(flt.error_code, U | W);
	CHECK_EQ_U64(flt.addr, DATA_GPA + 8);
	CHECK(!flt.npf_table, "final-address fault marked as table access");
	/* A guest #PF stays a #PF with the guest's error code and CR2. */
	*ptb_entry(&v.n, DATA_GPA, 3) = (GPA_BASE_HPA + DATA_GPA) | MV_PTE_P | MV_PTE_W | MV_PTE_U;
	*ptb_entry(&v.g, VA, 3) &= ~MV_PTE_U;
	soft_mmu_flush_asid(v.f.mmu, 1, SOFT_FLUSH_VMM);
	EXPECT_FAULT(&v.f, VA + 8, SOFT_ACCESS_READ, true, SOFT_FAULT_PF, P | U, VA + 8);
	/* A nested entry pointing outside machine memory: SOFT_FAULT_PHYS. */
	*ptb_entry(&v.g, VA, 3) |= MV_PTE_U;
	*ptb_entry(&v.n, DATA_GPA, 3) = GIB(64) | MV_PTE_P | MV_PTE_W | MV_PTE_U;
	EXPECT_FAULT(&v.f, VA + 8, SOFT_ACCESS_READ, true, SOFT_FAULT_PHYS, 0, GIB(64) + 8);
	fx_fini(&v.f);
}

/* Two VMs with ASIDs 1 and 2 and their own nested tables: combined
 * entries survive switches between them. */
static void asid_tags(void)
{
	struct vm v;
	struct ptb n2;
	const uint64_t hpa1 = GPA_BASE_HPA + DATA_GPA;
	const uint64_t hpa2 = GPA_BASE_HPA + MIB(64) + DATA_GPA;

	vm_init(&v, "pwc=0", 1);
	/* VM 2: same guest tables (a copy of the guest's memory image is
	 * not needed: map its table pages to VM 1's), data elsewhere. */
	ptb_init(&n2, v.f.mem, 0, NESTED_TABLES + MIB(4), MEM);
	map_guest_memory(&n2, 1, GPA_BASE_HPA, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	ptb_map(&n2, DATA_GPA, hpa2, 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	struct soft_mmu_regs r1 = v.f.regs, r2 = v.f.regs;
	r2.ncr3 = n2.root;
	r2.vm_asid = 2;

	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa1);
	soft_mmu_set_regs(v.f.mmu, &r2);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa2);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), 2);
	soft_mmu_set_regs(v.f.mmu, &r1);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa1);
	soft_mmu_set_regs(v.f.mmu, &r2);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa2);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), 2);
	/* Flushing ASID 1 (flush_tag in nested mode is by ASID) keeps ASID 2. */
	soft_mmu_flush_tag(v.f.mmu, 1, false, SOFT_FLUSH_VMM);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa2);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), 2);
	soft_mmu_set_regs(v.f.mmu, &r1);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa1);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), 3);
	CHECK_EQ_U64(fx_stat(&v.f, "tlb_flush_vmm"), 1);
	/* A guest-global entry belongs to its VM: VM 2 does not see VM 1's. */
	v.f.regs.cr4 |= MV_CR4_PGE | MV_CR4_PCIDE;
	r1.cr4 = r2.cr4 = v.f.regs.cr4;
	*ptb_entry(&v.g, VA, 3) |= MV_PTE_G;
	soft_mmu_set_regs(v.f.mmu, &r1);
	soft_mmu_flush_all(v.f.mmu, false, SOFT_FLUSH_GLOBAL);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa1);
	soft_mmu_flush_pcid(v.f.mmu, 0, true, SOFT_FLUSH_CR3);   /* global survives */
	uint64_t walks = fx_stat(&v.f, "walks");
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa1);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), walks);
	soft_mmu_set_regs(v.f.mmu, &r2);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa2);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), walks + 1);
	/* flush_asid drops global entries too. */
	soft_mmu_set_regs(v.f.mmu, &r1);
	soft_mmu_flush_asid(v.f.mmu, 1, SOFT_FLUSH_VMM);
	EXPECT_HPA(&v.f, VA, SOFT_ACCESS_READ, false, hpa1);
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), walks + 2);
	*ptb_entry(&v.g, VA, 3) &= ~MV_PTE_G;
	walks = fx_stat(&v.f, "walks");

	/* Combined entry size: guest 4K over nested 2M is a 4K entry: the
	 * neighbouring guest page walks again. */
	ptb_map(&v.g, VA + KIB(4), DATA_GPA + KIB(4), 0, MV_PTE_P | MV_PTE_U);
	EXPECT_HPA(&v.f, VA + KIB(4), SOFT_ACCESS_READ, false, hpa1 + KIB(4));
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), walks + 1);
	fx_fini(&v.f);
}

/* Guest 2M page over nested 4K pages: the combined entry is 4K. */
static void combined_size(void)
{
	struct vm v;

	vm_init(&v, "pwc=0", 0);
	ptb_map(&v.g, UINT64_C(0x40000000), MIB(4), 1, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&v.f, UINT64_C(0x40000000), SOFT_ACCESS_READ, false, GPA_BASE_HPA + MIB(4));
	EXPECT_HPA(&v.f, UINT64_C(0x40001000), SOFT_ACCESS_READ, false,
		   GPA_BASE_HPA + MIB(4) + KIB(4));
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), 2);
	fx_fini(&v.f);
	/* Over nested 2M pages it is one 2M entry. */
	vm_init(&v, "pwc=0", 1);
	ptb_map(&v.g, UINT64_C(0x40000000), MIB(4), 1, MV_PTE_P | MV_PTE_W);
	EXPECT_HPA(&v.f, UINT64_C(0x40000000), SOFT_ACCESS_READ, false, GPA_BASE_HPA + MIB(4));
	EXPECT_HPA(&v.f, UINT64_C(0x401ff000), SOFT_ACCESS_READ, false,
		   GPA_BASE_HPA + MIB(4) + UINT64_C(0x1ff000));
	CHECK_EQ_U64(fx_stat(&v.f, "walks"), 1);
	fx_fini(&v.f);
}

int main(void)
{
	cold_walk_cost();
	pwc_two_dimensional();
	nested_faults();
	asid_tags();
	combined_size();
	return 0;
}
