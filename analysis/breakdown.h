/*
 * analysis/breakdown.h — the reasons for a slowdown: a configuration's
 * overhead against its baseline split by cause of modelled cycles (the
 * cost model's `modelled_cycles_<cause>` counters, docs/cost-model.md).
 *
 * A cause's part is its extra cycles (the configuration's mean minus its
 * baseline's) over the baseline's mean total, in percentage points: the
 * parts add up to the overhead, and a cause the backend makes cheaper is
 * a negative part.  Means are over the same samples as the overhead's
 * (distinct seeds on the soft engine).  Causes are in the one fixed order
 * of palette.h.
 */
#ifndef MEMVIRT_ANALYSIS_BREAKDOWN_H
#define MEMVIRT_ANALYSIS_BREAKDOWN_H

#include <stddef.h>

#include "analysis/dataset.h"

#define AN_MAX_CAUSES 32

struct an_breakdown {
	const char *causes[AN_MAX_CAUSES];   /* in fixed order; point into cause_names */
	char cause_names[AN_MAX_CAUSES][64];
	size_t cause_count;
	double *mean;       /* [config * cause_count + cause]: mean modelled cycles */
	double *part;       /* [config * cause_count + cause]: percentage points; NaN without a baseline */
};

/* 0, or -ENOMEM.  Configurations without modelled cycles have NaN. */
int an_breakdown_make(const struct an_dataset *ds, struct an_breakdown *b) __attribute__((warn_unused_result));
void an_breakdown_free(struct an_breakdown *b);

#endif
