/*
 * tests/programs/src/qsort.c — libc's qsort() and bsearch() over records
 * of several sizes, with a deterministic generator; prints a digest of
 * each sorted array.  Usage: qsort [N [SEED]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	uint32_t key;
	char name[20];
};

static uint64_t state;

static uint64_t rnd(void)
{
	state = state * 6364136223846793005ull + 1442695040888963407ull;
	return state >> 17;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	uint64_t *v = malloc(n * sizeof(*v));
	struct rec *r = malloc(n * sizeof(*r));
	char **s = malloc(n * sizeof(*s));
	char *pool = malloc(n * 16);
	if (!v || !r || !s || !pool)
		return 1;
	for (size_t i = 0; i < n; i++) {
		v[i] = rnd();
		r[i].key = (uint32_t)(rnd() % 1000);
		snprintf(r[i].name, sizeof(r[i].name), "n%llu", (unsigned long long)(rnd() % 100000));
		s[i] = pool + 16 * i;
		snprintf(s[i], 16, "%llx", (unsigned long long)rnd());
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	qsort(r, n, sizeof(*r), cmp_rec);
	qsort(s, n, sizeof(*s), cmp_str);
	uint64_t dv = 0, dr = 0, ds = 0;
	size_t unsorted = 0, found = 0;
	for (size_t i = 0; i < n; i++) {
		dv = dv * 31 + v[i];
		dr = dr * 31 + r[i].key + (unsigned char)r[i].name[1];
		ds = ds * 31 + (unsigned char)s[i][0] + strlen(s[i]);
		if (i && (v[i - 1] > v[i] || cmp_rec(&r[i - 1], &r[i]) > 0 || strcmp(s[i - 1], s[i]) > 0))
			unsorted++;
		if (bsearch(&v[(i * 7919) % n], v, n, sizeof(*v), cmp_u64))
			found++;
	}
	printf("qsort n=%zu u64 %016llx rec %016llx str %016llx\n", n, (unsigned long long)dv,
	       (unsigned long long)dr, (unsigned long long)ds);
	printf("first %s last %s; rec[0]=%u/%s\n", s[0], s[n - 1], r[0].key, r[0].name);
	printf("unsorted %zu bsearch found %zu\n", unsorted, found);
	free(v);
	free(r);
	free(s);
	free(pool);
	return unsorted || found != n;
}
