/*
 * analysis/series.h — overhead against what a sweep varied.
 *
 * A series is one numeric setting (a workload parameter, a TLB size, the
 * quantum, a backend option, ...) that takes several values while every
 * other setting but the backend stays the same; its lines are the
 * backends (with their other options), each point a configuration's
 * overhead against its native baseline at one value.  A second kind of
 * series puts the rate of faults and refills per 1000 guest instructions
 * on x, over configurations that differ only in workload parameters.
 *
 * Each line gets a least-squares fit of overhead (percent) on x.  On a
 * deterministic engine the fit's points are the distinct x values, one
 * per configuration (copies of a run add nothing); with timed runs every
 * run is a point.  A fit needs two distinct x; its p needs three.
 */
#ifndef MEMVIRT_ANALYSIS_SERIES_H
#define MEMVIRT_ANALYSIS_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/dataset.h"
#include "analysis/stats.h"

#define AN_FAULT_RATE "fault_rate"

struct an_point {
	double x;
	double y, y_low, y_high;    /* overhead in percent; low/high NaN without an interval */
	size_t config;              /* index into an_dataset.configs */
};

struct an_line {
	char label[768];            /* "shadow" or "asid:vtlb=128" */
	char backend[256];
	bool deterministic;
	struct an_point *points;    /* by x */
	size_t point_count;
	struct an_fit fit;
	bool has_fit;
	size_t fit_n;               /* distinct x (deterministic) or runs */
	char run_ids[4096];         /* of the line's runs (not its baselines') */
};

struct an_series {
	char x_key[64];             /* the setting, or AN_FAULT_RATE */
	char x_label[160];          /* axis title with its unit */
	bool x_log2;                /* every x a power of two: a log2 axis */
	bool x_bytes;               /* x is a size in bytes */
	char context[1024];         /* the settings every point shares */
	struct an_line *lines;
	size_t line_count;
};

/* Every series of the dataset.  0, or -ENOMEM. */
int an_series_find(const struct an_dataset *ds, struct an_series **out, size_t *count)
	__attribute__((warn_unused_result));
void an_series_free(struct an_series *s, size_t count);

/* The unit of a setting's values for an axis title: "bytes", "instructions",
 * "entries"...; "" when it is a plain count. */
const char *an_dim_unit(const char *key);

#endif
