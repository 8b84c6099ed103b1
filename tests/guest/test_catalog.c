/*
 * tests/guest/test_catalog.c — the workload catalog and the host reference:
 * parameter order matches the indexes the guest programs use, parsing
 * rejects what it must, references are deterministic and sensitive to seed
 * and parameters.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "workloads/catalog.h"
#include "workloads/reference.h"
#include "workloads/wlmix.h"

#include <stdio.h>
#include <stdlib.h>

/* chase as docs/workloads.md says it, step by step: the reference reads
 * laps after the first from a copy, which must give the same checksum. */
static uint64_t chase_stepwise(uint64_t seed, uint64_t wss, uint64_t steps)
{
	uint64_t n = wss / 64, s = seed, acc = seed, p = 0;
	uint64_t *next = malloc(n * sizeof *next);

	CHECK(next != NULL, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		next[i] = i;
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = wl_rand(&s) % i, t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	for (uint64_t i = 0; i < steps; i++) {
		p = next[p];
		acc = wl_fold(acc, p);
	}
	free(next);
	return acc;
}

static void check_index(const char *wl_name, const char *param, unsigned index)
{
	const struct wl_desc *wl = wl_find(wl_name);
	const struct wl_param *p;

	CHECK(wl != NULL, "workload %s missing", wl_name);
	p = wl_find_param(wl, param);
	CHECK(p != NULL, "%s has no parameter %s", wl_name, param);
	CHECK((unsigned)(p - wl->params) == index, "%s.%s is at %u, the guest reads %u",
	      wl_name, param, (unsigned)(p - wl->params), index);
	CHECK(p->min <= p->def && p->def <= p->max, "%s.%s default outside its range", wl_name, param);
}

/* gups as docs/workloads.md says it, on a table of the whole size: the
 * reference groups fewer updates than slots by slice instead. */
static uint64_t gups_table(uint64_t seed, uint64_t wss, uint64_t updates)
{
	uint64_t n = 1, s = seed, acc = seed;
	while (n * 2 <= wss / 8)
		n *= 2;
	uint64_t *t = malloc(n * sizeof *t);
	CHECK(t != NULL, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		t[i] = i;
	for (uint64_t i = 0; i < updates; i++) {
		uint64_t r = wl_rand(&s);
		t[r & (n - 1)] ^= r;
	}
	for (uint64_t i = 0; i < n; i++)
		acc = wl_fold(acc, t[i]);
	free(t);
	return acc;
}

int main(void)
{
	uint64_t v[WL_MAX_PARAMS], a, b;
	const char *bad;
	size_t bad_len;
	unsigned i;

	CHECK_EQ_U64(wl_catalog_count, WL_COUNT);
	check_index("scan", "wss", WL_SCAN_WSS);
	check_index("scan", "stride", WL_SCAN_STRIDE);
	check_index("scan", "passes", WL_SCAN_PASSES);
	check_index("gups", "wss", WL_GUPS_WSS);
	check_index("gups", "updates", WL_GUPS_UPDATES);
	check_index("chase", "wss", WL_CHASE_WSS);
	check_index("chase", "steps", WL_CHASE_STEPS);
	check_index("ptchurn", "regions", WL_PTCHURN_REGIONS);
	check_index("ptchurn", "pages", WL_PTCHURN_PAGES);
	check_index("ptchurn", "rounds", WL_PTCHURN_ROUNDS);
	check_index("forkchurn", "children", WL_FORKCHURN_CHILDREN);
	check_index("forkchurn", "pages", WL_FORKCHURN_PAGES);
	check_index("ctxsw", "procs", WL_CTXSW_PROCS);
	check_index("ctxsw", "rounds", WL_CTXSW_ROUNDS);
	check_index("ctxsw", "wss", WL_CTXSW_WSS);
	check_index("mixed", "procs", WL_MIXED_PROCS);
	check_index("mixed", "wss", WL_MIXED_WSS);
	check_index("mixed", "ops", WL_MIXED_OPS);
	CHECK(wl_find("nosuch") == NULL, "unknown workload found");
	CHECK(wl_find_param(wl_find("scan"), "steps") == NULL, "scan has no steps");

	/* Parsing. */
	CHECK(wl_parse_params(wl_find("scan"), "", v, NULL, NULL) == 0, "empty");
	CHECK_EQ_U64(v[WL_SCAN_WSS], 1048576);
	CHECK(wl_parse_params(wl_find("scan"), "  passes=3   wss=8192 ", v, NULL, NULL) == 0, "spaces");
	CHECK_EQ_U64(v[WL_SCAN_WSS], 8192);
	CHECK_EQ_U64(v[WL_SCAN_PASSES], 3);
	CHECK_EQ_U64(v[WL_SCAN_STRIDE], 8);
	CHECK(wl_parse_params(wl_find("scan"), "wss=8192 steps=3", v, &bad, &bad_len) == -WL_EINVAL,
	      "unknown key accepted");
	CHECK(bad_len == 7 && strncmp(bad, "steps=3", 7) == 0, "bad points at '%.*s'", (int)bad_len, bad);
	CHECK(wl_parse_params(wl_find("scan"), "wss=12x", v, NULL, NULL) == -WL_EINVAL, "12x");
	CHECK(wl_parse_params(wl_find("scan"), "wss=", v, NULL, NULL) == -WL_EINVAL, "empty value");
	CHECK(wl_parse_params(wl_find("scan"), "wss", v, NULL, NULL) == -WL_EINVAL, "no =");
	CHECK(wl_parse_params(wl_find("scan"), "wss=99999999999999999999999", v, NULL, NULL) == -WL_EINVAL,
	      "overflow accepted");
	CHECK(wl_parse_params(wl_find("scan"), "wss=100", v, NULL, NULL) == -WL_ERANGE, "below min");
	CHECK(wl_parse_params(wl_find("forkchurn"), "children=61", v, NULL, NULL) == -WL_ERANGE, "above max");

	/* References: errors, determinism, sensitivity. */
	CHECK(wl_reference_checksum("nosuch", "", 1, &a) == -EINVAL, "unknown workload");
	CHECK(wl_reference_checksum("scan", "bogus=1", 1, &a) == -EINVAL, "unknown param");
	CHECK(wl_reference_checksum("scan", "wss=1", 1, &a) == -ERANGE, "range");
	for (i = 0; i < wl_catalog_count; i++) {
		const char *name = wl_catalog[i].name;

		CHECK(wl_reference_checksum(name, NULL, 1, &a) == 0, "%s defaults", name);
		CHECK(wl_reference_checksum(name, "", 1, &b) == 0 && a == b, "%s not deterministic", name);
		CHECK(wl_reference_checksum(name, "", 2, &b) == 0 && a != b,
		      "%s: seeds 1 and 2 give the same checksum %016" PRIx64, name, a);
	}
	CHECK(wl_reference_checksum("scan", "wss=8192", 1, &a) == 0 &&
	      wl_reference_checksum("scan", "wss=16384", 1, &b) == 0 && a != b, "scan ignores wss");
	/* 4 KiB: a cycle of 64 nodes; fewer steps, one lap, a lap and one,
	 * several laps, a partial last lap. */
	static const uint64_t chase_steps[] = {1, 63, 64, 65, 128, 1000, 100003};
	for (i = 0; i < sizeof(chase_steps) / sizeof(chase_steps[0]); i++) {
		char params[64];
		snprintf(params, sizeof(params), "wss=4096 steps=%" PRIu64, chase_steps[i]);
		CHECK(wl_reference_checksum("chase", params, 3, &a) == 0 &&
		      a == chase_stepwise(3, 4096, chase_steps[i]),
		      "chase %s: the reference differs from the step-by-step chase", params);
	}
	/* Tables below, at and above one slice (32 Ki slots), not a power of
	 * two, with fewer, as many and more updates than slots. */
	static const struct { uint64_t wss, updates; } gups_cases[] = {
		{4096, 1}, {4096, 511}, {4096, 512}, {4096, 5000}, {262144, 30000},
		{262144, 32768}, {1u << 20, 1}, {1u << 20, 100000}, {3u << 20, 200000},
		{4u << 20, 524287}, {4u << 20, 524288}, {4u << 20, 700000},
	};
	for (i = 0; i < sizeof(gups_cases) / sizeof(gups_cases[0]); i++) {
		char params[64];
		snprintf(params, sizeof(params), "wss=%" PRIu64 " updates=%" PRIu64, gups_cases[i].wss,
			 gups_cases[i].updates);
		CHECK(wl_reference_checksum("gups", params, 5, &a) == 0 &&
		      a == gups_table(5, gups_cases[i].wss, gups_cases[i].updates),
		      "gups %s: the reference differs from the whole-table gups", params);
	}
	CHECK(wl_reference_checksum("ptchurn", "rounds=1", 1, &a) == 0 &&
	      wl_reference_checksum("ptchurn", "rounds=2", 1, &b) == 0 && a != b, "ptchurn ignores rounds");
	return 0;
}
