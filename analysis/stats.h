/*
 * analysis/stats.h — the statistics memvirt reports, computed with GSL:
 * mean and confidence interval over repetitions (Student's t), Welch's
 * unequal-variance t-test, least-squares line, percentiles.
 *
 * Pure functions over arrays: no I/O, no allocation kept.  Each returns
 * -EINVAL when the data cannot support the statistic (too few values),
 * so callers print "-" instead of a number that means nothing.
 */
#ifndef MEMVIRT_ANALYSIS_STATS_H
#define MEMVIRT_ANALYSIS_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct an_summary {
	size_t n;
	double mean, sd;          /* sd: sample standard deviation (n - 1); 0 when n = 1 */
	double ci_half;           /* half-width of the confidence interval; NaN when n < 2 */
	double ci_low, ci_high;
	double min, max;
};

/* level: e.g. 0.95.  n >= 1 (the interval needs n >= 2). */
int an_summarize(const double *x, size_t n, double level, struct an_summary *out)
	__attribute__((warn_unused_result));

struct an_welch {
	double diff;              /* mean(a) - mean(b) */
	double t, df, p;          /* two-sided p */
	double ci_low, ci_high;   /* 95% interval of the difference (Welch) */
	bool exact;               /* both samples have zero variance: the
				   * difference is exact and t undefined; p is
				   * 0 if the means differ, 1 if not */
};

/* Welch's t-test of a against b; each needs n >= 2. */
int an_welch(const double *a, size_t na, const double *b, size_t nb, struct an_welch *out)
	__attribute__((warn_unused_result));

struct an_fit {
	size_t n;
	double c0, c1;            /* y = c0 + c1 x */
	double se_c1;             /* standard error of the slope */
	double r2;
	double p_slope;           /* two-sided p of slope = 0 (t, n - 2 df); NaN when n < 3 */
};

/* Needs n >= 2 and at least two distinct x. */
int an_linfit(const double *x, const double *y, size_t n, struct an_fit *out)
	__attribute__((warn_unused_result));

/* q-th quantile (0..1) of x, which this sorts in place. */
double an_quantile(double *x, size_t n, double q);

#endif
