/*
 * analysis/report.c — writes the report (see report.h).
 *
 * Order of work: compute everything derived (regressions, breakdown) into
 * plain arrays, write the CSV files from them, make the plots from the
 * same arrays, then write the HTML that shows the arrays and embeds the
 * plots.  So the CSV, the plots and the HTML can never disagree.
 */
#include "analysis/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "analysis/plot.h"
#include "memvirt-config.h"

#define MAX_REGRESSIONS 32
#define MAX_CAUSES 32
#define CAUSE_PREFIX "modelled_cycles_"
#define MAX_PARAM_NAMES 16

struct regression {
	char group[512];            /* engine/backend workload (vms, tlb) */
	char x_name[64];            /* parameter name or "fault_rate" */
	char x_label[128];
	struct an_fit fit;
	size_t n;
	double *x, *y;              /* y: overhead in percent, per run */
	char run_ids[2048];
	char plot[64];              /* file name of its plot, "" if none */
};

struct derived {
	struct regression reg[MAX_REGRESSIONS];
	size_t reg_count;
	char causes[MAX_CAUSES][64];
	size_t cause_count;
	double *cause_mean;         /* [config][cause] mean modelled cycles */
};

/* ---- formatting ---- */

static void fmt(double v, char *buf, size_t len)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.6g", v);
}

static void fmt_p(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 1e-4)
		snprintf(buf, len, "%.1e", p);
	else
		snprintf(buf, len, "%.4f", p);
}

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* gnuplot string: double quotes, with \" and \\ escaped. */
static void gp_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *metric_name(bool modelled)
{
	return modelled ? "modelled cycles" : "wall time (ns)";
}

/* ---- derived results ---- */

static void add_param_names(const char *json, char names[][64], size_t *count, size_t max)
{
	for (const char *p = strchr(json, '"'); p;) {
		const char *e = strchr(p + 1, '"');
		char name[64];
		bool seen = false;

		if (!e)
			return;
		snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
		for (size_t i = 0; i < *count; i++)
			seen |= !strcmp(names[i], name);
		if (!seen && *count < max)
			snprintf(names[(*count)++], 64, "%s", name);
		/* The next key follows the next comma (values are numbers). */
		p = strchr(e, ',');
		p = p ? strchr(p, '"') : NULL;
	}
}

/* Regressions of overhead (percent, per run, against the mean of its
 * baseline configuration) on each varying workload parameter and on the
 * fault rate, per (engine, backend, workload, vms, tlb). */
static int compute_regressions(const struct an_dataset *ds, struct derived *d)
{
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		char group[512], names[MAX_PARAM_NAMES][64];
		size_t nnames = 0;
		bool done = false;

		if (c->baseline < 0 || (size_t)c->baseline == k)
			continue;
		snprintf(group, sizeof(group), "%s/%s %s%s%s", c->engine, c->backend, c->workload,
			 c->tlb[0] ? " tlb=" : "", c->tlb);
		if (c->vms > 1) {
			size_t l = strlen(group);

			snprintf(group + l, sizeof(group) - l, " vms=%u", c->vms);
		}
		for (size_t r = 0; r < d->reg_count; r++)
			done |= !strcmp(d->reg[r].group, group);
		if (done)
			continue;
		/* The parameter names of the group, then one regression each. */
		for (size_t j = 0; j < ds->config_count; j++) {
			const struct an_config *o = &ds->configs[j];

			if (o->baseline >= 0 && !strcmp(o->engine, c->engine) && !strcmp(o->backend, c->backend) &&
			    !strcmp(o->workload, c->workload) && !strcmp(o->tlb, c->tlb) && o->vms == c->vms)
				add_param_names(o->params_json, names, &nnames, MAX_PARAM_NAMES);
		}
		for (size_t pi = 0; pi <= nnames; pi++) {
			struct regression *g;
			size_t cap = ds->run_count, off = 0;

			if (d->reg_count == MAX_REGRESSIONS)
				return 0;
			g = &d->reg[d->reg_count];
			memset(g, 0, sizeof(*g));
			snprintf(g->group, sizeof(g->group), "%s", group);
			if (pi < nnames) {
				snprintf(g->x_name, sizeof(g->x_name), "%s", names[pi]);
				snprintf(g->x_label, sizeof(g->x_label), "workload parameter %s", names[pi]);
			} else {
				snprintf(g->x_name, sizeof(g->x_name), "fault_rate");
				snprintf(g->x_label, sizeof(g->x_label),
					 "faults and refills per 1000 guest instructions");
			}
			g->x = malloc(cap * sizeof(double));
			g->y = malloc(cap * sizeof(double));
			if (!g->x || !g->y) {
				free(g->x);
				free(g->y);
				return -ENOMEM;
			}
			for (size_t j = 0; j < ds->config_count; j++) {
				const struct an_config *o = &ds->configs[j];
				const struct an_config *b;

				if (o->baseline < 0 || (size_t)o->baseline == j || strcmp(o->engine, c->engine) ||
				    strcmp(o->backend, c->backend) || strcmp(o->workload, c->workload) ||
				    strcmp(o->tlb, c->tlb) || o->vms != c->vms)
					continue;
				b = &ds->configs[o->baseline];
				if (!(b->stat.mean > 0))
					continue;
				for (size_t i = 0; i < o->run_count; i++) {
					const struct an_run *r = &ds->runs[o->runs[i]];
					double x;
					bool have = pi < nnames ? an_param_value(o->params_json, g->x_name, &x)
								: an_fault_rate(r, &x);

					if (!have)
						continue;
					g->x[g->n] = x;
					g->y[g->n] = 100.0 * (r->metric / b->stat.mean - 1.0);
					g->n++;
					if (off < sizeof(g->run_ids))
						off += (size_t)snprintf(g->run_ids + off, sizeof(g->run_ids) - off, "%s%" PRId64,
									off ? "," : "", r->id);
				}
			}
			/* Only where the sweep varied x: at least 3 runs, 2 distinct x. */
			if (g->n >= 3 && an_linfit(g->x, g->y, g->n, &g->fit) == 0) {
				d->reg_count++;
			} else {
				free(g->x);
				free(g->y);
			}
		}
	}
	return 0;
}

static int compute_breakdown(const struct an_dataset *ds, struct derived *d)
{
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];

		for (size_t i = 0; i < c->run_count; i++) {
			const struct ctr_set *ctr = &ds->runs[c->runs[i]].counters;

			for (size_t e = 0; e < ctr->count; e++) {
				const char *name = ctr->items[e].name;
				bool seen = false;

				if (strncmp(name, CAUSE_PREFIX, strlen(CAUSE_PREFIX)))
					continue;
				for (size_t q = 0; q < d->cause_count; q++)
					seen |= !strcmp(d->causes[q], name + strlen(CAUSE_PREFIX));
				if (!seen && d->cause_count < MAX_CAUSES)
					snprintf(d->causes[d->cause_count++], 64, "%s", name + strlen(CAUSE_PREFIX));
			}
		}
	}
	d->cause_mean = calloc(ds->config_count * (d->cause_count ? d->cause_count : 1), sizeof(double));
	if (!d->cause_mean)
		return -ENOMEM;
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];

		for (size_t q = 0; q < d->cause_count; q++) {
			char name[96];
			double sum = 0;

			snprintf(name, sizeof(name), CAUSE_PREFIX "%s", d->causes[q]);
			for (size_t i = 0; i < c->run_count; i++)
				sum += ctr_get(&ds->runs[c->runs[i]].counters, -1, name, 0);
			d->cause_mean[k * d->cause_count + q] = c->run_count ? sum / (double)c->run_count : 0;
		}
	}
	return 0;
}

static void derived_free(struct derived *d)
{
	for (size_t r = 0; r < d->reg_count; r++) {
		free(d->reg[r].x);
		free(d->reg[r].y);
	}
	free(d->cause_mean);
}

/* ---- CSV ---- */

static FILE *open_in(const char *dir, const char *name, char *err, size_t err_len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
	return f;
}

static int close_checked(FILE *f, const char *dir, const char *name, char *err, size_t err_len)
{
	bool bad = ferror(f);

	if (fclose(f) || bad) {
		snprintf(err, err_len, "%s/%s: write error", dir, name);
		return -EIO;
	}
	return 0;
}

static int write_csv(const struct an_dataset *ds, const struct derived *d, const char *dir, char *err,
		     size_t err_len)
{
	char ids[8192], a[32], b[32], c_[32], e[32], g[32], h[32], i_[32], j[32], k_[32], l_[32];
	FILE *f;
	int rc;

	f = open_in(dir, "summary.csv", err, err_len);
	if (!f)
		return -EIO;
	fprintf(f, "configuration,engine,backend,workload,params,vms,tlb,metric,n,mean,sd,ci95_low,ci95_high,"
		   "overhead_vs_native,overhead_ci95_low,overhead_ci95_high,welch_t,welch_df,welch_p,baseline_runs,run_ids\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		char bids[8192] = "";

		an_config_run_ids(ds, c, ids, sizeof(ids));
		if (c->baseline >= 0)
			an_config_run_ids(ds, &ds->configs[c->baseline], bids, sizeof(bids));
		fmt(c->stat.mean, a, sizeof(a));
		fmt(c->stat.sd, b, sizeof(b));
		fmt(c->stat.ci_low, c_, sizeof(c_));
		fmt(c->stat.ci_high, e, sizeof(e));
		fmt(c->overhead, g, sizeof(g));
		fmt(c->has_welch ? c->welch.t : NAN, h, sizeof(h));
		fmt(c->has_welch ? c->welch.df : NAN, i_, sizeof(i_));
		fmt(c->has_welch ? c->welch.p : NAN, j, sizeof(j));
		csv_text(f, c->label);
		fputc(',', f);
		csv_text(f, c->engine);
		fputc(',', f);
		csv_text(f, c->backend);
		fputc(',', f);
		csv_text(f, c->workload);
		fputc(',', f);
		csv_text(f, c->params_json);
		fprintf(f, ",%u,", c->vms);
		csv_text(f, c->tlb);
		fmt(c->overhead_low, k_, sizeof(k_));
		fmt(c->overhead_high, l_, sizeof(l_));
		fprintf(f, ",%s,%zu,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,", c->modelled ? "modelled_cycles" : "wall_ns",
			c->run_count, a, b, c_, e, g, k_, l_, h, i_, j);
		csv_text(f, bids);
		fputc(',', f);
		csv_text(f, ids);
		fputc('\n', f);
	}
	rc = close_checked(f, dir, "summary.csv", err, err_len);
	if (rc)
		return rc;

	f = open_in(dir, "regression.csv", err, err_len);
	if (!f)
		return -EIO;
	fprintf(f, "group,x,n,intercept_pct,slope_pct_per_x,se_slope,r2,p_slope,run_ids\n");
	for (size_t r = 0; r < d->reg_count; r++) {
		const struct regression *g_ = &d->reg[r];

		fmt(g_->fit.c0, a, sizeof(a));
		fmt(g_->fit.c1, b, sizeof(b));
		fmt(g_->fit.se_c1, c_, sizeof(c_));
		fmt(g_->fit.r2, e, sizeof(e));
		fmt(g_->fit.p_slope, g, sizeof(g));
		csv_text(f, g_->group);
		fprintf(f, ",%s,%zu,%s,%s,%s,%s,%s,", g_->x_name, g_->n, a, b, c_, e, g);
		csv_text(f, g_->run_ids);
		fputc('\n', f);
	}
	rc = close_checked(f, dir, "regression.csv", err, err_len);
	if (rc)
		return rc;

	f = open_in(dir, "breakdown.csv", err, err_len);
	if (!f)
		return -EIO;
	fprintf(f, "configuration,cause,mean_modelled_cycles,share_of_total,extra_vs_native,share_of_overhead,run_ids\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		const struct an_config *bc = c->baseline >= 0 ? &ds->configs[c->baseline] : NULL;
		double extra_total = bc ? c->stat.mean - bc->stat.mean : NAN;

		if (!c->modelled)
			continue;
		an_config_run_ids(ds, c, ids, sizeof(ids));
		for (size_t q = 0; q < d->cause_count; q++) {
			double m = d->cause_mean[k * d->cause_count + q];
			double extra = bc ? m - d->cause_mean[(size_t)c->baseline * d->cause_count + q] : NAN;

			fmt(m, a, sizeof(a));
			fmt(c->stat.mean > 0 ? m / c->stat.mean : NAN, b, sizeof(b));
			fmt(extra, c_, sizeof(c_));
			fmt(bc && extra_total > 0 ? extra / extra_total : NAN, e, sizeof(e));
			csv_text(f, c->label);
			fprintf(f, ",%s,%s,%s,%s,%s,", d->causes[q], a, b, c_, e);
			csv_text(f, ids);
			fputc('\n', f);
		}
	}
	rc = close_checked(f, dir, "breakdown.csv", err, err_len);
	if (rc)
		return rc;

	f = open_in(dir, "failed.csv", err, err_len);
	if (!f)
		return -EIO;
	fprintf(f, "run_id,status,engine,backend,workload,params,rep,error\n");
	for (size_t r = 0; r < ds->run_count; r++) {
		const struct an_run *run = &ds->runs[r];

		if (run->status == REC_STATUS_OK)
			continue;
		fprintf(f, "%" PRId64 ",%s,", run->id, rec_status_name(run->status));
		csv_text(f, run->engine);
		fputc(',', f);
		csv_text(f, run->backend);
		fputc(',', f);
		csv_text(f, run->workload);
		fputc(',', f);
		csv_text(f, run->params_json);
		fprintf(f, ",%u,", run->rep);
		csv_text(f, run->error);
		fputc('\n', f);
	}
	return close_checked(f, dir, "failed.csv", err, err_len);
}

/* ---- plots ---- */

static int plot(const char *dir, const char *name, struct an_report_result *res)
{
	char script[4096], log[4096], perr[512];
	int rc;

	snprintf(script, sizeof(script), "%s/plots/%s.gp", dir, name);
	snprintf(log, sizeof(log), "%s/plots/%s.log", dir, name);
	rc = an_plot_run(script, log, perr, sizeof(perr));
	if (rc) {
		res->plots_failed++;
		if (!res->plot_error[0])
			snprintf(res->plot_error, sizeof(res->plot_error), "%s", perr);
		return rc;
	}
	res->plots_made++;
	return 0;
}

static FILE *plot_file(const char *dir, const char *name, const char *ext)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/plots/%s.%s", dir, name, ext);
	return fopen(path, "w");
}

static const char gp_common[] =
	"set terminal pngcairo size 960,540 noenhanced font 'sans,10'\n"
	"set grid ytics\n"
	"set key outside right top\n";

static void make_plots(const struct an_dataset *ds, struct derived *d, const char *dir,
		       struct an_report_result *res)
{
	FILE *dat, *gp;
	bool modelled_any = false;

	/* 1. The metric per configuration with its 95% CI. */
	for (int modelled = 1; modelled >= 0; modelled--) {
		const char *name = modelled ? "metric-modelled" : "metric-wall";
		size_t n = 0;

		for (size_t k = 0; k < ds->config_count; k++)
			n += ds->configs[k].modelled == (bool)modelled;
		if (!n)
			continue;
		modelled_any |= modelled;
		dat = plot_file(dir, name, "dat");
		gp = plot_file(dir, name, "gp");
		if (!dat || !gp) {
			if (dat)
				fclose(dat);
			if (gp)
				fclose(gp);
			res->plots_failed++;
			continue;
		}
		fprintf(dat, "# index label mean ci_low ci_high\n");
		n = 0;
		for (size_t k = 0; k < ds->config_count; k++) {
			const struct an_config *c = &ds->configs[k];

			if (c->modelled != (bool)modelled)
				continue;
			fprintf(dat, "%zu ", n++);
			gp_text(dat, c->label);
			fprintf(dat, " %.17g %.17g %.17g\n", c->stat.mean,
				isnan(c->stat.ci_low) ? c->stat.mean : c->stat.ci_low,
				isnan(c->stat.ci_high) ? c->stat.mean : c->stat.ci_high);
		}
		fclose(dat);
		fprintf(gp, "%sset output '%s/plots/%s.png'\n", gp_common, dir, name);
		fprintf(gp, "set title 'Mean %s per configuration, 95%% confidence interval over repetitions'\n",
			metric_name(modelled));
		fprintf(gp, "set ylabel '%s'\nset xtics rotate by 30 right font ',8'\nset bmargin 12\n"
			    "set lmargin 14\nset style fill solid 0.5\nset boxwidth 0.7\nset yrange [0:*]\nset xrange [-0.6:%zu]\n"
			    "unset key\n",
			metric_name(modelled), n ? n - 1 : 0);
		fprintf(gp, "plot '%s/plots/%s.dat' using 1:3:xtic(2) with boxes lc rgb '#4a7ab5', \\\n"
			    "     '' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0\n", dir, name);
		fclose(gp);
		plot(dir, name, res);
	}

	/* 2. Each regression: runs and the fitted line. */
	for (size_t r = 0; r < d->reg_count; r++) {
		struct regression *g = &d->reg[r];

		snprintf(g->plot, sizeof(g->plot), "regression-%zu", r);
		dat = plot_file(dir, g->plot, "dat");
		gp = plot_file(dir, g->plot, "gp");
		if (!dat || !gp) {
			if (dat)
				fclose(dat);
			if (gp)
				fclose(gp);
			g->plot[0] = '\0';
			res->plots_failed++;
			continue;
		}
		fprintf(dat, "# x overhead_pct\n");
		for (size_t i = 0; i < g->n; i++)
			fprintf(dat, "%.17g %.17g\n", g->x[i], g->y[i]);
		fclose(dat);
		fprintf(gp, "%sset output '%s/plots/%s.png'\n", gp_common, dir, g->plot);
		fprintf(gp, "set title ");
		gp_text(gp, g->group);
		fprintf(gp, "\nset xlabel '%s'\nset ylabel 'overhead vs native (%%)'\n", g->x_label);
		fprintf(gp, "f(x) = %.17g + %.17g * x\n", g->fit.c0, g->fit.c1);
		fprintf(gp, "plot '%s/plots/%s.dat' using 1:2 with points pt 7 ps 1.2 title 'runs', "
			    "f(x) with lines lw 2 title sprintf('fit: %%.3g + %%.3g x, R^2 = %%.3f', %.17g, %.17g, %.17g)\n",
			dir, g->plot, g->fit.c0, g->fit.c1, g->fit.r2);
		fclose(gp);
		if (plot(dir, g->plot, res))
			g->plot[0] = '\0';
	}

	/* 3. Modelled cycles by cause, stacked per configuration. */
	if (modelled_any && d->cause_count) {
		size_t n = 0;

		dat = plot_file(dir, "breakdown", "dat");
		gp = plot_file(dir, "breakdown", "gp");
		if (!dat || !gp) {
			if (dat)
				fclose(dat);
			if (gp)
				fclose(gp);
			res->plots_failed++;
			return;
		}
		fprintf(dat, "index label");
		for (size_t q = 0; q < d->cause_count; q++)
			fprintf(dat, " %s", d->causes[q]);
		fputc('\n', dat);
		for (size_t k = 0; k < ds->config_count; k++) {
			if (!ds->configs[k].modelled)
				continue;
			fprintf(dat, "%zu ", n++);
			gp_text(dat, ds->configs[k].label);
			for (size_t q = 0; q < d->cause_count; q++)
				fprintf(dat, " %.17g", d->cause_mean[k * d->cause_count + q]);
			fputc('\n', dat);
		}
		fclose(dat);
		fprintf(gp, "%sset output '%s/plots/breakdown.png'\n", gp_common, dir);
		fprintf(gp, "set title 'Modelled cycles by cause (mean over repetitions)'\n"
			    "set ylabel 'modelled cycles'\nset style data histograms\n"
			    "set style histogram rowstacked\nset style fill solid 0.8 border -1\nset boxwidth 0.7\n"
			    "set xtics rotate by 30 right font ',8'\nset bmargin 12\nset key autotitle columnheader\n");
		fprintf(gp, "plot for [i=3:%zu] '%s/plots/breakdown.dat' using i:xtic(2)\n", d->cause_count + 2, dir);
		fclose(gp);
		plot(dir, "breakdown", res);
	}
}

/* ---- HTML ---- */

static void html_img(FILE *f, const char *dir, const char *name, const char *alt)
{
	char path[4096];
	long at;

	snprintf(path, sizeof(path), "%s/plots/%s.png", dir, name);
	if (access(path, R_OK))
		return;
	fprintf(f, "<p><img class=\"plot\" alt=\"");
	html_text(f, alt);
	fprintf(f, "\" src=\"data:image/png;base64,");
	at = ftell(f);
	if (an_base64_file(f, path)) {
		/* Nothing or garbage was embedded: drop the element's tail. */
		fseek(f, at, SEEK_SET);
		fprintf(f, "\"></p>\n");
		return;
	}
	fprintf(f, "\"></p>\n");
}

struct sweep_html {
	FILE *f;
};

static int html_sweep(void *ctx, const struct rec_sweep_row *s)
{
	FILE *f = ((struct sweep_html *)ctx)->f;

	fprintf(f, "<h3>Sweep %" PRId64 " (", s->id);
	html_text(f, s->name);
	fprintf(f, "): %s</h3>\n<p>File <code>", rec_sweep_status_name(s->status));
	html_text(f, s->file);
	fprintf(f, "</code>, %u runs in the grid, %u ok, %u failed, %u skipped as already ok; started ",
		s->points, s->runs_ok, s->runs_failed, s->runs_skipped);
	html_text(f, s->started_at);
	fprintf(f, " on ");
	html_text(f, s->host);
	fprintf(f, " by memvirt ");
	html_text(f, s->version);
	fprintf(f, ".</p>\n<p>Command: <code>");
	html_text(f, s->command);
	fprintf(f, "</code></p>\n<pre class=\"sweep\">");
	html_text(f, s->file_text);
	fprintf(f, "</pre>\n");
	return 0;
}

static void html_cell(FILE *f, const char *text, const char *ids)
{
	fprintf(f, "<td title=\"runs ");
	html_text(f, ids);
	fprintf(f, "\">");
	html_text(f, text);
	fprintf(f, "</td>");
}

static int write_html(struct rec_db *db, const struct an_dataset *ds, const struct derived *d,
		      const struct an_report_opts *o, char *err, size_t err_len)
{
	char host[256] = "unknown", ids[8192], a[32], b[32], c_[32], e[32], now[64];
	struct utsname un;
	struct sweep_html sh;
	time_t t = time(NULL);
	FILE *f = open_in(o->dir, "report.html", err, err_len);

	if (!f)
		return -EIO;
	sh.f = f;
	gethostname(host, sizeof(host));
	if (uname(&un))
		memset(&un, 0, sizeof(un));
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<title>memvirt report</title>\n<style>\n"
		   "body{font-family:sans-serif;margin:2em;max-width:1200px}\n"
		   "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;"
		   "text-align:right}td:first-child,th:first-child{text-align:left}\n"
		   "th{background:#eef}pre.sweep{background:#f6f6f6;padding:8px}img.plot{max-width:100%%;"
		   "border:1px solid #ddd}\n.note{color:#555}\n</style></head><body>\n");
	fprintf(f, "<h1>memvirt report</h1>\n<h2>Reproducibility</h2>\n<ul>\n<li>memvirt %s</li>\n<li>host <code>",
		MEMVIRT_VERSION);
	html_text(f, host);
	fprintf(f, "</code> (");
	html_text(f, un.sysname);
	fputc(' ', f);
	html_text(f, un.release);
	fputc(' ', f);
	html_text(f, un.machine);
	fprintf(f, ", %ld CPUs)</li>\n<li>generated %s by <code>", sysconf(_SC_NPROCESSORS_ONLN), now);
	html_text(f, o->command);
	fprintf(f, "</code></li>\n<li>database <code>");
	html_text(f, o->db_path);
	fprintf(f, "</code>, runs selected by <code>");
	html_text(f, o->selector && o->selector[0] ? o->selector : "(all)");
	fprintf(f, "</code>: %zu runs, %zu ok in %zu configurations, %zu not ok</li>\n</ul>\n", ds->run_count,
		ds->run_count - ds->failed, ds->config_count, ds->failed);
	fprintf(f, "<p class=\"note\">Every number below names the runs it comes from (the <em>runs</em> "
		   "column, and each cell's tooltip); the same numbers are in summary.csv, regression.csv, "
		   "breakdown.csv and failed.csv beside this file, and the plots' data and gnuplot scripts "
		   "are in plots/.</p>\n");
	for (size_t s = 0; s < ds->sweep_count; s++)
		if (rec_sweep_get(db, ds->sweeps[s], html_sweep, &sh)) {
			fprintf(f, "<p>Sweep %" PRId64 ": no record of it in this database.</p>\n", ds->sweeps[s]);
		}
	{
		/* Lone runs: their command lines. */
		size_t shown = 0;

		for (size_t r = 0; r < ds->run_count && shown < 50; r++) {
			if (ds->runs[r].sweep_id)
				continue;
			if (!shown++)
				fprintf(f, "<h3>Runs not from a sweep: their commands</h3>\n<ul>\n");
			fprintf(f, "<li>run %" PRId64 ": <code>", ds->runs[r].id);
			html_text(f, ds->runs[r].command[0] ? ds->runs[r].command : "(not recorded)");
			fprintf(f, "</code></li>\n");
		}
		if (shown)
			fprintf(f, "</ul>\n");
	}

	fprintf(f, "<h2>Configurations</h2>\n<p>Mean over repetitions with its 95%% confidence interval "
		   "(Student's t, n&minus;1 degrees of freedom); overhead is the mean against the mean of the "
		   "same configuration on the native backend, in brackets its 95%% interval (Welch's "
		   "interval of the difference over the native mean); Welch's t-test compares the two samples "
		   "(two-sided p).  Where both samples have no variance at all (the soft engine is "
		   "deterministic) the difference is exact and the test has no t: p is then 0 or 1.</p>\n");
	fprintf(f, "<table id=\"summary\">\n<tr><th>configuration</th><th>metric</th><th>n</th><th>mean</th>"
		   "<th>sd</th><th>95%% CI</th><th>overhead vs native</th><th>Welch t</th><th>df</th>"
		   "<th>p</th><th>runs</th></tr>\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		char cell[128], bids[8192] = "", both[16384];

		an_config_run_ids(ds, c, ids, sizeof(ids));
		if (c->baseline >= 0)
			an_config_run_ids(ds, &ds->configs[c->baseline], bids, sizeof(bids));
		if (snprintf(both, sizeof(both), "%s vs native %s", ids, bids) >= (int)sizeof(both))
			both[sizeof(both) - 1] = '\0'; /* run ids listed up to the cell's room */
		fprintf(f, "<tr>");
		html_cell(f, c->label, ids);
		html_cell(f, metric_name(c->modelled), ids);
		snprintf(cell, sizeof(cell), "%zu", c->run_count);
		html_cell(f, cell, ids);
		fmt(c->stat.mean, a, sizeof(a));
		html_cell(f, a, ids);
		fmt(c->stat.sd, b, sizeof(b));
		html_cell(f, b, ids);
		fmt(c->stat.ci_low, c_, sizeof(c_));
		fmt(c->stat.ci_high, e, sizeof(e));
		if (isnan(c->stat.ci_half))
			snprintf(cell, sizeof(cell), "- (one run)");
		else
			snprintf(cell, sizeof(cell), "[%s, %s]", c_, e);
		html_cell(f, cell, ids);
		if (isnan(c->overhead))
			snprintf(cell, sizeof(cell), c->baseline >= 0 && (size_t)c->baseline == k ? "baseline" : "-");
		else if (isnan(c->overhead_low))
			snprintf(cell, sizeof(cell), "%+.2f%%", 100.0 * c->overhead);
		else
			snprintf(cell, sizeof(cell), "%+.2f%% [%+.2f%%, %+.2f%%]", 100.0 * c->overhead,
				 100.0 * c->overhead_low, 100.0 * c->overhead_high);
		html_cell(f, cell, both);
		if (c->has_welch && !c->welch.exact) {
			fmt(c->welch.t, a, sizeof(a));
			html_cell(f, a, both);
			fmt(c->welch.df, a, sizeof(a));
			html_cell(f, a, both);
		} else {
			html_cell(f, c->has_welch ? "exact" : "-", both);
			html_cell(f, "-", both);
		}
		fmt_p(c->has_welch ? c->welch.p : NAN, a, sizeof(a));
		html_cell(f, a, both);
		fprintf(f, "<td>");
		html_text(f, ids);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	html_img(f, o->dir, "metric-modelled", "mean modelled cycles per configuration");
	html_img(f, o->dir, "metric-wall", "mean wall time per configuration");

	fprintf(f, "<h2>Overhead against working set and fault rate</h2>\n");
	if (!d->reg_count)
		fprintf(f, "<p>No regression: the selected runs do not vary a workload parameter or the fault "
			   "rate over at least two values with a native baseline for each.</p>\n");
	else {
		fprintf(f, "<p>Least-squares line of each run's overhead (percent, against its native "
			   "configuration's mean) on a workload parameter the runs vary, and on the rate of "
			   "faults and TLB refills per 1000 guest instructions.  When several parameters vary, "
			   "each line ignores the others.</p>\n<table id=\"regression\">\n<tr><th>group</th><th>x</th>"
			   "<th>n</th><th>intercept (%%)</th><th>slope (%% per unit of x)</th><th>se(slope)</th>"
			   "<th>R&sup2;</th><th>p(slope=0)</th><th>runs</th></tr>\n");
		for (size_t r = 0; r < d->reg_count; r++) {
			const struct regression *g = &d->reg[r];
			char cell[64];

			fprintf(f, "<tr>");
			html_cell(f, g->group, g->run_ids);
			html_cell(f, g->x_name, g->run_ids);
			snprintf(cell, sizeof(cell), "%zu", g->n);
			html_cell(f, cell, g->run_ids);
			fmt(g->fit.c0, a, sizeof(a));
			html_cell(f, a, g->run_ids);
			fmt(g->fit.c1, a, sizeof(a));
			html_cell(f, a, g->run_ids);
			fmt(g->fit.se_c1, a, sizeof(a));
			html_cell(f, a, g->run_ids);
			fmt(g->fit.r2, a, sizeof(a));
			html_cell(f, a, g->run_ids);
			fmt_p(g->fit.p_slope, a, sizeof(a));
			html_cell(f, a, g->run_ids);
			fprintf(f, "<td>");
			html_text(f, g->run_ids);
			fprintf(f, "</td></tr>\n");
		}
		fprintf(f, "</table>\n");
		for (size_t r = 0; r < d->reg_count; r++)
			if (d->reg[r].plot[0])
				html_img(f, o->dir, d->reg[r].plot, d->reg[r].group);
	}

	fprintf(f, "<h2>Reasons for slowdown: modelled cycles by cause</h2>\n");
	if (!d->cause_count) {
		fprintf(f, "<p>No run in the selection has a cost-model breakdown (modelled_cycles_&lt;cause&gt; "
			   "counters; kvm runs measure time instead).</p>\n");
	} else {
		fprintf(f, "<p>Mean modelled cycles of each cause (the cost model's <code>modelled_cycles_&lt;cause&gt;"
			   "</code> counters, docs/cost-model.md), and in brackets the part of the overhead against "
			   "native that the cause accounts for.</p>\n<table id=\"breakdown\">\n<tr><th>configuration</th>");
		for (size_t q = 0; q < d->cause_count; q++) {
			fprintf(f, "<th>");
			html_text(f, d->causes[q]);
			fprintf(f, "</th>");
		}
		fprintf(f, "<th>runs</th></tr>\n");
		for (size_t k = 0; k < ds->config_count; k++) {
			const struct an_config *c = &ds->configs[k];
			const struct an_config *bc = c->baseline >= 0 && (size_t)c->baseline != k
							     ? &ds->configs[c->baseline] : NULL;
			double extra_total = bc ? c->stat.mean - bc->stat.mean : NAN;

			if (!c->modelled)
				continue;
			an_config_run_ids(ds, c, ids, sizeof(ids));
			fprintf(f, "<tr>");
			html_cell(f, c->label, ids);
			for (size_t q = 0; q < d->cause_count; q++) {
				double m = d->cause_mean[k * d->cause_count + q];
				char cell[96];

				fmt(m, a, sizeof(a));
				if (bc && extra_total > 0) {
					double extra = m - d->cause_mean[(size_t)c->baseline * d->cause_count + q];

					snprintf(cell, sizeof(cell), "%s (%.1f%%)", a, 100.0 * extra / extra_total);
				} else {
					snprintf(cell, sizeof(cell), "%s", a);
				}
				html_cell(f, cell, ids);
			}
			fprintf(f, "<td>");
			html_text(f, ids);
			fprintf(f, "</td></tr>\n");
		}
		fprintf(f, "</table>\n");
		html_img(f, o->dir, "breakdown", "modelled cycles by cause");
	}

	fprintf(f, "<h2>Per-event latencies</h2>\n<p>Not in this report: no engine records per-event "
		   "latencies in the database yet (the kvm engine stores KVM's statistics before and after "
		   "each run, not the time of each exit).</p>\n");

	fprintf(f, "<h2>Runs that are not ok</h2>\n");
	if (!ds->failed) {
		fprintf(f, "<p>None.</p>\n");
	} else {
		fprintf(f, "<table id=\"failed\">\n<tr><th>run</th><th>status</th><th>configuration</th><th>rep</th>"
			   "<th>reason</th></tr>\n");
		for (size_t r = 0; r < ds->run_count; r++) {
			const struct an_run *run = &ds->runs[r];

			if (run->status == REC_STATUS_OK)
				continue;
			fprintf(f, "<tr><td>%" PRId64 "</td><td>%s</td><td>", run->id, rec_status_name(run->status));
			html_text(f, run->engine);
			fputc('/', f);
			html_text(f, run->backend);
			fputc(' ', f);
			html_text(f, run->workload);
			fputc(' ', f);
			html_text(f, run->params_json);
			fprintf(f, "</td><td>%u</td><td>", run->rep);
			html_text(f, run->error);
			fprintf(f, "</td></tr>\n");
		}
		fprintf(f, "</table>\n");
	}
	fprintf(f, "</body></html>\n");
	return close_checked(f, o->dir, "report.html", err, err_len);
}

int an_report_write(struct rec_db *db, const struct an_dataset *ds, const struct an_report_opts *o,
		    struct an_report_result *res, char *err, size_t err_len)
{
	struct derived d;
	char path[4096];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	if (mkdir(o->dir, 0777) && errno != EEXIST) {
		snprintf(err, err_len, "%s: cannot create: %s", o->dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/plots", o->dir);
	if (mkdir(path, 0777) && errno != EEXIST) {
		snprintf(err, err_len, "%s: cannot create: %s", path, strerror(errno));
		return -errno;
	}
	rc = compute_regressions(ds, &d);
	rc = rc ? rc : compute_breakdown(ds, &d);
	if (rc) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	res->regressions = d.reg_count;
	rc = write_csv(ds, &d, o->dir, err, err_len);
	if (rc)
		goto out;
	if (o->plots)
		make_plots(ds, &d, o->dir, res);
	rc = write_html(db, ds, &d, o, err, err_len);
out:
	derived_free(&d);
	return rc;
}

void an_report_text(const struct an_dataset *ds, FILE *out)
{
	char a[32], b[32], c_[32];

	fprintf(out, "%-56s %3s %14s %24s %10s %9s  %s\n", "configuration", "n", "mean", "95% CI", "overhead",
		"p", "runs");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		char ids[512], ci[64], ov[32];

		an_config_run_ids(ds, c, ids, sizeof(ids));
		fmt(c->stat.mean, a, sizeof(a));
		fmt(c->stat.ci_low, b, sizeof(b));
		fmt(c->stat.ci_high, c_, sizeof(c_));
		snprintf(ci, sizeof(ci), isnan(c->stat.ci_half) ? "-" : "[%s, %s]", b, c_);
		if (isnan(c->overhead))
			snprintf(ov, sizeof(ov), c->baseline >= 0 && (size_t)c->baseline == k ? "baseline" : "-");
		else
			snprintf(ov, sizeof(ov), "%+.2f%%", 100.0 * c->overhead);
		if (c->has_welch && c->welch.exact)
			snprintf(b, sizeof(b), "exact");
		else
			fmt_p(c->has_welch ? c->welch.p : NAN, b, sizeof(b));
		fprintf(out, "%-56.56s %3zu %14s %24s %10s %9s  %s\n", c->label, c->run_count, a, ci, ov, b, ids);
	}
	fprintf(out, "(%s; overhead against the native configuration's mean; p: Welch's t-test, "
		     "'exact' where neither sample varies)\n",
		ds->config_count && !ds->configs[0].modelled ? "mean wall time in ns" : "mean modelled cycles");
	if (ds->failed)
		fprintf(out, "%zu selected runs are not ok and not in these statistics\n", ds->failed);
}
