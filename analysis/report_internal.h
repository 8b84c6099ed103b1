/*
 * analysis/report_internal.h — what the report's parts (report.c: the
 * page and the text summary; report_csv.c: the CSV files; report_plot.c:
 * the gnuplot plots) share: everything derived from the dataset, made
 * once, so the page, the CSV files and the plots cannot disagree.
 */
#ifndef MEMVIRT_ANALYSIS_REPORT_INTERNAL_H
#define MEMVIRT_ANALYSIS_REPORT_INTERNAL_H

#include "analysis/breakdown.h"
#include "analysis/report.h"
#include "analysis/series.h"
#include "analysis/timeline.h"

#define REPORT_MAX_PLOT_NAME 64

struct report_data {
	const struct an_dataset *ds;
	struct an_series *series;
	size_t series_count;
	struct an_breakdown breakdown;
	struct an_timeline timeline;
	/* The plots made ("" for one not made): file names in plots/. */
	char overhead_plot[REPORT_MAX_PLOT_NAME];
	char breakdown_plot[REPORT_MAX_PLOT_NAME];
	char timeline_plot[REPORT_MAX_PLOT_NAME];
	char (*series_plot)[REPORT_MAX_PLOT_NAME];   /* [series_count] */
};

/* Whether configuration k is compared with a baseline (not one itself). */
bool report_compared(const struct an_dataset *ds, size_t k);

int report_write_csv(const struct report_data *rd, const char *dir, char *err, size_t err_len)
	__attribute__((warn_unused_result));
void report_make_plots(struct report_data *rd, const char *dir, struct an_report_result *res);

/* dir/name opened for writing; NULL with err set. */
FILE *report_open(const char *dir, const char *name, char *err, size_t err_len);
/* fclose, and -EIO with err when anything was not written. */
int report_close(FILE *f, const char *dir, const char *name, char *err, size_t err_len);

#endif
