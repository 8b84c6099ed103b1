/*
 * workloads/programs/gups.c — HPCC RandomAccess (GUPS): XOR updates at
 * random places of a table of 2^LOG2 64-bit words, verified by undoing
 * them.  A benchmark program of memvirt's own (docs/programs.md): a TLB
 * miss nearly every update once the table outgrows the TLB's reach.
 *
 * Usage: gups [LOG2 [UPDATES [SEED]]]   (defaults 22 16777216 1)
 *
 * T[i] = i; the update stream is HPCC's: x = (x << 1) ^ (x < 0 ? POLY : 0)
 * with POLY = 7, starting from a seeded non-zero value, and each x does
 * T[x & (2^LOG2 - 1)] ^= x.
 *
 * Self-check, HPCC's own: running the same stream again undoes every
 * update (XOR is its own inverse), so the table must be T[i] = i again;
 * unlike HPCC's threaded version, not one error is allowed.  A fold of
 * the table between the two passes must also equal the fold computed
 * from the updates grouped by index with a counting sort (tables of
 * LOG2 <= 20 and at most 2^24 updates only).  Exit 0 when it holds, 1 otherwise, 2 on bad
 * arguments.
 *
 * Prints the table, the updates, the number of words the first pass left
 * changed, and last `checksum HEX`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUPS_POLY 0x7ull

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t fold(uint64_t acc, uint64_t v)
{
	return (((acc << 5) | (acc >> 59)) ^ v) * 0x100000001b3ull;
}

static uint64_t step(uint64_t x)
{
	return (x << 1) ^ ((int64_t)x < 0 ? GUPS_POLY : 0);
}

static void updates(uint64_t *t, uint64_t mask, uint64_t x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		x = step(x);
		t[x & mask] ^= x;
	}
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
		fprintf(stderr, "gups: argument %d (%s) must be a number in %llu..%llu\n", i, argv[i], lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long lg, n, seed;
	if (argc > 4 || arg(argc, argv, 1, 22, 4, 30, &lg) || arg(argc, argv, 2, 16777216, 1, 1ull << 34, &n) ||
	    arg(argc, argv, 3, 1, 0, ~0ull, &seed)) {
		fprintf(stderr, "usage: gups [LOG2 [UPDATES [SEED]]]\n");
		return 2;
	}
	uint64_t size = 1ull << lg, mask = size - 1;
	uint64_t *t = malloc(size * sizeof(uint64_t));
	if (!t) {
		fprintf(stderr, "gups: out of memory\n");
		return 1;
	}
	for (uint64_t i = 0; i < size; i++)
		t[i] = i;
	uint64_t x0 = mix(seed) | 1;

	updates(t, mask, x0, n);
	uint64_t changed = 0, acc = fold(seed, size);
	for (uint64_t i = 0; i < size; i++) {
		changed += t[i] != i;
		acc = fold(acc, t[i]);
	}

	/* The second method, for tables small enough: group the updates by
	 * index (a counting sort) and XOR each group into its word. */
	int sparse_ok = 1;
	if (lg <= 20 && n <= (1ull << 24)) {
		uint64_t *start = calloc(size + 1, sizeof(uint64_t)), *val = malloc(n * sizeof(uint64_t));
		if (!start || !val) {
			fprintf(stderr, "gups: out of memory\n");
			return 1;
		}
		uint64_t x = x0;
		for (uint64_t i = 0; i < n; i++) {
			x = step(x);
			start[(x & mask) + 1]++;
		}
		for (uint64_t i = 0; i < size; i++)
			start[i + 1] += start[i];
		x = x0;
		for (uint64_t i = 0; i < n; i++) {
			x = step(x);
			val[start[x & mask]++] = x;
		}
		/* start[i] is now the end of word i's group, the start of i+1's. */
		uint64_t ref = fold(seed, size);
		for (uint64_t i = 0, j = 0; i < size; i++) {
			uint64_t w = i;
			for (; j < start[i]; j++)
				w ^= val[j];
			ref = fold(ref, w);
		}
		sparse_ok = ref == acc;
		free(start);
		free(val);
	}

	updates(t, mask, x0, n);
	uint64_t errors = 0;
	for (uint64_t i = 0; i < size; i++)
		errors += t[i] != i;
	int ok = !errors && sparse_ok;

	printf("gups: table 2^%llu words (%llu MiB), %llu updates\n", lg,
	       (unsigned long long)(size * sizeof(uint64_t) >> 20), n);
	printf("after the updates: %llu words changed\n", (unsigned long long)changed);
	printf("verify: %s (%llu words not restored%s)\n", ok ? "ok" : "FAILED", (unsigned long long)errors,
	       lg <= 20 && n <= (1ull << 24) ? (sparse_ok ? ", grouped updates agree" : ", grouped updates DISAGREE")
					       : "");
	printf("checksum %016llx\n", (unsigned long long)acc);
	free(t);
	return ok ? 0 : 1;
}
