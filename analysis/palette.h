/*
 * analysis/palette.h — the colours of the report's plots, fixed so that a
 * backend and a cause look the same in every plot of every report: a
 * reader who learnt that shadow is blue never has to look it up again.
 */
#ifndef MEMVIRT_ANALYSIS_PALETTE_H
#define MEMVIRT_ANALYSIS_PALETTE_H

#include <stddef.h>

/* "#rrggbb" of a backend: a fixed colour per in-tree backend, one from a
 * second palette chosen by the name for any other (plugins). */
const char *an_backend_colour(const char *backend);

/* The place of a cause of modelled cycles in the one fixed order every
 * breakdown uses (the cost model's, docs/cost-model.md), and its colour.
 * Unknown causes come after the known ones, by name. */
size_t an_cause_rank(const char *cause);
const char *an_cause_colour(const char *cause);

/* qsort comparator of cause names (const char (*)[N] or char * arrays
 * are not interchangeable: this takes two `const char *const *`). */
int an_cause_cmp(const void *a, const void *b);

#endif
