/*
 * tests/mmu/test_miss.c — the one-pass miss (vcpu/soft/miss.c) against
 * the generic slow path: two MMUs over identical machines, one taking
 * every miss the generic way, run the same random accesses, register
 * loads, flushes and page-table edits; after every step their results,
 * faults, counters, TLB and page-walk-cache contents (stamps and clocks
 * included) and page tables must be identical.  Page tables mix 4 KiB,
 * 2 MiB and 1 GiB pages, entries without A or D, absent entries, reserved
 * bits, read-only, supervisor, NX and global pages, and two address
 * spaces with PCIDs; the TLB geometries include the default, small and
 * wide sets, no L2, no page-walk cache and random replacement.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define MEM (GIB(2))
#define TABLES MIB(64)
#define NPAGES 700
#define STEPS 60000

struct pair {
	struct fx f[2];   /* [0] one-pass miss on, [1] generic only */
	struct ptb g[2][2];
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t page_va(unsigned p)
{
	return UINT64_C(0x10000000) + (uint64_t)p * KIB(4) * 37;
}

/* The same tables in both machines (the builder is deterministic). */
static void build(struct pair *pr, uint64_t seed)
{
	for (unsigned m = 0; m < 2; m++) {
		uint64_t x = seed;
		for (unsigned s = 0; s < 2; s++) {
			struct ptb *b = &pr->g[m][s];
			ptb_init(b, pr->f[m].mem, 0, TABLES + s * MIB(4), TABLES + (s + 1) * MIB(4));
			for (unsigned p = 0; p < NPAGES; p++) {
				uint64_t r = rnd(&x);
				uint64_t fl = MV_PTE_P | MV_PTE_U | MV_PTE_W;
				if (r % 11 == 0)
					fl &= ~MV_PTE_W;
				if (r % 13 == 0)
					fl &= ~MV_PTE_U;
				if (r % 7 == 0)
					fl |= MV_PTE_NX;
				if (r % 5 == 0)
					fl |= MV_PTE_G;
				if (r % 3 == 0)
					fl |= MV_PTE_A | ((r >> 8) & 1 ? MV_PTE_D : 0);
				if (r % 97 == 0)
					fl &= ~MV_PTE_P;
				ptb_map(b, page_va(p), (uint64_t)(p + s * 1000) * KIB(4), 0, fl);
			}
			ptb_map(b, UINT64_C(0x80000000), MIB(20), 1, MV_PTE_P | MV_PTE_W | MV_PTE_U | MV_PTE_G);
			ptb_map(b, UINT64_C(0x40000000) * 3, GIB(1), 2, MV_PTE_P | MV_PTE_W | MV_PTE_U);
		}
	}
}

/* A random page-table edit, the same in both machines. */
static void edit(struct pair *pr, uint64_t r)
{
	unsigned s = r & 1, p = (unsigned)((r >> 1) % NPAGES), level = (unsigned)((r >> 12) % 4);
	static const uint64_t bits[] = {MV_PTE_A, MV_PTE_D, MV_PTE_W, MV_PTE_U, MV_PTE_NX, MV_PTE_P,
					UINT64_C(1) << 51 /* reserved */};
	uint64_t bit = bits[(r >> 20) % (sizeof(bits) / sizeof(bits[0]))];
	for (unsigned m = 0; m < 2; m++) {
		uint64_t *e = ptb_entry(&pr->g[m][s], page_va(p), level);
		if (!e)
			continue;
		/* Tables stay present and their addresses whole: the builder
		 * walks them to find the next edit's entry. */
		if ((bit == MV_PTE_P || bit == UINT64_C(1) << 51) && level < 3)
			continue;
		*e ^= bit;
	}
}

static uint64_t pick_va(uint64_t r)
{
	switch (r % 8) {
	case 0:
		return UINT64_C(0x80000000) + ((r >> 3) % MIB(2));
	case 1:
		return UINT64_C(0x40000000) * 3 + ((r >> 3) % GIB(1));
	case 2:
		return UINT64_C(0x7000000000) + ((r >> 3) & 0xfff000);   /* nothing mapped */
	default:
		return page_va((unsigned)((r >> 3) % NPAGES)) + ((r >> 20) & 0xff8);
	}
}

static void same_tlb(const struct soft_tlb *a, const struct soft_tlb *b, const char *what,
		     unsigned step)
{
	CHECK(a->clock == b->clock && a->hint == b->hint &&
		      memcmp(a->nlarge, b->nlarge, sizeof(a->nlarge)) == 0,
	      "step %u: %s clock/hint/nlarge differ", step, what);
	if (a->e)
		CHECK(memcmp(a->e, b->e, (size_t)a->sets * a->ways * sizeof(*a->e)) == 0,
		      "step %u: %s entries differ", step, what);
}

static void same_state(const struct pair *pr, unsigned step)
{
	const struct soft_mmu *a = pr->f[0].mmu, *b = pr->f[1].mmu;
	CHECK(memcmp(a->ctr, b->ctr, sizeof(a->ctr)) == 0, "step %u: counters differ", step);
	same_tlb(&a->itlb, &b->itlb, "itlb", step);
	same_tlb(&a->dtlb, &b->dtlb, "dtlb", step);
	same_tlb(&a->l2, &b->l2, "l2", step);
	unsigned n = a->cfg.pwc_entries;
	CHECK(a->pwc_clock == b->pwc_clock, "step %u: pwc clocks differ", step);
	if (n)
		CHECK(memcmp(a->pwc, b->pwc, n * sizeof(*a->pwc)) == 0 &&
			      memcmp(a->pwc_key, b->pwc_key, n * sizeof(*a->pwc_key)) == 0 &&
			      memcmp(a->pwc_stamp, b->pwc_stamp, n * sizeof(*a->pwc_stamp)) == 0,
		      "step %u: page-walk caches differ", step);
	CHECK(a->rng == b->rng, "step %u: generators differ", step);
}

static void run(const char *tlb, uint64_t seed, uint64_t *taken)
{
	struct pair *pr = calloc(1, sizeof(*pr));
	uint64_t x = seed * 2654435761u + 1;

	CHECK(pr != NULL, "out of memory");
	for (unsigned m = 0; m < 2; m++) {
		fx_init(&pr->f[m], MEM, tlb);
		pr->f[m].regs.cr4 |= MV_CR4_PCIDE | MV_CR4_PGE;
	}
	pr->f[1].mmu->no_miss_fast = true;
	build(pr, seed);
	for (unsigned m = 0; m < 2; m++) {
		pr->f[m].regs.cr3 = pr->g[m][0].root | 1;
		fx_apply(&pr->f[m]);
	}
	for (unsigned step = 0; step < STEPS; step++) {
		uint64_t r = rnd(&x), op = rnd(&x) % 100;
		uint64_t va = pick_va(r);
		enum soft_access acc = (enum soft_access)((r >> 40) % 3);
		bool user = (r >> 45) & 1;
		if (op < 90) {
			uint64_t hpa[2] = {0, 0};
			struct soft_fault flt[2];
			bool ok[2];
			for (unsigned m = 0; m < 2; m++) {
				memset(&flt[m], 0, sizeof(flt[m]));
				ok[m] = soft_mmu_translate(pr->f[m].mmu, va, acc, user, &hpa[m], &flt[m]);
			}
			CHECK(ok[0] == ok[1] && (!ok[0] || hpa[0] == hpa[1]) &&
				      (ok[0] || memcmp(&flt[0], &flt[1], sizeof(flt[0])) == 0),
			      "step %u: translate %#" PRIx64 " acc %d user %d: %d %#" PRIx64 " vs %d %#" PRIx64,
			      step, va, (int)acc, user, ok[0], hpa[0], ok[1], hpa[1]);
		} else if (op < 94) {
			edit(pr, rnd(&x));
		} else {
			for (unsigned m = 0; m < 2; m++) {
				struct fx *f = &pr->f[m];
				switch (op) {
				case 94: {
					unsigned s = r & 1;
					f->regs.cr3 = pr->g[m][s].root | (s + 1);
					fx_apply(f);
					if ((r >> 1) & 1)
						soft_mmu_flush_pcid(f->mmu, s + 1, true, SOFT_FLUSH_CR3);
					break;
				}
				case 95:
					soft_mmu_invlpg(f->mmu, va);
					break;
				case 96:
					soft_mmu_flush_all(f->mmu, (r >> 2) & 1, SOFT_FLUSH_GLOBAL);
					break;
				case 97:
					f->regs.cr0 ^= MV_CR0_WP;
					fx_apply(f);
					break;
				case 98:
					f->regs.efer ^= MV_EFER_NXE;
					fx_apply(f);
					break;
				default:
					f->regs.cr4 ^= MV_CR4_PGE;
					fx_apply(f);
					soft_mmu_flush_all(f->mmu, false, SOFT_FLUSH_GLOBAL);
					break;
				}
			}
		}
		same_state(pr, step);
	}
	CHECK(memcmp(pr->f[0].mem + TABLES, pr->f[1].mem + TABLES, MIB(8)) == 0,
	      "%s: page tables differ (A/D bits)", tlb);
	*taken = pr->f[0].mmu->miss_fast_taken;
	CHECK(pr->f[1].mmu->miss_fast_taken == 0, "the generic MMU took the one-pass miss");
	for (unsigned m = 0; m < 2; m++)
		fx_fini(&pr->f[m]);
	free(pr);
}

int main(void)
{
	static const char *const tlbs[] = {
		"l1=64:4",                       /* the default geometry */
		"l1=16:4,l2=64:8,pwc=4",         /* small: many evictions */
		"l1=8:2,l2=32:2,asid-bits=1",
		"l1=32:16,l2=256:16",            /* ways the scan does not unroll */
		"l2=0",
		"pwc=0",
		"repl=random,seed=3",            /* generic only, both sides */
	};
	uint64_t taken_total = 0;

	for (unsigned t = 0; t < sizeof(tlbs) / sizeof(tlbs[0]); t++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			uint64_t taken = 0;
			run(tlbs[t], seed, &taken);
			if (t < 6)
				CHECK(taken > 1000, "%s seed %" PRIu64 ": only %" PRIu64
				      " misses took the one-pass path", tlbs[t], seed, taken);
			taken_total += taken;
		}
	}
	printf("one-pass misses checked: %" PRIu64 "\n", taken_total);
	return 0;
}
