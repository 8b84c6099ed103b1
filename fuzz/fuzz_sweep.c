/*
 * fuzz/fuzz_sweep.c — the sweep-file parser and the grid it describes
 * (core/sweep.c) on arbitrary text.
 *
 * The input is a sweep file.  It is parsed from memory (sweep_parse_text)
 * and, for one input in eight and for every input holding a NUL byte,
 * also from a file (sweep_parse), which must agree.  An accepted file is
 * checked value by value (sweep_check, with memvirt run's checks for the
 * options that need no engine or backend) and its grid enumerated.
 *
 * Promises held (core/sweep.h, docs/sweep-format.md): a refused file gets
 * one "FILE:LINE: problem" line; an accepted grid has 1..SWEEP_MAX_POINTS
 * points, every one of which fits its argument vector (the parser refuses
 * a grid whose runs would not), with a NULL-terminated argv and distinct
 * keys; point count and beyond is -ERANGE.
 *
 * Keys are "name=value;..." with values as written, so they are distinct
 * only while no value holds a ';' ("a;backend-opt=b" and "a" against
 * "c" and "b;backend-opt=c" make two points with one key): that case is
 * left out of the check.
 */
#include <errno.h>

#include "core/runconf.h"
#include "core/sweep.h"
#include "fuzz/fuzz.h"
#include "workloads/catalog.h"

/* Points enumerated per input: the first ones, the last ones and a
 * stride between (a million points per input would stall the fuzzer). */
#define FUZZ_POINTS_EDGE 8
#define FUZZ_POINTS_STRIDE 16

/* The checks of cli_sweep.c's check_value that need no engine, backend
 * or file: run options through rc_set, parameters against the catalog. */
static int check_value(void *ctx, const char *key, bool is_param, const char *workload,
		       const char *value, char *why, size_t why_len)
{
	const struct rc_option *o;
	struct run_config scratch;

	(void)ctx;
	if (is_param) {
		const struct wl_desc *wl = wl_find(workload ? workload : "scan");

		if (wl && !wl_find_param(wl, key)) {
			snprintf(why, why_len, "workload %s has no parameter '%s'", wl->name, key);
			return -1;
		}
		return 0;
	}
	o = rc_find(key);
	if (!o || !strcmp(key, "engine") || !strcmp(key, "backend") || !strcmp(key, "tlb") ||
	    (o->flags & RC_F_FILE))
		return 0;
	rc_defaults(&scratch);
	return rc_set(&scratch, o, value, "", why, why_len) ? -1 : 0;
}

static bool values_hold(const struct sweep_file *f, char c)
{
	for (size_t a = 0; a < f->axis_count; a++)
		for (size_t v = 0; v < f->axes[a].count; v++)
			if (strchr(f->axes[a].values[v], c))
				return true;
	return false;
}

/* keys: the keys seen so far, or NULL when keys need not be distinct. */
static void check_point(const struct sweep_file *f, size_t i, struct sweep_point *p, char (*keys)[1024],
			size_t *nkeys)
{
	int rc = sweep_point_at(f, i, p);

	FUZZ_CHECK(rc == 0, "point %zu of %zu of an accepted grid: %d", i, sweep_point_count(f), rc);
	FUZZ_CHECK(p->index == i && p->rep < f->repetitions, "point %zu: index %zu rep %u", i, p->index,
		   (unsigned)p->rep);
	FUZZ_CHECK(p->argc > 0 && p->argc < SWEEP_MAX_ARGS && !p->argv[p->argc], "point %zu: argc %d", i,
		   p->argc);
	for (int a = 0; a < p->argc; a++)
		FUZZ_CHECK(p->argv[a] >= p->args && p->argv[a] < p->args + sizeof(p->args) &&
				   strnlen(p->argv[a], (size_t)(p->args + sizeof(p->args) - p->argv[a])) <
					   (size_t)(p->args + sizeof(p->args) - p->argv[a]),
			   "point %zu: argv[%d] outside args", i, a);
	FUZZ_CHECK(strnlen(p->key, sizeof(p->key)) < sizeof(p->key) &&
			   strnlen(p->label, sizeof(p->label)) < sizeof(p->label) &&
			   strnlen(p->params_json, sizeof(p->params_json)) < sizeof(p->params_json),
		   "point %zu: a text without its NUL", i);
	if (!keys)
		return;
	for (size_t k = 0; k < *nkeys; k++)
		FUZZ_CHECK(strcmp(keys[k], p->key), "point %zu has the key of an earlier one: '%s'", i, p->key);
	memcpy(keys[(*nkeys)++], p->key, sizeof(p->key));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char keys[2 * FUZZ_POINTS_EDGE + FUZZ_POINTS_STRIDE + 1][1024];
	bool has_nul = memchr(data, 0, size) != NULL;
	char *text = fuzz_cstr(data, size);
	struct sweep_file *f = NULL, *ff = NULL;
	char err[1024] = "", ferr[1024] = "";
	struct sweep_point *p;
	char (*seen)[1024];
	size_t n, nkeys = 0;
	int rc, frc;

	rc = sweep_parse_text("fuzz.sweep", text, &f, err, sizeof(err));
	if ((size % 8) == 0 || has_nul) {
		const char *path = fuzz_file(data, size);

		if (path) {
			frc = sweep_parse(path, &ff, ferr, sizeof(ferr));
			if (has_nul)
				FUZZ_CHECK(frc == -EINVAL && !ff, "a file with a NUL byte: %d", frc);
			else
				FUZZ_CHECK(frc == rc && (!ff) == (!f) &&
						   (!ff || sweep_point_count(ff) == sweep_point_count(f)),
					   "from a file %d (%s), from memory %d (%s)", frc, ferr, rc, err);
			sweep_free(ff);
		}
	}
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL, "sweep_parse_text returned %d", rc);
		FUZZ_CHECK(!f, "a refused file gives a sweep");
		FUZZ_CHECK(!strncmp(err, "fuzz.sweep:", 11) && !strchr(err, '\n'), "message '%s'", err);
		free(text);
		return 0;
	}
	FUZZ_CHECK(f->repetitions >= 1 && f->repetitions <= 1000, "repetitions %u", f->repetitions);
	FUZZ_CHECK(f->axis_count <= SWEEP_MAX_AXES, "%zu axes", f->axis_count);
	for (size_t a = 0; a < f->axis_count; a++)
		FUZZ_CHECK(f->axes[a].count >= 1 && f->axes[a].count <= SWEEP_MAX_VALUES, "axis %s: %zu values",
			   f->axes[a].key, f->axes[a].count);
	if (sweep_check(f, check_value, NULL, err, sizeof(err)))
		FUZZ_CHECK(!strncmp(err, "fuzz.sweep:", 11) && !strchr(err, '\n'), "check message '%s'", err);
	n = sweep_point_count(f);
	FUZZ_CHECK(n >= 1 && n <= SWEEP_MAX_POINTS, "%zu points", n);
	p = malloc(sizeof(*p));
	if (!p)
		abort();
	seen = values_hold(f, ';') ? NULL : keys;
	for (size_t i = 0; i < n && i < FUZZ_POINTS_EDGE; i++)
		check_point(f, i, p, seen, &nkeys);
	for (size_t i = FUZZ_POINTS_EDGE; i + FUZZ_POINTS_EDGE < n; i += (n + FUZZ_POINTS_STRIDE - 1) / FUZZ_POINTS_STRIDE)
		check_point(f, i, p, seen, &nkeys);
	for (size_t i = n > 2 * FUZZ_POINTS_EDGE ? n - FUZZ_POINTS_EDGE : FUZZ_POINTS_EDGE; i < n; i++)
		check_point(f, i, p, seen, &nkeys);
	FUZZ_CHECK(sweep_point_at(f, n, p) == -ERANGE, "point %zu of %zu", n, n);
	free(p);
	sweep_free(f);
	free(text);
	return 0;
}
