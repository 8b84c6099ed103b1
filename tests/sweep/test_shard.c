/*
 * tests/sweep/test_shard.c — cutting a grid into shards (memvirt sweep
 * --shard I/N): for grid sizes 0..400 and N = 1..12 (and a few large
 * ones), the shards together hold every point exactly once, each holds
 * count/N points or one more, and the same call gives the same slices.
 * On a real grid whose last axis is the backend, every shard of N = 2 and
 * 4 holds 30-70% runs of each backend (dealing points in grid order would
 * give one shard all the native runs), and the slice syntax is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/sweep.h"

static void check_cover(size_t count, uint32_t shards)
{
	unsigned char *seen = calloc(count ? count : 1, 1);
	size_t total = 0;

	CHECK(seen, "out of memory");
	for (uint32_t s = 1; s <= shards; s++) {
		size_t *pts = NULL, n = 0, *again = NULL, n2 = 0;

		CHECK(sweep_shard_points(count, s, shards, &pts, &n) == 0, "count %zu shard %u/%u", count, s, shards);
		CHECK(n == count / shards || n == count / shards + 1, "count %zu shard %u/%u holds %zu", count, s, shards,
		      n);
		for (size_t i = 0; i < n; i++) {
			CHECK(pts[i] < count, "count %zu shard %u/%u: point %zu out of the grid", count, s, shards, pts[i]);
			CHECK(!seen[pts[i]], "count %zu: point %zu in two shards of %u", count, pts[i], shards);
			CHECK(i == 0 || pts[i - 1] < pts[i], "shard points not ascending");
			seen[pts[i]] = 1;
		}
		total += n;
		CHECK(sweep_shard_points(count, s, shards, &again, &n2) == 0 && n2 == n &&
			      (n == 0 || memcmp(pts, again, n * sizeof(*pts)) == 0),
		      "count %zu shard %u/%u differs between two calls", count, s, shards);
		free(pts);
		free(again);
	}
	CHECK(total == count, "count %zu, %u shards hold %zu points", count, shards, total);
	free(seen);
}

int main(void)
{
	char err[512];
	uint32_t i, n;
	size_t *pts, cnt;

	for (size_t count = 0; count <= 400; count++)
		for (uint32_t shards = 1; shards <= 12; shards++)
			check_cover(count, shards);
	check_cover(SWEEP_MAX_POINTS, 7);
	check_cover(100003, 1000);
	check_cover(5, 9); /* more shards than points: some are empty */

	CHECK(sweep_shard_points(10, 0, 3, &pts, &cnt) == -EINVAL, "shard 0 accepted");
	CHECK(sweep_shard_points(10, 4, 3, &pts, &cnt) == -EINVAL, "shard 4/3 accepted");

	/* Slice syntax. */
	CHECK(sweep_shard_parse("2/7", &i, &n) && i == 2 && n == 7, "2/7");
	CHECK(sweep_shard_parse("1/1", &i, &n) && i == 1 && n == 1, "1/1");
	{
		static const char *const bad[] = {"", "3", "/3", "3/", "0/3", "4/3", "1/0", "a/3", "1/3x", "-1/3",
						  "1/10001", " 1/3", "1/ 3", "1//3", "99999999999999999999/3"};

		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
			CHECK(!sweep_shard_parse(bad[k], &i, &n), "'%s' accepted as a slice", bad[k]);
	}

	/* A real grid, the backend its fastest axis: every shard gets both. */
	{
		struct sweep_file *f;
		struct sweep_point *p = malloc(sizeof(*p));

		CHECK(p, "out of memory");
		CHECK(sweep_parse_text("t.sweep",
				       "[params]\nwss = 64K, 128K, 256K, 512K\n"
				       "[sweep]\nengine = soft\nworkload = scan\nrepetitions = 25\nbackend = native, shadow\n",
				       &f, err, sizeof(err)) == 0,
		      "parse: %s", err);
		for (uint32_t shards = 2; shards <= 4; shards += 2) {
			for (uint32_t s = 1; s <= shards; s++) {
				int native = 0, shadow = 0;

				CHECK(sweep_shard_points(sweep_point_count(f), s, shards, &pts, &cnt) == 0, "shard");
				for (size_t k = 0; k < cnt; k++) {
					CHECK(sweep_point_at(f, pts[k], p) == 0, "point %zu", pts[k]);
					native += p->backend && !strcmp(p->backend, "native");
					shadow += p->backend && !strcmp(p->backend, "shadow");
				}
				/* Dealt in grid order, these shards would be all one
				 * backend; shuffled, each is near half and half. */
				CHECK(native * 10 >= (native + shadow) * 3 && shadow * 10 >= (native + shadow) * 3,
				      "shard %u/%u of 200 runs: %d native, %d shadow", s, shards, native, shadow);
				free(pts);
			}
		}
		free(p);
		sweep_free(f);
	}
	printf("shards: every grid of 0..400 points cut 1..12 ways, and larger ones: exact, balanced, stable\n");
	return 0;
}
