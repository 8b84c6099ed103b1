/*
 * tests/mmu/test_determinism.c — the same sequence of accesses, register
 * changes and flushes on a fresh MMU gives identical counters and
 * identical page tables (A/D bits), bit for bit, with random replacement,
 * an L2 and a page-walk cache, in plain and nested mode; another seed for
 * random replacement gives other counters.
 */
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define MEM (MIB(96))
#define TABLES MIB(64)
#define NTABLES MIB(80)
#define NPAGES 512

struct snapshot {
	uint64_t ctr[64];
	unsigned n;
	uint64_t table_hash;
};

static void record(void *ctx, const char *name, uint64_t value)
{
	struct snapshot *s = ctx;
	(void)name;
	CHECK(s->n < 64, "more than 64 counters");
	s->ctr[s->n++] = value;
}

static uint64_t lcg(uint64_t *x)
{
	*x = *x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *x >> 33;
}

static void run(bool nested, const char *tlb, struct snapshot *out)
{
	struct fx f;
	struct ptb g[2], n;
	uint64_t x = 12345;
	uint64_t host_off = nested ? MIB(1) : 0;   /* nested: GPA g -> HPA g + 1 MiB */

	fx_init(&f, MEM, tlb);
	if (nested) {
		ptb_init(&n, f.mem, 0, NTABLES, MEM);
		for (uint64_t gpa = 0; gpa < MIB(62); gpa += MIB(2))
			ptb_map(&n, gpa, gpa + host_off, gpa < MIB(32) ? 0 : 1, MV_PTE_P | MV_PTE_W | MV_PTE_U);
		/* the 4K part of nested memory */
		for (uint64_t gpa = 0; gpa < MIB(32); gpa += KIB(4))
			ptb_map(&n, gpa, gpa + host_off, 0, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	}
	for (unsigned s = 0; s < 2; s++) {
		ptb_init(&g[s], f.mem, host_off, TABLES - MIB(8) + s * MIB(4),
			 TABLES - MIB(8) + (s + 1) * MIB(4));
		for (unsigned p = 0; p < NPAGES; p++) {
			uint64_t va = UINT64_C(0x10000000) + (uint64_t)p * KIB(4) * 37;
			uint64_t fl = MV_PTE_P | MV_PTE_U | (p % 3 ? MV_PTE_W : 0) | (p % 5 == 0 ? MV_PTE_G : 0);
			ptb_map(&g[s], va, (uint64_t)(p + s * 1000) * KIB(4), 0, fl);
		}
		ptb_map(&g[s], UINT64_C(0x80000000), MIB(20), 1, MV_PTE_P | MV_PTE_W | MV_PTE_U);
	}
	f.regs.cr4 |= MV_CR4_PCIDE | MV_CR4_PGE;
	f.regs.cr3 = g[0].root | 1;
	if (nested) {
		f.regs.npt = true;
		f.regs.ncr3 = n.root;
		f.regs.vm_asid = 1;
		f.regs.phys_limit = 0;
	}
	fx_apply(&f);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t r = lcg(&x);
		uint64_t va = (r & 1) ? UINT64_C(0x80000000) + (r % MIB(2))
				      : UINT64_C(0x10000000) + (r % NPAGES) * KIB(4) * 37 + (r & 0xff8);
		enum soft_access acc = (enum soft_access)(lcg(&x) % 3);
		bool user = lcg(&x) & 1;
		uint64_t hpa;
		struct soft_fault flt;
		(void)soft_mmu_translate(f.mmu, va, acc, user, &hpa, &flt);
		switch (lcg(&x) % 64) {
		case 0: {
			unsigned s = lcg(&x) & 1;
			f.regs.cr3 = g[s].root | (s + 1);
			fx_apply(&f);
			if (lcg(&x) & 1)
				soft_mmu_flush_pcid(f.mmu, s + 1, true, SOFT_FLUSH_CR3);
			break;
		}
		case 1:
			soft_mmu_invlpg(f.mmu, va);
			break;
		case 2:
			soft_mmu_flush_all(f.mmu, false, SOFT_FLUSH_GLOBAL);
			break;
		default:
			break;
		}
	}
	out->n = 0;
	soft_mmu_stats(f.mmu, record, out);
	/* FNV-1a over the guest tables (A/D bits written back). */
	out->table_hash = UINT64_C(14695981039346656037);
	for (uint64_t a = TABLES - MIB(8); a < TABLES; a++) {
		out->table_hash ^= f.mem[a + host_off];
		out->table_hash *= UINT64_C(1099511628211);
	}
	fx_fini(&f);
}

int main(void)
{
	static const char *const tlbs[] = { "repl=random,seed=1", "repl=random,seed=2",
					    "repl=lru,l2=0,pwc=0" };

	for (unsigned nested = 0; nested < 2; nested++) {
		struct snapshot s[3], again;
		for (unsigned t = 0; t < 3; t++) {
			run(nested, tlbs[t], &s[t]);
			run(nested, tlbs[t], &again);
			CHECK_EQ_U64(s[t].n, again.n);
			for (unsigned i = 0; i < s[t].n; i++)
				CHECK(s[t].ctr[i] == again.ctr[i],
				      "nested %u tlb %s: counter %u %" PRIu64 " then %" PRIu64, nested,
				      tlbs[t], i, s[t].ctr[i], again.ctr[i]);
			CHECK_EQ_U64(s[t].table_hash, again.table_hash);
		}
		/* The workload really exercises the model. */
		CHECK(s[0].ctr[0] == 20000, "tlb_accesses %" PRIu64, s[0].ctr[0]);
		CHECK(memcmp(s[0].ctr, s[1].ctr, sizeof(s[0].ctr)) != 0,
		      "nested %u: seeds 1 and 2 gave identical counters", nested);
	}
	return 0;
}
