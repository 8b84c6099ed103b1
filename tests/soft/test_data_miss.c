/*
 * tests/soft/test_data_miss.c — the CPU's data path entering the MMU's
 * one-pass miss (soft_host_ptr_fill() in cpu_exec.c) against the generic
 * slow path alone.
 *
 * A guest over 4 KiB pages (A and D clear at first, every fifth data page
 * read-only until its #PF handler makes it writable) does 8 kinds of
 * access at random addresses: loads, stores, read-modify-writes, accesses
 * that cross a page, stores into its own code page (a code reset), byte
 * accesses, INVLPG, and clearing a PTE's A and D bits.  Each geometry runs
 * it twice, once with the one-pass miss and once with it turned off
 * (mmu->no_miss_fast: the generic path for every miss), and the two must
 * agree on every MMU counter, the predecoder's (a code reset missed
 * shows there), the contents of the TLBs and the page-walk cache with
 * their replacement state, the instruction count, the registers and
 * every byte of memory; the first must have taken the one-pass miss.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "programs.h"
#include "vcpu/soft/mmu_internal.h"

#define PT_BASE   0x700000u     /* 4 PTs for [0, 8 MiB), contiguous */
#define DATA_LEN  (4u << 20)
#define ITERATIONS 50000u
#define MAX_STATS 128

struct stats {
	unsigned n;
	char name[MAX_STATS][48];
	uint64_t value[MAX_STATS];
};

static void collect(void *ctx, const char *name, uint64_t value)
{
	struct stats *s = ctx;
	CHECK(s->n < MAX_STATS, "too many stats");
	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
	s->value[s->n++] = value;
}

struct outcome {
	struct stats stats;
	struct engine_regs regs;
	uint64_t insns, mem_hash, tlb_hash, taken;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 1099511628211ull;
	}
	for (; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t hash_tlb(uint64_t h, const struct soft_tlb *t)
{
	h = hash_bytes(h, &t->clock, sizeof(t->clock));
	h = hash_bytes(h, &t->hint, sizeof(t->hint));
	h = hash_bytes(h, t->nlarge, sizeof(t->nlarge));
	return t->e ? hash_bytes(h, t->e, (size_t)t->sets * t->ways * sizeof(*t->e)) : h;
}

/* What a lookup depends on, the replacement's state included (not the
 * generation numbers, which only say when the CPU's caches go stale). */
static uint64_t hash_mmu(const struct soft_mmu *mmu)
{
	uint64_t h = 1469598103934665603ull;
	h = hash_tlb(h, &mmu->itlb);
	h = hash_tlb(h, &mmu->dtlb);
	h = hash_tlb(h, &mmu->l2);
	const size_t n = mmu->cfg.pwc_entries;
	if (n) {
		h = hash_bytes(h, mmu->pwc, n * sizeof(*mmu->pwc));
		h = hash_bytes(h, mmu->pwc_key, n * sizeof(*mmu->pwc_key));
		h = hash_bytes(h, mmu->pwc_stamp, n * sizeof(*mmu->pwc_stamp));
	}
	h = hash_bytes(h, &mmu->pwc_clock, sizeof(mmu->pwc_clock));
	return hash_bytes(h, &mmu->rng, sizeof(mmu->rng));
}

static void run_once(const char *tlb, bool generic_only, uint64_t seed, struct outcome *o)
{
	struct th t;
	th_init_tlb(&t, tlb);
	/* 4 KiB pages over [0, 8 MiB) in place of the harness's 2 MiB ones. */
	for (uint64_t i = 0; i < TH_MEM >> 21; i++)
		th_wr64(&t, 0x3000 + 8 * i, (PT_BASE + 0x1000 * i) | 7);
	for (uint64_t p = 0; p < TH_MEM >> 12; p++) {
		uint64_t va = p << 12;
		bool data = va >= TH_DATA && va < TH_DATA + DATA_LEN;
		uint64_t flags = data && p % 5 == 0 ? 5 : 7;   /* read-only, or writable */
		th_wr64(&t, PT_BASE + 8 * p, va | flags);
	}
	th_code(&t, TH_CODE, prog_data_miss);
	th_gate(&t, 14, TH_CODE + DATA_MISS_PF_HANDLER, 0xe, 0, 0);
	struct engine_regs r = th_regs(&t);
	r.r15 = TH_DATA;
	r.r14 = PT_BASE;
	r.r13 = ITERATIONS;
	r.rbx = seed;
	th_set_regs(&t, &r);
	struct soft_mmu *mmu = soft_machine_mmu(t.m);
	mmu->no_miss_fast = generic_only;

	th_expect(&t, ENGINE_EXIT_HLT, "the data-miss program");

	memset(o, 0, sizeof(*o));
	soft_machine_stats(t.m, collect, &o->stats);   /* the MMU's and the predecoder's */
	o->regs = th_regs(&t);
	o->insns = t.ops->instructions(t.vcpu);
	o->mem_hash = hash_bytes(0, t.mem, TH_MEM);
	o->tlb_hash = hash_mmu(mmu);
	o->taken = mmu->miss_fast_taken;
	th_fini(&t);
}

static void compare(const char *tlb, uint64_t seed)
{
	static struct outcome fast, generic;
	run_once(tlb, false, seed, &fast);
	run_once(tlb, true, seed, &generic);
	CHECK(fast.stats.n == generic.stats.n && fast.stats.n > 0, "%s: stats lists differ", tlb);
	for (unsigned i = 0; i < fast.stats.n; i++) {
		CHECK(strcmp(fast.stats.name[i], generic.stats.name[i]) == 0, "%s: stat order", tlb);
		CHECK(fast.stats.value[i] == generic.stats.value[i],
		      "%s seed %" PRIu64 ": %s = %" PRIu64 " with the one-pass miss, %" PRIu64
		      " without", tlb, seed, fast.stats.name[i], fast.stats.value[i],
		      generic.stats.value[i]);
	}
	CHECK_EQ_U64(fast.insns, generic.insns);
	CHECK_EQ_U64(fast.regs.r12, generic.regs.r12);
	CHECK_EQ_U64(fast.regs.rbx, generic.regs.rbx);
	CHECK_EQ_U64(fast.regs.rip, generic.regs.rip);
	CHECK(fast.mem_hash == generic.mem_hash, "%s: memory differs", tlb);
	CHECK(fast.tlb_hash == generic.tlb_hash, "%s: TLB or page-walk-cache contents differ", tlb);
	CHECK(generic.taken == 0, "%s: the generic run took the one-pass miss", tlb);
	bool covered = strstr(tlb, "random") == NULL;
	CHECK(!covered || fast.taken > ITERATIONS / 10,
	      "%s: the one-pass miss was taken %" PRIu64 " times in %u iterations", tlb, fast.taken,
	      ITERATIONS);
	printf("  %-28s seed %-3" PRIu64 " %" PRIu64 " instructions, one-pass misses %" PRIu64 "\n",
	       tlb, seed, fast.insns, fast.taken);
}

int main(void)
{
	static const char *const geometries[] = {
		"l1=64:4",                  /* the default geometry */
		"l1=16:4,l2=64:8,pwc=4",    /* small: many evictions */
		"l1=8:2,l2=0",              /* no L2 */
		"l1=32:16,l2=256:16,pwc=0", /* ways the scans do not unroll, no PWC */
		"repl=random",              /* not covered: the generic path */
	};
	for (unsigned g = 0; g < sizeof(geometries) / sizeof(geometries[0]); g++)
		for (uint64_t seed = 1; seed <= 2; seed++)
			compare(geometries[g], seed * 0x9e3779b97f4a7c15ull);
	printf("data path one-pass miss: counters, TLB contents, registers and memory agree\n");
	return 0;
}
