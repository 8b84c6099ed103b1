/*
 * analysis/export.h — stored runs out of memvirt, for scripts: one row
 * per run (CSV with a header line, or JSON), with its configuration
 * flattened, its baseline run and overhead (dataset.h: the same numbers
 * `memvirt report` and `memvirt compare` show), and every whole-run
 * counter.  Numbers keep every digit; a missing value is an empty CSV
 * cell or JSON null.  The formats are in docs/results-schema.md.
 */
#ifndef MEMVIRT_ANALYSIS_EXPORT_H
#define MEMVIRT_ANALYSIS_EXPORT_H

#include <stdio.h>

#include "analysis/dataset.h"

/* CSV: a header line, then one line per run.  0, or -ENOMEM. */
int an_export_csv(const struct an_dataset *ds, FILE *out) __attribute__((warn_unused_result));

/* One JSON object: {"runs": [...], "configurations": [...]} (the
 * object `memvirt compare --json` prints). */
int an_export_json(const struct an_dataset *ds, FILE *out) __attribute__((warn_unused_result));

#endif
