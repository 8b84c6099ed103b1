/*
 * core/sweep.h — sweep files: a grid of run configurations written as
 * INI-like sections of `key = v1, v2, v3` lists (docs/sweep-format.md has
 * the grammar), and the grid's points, one `memvirt run` each.
 *
 * Invariants:
 * - A sweep_file that sweep_parse() returned is syntactically valid: known
 *   sections and keys, no duplicates, numbers where numbers are due.  Names
 *   (engines, backends, workloads, parameters) are checked by the caller
 *   through sweep_check(), before anything runs.
 * - Every value keeps the line it came from, for FILE:LINE messages.
 * - Points are numbered 0..count-1 in a fixed order (repetition outermost),
 *   and a point's key names its whole configuration canonically: the same
 *   configuration always gives the same key, whatever the file's order or
 *   number spelling (1M and 1048576).  `--resume` matches on it.
 */
#ifndef MEMVIRT_CORE_SWEEP_H
#define MEMVIRT_CORE_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_AXES 48
#define SWEEP_MAX_VALUES 64
#define SWEEP_MAX_ARGS (2 * SWEEP_MAX_AXES + 8)
/* The largest grid a sweep file may describe (docs/sweep-format.md). */
#define SWEEP_MAX_POINTS 1000000u

/* How a key's values are read and passed to `memvirt run`. */
enum sweep_kind {
	SWEEP_TEXT = 0,    /* passed as written */
	SWEEP_NUMBER,      /* cli_parse_u64 syntax, normalised to decimal */
};

struct sweep_axis {
	char key[64];          /* option name (engine, vms, ...) or parameter name */
	bool is_param;         /* from a [params] section */
	char workload[32];     /* [params.NAME]: only for that workload; "" for all */
	enum sweep_kind kind;
	unsigned line;
	size_t count;
	char *values[SWEEP_MAX_VALUES];   /* normalised */
	unsigned value_line[SWEEP_MAX_VALUES];
};

struct sweep_file {
	char *path;
	char *text;            /* the whole file, stored with the sweep */
	char name[64];         /* `name =`, or the file's base name */
	uint32_t repetitions;  /* `repetitions =`, default 1 */
	unsigned repetitions_line;   /* 0: not given */
	unsigned name_line;          /* 0: not given */
	size_t axis_count;
	struct sweep_axis axes[SWEEP_MAX_AXES];
};

/* Parse a sweep file.  Errors: -ENOENT/-EACCES/-EIO (cannot read), -EINVAL
 * (malformed); err gets one line "FILE:LINE: problem" (or "FILE: problem").
 * On success *out is owned by the caller (sweep_free). */
int sweep_parse(const char *path, struct sweep_file **out, char *err, size_t err_len)
	__attribute__((warn_unused_result));
/* The same from text in memory (path only names it in messages). */
int sweep_parse_text(const char *path, const char *text, struct sweep_file **out, char *err,
		     size_t err_len) __attribute__((warn_unused_result));
void sweep_free(struct sweep_file *f);

/* Semantic check of every value by the caller (which knows the engines,
 * backends and workloads): check() returns 0 or fills why and returns
 * nonzero.  workload is the workload a parameter is checked against (each
 * workload of the sweep in turn for a [params] key; NULL otherwise).
 * The first problem becomes "FILE:LINE: why" in err and -EINVAL. */
typedef int (*sweep_check_fn)(void *ctx, const char *key, bool is_param, const char *workload,
			      const char *value, char *why, size_t why_len);
int sweep_check(const struct sweep_file *f, sweep_check_fn check, void *ctx, char *err,
		size_t err_len) __attribute__((warn_unused_result));

/* Number of points (runs) in the grid. */
size_t sweep_point_count(const struct sweep_file *f);

/* Point i: its canonical key, the `memvirt run` options that run it (not
 * including the program, the subcommand, --db or sweep tagging), and the
 * values of the main fields for messages and records. */
struct sweep_point {
	size_t index;
	uint32_t rep;
	char key[1024];
	const char *engine, *backend, *workload;   /* NULL: memvirt run's default */
	uint64_t vms;                             /* 0: default */
	uint64_t seed;                            /* base seed; the run uses seed + rep */
	char params_json[512];                    /* {"wss":1048576,...} as given */
	char label[256];                          /* "soft/native scan wss=1M rep 0" */
	int argc;
	char *argv[SWEEP_MAX_ARGS];              /* point into args */
	char args[4096];
};
int sweep_point_at(const struct sweep_file *f, size_t index, struct sweep_point *p)
	__attribute__((warn_unused_result));

/* ---- shards (core/sweep_shard.c) ---- */

/* The largest number of shards a grid may be cut into. */
#define SWEEP_MAX_SHARDS 10000u

/* The grid points (indices 0..count-1, ascending) of shard `shard`
 * (1..shards) of a grid of `count` points: a fixed pseudo-random
 * permutation of the grid dealt round-robin, so every shard of every
 * `shards` holds count/shards points or one more, the shards together
 * hold every point exactly once, and no axis of the grid lines up with
 * the shard number.  *points is malloc'd (NULL when *n is 0). */
int sweep_shard_points(size_t count, uint32_t shard, uint32_t shards, size_t **points, size_t *n)
	__attribute__((warn_unused_result));

/* Parse "I/N" (1 <= I <= N <= SWEEP_MAX_SHARDS); false if malformed. */
bool sweep_shard_parse(const char *text, uint32_t *shard, uint32_t *shards);

#endif
