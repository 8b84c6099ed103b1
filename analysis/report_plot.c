/*
 * analysis/report_plot.c — the report's plots: for each a data file and a
 * gnuplot script in plots/, run into an SVG that the page embeds (see
 * report_internal.h).
 *
 * Every range is computed here from the data, whiskers included, and
 * always holds 0, so nothing is clipped and a small difference is not
 * blown up; configurations are rows of horizontal bars so that no label
 * has to be rotated or cut; a backend has its colour and a cause its
 * colour and place in every plot (palette.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/format.h"
#include "analysis/palette.h"
#include "analysis/plot.h"
#include "analysis/report_internal.h"

#define ROW_PX 26

struct plot_files {
	FILE *dat, *gp;
};

static int plot_open(const char *dir, const char *name, struct plot_files *p)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/plots/%s.dat", dir, name);
	p->dat = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/plots/%s.gp", dir, name);
	p->gp = fopen(path, "w");
	if (p->dat && p->gp)
		return 0;
	if (p->dat)
		fclose(p->dat);
	if (p->gp)
		fclose(p->gp);
	return -EIO;
}

/* Close the files and run gnuplot; on success name stays set, else "". */
static void plot_finish(const char *dir, struct plot_files *p, char *name, struct an_report_result *res)
{
	char script[4096], log[4096], perr[512];
	bool bad = ferror(p->dat) || ferror(p->gp);

	bad |= fclose(p->dat) != 0;
	bad |= fclose(p->gp) != 0;
	snprintf(script, sizeof(script), "%s/plots/%s.gp", dir, name);
	snprintf(log, sizeof(log), "%s/plots/%s.log", dir, name);
	if (bad) {
		snprintf(perr, sizeof(perr), "%.480s: write error", script);
	} else if (an_plot_run(script, log, perr, sizeof(perr)) == 0) {
		res->plots_made++;
		return;
	}
	res->plots_failed++;
	if (!res->plot_error[0])
		snprintf(res->plot_error, sizeof(res->plot_error), "%s", perr);
	name[0] = '\0';
}

static void terminal(FILE *gp, const char *dir, const char *name, int width, int height)
{
	fprintf(gp, "set terminal svg size %d,%d noenhanced font 'sans,11' background rgb 'white'\n", width, height);
	fprintf(gp, "set output '%s/plots/%s.svg'\n", dir, name);
	fprintf(gp, "set border 3\nset tics nomirror\nset grid xtics ytics lc rgb '#dddddd'\n"
		    "set datafile missing 'NaN'\n");
}

/* lo..hi widened to hold 0 and padded, so bars and whiskers fit. */
static void padded_range(double lo, double hi, double *out_lo, double *out_hi)
{
	double span;

	lo = fmin(lo, 0);
	hi = fmax(hi, 0);
	span = hi - lo;
	if (!(span > 0))
		span = 1;
	*out_lo = lo < 0 ? lo - 0.08 * span : 0;
	*out_hi = hi > 0 ? hi + 0.08 * span : 0.08 * span;
	if (lo < 0 && hi <= 0)
		*out_hi = 0.08 * span;
}

static int label_width(const struct an_dataset *ds, bool modelled_only)
{
	size_t w = 10;

	for (size_t k = 0; k < ds->config_count; k++)
		if (report_compared(ds, k) && (!modelled_only || ds->configs[k].modelled) &&
		    strlen(ds->configs[k].label) > w)
			w = strlen(ds->configs[k].label);
	return (int)w;
}

/* "set ytics (...)" naming each row by its configuration. */
static void row_tics(FILE *gp, const struct an_dataset *ds, const size_t *rows, size_t n)
{
	fprintf(gp, "set ytics (");
	for (size_t i = 0; i < n; i++) {
		fprintf(gp, "%s", i ? ", " : "");
		an_gp_text(gp, ds->configs[rows[i]].label);
		fprintf(gp, " %zu", n - 1 - i);
	}
	fprintf(gp, ")\nset yrange [-0.7:%zu.7]\n", n ? n - 1 : 0);
}

/* The distinct backends of the rows, in first-seen order. */
static size_t row_backends(const struct an_dataset *ds, const size_t *rows, size_t n, const char **out)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t b = 0; b < count; b++)
			seen |= !strcmp(out[b], ds->configs[rows[i]].backend);
		if (!seen)
			out[count++] = ds->configs[rows[i]].backend;
	}
	return count;
}

static void overhead_plot(struct report_data *rd, const char *dir, struct an_report_result *res)
{
	const struct an_dataset *ds = rd->ds;
	struct plot_files p;
	size_t *rows, n = 0, nb, block = 0;
	const char **backends;
	double lo = 0, hi = 0, xlo, xhi;
	bool any_ci = false;
	int lw;

	rows = malloc((ds->config_count + 1) * sizeof(*rows));
	backends = malloc((ds->config_count + 1) * sizeof(*backends));
	if (!rows || !backends)
		goto out;
	for (size_t k = 0; k < ds->config_count; k++)
		if (report_compared(ds, k) && isfinite(ds->configs[k].overhead))
			rows[n++] = k;
	if (!n)
		goto out;
	snprintf(rd->overhead_plot, sizeof(rd->overhead_plot), "overhead");
	if (plot_open(dir, rd->overhead_plot, &p)) {
		rd->overhead_plot[0] = '\0';
		res->plots_failed++;
		goto out;
	}
	nb = row_backends(ds, rows, n, backends);
	fprintf(p.dat, "# row overhead_pct low high row_low row_high ci_low_pct ci_high_pct; one block per backend\n");
	for (size_t b = 0; b < nb; b++) {
		fprintf(p.dat, "%s# backend ", block++ ? "\n\n" : "");
		fprintf(p.dat, "%s\n", backends[b]);
		for (size_t i = 0; i < n; i++) {
			const struct an_config *c = &ds->configs[rows[i]];
			double v = 100.0 * c->overhead, y = (double)(n - 1 - i);
			double cl = 100.0 * c->overhead_low, ch = 100.0 * c->overhead_high;

			if (strcmp(c->backend, backends[b]))
				continue;
			fprintf(p.dat, "%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", y, v, fmin(0, v), fmax(0, v),
				y - 0.35, y + 0.35, cl, ch);
			lo = fmin(lo, v);
			hi = fmax(hi, v);
			if (isfinite(cl)) {
				any_ci = true;
				lo = fmin(lo, cl);
				hi = fmax(hi, ch);
			}
		}
	}
	padded_range(lo, hi, &xlo, &xhi);
	lw = label_width(ds, false);
	terminal(p.gp, dir, rd->overhead_plot, 560 + 7 * lw, 150 + ROW_PX * (int)n);
	fprintf(p.gp, "set title 'Overhead against the native baseline'\nset xlabel 'overhead vs native (%%)'\n"
		      "set lmargin %d\nset xrange [%.17g:%.17g]\n", lw + 2, xlo, xhi);
	row_tics(p.gp, ds, rows, n);
	fprintf(p.gp, "set key outside bottom center horizontal\nset bmargin 6\nset style fill solid 0.85 border lc rgb '#333333'\n"
		      "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb 'black'\nplot ");
	for (size_t b = 0; b < nb; b++) {
		fprintf(p.gp, "%s'%s/plots/overhead.dat' index %zu using 2:1:3:4:5:6 with boxxyerror lc rgb '%s' title ",
			b ? ", \\\n     " : "", dir, b, an_backend_colour(backends[b]));
		an_gp_text(p.gp, backends[b]);
	}
	for (size_t b = 0; any_ci && b < nb; b++)
		fprintf(p.gp, ", \\\n     '%s/plots/overhead.dat' index %zu using 2:1:7:8 with xerrorbars lc rgb 'black' "
			      "pt 0 %s", dir, b, b ? "notitle" : "title '95% interval'");
	fprintf(p.gp, "\n");
	plot_finish(dir, &p, rd->overhead_plot, res);
out:
	free(rows);
	free(backends);
}

/* "256 KiB" for sizes, "%g" for other values. */
static void tic_text(double x, bool bytes, char *buf, size_t len)
{
	static const char *const prefix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
	size_t p = 0;

	if (!bytes) {
		snprintf(buf, len, "%.10g", x);
		return;
	}
	while (p + 1 < sizeof(prefix) / sizeof(prefix[0]) && fabs(x) >= 1024 && fmod(x, 1024) == 0) {
		x /= 1024;
		p++;
	}
	snprintf(buf, len, "%.10g %sB", x, prefix[p]);
}

/* A long title over lines of at most ~100 characters, at spaces. */
static void wrapped_title(FILE *gp, const char *lead, const char *text)
{
	char buf[2048];
	size_t len, line = 0;

	snprintf(buf, sizeof(buf), "%s%s", lead, text);
	len = strlen(buf);
	for (size_t i = 0; i < len; i++, line++)
		if (buf[i] == ' ' && line > 100) {
			buf[i] = '\n';
			line = 0;
		}
	fprintf(gp, "set title ");
	an_gp_text(gp, buf);
	fprintf(gp, "\n");
}

static void series_plot(struct report_data *rd, size_t s, const char *dir, struct an_report_result *res)
{
	const struct an_series *se = &rd->series[s];
	char *name = rd->series_plot[s], tic[64];
	double xs[64], ylo = 0, yhi = 0, xmin = INFINITY, xmax = -INFINITY, y0, y1;
	size_t nx = 0;
	struct plot_files p;
	bool any_ci = false;

	snprintf(name, REPORT_MAX_PLOT_NAME, "series-%zu", s + 1);
	if (plot_open(dir, name, &p)) {
		name[0] = '\0';
		res->plots_failed++;
		return;
	}
	fprintf(p.dat, "# x overhead_pct ci_low_pct ci_high_pct; one block per line\n");
	for (size_t l = 0; l < se->line_count; l++) {
		const struct an_line *ln = &se->lines[l];

		fprintf(p.dat, "%s# ", l ? "\n\n" : "");
		fprintf(p.dat, "%s\n", ln->label);
		for (size_t i = 0; i < ln->point_count; i++) {
			const struct an_point *pt = &ln->points[i];
			bool seen = false;

			/* No interval: a whisker of length 0, so the point stays. */
			fprintf(p.dat, "%.17g %.17g %.17g %.17g\n", pt->x, pt->y, isfinite(pt->y_low) ? pt->y_low : pt->y,
				isfinite(pt->y_high) ? pt->y_high : pt->y);
			ylo = fmin(ylo, pt->y);
			yhi = fmax(yhi, pt->y);
			if (isfinite(pt->y_low)) {
				any_ci = true;
				ylo = fmin(ylo, pt->y_low);
				yhi = fmax(yhi, pt->y_high);
			}
			xmin = fmin(xmin, pt->x);
			xmax = fmax(xmax, pt->x);
			for (size_t j = 0; j < nx; j++)
				seen |= xs[j] == pt->x;
			if (!seen && nx < sizeof(xs) / sizeof(xs[0]))
				xs[nx++] = pt->x;
		}
	}
	terminal(p.gp, dir, name, 1000, 560);
	wrapped_title(p.gp, "Overhead against native: ", se->context);
	fprintf(p.gp, "set xlabel ");
	an_gp_text(p.gp, se->x_label);
	fprintf(p.gp, "\nset ylabel 'overhead vs native (%%)'\nset key outside right top\n");
	if (se->x_log2) {
		fprintf(p.gp, "set logscale x 2\nset xrange [%.17g:%.17g]\n", xmin / 1.3, xmax * 1.3);
	} else {
		double span = xmax - xmin > 0 ? xmax - xmin : fabs(xmax) > 0 ? fabs(xmax) : 1;

		fprintf(p.gp, "set xrange [%.17g:%.17g]\n", xmin - 0.05 * span, xmax + 0.05 * span);
	}
	if (nx <= 16 && strcmp(se->x_key, AN_FAULT_RATE)) {
		fprintf(p.gp, "set xtics (");
		for (size_t j = 0; j < nx; j++) {
			tic_text(xs[j], se->x_bytes, tic, sizeof(tic));
			fprintf(p.gp, "%s", j ? ", " : "");
			an_gp_text(p.gp, tic);
			fprintf(p.gp, " %.17g", xs[j]);
		}
		fprintf(p.gp, ")\n");
	}
	padded_range(ylo, yhi, &y0, &y1);
	fprintf(p.gp, "set yrange [%.17g:%.17g]\nset xzeroaxis lt 1 lc rgb 'black'\nplot ", y0, y1);
	for (size_t l = 0; l < se->line_count; l++) {
		const struct an_line *ln = &se->lines[l];
		int dash = 1;

		/* Lines of one backend (other options) share its colour. */
		for (size_t o = 0; o < l; o++)
			dash += !strcmp(se->lines[o].backend, ln->backend);
		fprintf(p.gp, "%s'%s/plots/%s.dat' index %zu using %s lw 2 pt 7 ps 0.8 lc rgb '%s' dt %d title ",
			l ? ", \\\n     " : "", dir, name, l, any_ci ? "1:2:3:4 with yerrorlines" : "1:2 with linespoints",
			an_backend_colour(ln->backend), dash);
		an_gp_text(p.gp, ln->label);
	}
	fprintf(p.gp, "\n");
	plot_finish(dir, &p, name, res);
}

static void breakdown_plot(struct report_data *rd, const char *dir, struct an_report_result *res)
{
	const struct an_dataset *ds = rd->ds;
	const struct an_breakdown *bd = &rd->breakdown;
	size_t *rows, n = 0, blocks = 0;
	double *pos, *neg, lo = 0, hi = 0, xlo, xhi;
	struct plot_files p;
	char *cmd_text = NULL;
	size_t cmd_len = 0;
	FILE *cmd;
	int lw;

	rows = malloc((ds->config_count + 1) * sizeof(*rows));
	pos = calloc(ds->config_count + 1, sizeof(*pos));
	neg = calloc(ds->config_count + 1, sizeof(*neg));
	if (!rows || !pos || !neg || !bd->cause_count)
		goto out;
	for (size_t k = 0; k < ds->config_count; k++)
		if (report_compared(ds, k) && ds->configs[k].modelled && isfinite(ds->configs[k].overhead))
			rows[n++] = k;
	if (!n)
		goto out;
	snprintf(rd->breakdown_plot, sizeof(rd->breakdown_plot), "breakdown");
	if (plot_open(dir, rd->breakdown_plot, &p)) {
		rd->breakdown_plot[0] = '\0';
		res->plots_failed++;
		goto out;
	}
	lw = label_width(ds, true);
	terminal(p.gp, dir, rd->breakdown_plot, 760 + 7 * lw, 190 + ROW_PX * (int)n);
	fprintf(p.gp, "set title 'The overhead by cause: extra modelled cycles in points of the baseline total'\n"
		      "set xlabel 'percentage points of the native baseline''s modelled cycles'\nset lmargin %d\n",
		lw + 2);
	row_tics(p.gp, ds, rows, n);
	fprintf(p.gp, "set key outside right top vertical\nset style fill solid 0.9 border lc rgb '#333333'\n"
		      "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb 'black'\n");
	fprintf(p.dat, "# one block per cause: mid row low high row_low row_high (stacked, fixed cause order)\n");
	/* Stack each row's parts in the fixed cause order: positive parts
	 * rightwards from 0, negative ones leftwards.  The plot command is
	 * made first and written after the range, which depends on the
	 * stacks. */
	cmd = open_memstream(&cmd_text, &cmd_len);
	if (!cmd) {
		fclose(p.dat);
		fclose(p.gp);
		rd->breakdown_plot[0] = '\0';
		res->plots_failed++;
		goto out;
	}
	fprintf(cmd, "plot ");
	for (size_t q = 0; q < bd->cause_count; q++) {
		bool any = false;

		for (size_t i = 0; i < n; i++)
			any |= bd->part[rows[i] * bd->cause_count + q] != 0;
		if (!any)
			continue;
		fprintf(p.dat, "%s# %s\n", blocks ? "\n\n" : "", bd->causes[q]);
		for (size_t i = 0; i < n; i++) {
			double v = bd->part[rows[i] * bd->cause_count + q], a, b, y = (double)(n - 1 - i);

			if (v >= 0) {
				a = pos[i];
				b = pos[i] += v;
			} else {
				b = neg[i];
				a = neg[i] += v;
			}
			fprintf(p.dat, "%.17g %.17g %.17g %.17g %.17g %.17g\n", (a + b) / 2, y, a, b, y - 0.35, y + 0.35);
		}
		fprintf(cmd, "%s'%s/plots/breakdown.dat' index %zu using 1:2:3:4:5:6 with boxxyerror lc rgb '%s' title ",
			blocks ? ", \\\n     " : "", dir, blocks, an_cause_colour(bd->causes[q]));
		an_gp_text(cmd, bd->causes[q]);
		blocks++;
	}
	fprintf(p.dat, "%s# overhead: pct row\n", blocks ? "\n\n" : "");
	for (size_t i = 0; i < n; i++) {
		double v = 100.0 * ds->configs[rows[i]].overhead;

		fprintf(p.dat, "%.17g %zu\n", v, n - 1 - i);
		lo = fmin(lo, fmin(neg[i], v));
		hi = fmax(hi, fmax(pos[i], v));
	}
	fprintf(cmd, "%s'%s/plots/breakdown.dat' index %zu using 1:2 with points pt 13 ps 1.4 lc rgb 'black' "
		     "title 'overhead (the sum)'\n",
		blocks ? ", \\\n     " : "", dir, blocks);
	fclose(cmd);
	padded_range(lo, hi, &xlo, &xhi);
	fprintf(p.gp, "set xrange [%.17g:%.17g]\n%s", xlo, xhi, cmd_text ? cmd_text : "");
	free(cmd_text);
	plot_finish(dir, &p, rd->breakdown_plot, res);
out:
	free(rows);
	free(pos);
	free(neg);
}

static void timeline_plot(struct report_data *rd, const char *dir, struct an_report_result *res)
{
	const struct an_dataset *ds = rd->ds;
	const struct an_timeline *t = &rd->timeline;
	struct plot_files p;

	if (!t->count)
		return;
	snprintf(rd->timeline_plot, sizeof(rd->timeline_plot), "timeline");
	if (plot_open(dir, rd->timeline_plot, &p)) {
		rd->timeline_plot[0] = '\0';
		res->plots_failed++;
		return;
	}
	terminal(p.gp, dir, rd->timeline_plot, 1100, 600);
	fprintf(p.gp, "set title 'Modelled cycles per guest instruction in each interval'\n"
		      "set xlabel 'guest instructions retired (all VMs)'\nset ylabel 'modelled cycles per instruction'\n"
		      "set key outside bottom center vertical maxrows 4\nset yrange [0:*]\nset format x '%%.1s%%c'\nplot ");
	fprintf(p.dat, "# icount cycles_per_instruction; one block per run\n");
	for (size_t i = 0; i < t->count; i++) {
		const struct an_run *r = &ds->runs[t->runs[i].run];
		const struct an_config *c = r->config >= 0 ? &ds->configs[r->config] : NULL;
		char title[1200];
		int dash = 1;

		for (size_t o = 0; o < i; o++)
			dash += !strcmp(ds->runs[t->runs[o].run].backend, r->backend);
		fprintf(p.dat, "%s# run %" PRId64 "\n", i ? "\n\n" : "", r->id);
		/* Each value holds over the interval that ends at its count
		 * (fsteps), the first from 0. */
		fprintf(p.dat, "0 %.17g\n", t->runs[i].cpi[0]);
		for (size_t j = 0; j < t->runs[i].n; j++)
			fprintf(p.dat, "%.17g %.17g\n", t->runs[i].icount[j], t->runs[i].cpi[j]);
		snprintf(title, sizeof(title), "run %" PRId64 ": %s", r->id, c ? c->label : r->backend);
		fprintf(p.gp, "%s'%s/plots/timeline.dat' index %zu using 1:2 with fsteps lw 1.5 lc rgb '%s' dt %d title ",
			i ? ", \\\n     " : "", dir, i, an_backend_colour(r->backend), dash);
		an_gp_text(p.gp, title);
	}
	fprintf(p.gp, "\n");
	plot_finish(dir, &p, rd->timeline_plot, res);
}

void report_make_plots(struct report_data *rd, const char *dir, struct an_report_result *res)
{
	overhead_plot(rd, dir, res);
	for (size_t s = 0; s < rd->series_count; s++)
		series_plot(rd, s, dir, res);
	breakdown_plot(rd, dir, res);
	timeline_plot(rd, dir, res);
}
