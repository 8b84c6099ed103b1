/*
 * analysis/timeline.h — runs over guest time, from the `timeseries`
 * table (runs made with --timeseries N): the modelled cycles per guest
 * instruction in each interval between two snapshots, against the
 * instructions retired, so a reader sees phases (the working set faulted
 * in, then steady state) that a run's totals hide.
 */
#ifndef MEMVIRT_ANALYSIS_TIMELINE_H
#define MEMVIRT_ANALYSIS_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/dataset.h"
#include "core/store.h"

#define AN_TIMELINE_MAX_RUNS 12

struct an_timeline_run {
	size_t run;                 /* index into an_dataset.runs */
	double *icount;             /* instructions retired at the end of each interval */
	double *cpi;                /* modelled cycles per instruction in the interval */
	size_t n;
};

struct an_timeline {
	struct an_timeline_run runs[AN_TIMELINE_MAX_RUNS];
	size_t count;
	size_t runs_with_series;    /* ok runs that have a time series (more than shown) */
};

/* The time series of the dataset's first ok runs that have one.  0,
 * -ENOMEM or -EIO. */
int an_timeline_load(struct rec_db *db, const struct an_dataset *ds, struct an_timeline *t)
	__attribute__((warn_unused_result));
void an_timeline_free(struct an_timeline *t);

#endif
