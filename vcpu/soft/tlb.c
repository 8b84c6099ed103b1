/*
 * vcpu/soft/tlb.c — TLB arrays and page-walk cache (see tlb.h and the
 * organisation described in mmu_internal.h).
 *
 * Replacement: LRU uses the per-TLB clock stamped on every fill and hit;
 * random uses the MMU's seeded generator, so a run is reproducible.  An
 * invalid way is always used before any valid entry is evicted.
 */
#include "vcpu/soft/tlb.h"

#include <errno.h>
#include <stdlib.h>

int soft_tlb_init(struct soft_tlb *t, unsigned entries, unsigned ways)
{
	*t = (struct soft_tlb){ 0 };
	if (entries == 0)
		return 0;
	t->e = calloc(entries, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	t->ways = ways;
	while ((1u << t->way_shift) < ways)
		t->way_shift++;
	t->sets = entries / ways;
	t->set_mask = t->sets - 1;
	t->gen = 1;
	return 0;
}

void soft_tlb_free(struct soft_tlb *t)
{
	free(t->e);
	*t = (struct soft_tlb){ 0 };
}

uint64_t soft_mmu_rand(struct soft_mmu *mmu)
{
	uint64_t x = mmu->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	mmu->rng = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

static void drop(struct soft_tlb *t, struct soft_tlb_entry *e)
{
	unsigned size = (unsigned)(e->key >> 1) & 3;

	if (size != SOFT_PAGE_4K)
		t->nlarge[size]--;
	e->key = 0;
	e->stamp = 0;   /* an invalid entry is older than every valid one */
	t->gen++;
}

struct soft_tlb_entry *soft_tlb_insert(struct soft_tlb *t, struct soft_mmu *mmu, uint64_t va,
				       unsigned size, uint64_t hpa, uint32_t asid, uint16_t pcid,
				       uint16_t flags)
{
	uint64_t key = soft_tlb_key(va, size);
	struct soft_tlb_entry *set =
		t->e + (((va >> SOFT_PAGE_SHIFT(size)) & t->set_mask) << t->way_shift);
	struct soft_tlb_entry *same = NULL, *invalid = NULL, *oldest = &set[0];

	/* One pass for the three choices, in order of preference: the entry
	 * with the same key and tags, the first invalid way, the least
	 * recently used (the first of equal stamps) or a random way. */
	for (unsigned w = 0; w < t->ways; w++) {
		struct soft_tlb_entry *e = &set[w];
		if (e->key == key && e->asid == asid && e->pcid == pcid) {
			same = e;
			break;
		}
		if (e->key == 0) {
			if (!invalid)
				invalid = e;
		} else if (e->stamp < oldest->stamp) {
			oldest = e;
		}
	}
	struct soft_tlb_entry *victim = same ? same : invalid;
	if (!victim) {
		if (mmu->cfg.repl == SOFT_TLB_RANDOM) {
			victim = &set[soft_mmu_rand(mmu) % t->ways];
		} else {
			/* Every way valid and visited: the first of the oldest. */
			victim = oldest;
		}
	}
	return soft_tlb_place(t, victim, key, size, hpa, asid, pcid, flags);
}

unsigned soft_tlb_invalidate_page(struct soft_tlb *t, uint64_t va, uint32_t asid, uint16_t pcid)
{
	unsigned n = 0;

	if (!t->e)
		return 0;
	for (unsigned s = 0; s < SOFT_PAGE__COUNT; s++) {
		uint64_t key = soft_tlb_key(va, s);
		struct soft_tlb_entry *set =
			t->e + (((va >> SOFT_PAGE_SHIFT(s)) & t->set_mask) << t->way_shift);
		for (unsigned w = 0; w < t->ways; w++) {
			struct soft_tlb_entry *e = &set[w];
			if (e->key == key && e->asid == asid &&
			    (e->pcid == pcid || (e->flags & SOFT_TLBF_G))) {
				drop(t, e);
				n++;
			}
		}
	}
	return n;
}

static bool selected(const struct soft_tlb_filter *f, uint64_t key, uint32_t asid, uint16_t pcid,
		     bool global)
{
	if (f->key && key != f->key)
		return false;
	if (!f->any_asid && asid != f->asid)
		return false;
	if (f->keep_global && global)
		return false;
	/* A global entry belongs to every PCID of its ASID. */
	if (!f->any_pcid && pcid != f->pcid && !global)
		return false;
	return true;
}

unsigned soft_tlb_flush(struct soft_tlb *t, const struct soft_tlb_filter *f)
{
	unsigned n = 0;

	if (!t->e)
		return 0;
	for (uint64_t i = 0; i < (uint64_t)t->sets * t->ways; i++) {
		struct soft_tlb_entry *e = &t->e[i];
		if (e->key && selected(f, e->key, e->asid, e->pcid, e->flags & SOFT_TLBF_G)) {
			drop(t, e);
			n++;
		}
	}
	return n;
}

int soft_pwc_index_init(struct soft_mmu *mmu)
{
	const unsigned n = mmu->cfg.pwc_entries;
	unsigned bits = 4;
	/* At least two buckets an entry: chains of one entry or none. */
	while ((1u << bits) < 2 * n)
		bits++;
	mmu->pwc_bucket_bits = bits;
	const size_t slots = n ? n : 1, words = (n + 63) / 64 ? (n + 63) / 64 : 1;
	mmu->pwc_head = malloc(sizeof(*mmu->pwc_head) << bits);
	mmu->pwc_next = malloc(sizeof(*mmu->pwc_next) * slots);
	mmu->pwc_older = malloc(sizeof(*mmu->pwc_older) * slots);
	mmu->pwc_newer = malloc(sizeof(*mmu->pwc_newer) * slots);
	mmu->pwc_free = calloc(words, sizeof(*mmu->pwc_free));
	if (!mmu->pwc_head || !mmu->pwc_next || !mmu->pwc_older || !mmu->pwc_newer || !mmu->pwc_free)
		return -ENOMEM;
	for (unsigned b = 0; b < 1u << bits; b++)
		mmu->pwc_head[b] = SOFT_PWC_NONE;
	for (unsigned i = 0; i < n; i++)
		mmu->pwc_free[i / 64] |= UINT64_C(1) << (i % 64);
	mmu->pwc_oldest = mmu->pwc_newest = SOFT_PWC_NONE;
	return 0;
}

/* Takes valid entry i out of the order of stamps. */
static void pwc_order_remove(struct soft_mmu *mmu, unsigned i)
{
	const uint16_t older = mmu->pwc_older[i], newer = mmu->pwc_newer[i];
	if (older != SOFT_PWC_NONE)
		mmu->pwc_newer[older] = newer;
	else
		mmu->pwc_oldest = newer;
	if (newer != SOFT_PWC_NONE)
		mmu->pwc_older[newer] = older;
	else
		mmu->pwc_newest = older;
}

/* Puts entry i, just stamped, at the newest end of the order. */
static void pwc_order_append(struct soft_mmu *mmu, unsigned i)
{
	mmu->pwc_older[i] = mmu->pwc_newest;
	mmu->pwc_newer[i] = SOFT_PWC_NONE;
	if (mmu->pwc_newest != SOFT_PWC_NONE)
		mmu->pwc_newer[mmu->pwc_newest] = (uint16_t)i;
	else
		mmu->pwc_oldest = (uint16_t)i;
	mmu->pwc_newest = (uint16_t)i;
}

/* The first invalid entry, or -1. */
static int pwc_first_free(const struct soft_mmu *mmu)
{
	const unsigned words = (mmu->cfg.pwc_entries + 63) / 64;
	for (unsigned w = 0; w < words; w++)
		if (mmu->pwc_free[w])
			return (int)(w * 64 + (unsigned)__builtin_ctzll(mmu->pwc_free[w]));
	return -1;
}

/* Takes entry i, whose key is valid, off its bucket's chain. */
static void pwc_unlink(struct soft_mmu *mmu, unsigned i)
{
	uint16_t *at = &mmu->pwc_head[soft_pwc_bucket(mmu->pwc_key[i], mmu->pwc_bucket_bits)];
	while (*at != i)
		at = &mmu->pwc_next[*at];
	*at = mmu->pwc_next[i];
}

/* Puts entry i, whose key was just set, on its bucket's chain. */
static void pwc_link(struct soft_mmu *mmu, unsigned i)
{
	uint16_t *head = &mmu->pwc_head[soft_pwc_bucket(mmu->pwc_key[i], mmu->pwc_bucket_bits)];
	mmu->pwc_next[i] = *head;
	*head = (uint16_t)i;
}

int soft_pwc_lookup(const struct soft_mmu *mmu, uint64_t va, const uint8_t *shifts,
		    unsigned max_level)
{
	return soft_pwc_lookup_inline(mmu, va, shifts, max_level);
}

struct soft_pwc_entry *soft_pwc_find(struct soft_mmu *mmu, uint64_t va, const uint8_t *shifts,
				     unsigned max_level)
{
	int i = soft_pwc_lookup(mmu, va, shifts, max_level);
	if (i < 0)
		return NULL;
	soft_pwc_touch(mmu, (unsigned)i);
	mmu->pwc_last = (unsigned)i;
	return &mmu->pwc[i];
}

void soft_pwc_insert(struct soft_mmu *mmu, unsigned level, uint64_t prefix, uint64_t next_hpa,
		     uint16_t flags)
{
	const uint64_t want = soft_pwc_key(prefix, level);
	const unsigned n = mmu->cfg.pwc_entries;
	unsigned victim;

	if (n == 0)
		return;
	/* In order of preference: the entry for the same table and tags, the
	 * first invalid one, the least recently used one or a random one
	 * (the least stamp: an invalid entry's is 0, a valid one's is not). */
	const int like = soft_pwc_match(mmu, want);
	const int free_entry = like >= 0 ? -1 : pwc_first_free(mmu);
	if (like >= 0)
		victim = (unsigned)like;
	else if (free_entry >= 0)
		victim = (unsigned)free_entry;
	else if (mmu->cfg.repl == SOFT_TLB_RANDOM)
		victim = (unsigned)(soft_mmu_rand(mmu) % n);
	else
		victim = mmu->pwc_oldest;
	if (mmu->pwc_key[victim]) {
		pwc_unlink(mmu, victim);
		pwc_order_remove(mmu, victim);
	} else {
		mmu->pwc_free[victim / 64] &= ~(UINT64_C(1) << (victim % 64));
	}
	mmu->pwc[victim] = (struct soft_pwc_entry){
		.next_hpa = next_hpa,
		.asid = mmu->cur_asid,
		.pcid = mmu->cur_pcid,
		.flags = (uint8_t)flags,
		.level = (uint8_t)level,
	};
	mmu->pwc_key[victim] = want;
	pwc_link(mmu, victim);
	mmu->pwc_stamp[victim] = ++mmu->pwc_clock;
	pwc_order_append(mmu, victim);
}

unsigned soft_pwc_flush(struct soft_mmu *mmu, const struct soft_tlb_filter *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < mmu->cfg.pwc_entries; i++) {
		struct soft_pwc_entry *p = &mmu->pwc[i];
		if (mmu->pwc_key[i] && selected(f, 0, p->asid, p->pcid, false)) {
			pwc_unlink(mmu, i);
			pwc_order_remove(mmu, i);
			mmu->pwc_free[i / 64] |= UINT64_C(1) << (i % 64);
			mmu->pwc_key[i] = 0;
			mmu->pwc_stamp[i] = 0;
			n++;
		}
	}
	return n;
}
