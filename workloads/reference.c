/*
 * workloads/reference.c — host-side reference checksums of the workloads.
 *
 * Written from docs/workloads.md, separately from the guest's programs
 * (workloads/user/programs.c): only the mixing functions (wlmix.h) are
 * shared.  Where a workload's result does not need the memory it touched
 * (ptchurn, forkchurn) the reference computes it without simulating that
 * memory; where it does (scan, gups, chase, ctxsw) it uses a host array of
 * the same size (gups with fewer updates than slots: one slice of it at a
 * time).
 */
#include "workloads/reference.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/catalog.h"
#include "workloads/wlmix.h"

_Static_assert(WL_EINVAL == EINVAL && WL_ERANGE == ERANGE,
	       "catalog.h spells errno values out for the guest");

#define WORDS_PER_PAGE 512u

static int ref_scan(uint64_t seed, uint64_t wss, uint64_t stride, uint64_t passes, uint64_t *out)
{
	uint64_t n = wss / 8, step = stride / 8, acc = seed, i, p;
	uint64_t *w = malloc(n * 8);

	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		w[i] = wl_hash(seed + i);
	for (p = 0; p < passes; p++)
		for (i = 0; i < n; i += step) {
			acc = wl_fold(acc, w[i]);
			w[i] += p + 1;
		}
	free(w);
	*out = wl_fold(acc, n);
	return 0;
}

/* gups with fewer updates than slots: the table is final only slot by
 * slot, so the updates are grouped by the slice of the table they land
 * in (32 Ki slots, 256 KiB: a host cache's worth) and each slice is
 * updated and folded in turn, instead of scattering them over a table of
 * the guest's size (half of whose slots no update touches).  The random
 * stream is drawn twice: once to count each slice's updates, once to
 * place them. */
#define GUPS_SLICE_BITS 15u

static int ref_gups_sliced(uint64_t seed, uint64_t n, unsigned bits, uint64_t updates,
			   uint64_t *out)
{
	const unsigned slice_bits = bits < GUPS_SLICE_BITS ? bits : GUPS_SLICE_BITS;
	const uint64_t slices = n >> slice_bits, slice = UINT64_C(1) << slice_bits;
	uint64_t *start = calloc(slices + 1, sizeof *start);
	uint64_t *r = malloc(updates * sizeof *r);
	uint64_t *t = malloc(slice * sizeof *t);
	uint64_t s, acc = seed, i, b;
	int err = -ENOMEM;

	if (!start || !r || !t)
		goto out;
	s = seed;
	for (i = 0; i < updates; i++)
		start[((wl_rand(&s) & (n - 1)) >> slice_bits) + 1]++;
	for (b = 0; b < slices; b++)
		start[b + 1] += start[b];
	s = seed;
	for (i = 0; i < updates; i++) {
		uint64_t v = wl_rand(&s);
		r[start[(v & (n - 1)) >> slice_bits]++] = v;
	}
	/* start[b] is now where slice b + 1 begins. */
	for (b = 0, i = 0; b < slices; b++) {
		for (uint64_t j = 0; j < slice; j++)
			t[j] = (b << slice_bits) + j;
		for (; i < start[b]; i++)
			t[r[i] & (slice - 1)] ^= r[i];
		for (uint64_t j = 0; j < slice; j++)
			acc = wl_fold(acc, t[j]);
	}
	*out = acc;
	err = 0;
out:
	free(start);
	free(r);
	free(t);
	return err;
}

static int ref_gups(uint64_t seed, uint64_t wss, uint64_t updates, uint64_t *out)
{
	uint64_t n = 1, s = seed, acc = seed, i;
	unsigned bits = 0;
	uint64_t *t;

	while (n * 2 <= wss / 8) {
		n *= 2;
		bits++;
	}
	if (updates < n)
		return ref_gups_sliced(seed, n, bits, updates, out);
	t = malloc(n * 8);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		t[i] = i;
	for (i = 0; i < updates; i++) {
		uint64_t r = wl_rand(&s);

		t[r & (n - 1)] ^= r;
	}
	for (i = 0; i < n; i++)
		acc = wl_fold(acc, t[i]);
	free(t);
	*out = acc;
	return 0;
}

static int ref_chase(uint64_t seed, uint64_t wss, uint64_t steps, uint64_t *out)
{
	uint64_t n = wss / 64, s = seed, acc = seed, i, p = 0;
	uint64_t *next = malloc(n * sizeof *next);

	if (!next)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		next[i] = i;
	for (i = n - 1; i > 0; i--) {   /* Sattolo: one cycle through all n */
		uint64_t j = wl_rand(&s) % i, t = next[i];

		next[i] = next[j];
		next[j] = t;
	}
	/* One cycle of length n: the walk repeats after n steps.  Past the
	 * first lap, the positions are read in order from a copy of the
	 * first lap instead of chasing them again (the chase is a dependent
	 * cache miss per step, the copy is read sequentially). */
	uint64_t lap = steps < n ? steps : n;
	uint64_t *order = steps > n ? malloc(n * sizeof *order) : NULL;

	if (steps > n && !order) {
		free(next);
		return -ENOMEM;
	}
	for (i = 0; i < lap; i++) {
		p = next[p];
		acc = wl_fold(acc, p);
		if (order)
			order[i] = p;
	}
	free(next);
	for (; i < steps; i++)
		acc = wl_fold(acc, order[i % n]);
	free(order);
	*out = acc;
	return 0;
}

static uint64_t ref_ptchurn(uint64_t seed, uint64_t regions, uint64_t pages, uint64_t rounds)
{
	uint64_t acc = seed, r, k, p;

	for (r = 0; r < rounds; r++)
		for (k = 0; k < regions; k++)
			for (p = 0; p < pages; p++) {
				uint64_t h = wl_hash(seed + (r * regions + k) * pages + p);

				acc = wl_fold(acc, h);
				acc = wl_fold(acc, ~h);
				acc = wl_fold(acc, 0);   /* a fresh page: not what a past round wrote */
			}
	return acc;
}

static uint64_t ref_forkchurn(uint64_t seed, uint64_t children, uint64_t pages)
{
	uint64_t acc = seed, c, p;

	for (c = 0; c < children; c++) {
		uint64_t h = c;

		for (p = 0; p < pages; p++) {
			uint64_t v = wl_hash(seed + p);

			if (((p + c) & 1) == 0)
				v ^= wl_hash(c + 1);
			h = wl_fold(h, v);
		}
		acc = wl_fold(acc, h);
	}
	for (p = 0; p < pages; p++)
		acc = wl_fold(acc, wl_hash(seed + p));
	return acc;
}

static int ref_ctxsw_proc(uint64_t seed, uint64_t rounds, uint64_t wss, uint64_t *out)
{
	uint64_t npages = wss / 4096, h = seed, r, pg;
	uint64_t *buf = calloc(npages * WORDS_PER_PAGE, 8);

	if (!buf)
		return -ENOMEM;
	for (r = 0; r < rounds; r++)
		for (pg = 0; pg < npages; pg++) {
			uint64_t *w = &buf[pg * WORDS_PER_PAGE + r % 512];

			*w += r + pg;
			h = wl_fold(h, *w);
		}
	free(buf);
	*out = h;
	return 0;
}

static int ref_ctxsw(uint64_t seed, uint64_t procs, uint64_t rounds, uint64_t wss, uint64_t *out)
{
	uint64_t acc = seed, i, h;
	int err;

	for (i = 0; i < procs; i++) {
		err = ref_ctxsw_proc(seed + i, rounds, wss, &h);
		if (err)
			return err;
		acc = wl_fold(acc, h);
	}
	*out = acc;
	return 0;
}

static int ref_mixed(uint64_t seed, uint64_t procs, uint64_t wss, uint64_t ops, uint64_t *out)
{
	uint64_t acc = seed, i, pages = wss / (4 * 4096), h = 0;
	int err = 0;

	for (i = 0; i < procs; i++) {
		uint64_t s = seed + i;

		switch (i % 5) {
		case 0:
			err = ref_scan(s, wss, 64, 2, &h);
			break;
		case 1:
			err = ref_gups(s, wss, ops, &h);
			break;
		case 2:
			err = ref_chase(s, wss, ops, &h);
			break;
		case 3:
			h = ref_ptchurn(s, 4, pages, 4);
			break;
		default:
			h = ref_forkchurn(s, 2, pages);
			break;
		}
		if (err)
			return err;
		acc = wl_fold(acc, h);
	}
	*out = acc;
	return 0;
}

int wl_reference_values(const struct wl_desc *wl, const uint64_t v[WL_MAX_PARAMS], uint64_t seed,
			uint64_t *checksum)
{
	switch ((enum wl_id)(wl - wl_catalog)) {
	case WL_SCAN:
		return ref_scan(seed, v[WL_SCAN_WSS], v[WL_SCAN_STRIDE], v[WL_SCAN_PASSES], checksum);
	case WL_GUPS:
		return ref_gups(seed, v[WL_GUPS_WSS], v[WL_GUPS_UPDATES], checksum);
	case WL_CHASE:
		return ref_chase(seed, v[WL_CHASE_WSS], v[WL_CHASE_STEPS], checksum);
	case WL_PTCHURN:
		*checksum = ref_ptchurn(seed, v[WL_PTCHURN_REGIONS], v[WL_PTCHURN_PAGES],
					v[WL_PTCHURN_ROUNDS]);
		return 0;
	case WL_FORKCHURN:
		*checksum = ref_forkchurn(seed, v[WL_FORKCHURN_CHILDREN], v[WL_FORKCHURN_PAGES]);
		return 0;
	case WL_CTXSW:
		return ref_ctxsw(seed, v[WL_CTXSW_PROCS], v[WL_CTXSW_ROUNDS], v[WL_CTXSW_WSS], checksum);
	case WL_MIXED:
		return ref_mixed(seed, v[WL_MIXED_PROCS], v[WL_MIXED_WSS], v[WL_MIXED_OPS], checksum);
	case WL_COUNT:
		break;
	}
	return -EINVAL;
}

int wl_reference_checksum(const char *workload, const char *params_text,
			  uint64_t seed, uint64_t *checksum)
{
	const struct wl_desc *wl = wl_find(workload);
	uint64_t v[WL_MAX_PARAMS];
	int err;

	if (!wl)
		return -EINVAL;
	err = wl_parse_params(wl, params_text ? params_text : "", v, NULL, NULL);
	if (err)
		return err;
	return wl_reference_values(wl, v, seed, checksum);
}
