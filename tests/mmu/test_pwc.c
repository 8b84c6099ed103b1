/*
 * tests/mmu/test_pwc.c — the page-walk cache's lookup, fill and flush
 * (vcpu/soft/tlb.c) against a plain model written here, which compares
 * every key and finds the replacement victim by scanning every stamp.
 * tlb.c finds keys through an index and victims through an order of
 * stamps of its own; the model has neither, so one that loses or keeps an
 * entry it should not shows up as a different answer or contents.
 *
 * Random fills (often of a table already cached, so that a fill replaces
 * its like), lookups with and without stamping, and flushes (everything,
 * by ASID, by PCID, both) run over several sizes and both replacement
 * policies, with the tags moving between a few ASIDs and PCIDs.  After
 * every step the answer, the keys, stamps, payloads and clock must be the
 * model's; the index must hold each valid entry exactly once, in the
 * bucket of its key, and the order of stamps and the free bits must say
 * what the stamps say.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "tests/mmu/fixture.h"
#include "vcpu/soft/mmu_internal.h"
#include "vcpu/soft/tlb.h"

static const uint8_t shifts[4] = {39, 30, 21, 12};

struct model {
	unsigned n;
	uint64_t *key, *stamp, clock;
	struct soft_pwc_entry *e;
	struct soft_mmu *rng;   /* a twin MMU: the same seed, for random victims */
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static bool tags_match(const struct soft_mmu *mmu, const struct soft_pwc_entry *e)
{
	return e->asid == mmu->cur_asid && e->pcid == mmu->cur_pcid;
}

static int model_lookup(const struct model *md, const struct soft_mmu *mmu, uint64_t va,
			unsigned max_level)
{
	for (unsigned l = max_level + 1; l-- > 0;) {
		uint64_t want = soft_pwc_key(va >> shifts[l], l);
		for (unsigned i = 0; i < md->n; i++)
			if (md->key[i] == want && tags_match(mmu, &md->e[i]))
				return (int)i;
	}
	return -1;
}

static void model_insert(struct model *md, const struct soft_mmu *mmu, unsigned level,
			 uint64_t prefix, uint64_t next, uint8_t flags)
{
	uint64_t want = soft_pwc_key(prefix, level);
	unsigned victim = 0;
	uint64_t least = md->stamp[0];
	bool like = false;
	for (unsigned i = 0; i < md->n && !like; i++) {
		if (md->key[i] == want && tags_match(mmu, &md->e[i])) {
			victim = i;
			like = true;
		} else if (md->stamp[i] < least) {
			victim = i;
			least = md->stamp[i];
		}
	}
	if (!like && least != 0 && mmu->cfg.repl == SOFT_TLB_RANDOM)
		victim = (unsigned)(soft_mmu_rand(md->rng) % md->n);
	md->e[victim] = (struct soft_pwc_entry){
		.next_hpa = next, .asid = mmu->cur_asid, .pcid = mmu->cur_pcid,
		.flags = flags, .level = (uint8_t)level,
	};
	md->key[victim] = want;
	md->stamp[victim] = ++md->clock;
}

static unsigned model_flush(struct model *md, const struct soft_tlb_filter *f)
{
	unsigned flushed = 0;
	for (unsigned i = 0; i < md->n; i++) {
		if (!md->key[i] || (!f->any_asid && md->e[i].asid != f->asid) ||
		    (!f->any_pcid && md->e[i].pcid != f->pcid))
			continue;
		md->key[i] = 0;
		md->stamp[i] = 0;
		flushed++;
	}
	return flushed;
}

static void check_same(const struct model *md, const struct soft_mmu *mmu, unsigned step)
{
	CHECK(mmu->pwc_clock == md->clock, "step %u: clock %" PRIu64 ", model %" PRIu64, step,
	      mmu->pwc_clock, md->clock);
	unsigned valid = 0;
	for (unsigned i = 0; i < md->n; i++) {
		CHECK(mmu->pwc_key[i] == md->key[i] && mmu->pwc_stamp[i] == md->stamp[i],
		      "step %u: entry %u key %" PRIx64 " stamp %" PRIu64 ", model %" PRIx64 " %" PRIu64,
		      step, i, mmu->pwc_key[i], mmu->pwc_stamp[i], md->key[i], md->stamp[i]);
		const struct soft_pwc_entry *a = &mmu->pwc[i], *b = &md->e[i];
		CHECK(a->next_hpa == b->next_hpa && a->asid == b->asid && a->pcid == b->pcid &&
			      a->flags == b->flags && a->level == b->level,
		      "step %u: entry %u's payload differs from the model's", step, i);
		valid += md->key[i] != 0;
	}
	/* Each valid entry once, on its key's chain; nothing else. */
	unsigned listed = 0;
	for (unsigned b = 0; b < 1u << mmu->pwc_bucket_bits; b++) {
		for (unsigned i = mmu->pwc_head[b]; i != SOFT_PWC_NONE; i = mmu->pwc_next[i]) {
			CHECK(i < md->n && mmu->pwc_key[i] != 0 &&
				      soft_pwc_bucket(mmu->pwc_key[i], mmu->pwc_bucket_bits) == b,
			      "step %u: bucket %u lists entry %u, which is not its", step, b, i);
			CHECK(++listed <= valid, "step %u: the index lists more entries than are valid",
			      step);
		}
	}
	CHECK_EQ_U64(listed, valid);
	/* The order of stamps: every valid entry, oldest first. */
	unsigned ordered = 0, last = SOFT_PWC_NONE;
	for (unsigned i = mmu->pwc_oldest; i != SOFT_PWC_NONE; i = mmu->pwc_newer[i]) {
		CHECK(i < md->n && md->key[i] != 0 && mmu->pwc_older[i] == last &&
			      (last == SOFT_PWC_NONE || md->stamp[last] < md->stamp[i]),
		      "step %u: entry %u is out of the order of stamps", step, i);
		CHECK(++ordered <= valid, "step %u: the order of stamps loops", step);
		last = i;
	}
	CHECK_EQ_U64(ordered, valid);
	CHECK_EQ_U64(mmu->pwc_newest, last);
	for (unsigned i = 0; i < md->n; i++)
		CHECK(((mmu->pwc_free[i / 64] >> (i % 64)) & 1) == (md->key[i] == 0),
		      "step %u: entry %u's free bit is wrong", step, i);
}

static void run(const char *tlb, unsigned steps, uint64_t seed)
{
	struct fx f, twin;
	fx_init(&f, MIB(16), tlb);
	fx_init(&twin, MIB(16), tlb);
	struct soft_mmu *mmu = f.mmu;
	struct model md = {.n = f.cfg.pwc_entries, .rng = twin.mmu};
	md.key = calloc(md.n, sizeof(*md.key));
	md.stamp = calloc(md.n, sizeof(*md.stamp));
	md.e = calloc(md.n, sizeof(*md.e));
	CHECK(md.key && md.stamp && md.e, "out of memory");
	/* Prefixes from a small space, so that fills meet their like and
	 * lookups hit at every level; about twice as many tables as entries. */
	const uint64_t span = md.n < 4 ? 4 : md.n / 2;
	uint64_t x = seed;
	for (unsigned step = 0; step < steps; step++) {
		uint64_t r = rnd(&x);
		uint64_t va = ((r >> 8) % 4) << 39 | ((r >> 12) % 4) << 30 | ((r >> 16) % span) << 21 |
			      ((r >> 32) & 0x1ff) << 12;
		switch (r % 16) {
		case 0: /* new tags */
			mmu->cur_asid = (uint32_t)((r >> 40) % 3);
			mmu->cur_pcid = (uint16_t)((r >> 44) % 2);
			break;
		case 1: { /* a flush */
			struct soft_tlb_filter fl = {
				.any_asid = (r >> 40) & 1, .any_pcid = (r >> 41) & 1,
				.asid = (uint32_t)((r >> 42) % 3), .pcid = (uint16_t)((r >> 44) % 2),
			};
			if ((r >> 45) % 8 != 0)
				break;   /* rarer than fills, or the cache stays nearly empty */
			unsigned got = soft_pwc_flush(mmu, &fl), want = model_flush(&md, &fl);
			CHECK(got == want, "step %u: flushed %u, model %u", step, got, want);
			break;
		}
		case 2:
		case 3:
		case 4:
		case 5:
		case 6:
		case 7: { /* a fill */
			unsigned level = (unsigned)((r >> 40) % 3);
			uint64_t next = ((r >> 20) & 0xfff) << 12;
			uint8_t flags = (uint8_t)((r >> 50) & 7);
			soft_pwc_insert(mmu, level, va >> shifts[level], next, flags);
			model_insert(&md, mmu, level, va >> shifts[level], next, flags);
			break;
		}
		default: { /* a lookup; every other one stamps the entry found */
			unsigned max_level = (unsigned)((r >> 40) % 3);
			int got = soft_pwc_lookup(mmu, va, shifts, max_level);
			int want = model_lookup(&md, mmu, va, max_level);
			CHECK(got == want, "step %u: lookup of %" PRIx64 " at level %u found %d, model %d",
			      step, va, max_level, got, want);
			if ((r >> 45) & 1) {
				struct soft_pwc_entry *e = soft_pwc_find(mmu, va, shifts, max_level);
				CHECK(e == (want < 0 ? NULL : &mmu->pwc[want]), "step %u: find differs", step);
				if (want >= 0)
					md.stamp[want] = ++md.clock;
			}
			break;
		}
		}
		check_same(&md, mmu, step);
	}
	free(md.key);
	free(md.stamp);
	free(md.e);
	fx_fini(&twin);
	fx_fini(&f);
}

int main(void)
{
	static const char *const geometries[] = {
		"pwc=1", "pwc=2", "pwc=3", "pwc=16", "pwc=16,repl=random,seed=7", "pwc=64",
		"pwc=5,repl=random,seed=3",
	};
	for (unsigned g = 0; g < sizeof(geometries) / sizeof(geometries[0]); g++)
		for (uint64_t seed = 1; seed <= 3; seed++)
			run(geometries[g], 20000, seed * 0x9e3779b97f4a7c15ull);
	/* The largest cache the configuration accepts. */
	run("pwc=4096", 3000, 11);
	printf("pwc: lookups, fills and flushes match the model\n");
	return 0;
}
