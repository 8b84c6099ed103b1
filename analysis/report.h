/*
 * analysis/report.h — the comparison report over a dataset: report.html
 * (self-contained: tables, and gnuplot plots embedded as PNG), the same
 * numbers as CSV files, and a plain-text summary.
 *
 * Every number in a table names the runs it comes from (a "runs" column
 * and each cell's tooltip), and the report states the memvirt version,
 * the host, the report's command line, and the sweep files and commands
 * that made the runs.
 */
#ifndef MEMVIRT_ANALYSIS_REPORT_H
#define MEMVIRT_ANALYSIS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis/dataset.h"
#include "core/store.h"

struct an_report_opts {
	const char *dir;          /* created if missing */
	const char *db_path, *selector, *command;
	bool plots;               /* run gnuplot (false: tables only, said so) */
};

struct an_report_result {
	size_t plots_made, plots_failed, regressions;
	char plot_error[512];     /* the first gnuplot problem, if any */
};

/* Write DIR/report.html, the CSV files and DIR/plots/.  -errno with err. */
int an_report_write(struct rec_db *db, const struct an_dataset *ds, const struct an_report_opts *o,
		    struct an_report_result *res, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* The plain-text summary: one line per configuration. */
void an_report_text(const struct an_dataset *ds, FILE *out);

#endif
