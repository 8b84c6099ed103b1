/*
 * workloads/wlmix.h — the deterministic mixing functions every workload's
 * data and checksum are built from.  Shared by the guest's user programs and
 * the host reference (reference.c) so both speak the same arithmetic; the
 * algorithms that use them are written twice, once per side.
 * Pure integer code, header-only, freestanding.
 */
#ifndef MEMVIRT_WORKLOADS_WLMIX_H
#define MEMVIRT_WORKLOADS_WLMIX_H

#include <stdint.h>

#define WL_GOLDEN 0x9e3779b97f4a7c15ull

/* splitmix64's finalizer: a bijective 64-bit mix. */
static inline uint64_t wl_hash(uint64_t x)
{
	x += WL_GOLDEN;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* splitmix64: the PRNG behind every random choice. */
static inline uint64_t wl_rand(uint64_t *state)
{
	uint64_t z = (*state += WL_GOLDEN);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Order-sensitive fold of one value into a running checksum. */
static inline uint64_t wl_fold(uint64_t acc, uint64_t v)
{
	acc = ((acc << 5) | (acc >> 59)) ^ v;
	return acc * 0x100000001b3ull;
}

#endif
