/*
 * analysis/stats.c — GSL-backed statistics (see stats.h).
 */
#include "analysis/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

int an_summarize(const double *x, size_t n, double level, struct an_summary *out)
{
	if (n < 1 || !(level > 0 && level < 1))
		return -EINVAL;
	out->n = n;
	out->mean = gsl_stats_mean(x, 1, n);
	out->sd = n > 1 ? gsl_stats_sd_m(x, 1, n, out->mean) : 0.0;
	gsl_stats_minmax(&out->min, &out->max, x, 1, n);
	if (n > 1) {
		double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - level) / 2.0, (double)(n - 1));

		out->ci_half = t * out->sd / sqrt((double)n);
	} else {
		out->ci_half = NAN;
	}
	out->ci_low = out->mean - out->ci_half;
	out->ci_high = out->mean + out->ci_half;
	return 0;
}

int an_welch(const double *a, size_t na, const double *b, size_t nb, struct an_welch *out)
{
	double ma, mb, va, vb, sa, sb, se2;

	if (na < 2 || nb < 2)
		return -EINVAL;
	ma = gsl_stats_mean(a, 1, na);
	mb = gsl_stats_mean(b, 1, nb);
	va = gsl_stats_variance_m(a, 1, na, ma);
	vb = gsl_stats_variance_m(b, 1, nb, mb);
	out->diff = ma - mb;
	sa = va / (double)na;
	sb = vb / (double)nb;
	se2 = sa + sb;
	out->exact = se2 == 0;
	if (out->exact) {
		out->t = NAN;
		out->df = NAN;
		out->p = ma == mb ? 1.0 : 0.0;
		out->ci_low = out->ci_high = out->diff;
		return 0;
	}
	out->t = out->diff / sqrt(se2);
	/* Welch–Satterthwaite degrees of freedom. */
	out->df = se2 * se2 / (sa * sa / (double)(na - 1) + sb * sb / (double)(nb - 1));
	out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
	{
		double h = gsl_cdf_tdist_Pinv(0.975, out->df) * sqrt(se2);

		out->ci_low = out->diff - h;
		out->ci_high = out->diff + h;
	}
	return 0;
}

int an_linfit(const double *x, const double *y, size_t n, struct an_fit *out)
{
	double cov00, cov01, cov11, sumsq, my, sst = 0;
	bool distinct = false;

	if (n < 2)
		return -EINVAL;
	for (size_t i = 1; i < n; i++)
		distinct |= x[i] != x[0];
	if (!distinct)
		return -EINVAL;
	if (gsl_fit_linear(x, 1, y, 1, n, &out->c0, &out->c1, &cov00, &cov01, &cov11, &sumsq))
		return -EINVAL;
	out->n = n;
	my = gsl_stats_mean(y, 1, n);
	for (size_t i = 0; i < n; i++)
		sst += (y[i] - my) * (y[i] - my);
	out->r2 = sst > 0 ? 1.0 - sumsq / sst : 1.0;
	out->se_c1 = sqrt(cov11);
	if (n > 2 && out->se_c1 > 0)
		out->p_slope = 2.0 * gsl_cdf_tdist_Q(fabs(out->c1 / out->se_c1), (double)(n - 2));
	else
		out->p_slope = n > 2 ? (out->c1 != 0 ? 0.0 : 1.0) : NAN;
	return 0;
}

double an_quantile(double *x, size_t n, double q)
{
	if (!n)
		return NAN;
	gsl_sort(x, 1, n);
	return gsl_stats_quantile_from_sorted_data(x, 1, n, q);
}
