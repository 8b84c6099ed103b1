/*
 * workloads/programs/sort.c — N 64-bit keys sorted twice, by an LSD radix
 * sort and by a bottom-up merge sort, verified against each other.  A
 * benchmark program of memvirt's own (docs/programs.md).
 *
 * Usage: sort [KEYS [SEED [BITS]]]   (defaults 1500000 1 64)
 *
 * Keys come from a splitmix64 generator seeded with SEED, masked to their
 * low BITS bits (1..64; fewer bits, more equal keys).  The radix sort
 * takes 8 bits a pass and skips a pass whose digit is the same in every
 * key; the merge sort merges runs of 1, 2, 4, ... between two buffers.
 *
 * Self-check: both results are in non-decreasing order, equal element by
 * element, and hold the same multiset as the input (sum, xor and sum of
 * squares of the keys, mod 2^64, unchanged).  Exit 0 when all of it
 * holds, 1 otherwise, 2 on bad arguments.
 *
 * Prints the minimum, the median, the maximum, the number of distinct
 * keys, and last `checksum HEX`, a fold of every 64th sorted key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Sorts k[0..n) using tmp; the result is in k. */
static unsigned radix_sort(uint64_t *k, uint64_t *tmp, size_t n)
{
	unsigned passes = 0;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = {0};
		for (size_t i = 0; i < n; i++)
			count[(k[i] >> shift) & 0xff]++;
		if (count[(k[0] >> shift) & 0xff] == n)
			continue;       /* one digit value: the pass would not move a key */
		size_t pos = 0;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = count[d];
			count[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(k[i] >> shift) & 0xff]++] = k[i];
		memcpy(k, tmp, n * sizeof(uint64_t));
		passes++;
	}
	return passes;
}

/* Sorts k[0..n) using tmp; returns the buffer that holds the result. */
static uint64_t *merge_sort(uint64_t *k, uint64_t *tmp, size_t n)
{
	uint64_t *src = k, *dst = tmp;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				dst[o++] = src[j] < src[i] ? src[j++] : src[i++];
			while (i < mid)
				dst[o++] = src[i++];
			while (j < hi)
				dst[o++] = src[j++];
		}
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	return src;
}

struct multiset {
	uint64_t sum, x, sq;
};

static struct multiset summary(const uint64_t *k, size_t n)
{
	struct multiset m = {0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		m.sum += k[i];
		m.x ^= k[i];
		m.sq += k[i] * k[i];
	}
	return m;
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
		fprintf(stderr, "sort: argument %d (%s) must be a number in %llu..%llu\n", i, argv[i], lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long n, seed, nbits;
	if (argc > 4 || arg(argc, argv, 1, 1500000, 1, 1ull << 28, &n) || arg(argc, argv, 2, 1, 0, ~0ull, &seed) ||
	    arg(argc, argv, 3, 64, 1, 64, &nbits)) {
		fprintf(stderr, "usage: sort [KEYS [SEED [BITS]]]\n");
		return 2;
	}
	uint64_t *r = malloc(n * sizeof(uint64_t)), *m = malloc(n * sizeof(uint64_t));
	uint64_t *tmp = malloc(n * sizeof(uint64_t));
	if (!r || !m || !tmp) {
		fprintf(stderr, "sort: out of memory\n");
		return 1;
	}
	uint64_t s = seed, mask = nbits == 64 ? ~0ull : (1ull << nbits) - 1;
	struct multiset before = {0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		uint64_t k = next(&s) & mask;
		r[i] = m[i] = k;
		before.sum += k;
		before.x ^= k;
		before.sq += k * k;
	}

	unsigned passes = radix_sort(r, tmp, n);
	uint64_t *ms = merge_sort(m, tmp, n);

	size_t unordered = 0, differ = 0, distinct = n ? 1 : 0;
	for (size_t i = 1; i < n; i++) {
		unordered += (r[i - 1] > r[i]) + (ms[i - 1] > ms[i]);
		distinct += r[i - 1] != r[i];
	}
	for (size_t i = 0; i < n; i++)
		differ += r[i] != ms[i];
	struct multiset after_r = summary(r, n), after_m = summary(ms, n);
	int same_set = !memcmp(&before, &after_r, sizeof(before)) && !memcmp(&before, &after_m, sizeof(before));
	int ok = !unordered && !differ && same_set;

	uint64_t acc = fold(seed, n);
	for (size_t i = 0; i < n; i += 64)
		acc = fold(acc, r[i]);
	acc = fold(acc, r[n - 1]);
	printf("sort: %llu keys of %llu bits, %u radix passes, %zu distinct\n", n, nbits, passes, distinct);
	printf("min %016llx median %016llx max %016llx\n", (unsigned long long)r[0],
	       (unsigned long long)r[n / 2], (unsigned long long)r[n - 1]);
	printf("verify: %s (%zu out of order, %zu radix/merge differences, multiset %s)\n", ok ? "ok" : "FAILED",
	       unordered, differ, same_set ? "kept" : "CHANGED");
	printf("checksum %016llx\n", (unsigned long long)acc);
	free(r);
	free(m);
	free(tmp);
	return ok ? 0 : 1;
}
