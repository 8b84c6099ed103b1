/*
 * core/sweep_shard.c — cutting a sweep's grid into N disjoint slices
 * (memvirt sweep --shard I/N), see sweep.h.
 *
 * Why a permutation and not point i to shard i mod N: the grid is laid out
 * in mixed radix, the last axis fastest, so with a two-valued last axis
 * (backend = native, shadow) and N = 2, dealing points in order would give
 * one shard every native run and the other every shadow run, and the
 * slices' running times could differ by the backends' whole overhead.
 * Shuffling first spreads every axis over every shard; dealing the
 * shuffled points round-robin keeps the slices' sizes within one.  The
 * shuffle depends only on the grid's size, with a fixed seed, so every
 * machine computes the same slices.
 */
#include "core/sweep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t shard_mix_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int sweep_shard_points(size_t count, uint32_t shard, uint32_t shards, size_t **points, size_t *n)
{
	size_t *perm, *out, k = 0;
	uint64_t state = 0x6d656d7669727431ull; /* fixed: the slices must not vary between machines */

	*points = NULL;
	*n = 0;
	if (shards < 1 || shard < 1 || shard > shards)
		return -EINVAL;
	if (!count)
		return 0;
	perm = malloc(count * sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		perm[i] = i;
	/* Fisher-Yates; the modulo bias of a 64-bit draw over at most
	 * SWEEP_MAX_POINTS values is far below anything that matters here. */
	for (size_t i = count - 1; i > 0; i--) {
		size_t j = (size_t)(shard_mix_next(&state) % (i + 1));
		size_t tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	out = perm; /* compacted in place: position p >= k always */
	for (size_t p = shard - 1; p < count; p += shards)
		out[k++] = perm[p];
	if (!k) {
		free(perm);
		return 0;
	}
	qsort(out, k, sizeof(*out), cmp_size);
	*points = out;
	*n = k;
	return 0;
}

bool sweep_shard_parse(const char *text, uint32_t *shard, uint32_t *shards)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	char left[32];
	uint64_t i, n;
	size_t len;

	if (!slash)
		return false;
	len = (size_t)(slash - text);
	if (len == 0 || len >= sizeof(left))
		return false;
	memcpy(left, text, len);
	left[len] = '\0';
	for (size_t c = 0; c < len; c++)
		if (left[c] < '0' || left[c] > '9')
			return false;
	for (const char *c = slash + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	if (!cli_parse_u64(left, &i) || !cli_parse_u64(slash + 1, &n))
		return false;
	if (n < 1 || n > SWEEP_MAX_SHARDS || i < 1 || i > n)
		return false;
	*shard = (uint32_t)i;
	*shards = (uint32_t)n;
	return true;
}
