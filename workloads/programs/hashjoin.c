/*
 * workloads/programs/hashjoin.c — a hash join with POSIX threads: build a
 * hash table on relation R, probe it with relation S from THREADS
 * threads, verify the match count and payload sum.  A benchmark program
 * of memvirt's own (docs/programs.md).
 *
 * Usage: hashjoin [BUILD [PROBE [THREADS [SEED]]]]   (defaults 1000000 3000000 4 1)
 *
 * R holds BUILD distinct keys (a bijective mix of 0..BUILD-1, shuffled
 * by the seed) with payload i; S holds PROBE keys, each an R key with
 * probability 1/2 and otherwise any 64-bit value.  The table is open
 * addressing with linear probing at a load of at most 1/2, built by the
 * main thread.  THREADS threads (1..16) probe fixed, equal slices of S;
 * each adds its count and payload sum into the shared totals under a
 * mutex, so the totals do not depend on which thread finishes first.
 *
 * Self-check, by a second method: R's keys sorted (qsort), and every S
 * key looked up by binary search; count and sum must match the join's.
 * Exit 0 when they do, 1 otherwise, 2 on bad arguments.
 *
 * Prints the join's figures, one line per thread (its slice's count),
 * and last `checksum HEX`.  Deterministic whatever the scheduling.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HJ_MAX_THREADS 16
#define HJ_EMPTY UINT64_MAX     /* never a key: keys are drawn below it */

struct hj_entry {
	uint64_t key, payload;
};

struct hj_table {
	struct hj_entry *slot;
	uint64_t mask;
};

struct hj_shared {
	const struct hj_table *t;
	const uint64_t *probe;
	pthread_mutex_t lock;
	uint64_t matches, sum;
};

struct hj_worker {
	pthread_t tid;
	struct hj_shared *sh;
	size_t lo, hi;
	uint64_t matches, sum;  /* this slice's own, for the per-thread lines */
};

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix(*s);
}

static uint64_t fold(uint64_t acc, uint64_t v)
{
	return (((acc << 5) | (acc >> 59)) ^ v) * 0x100000001b3ull;
}

/* A key below HJ_EMPTY. */
static uint64_t as_key(uint64_t x)
{
	return x == HJ_EMPTY ? 0 : x;
}

static uint64_t slot_of(uint64_t key)
{
	return (key ^ (key >> 29)) * 0xbf58476d1ce4e5b9ull;
}

static void *hj_probe(void *arg)
{
	struct hj_worker *w = arg;
	const struct hj_table *t = w->sh->t;
	uint64_t m = 0, sum = 0;
	for (size_t i = w->lo; i < w->hi; i++) {
		uint64_t k = w->sh->probe[i];
		for (uint64_t j = slot_of(k) & t->mask;; j = (j + 1) & t->mask) {
			if (t->slot[j].key == HJ_EMPTY)
				break;
			if (t->slot[j].key == k) {
				m++;
				sum += t->slot[j].payload;
				break;
			}
		}
	}
	w->matches = m;
	w->sum = sum;
	pthread_mutex_lock(&w->sh->lock);
	w->sh->matches += m;
	w->sh->sum += sum;
	pthread_mutex_unlock(&w->sh->lock);
	return NULL;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct hj_entry *)a)->key, y = ((const struct hj_entry *)b)->key;
	return x < y ? -1 : x > y;
}

static int arg(int argc, char **argv, int i, unsigned long long def, unsigned long long lo,
	       unsigned long long hi, unsigned long long *out)
{
	if (argc <= i) {
		*out = def;
		return 0;
	}
	char *end;
	*out = strtoull(argv[i], &end, 0);
	if (!*argv[i] || *end || *out < lo || *out > hi) {
		fprintf(stderr, "hashjoin: argument %d (%s) must be a number in %llu..%llu\n", i, argv[i], lo,
			hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long nbuild, nprobe, nthreads, seed;
	if (argc > 5 || arg(argc, argv, 1, 1000000, 1, 1ull << 27, &nbuild) ||
	    arg(argc, argv, 2, 3000000, 0, 1ull << 30, &nprobe) ||
	    arg(argc, argv, 3, 4, 1, HJ_MAX_THREADS, &nthreads) ||
	    arg(argc, argv, 4, 1, 0, ~0ull, &seed)) {
		fprintf(stderr, "usage: hashjoin [BUILD [PROBE [THREADS [SEED]]]]\n");
		return 2;
	}
	uint64_t s = seed;

	/* R: distinct keys (mix is a bijection), in a seeded order. */
	struct hj_entry *r = malloc(nbuild * sizeof(*r));
	uint64_t *probe = malloc((nprobe ? nprobe : 1) * sizeof(*probe));
	uint64_t cap = 2;
	while (cap < 2 * nbuild)
		cap <<= 1;
	struct hj_table t = {malloc(cap * sizeof(struct hj_entry)), cap - 1};
	if (!r || !probe || !t.slot) {
		fprintf(stderr, "hashjoin: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < nbuild; i++)
		r[i] = (struct hj_entry){as_key(mix(i ^ (seed << 40))), i};
	for (size_t i = nbuild - 1; i > 0; i--) {
		size_t j = next(&s) % (i + 1);
		struct hj_entry x = r[i];
		r[i] = r[j];
		r[j] = x;
	}
	for (size_t i = 0; i < nprobe; i++) {
		uint64_t x = next(&s);
		probe[i] = (x & 1) ? r[(x >> 1) % nbuild].key : as_key(next(&s));
	}

	/* Build. */
	memset(t.slot, 0xff, cap * sizeof(struct hj_entry));
	uint64_t collisions = 0;
	for (size_t i = 0; i < nbuild; i++) {
		uint64_t j = slot_of(r[i].key) & t.mask;
		while (t.slot[j].key != HJ_EMPTY) {
			j = (j + 1) & t.mask;
			collisions++;
		}
		t.slot[j] = r[i];
	}

	/* Probe. */
	struct hj_shared sh = {.t = &t, .probe = probe, .matches = 0, .sum = 0};
	pthread_mutex_init(&sh.lock, NULL);
	struct hj_worker w[HJ_MAX_THREADS];
	for (unsigned i = 0; i < nthreads; i++) {
		w[i] = (struct hj_worker){.sh = &sh, .lo = nprobe * i / nthreads, .hi = nprobe * (i + 1) / nthreads};
		int rc = pthread_create(&w[i].tid, NULL, hj_probe, &w[i]);
		if (rc) {
			fprintf(stderr, "hashjoin: pthread_create: %s\n", strerror(rc));
			return 1;
		}
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(w[i].tid, NULL);
	pthread_mutex_destroy(&sh.lock);

	/* The second method: binary search in sorted R. */
	qsort(r, nbuild, sizeof(*r), u64_cmp);
	uint64_t ref_matches = 0, ref_sum = 0;
	for (size_t i = 0; i < nprobe; i++) {
		size_t lo = 0, hi = nbuild;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (r[mid].key < probe[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nbuild && r[lo].key == probe[i]) {
			ref_matches++;
			ref_sum += r[lo].payload;
		}
	}
	int ok = ref_matches == sh.matches && ref_sum == sh.sum;

	uint64_t acc = fold(fold(seed, sh.matches), sh.sum);
	printf("hashjoin: build %llu, probe %llu, table %llu slots, %llu build collisions\n", nbuild, nprobe,
	       (unsigned long long)cap, (unsigned long long)collisions);
	for (unsigned i = 0; i < nthreads; i++) {
		printf("thread %u: probes %zu..%zu, matches %llu\n", i, w[i].lo, w[i].hi,
		       (unsigned long long)w[i].matches);
		acc = fold(acc, w[i].matches);
	}
	printf("join: %llu matches, payload sum %llu\n", (unsigned long long)sh.matches,
	       (unsigned long long)sh.sum);
	printf("verify: %s (sorted search: %llu matches, sum %llu)\n", ok ? "ok" : "FAILED",
	       (unsigned long long)ref_matches, (unsigned long long)ref_sum);
	printf("checksum %016llx\n", (unsigned long long)acc);
	free(t.slot);
	free(probe);
	free(r);
	return ok ? 0 : 1;
}
