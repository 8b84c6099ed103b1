/*
 * analysis/report_csv.c — the report's numbers as CSV files, every digit
 * kept and a missing number an empty cell (see report_internal.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/format.h"
#include "analysis/report_internal.h"

static void cell_text(FILE *f, const char *s)
{
	an_csv_text(f, s);
	fputc(',', f);
}

static void cell_number(FILE *f, double v)
{
	an_csv_number(f, v);
	fputc(',', f);
}

static const char *dim_value(const struct an_config *c, const char *key)
{
	const struct an_dim *d = an_config_dim(c, key);

	return d ? d->value : "";
}

static int write_summary(const struct report_data *rd, const char *dir, char *err, size_t err_len)
{
	const struct an_dataset *ds = rd->ds;
	char ids[8192], bids[8192];
	FILE *f = report_open(dir, "summary.csv", err, err_len);

	if (!f)
		return -EIO;
	fprintf(f, "configuration,engine,machine,backend,backend_options,workload,params,vms,quantum,mem,tlb,costs,"
		   "identity,statistics,metric,runs,samples,mean,sd,ci95_low,ci95_high,baseline,overhead,"
		   "overhead_ci95_low,overhead_ci95_high,welch_t,welch_df,welch_p,baseline_run_ids,run_ids\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		const struct an_config *bc = report_compared(ds, k) ? &ds->configs[c->baseline] : NULL;
		bool welch = c->has_welch && !c->welch.exact;

		an_config_run_ids(ds, c, ids, sizeof(ids));
		bids[0] = '\0';
		if (bc)
			an_config_run_ids(ds, bc, bids, sizeof(bids));
		cell_text(f, c->label);
		cell_text(f, c->engine);
		cell_text(f, c->machine);
		cell_text(f, c->backend);
		cell_text(f, c->backend_options);
		cell_text(f, c->workload);
		cell_text(f, c->params_json);
		fprintf(f, "%u,", c->vms);
		cell_text(f, dim_value(c, "quantum"));
		fprintf(f, "%" PRIu64 ",", c->mem);
		cell_text(f, c->tlb);
		cell_text(f, c->costs);
		cell_text(f, c->identity);
		cell_text(f, c->exact ? "exact" : c->deterministic ? "deterministic" : "timed");
		cell_text(f, c->modelled ? "modelled_cycles" : "wall_ns");
		fprintf(f, "%zu,%zu,", c->run_count, c->sample_count);
		cell_number(f, c->stat.mean);
		cell_number(f, c->exact ? 0 : c->stat.sd);
		cell_number(f, c->stat.ci_low);
		cell_number(f, c->stat.ci_high);
		cell_text(f, c->baseline < 0 ? "none" : bc ? "native" : "is baseline");
		cell_number(f, bc ? c->overhead : NAN);
		cell_number(f, c->overhead_low);
		cell_number(f, c->overhead_high);
		cell_number(f, welch ? c->welch.t : NAN);
		cell_number(f, welch ? c->welch.df : NAN);
		cell_number(f, c->has_welch ? c->welch.p : NAN);
		cell_text(f, bids);
		an_csv_text(f, ids);
		fputc('\n', f);
	}
	return report_close(f, dir, "summary.csv", err, err_len);
}

static int write_series(const struct report_data *rd, const char *dir, char *err, size_t err_len)
{
	const struct an_dataset *ds = rd->ds;
	char ids[8192];
	FILE *f = report_open(dir, "series.csv", err, err_len);

	if (!f)
		return -EIO;
	fprintf(f, "series,x,fixed,line,x_value,overhead_pct,overhead_ci95_low_pct,overhead_ci95_high_pct,"
		   "configuration,run_ids\n");
	for (size_t s = 0; s < rd->series_count; s++)
		for (size_t l = 0; l < rd->series[s].line_count; l++)
			for (size_t p = 0; p < rd->series[s].lines[l].point_count; p++) {
				const struct an_point *pt = &rd->series[s].lines[l].points[p];

				an_config_run_ids(ds, &ds->configs[pt->config], ids, sizeof(ids));
				fprintf(f, "%zu,", s + 1);
				cell_text(f, rd->series[s].x_key);
				cell_text(f, rd->series[s].context);
				cell_text(f, rd->series[s].lines[l].label);
				cell_number(f, pt->x);
				cell_number(f, pt->y);
				cell_number(f, pt->y_low);
				cell_number(f, pt->y_high);
				cell_text(f, ds->configs[pt->config].label);
				an_csv_text(f, ids);
				fputc('\n', f);
			}
	return report_close(f, dir, "series.csv", err, err_len);
}

static int write_regression(const struct report_data *rd, const char *dir, char *err, size_t err_len)
{
	FILE *f = report_open(dir, "regression.csv", err, err_len);

	if (!f)
		return -EIO;
	fprintf(f, "series,x,fixed,line,statistics,n,intercept_pct,slope_pct_per_x,se_slope,r2,p_slope,run_ids\n");
	for (size_t s = 0; s < rd->series_count; s++)
		for (size_t l = 0; l < rd->series[s].line_count; l++) {
			const struct an_line *ln = &rd->series[s].lines[l];

			if (!ln->has_fit)
				continue;
			fprintf(f, "%zu,", s + 1);
			cell_text(f, rd->series[s].x_key);
			cell_text(f, rd->series[s].context);
			cell_text(f, ln->label);
			cell_text(f, ln->deterministic ? "deterministic" : "timed");
			fprintf(f, "%zu,", ln->fit_n);
			cell_number(f, ln->fit.c0);
			cell_number(f, ln->fit.c1);
			cell_number(f, ln->fit.se_c1);
			cell_number(f, ln->fit.r2);
			cell_number(f, ln->fit.p_slope);
			an_csv_text(f, ln->run_ids);
			fputc('\n', f);
		}
	return report_close(f, dir, "regression.csv", err, err_len);
}

static int write_breakdown(const struct report_data *rd, const char *dir, char *err, size_t err_len)
{
	const struct an_dataset *ds = rd->ds;
	const struct an_breakdown *bd = &rd->breakdown;
	char ids[8192], bids[8192];
	FILE *f = report_open(dir, "breakdown.csv", err, err_len);

	if (!f)
		return -EIO;
	fprintf(f, "configuration,cause,mean_modelled_cycles,baseline_mean_modelled_cycles,extra_cycles,"
		   "overhead_points,run_ids,baseline_run_ids\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		bool compared = report_compared(ds, k);

		if (!c->modelled)
			continue;
		an_config_run_ids(ds, c, ids, sizeof(ids));
		bids[0] = '\0';
		if (compared)
			an_config_run_ids(ds, &ds->configs[c->baseline], bids, sizeof(bids));
		for (size_t q = 0; q < bd->cause_count; q++) {
			double m = bd->mean[k * bd->cause_count + q];
			double bm = compared ? bd->mean[(size_t)c->baseline * bd->cause_count + q] : NAN;

			cell_text(f, c->label);
			cell_text(f, bd->causes[q]);
			cell_number(f, m);
			cell_number(f, bm);
			cell_number(f, compared ? m - bm : NAN);
			cell_number(f, compared ? bd->part[k * bd->cause_count + q] : NAN);
			cell_text(f, ids);
			an_csv_text(f, bids);
			fputc('\n', f);
		}
	}
	return report_close(f, dir, "breakdown.csv", err, err_len);
}

static int write_failed(const struct report_data *rd, const char *dir, char *err, size_t err_len)
{
	const struct an_dataset *ds = rd->ds;
	FILE *f = report_open(dir, "failed.csv", err, err_len);

	if (!f)
		return -EIO;
	fprintf(f, "run_id,status,superseded_by,engine,machine,backend,workload,params,rep,error\n");
	for (size_t r = 0; r < ds->run_count; r++) {
		const struct an_run *run = &ds->runs[r];

		if (run->status == REC_STATUS_OK)
			continue;
		fprintf(f, "%" PRId64 ",%s,", run->id, rec_status_name(run->status));
		if (run->superseded)
			fprintf(f, "%" PRId64, run->superseded_by);
		fputc(',', f);
		cell_text(f, run->engine);
		cell_text(f, run->machine);
		cell_text(f, run->backend);
		cell_text(f, run->workload);
		cell_text(f, run->params_json);
		fprintf(f, "%u,", run->rep);
		an_csv_text(f, run->error);
		fputc('\n', f);
	}
	return report_close(f, dir, "failed.csv", err, err_len);
}

int report_write_csv(const struct report_data *rd, const char *dir, char *err, size_t err_len)
{
	int rc = write_summary(rd, dir, err, err_len);

	rc = rc ? rc : write_series(rd, dir, err, err_len);
	rc = rc ? rc : write_regression(rd, dir, err, err_len);
	rc = rc ? rc : write_breakdown(rd, dir, err, err_len);
	return rc ? rc : write_failed(rd, dir, err, err_len);
}
