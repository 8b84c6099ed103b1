/*
 * memvirt/stats.h — a backend's statistics as a table: name, where the
 * value lives in the backend's state, what it means.  Part of the plugin
 * SDK.  A backend's stats() hook reports its table with mv_stats_report();
 * the names are then listed in one place, and no two backends can report
 * the same statistic under drifting names by accident.
 */
#ifndef MEMVIRT_STATS_H
#define MEMVIRT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "memvirt/engine.h"

enum mv_stat_type {
	MV_STAT_U64 = 0,
	MV_STAT_U32,
	MV_STAT_BOOL,
};

struct mv_stat_desc {
	const char *name;        /* the counter's name in the results */
	enum mv_stat_type type;
	size_t offset;           /* of the value in the structure reported */
	const char *help;        /* one line, with the unit */
};

/* A uint64_t field of TYPE. */
#define MV_STAT(name, TYPE, field, help) {name, MV_STAT_U64, offsetof(TYPE, field), help}
#define MV_STAT_OF(name, kind, TYPE, field, help) {name, kind, offsetof(TYPE, field), help}

/* Report every statistic of the table, read from `base`. */
static inline void mv_stats_report(const struct mv_stat_desc *d, size_t count, const void *base,
				   engine_stat_fn fn, void *ctx)
{
	for (size_t i = 0; i < count; i++) {
		const char *p = (const char *)base + d[i].offset;
		uint64_t v;

		switch (d[i].type) {
		case MV_STAT_U32: {
			uint32_t x;

			memcpy(&x, p, sizeof(x));
			v = x;
			break;
		}
		case MV_STAT_BOOL: {
			bool x;

			memcpy(&x, p, sizeof(x));
			v = x;
			break;
		}
		default:
			memcpy(&v, p, sizeof(v));
			break;
		}
		fn(ctx, d[i].name, v);
	}
}

#endif
