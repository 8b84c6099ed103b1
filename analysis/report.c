/*
 * analysis/report.c — the report's page and its text summary (see
 * report.h).
 *
 * Order of work: derive everything (series and their fits, the breakdown,
 * the time line) once into struct report_data, write the CSV files from
 * it, make the plots from it, then write the page that shows it and
 * embeds the plots: the CSV, the plots and the page cannot disagree.
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

#include "analysis/format.h"
#include "analysis/plot.h"
#include "analysis/report_internal.h"
#include "memvirt-config.h"

bool report_compared(const struct an_dataset *ds, size_t k)
{
	return ds->configs[k].baseline >= 0 && (size_t)ds->configs[k].baseline != k;
}

FILE *report_open(const char *dir, const char *name, char *err, size_t err_len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
	return f;
}

int report_close(FILE *f, const char *dir, const char *name, char *err, size_t err_len)
{
	bool bad = ferror(f);

	if (fclose(f) || bad) {
		snprintf(err, err_len, "%s/%s: write error (disk full?)", dir, name);
		return -EIO;
	}
	return 0;
}

static const char *metric_name(bool modelled)
{
	return modelled ? "modelled cycles" : "wall time (ns)";
}

/* "exact", "deterministic, 3 seeds" or "timed, 5 runs". */
static void kind_text(const struct an_config *c, char *buf, size_t len)
{
	if (c->deterministic)
		snprintf(buf, len, "%s, %zu seed%s", c->exact ? "exact" : "deterministic", c->sample_count,
			 c->sample_count == 1 ? "" : "s");
	else
		snprintf(buf, len, "timed, %zu run%s", c->sample_count, c->sample_count == 1 ? "" : "s");
}

/* The overhead cell: "+12.34%", "+12.34% [+10.01%, +14.60%]", "baseline"
 * or "no baseline". */
static void overhead_text(const struct an_dataset *ds, size_t k, char *buf, size_t len)
{
	const struct an_config *c = &ds->configs[k];
	char a[32], b[32], o[32];

	if (c->baseline < 0) {
		snprintf(buf, len, "no baseline");
		return;
	}
	if ((size_t)c->baseline == k) {
		snprintf(buf, len, "baseline");
		return;
	}
	an_fmt_percent(c->overhead, o, sizeof(o));
	if (isfinite(c->overhead_low)) {
		an_fmt_percent(c->overhead_low, a, sizeof(a));
		an_fmt_percent(c->overhead_high, b, sizeof(b));
		snprintf(buf, len, "%s [%s, %s]", o, a, b);
	} else {
		snprintf(buf, len, "%s%s", o, c->exact_difference ? " (exact)" : "");
	}
}

static void p_text(const struct an_config *c, char *buf, size_t len)
{
	if (c->has_welch)
		an_fmt_p(c->welch.p, buf, len);
	else
		snprintf(buf, len, "-");
}

/* ---- HTML ---- */

static void html_img(FILE *f, const char *dir, const char *name, const char *alt)
{
	char path[4096];
	long at;

	if (!name[0])
		return;
	snprintf(path, sizeof(path), "%s/plots/%s.svg", dir, name);
	if (access(path, R_OK))
		return;
	fprintf(f, "<p><img class=\"plot\" alt=\"");
	an_html_text(f, alt);
	fprintf(f, "\" src=\"data:image/svg+xml;base64,");
	at = ftell(f);
	if (an_base64_file(f, path)) {
		/* Nothing or garbage was embedded: drop the element's tail. */
		fseek(f, at, SEEK_SET);
		fprintf(f, "\"></p>\n");
		return;
	}
	fprintf(f, "\"></p>\n");
}

static int html_sweep(void *ctx, const struct rec_sweep_row *s)
{
	FILE *f = ctx;

	fprintf(f, "<h3>Sweep %" PRId64 " (", s->id);
	an_html_text(f, s->name);
	fprintf(f, "): %s</h3>\n<p>File <code>", rec_sweep_status_name(s->status));
	an_html_text(f, s->file);
	fprintf(f, "</code>, %u runs in the grid, %u ok, %u failed, %u skipped as already ok; started ",
		s->points, s->runs_ok, s->runs_failed, s->runs_skipped);
	an_html_text(f, s->started_at);
	fprintf(f, " on ");
	an_html_text(f, s->host);
	fprintf(f, " by memvirt ");
	an_html_text(f, s->version);
	fprintf(f, ".</p>\n<p>Command: <code>");
	an_html_text(f, s->command);
	fprintf(f, "</code></p>\n<pre class=\"sweep\">");
	an_html_text(f, s->file_text);
	fprintf(f, "</pre>\n");
	return 0;
}

static void html_cell(FILE *f, const char *text, const char *ids)
{
	fprintf(f, "<td title=\"runs ");
	an_html_text(f, ids);
	fprintf(f, "\">");
	an_html_text(f, text);
	fprintf(f, "</td>");
}

static void html_head(FILE *f, struct rec_db *db, const struct an_dataset *ds, const struct an_report_opts *o)
{
	char host[256] = "unknown", now[64];
	struct utsname un;
	time_t t = time(NULL);
	size_t shown = 0;

	gethostname(host, sizeof(host));
	if (uname(&un))
		memset(&un, 0, sizeof(un));
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<title>memvirt report</title>\n<style>\n"
		   "body{font-family:sans-serif;margin:2em;max-width:1400px}\n"
		   "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;"
		   "text-align:right}td:first-child,th:first-child{text-align:left}\n"
		   "th{background:#eef}pre.sweep{background:#f6f6f6;padding:8px}img.plot{max-width:100%%;"
		   "border:1px solid #ddd}\n.note{color:#555}\n</style></head><body>\n");
	fprintf(f, "<h1>memvirt report</h1>\n<h2>Reproducibility</h2>\n<ul>\n<li>memvirt %s</li>\n<li>host <code>",
		MEMVIRT_VERSION);
	an_html_text(f, host);
	fprintf(f, "</code> (");
	an_html_text(f, un.sysname);
	fputc(' ', f);
	an_html_text(f, un.release);
	fputc(' ', f);
	an_html_text(f, un.machine);
	fprintf(f, ", %ld CPUs)</li>\n<li>generated %s by <code>", sysconf(_SC_NPROCESSORS_ONLN), now);
	an_html_text(f, o->command);
	fprintf(f, "</code></li>\n<li>database <code>");
	an_html_text(f, o->db_path);
	fprintf(f, "</code>, runs selected by <code>");
	an_html_text(f, o->selector && o->selector[0] ? o->selector : "(all)");
	fprintf(f, "</code>: %zu runs, %zu ok in %zu configurations, %zu not ok", ds->run_count,
		ds->run_count - ds->failed - ds->superseded, ds->config_count, ds->failed);
	if (ds->superseded)
		fprintf(f, ", %zu not ok but run again ok later (superseded, not counted as failures)", ds->superseded);
	fprintf(f, "</li>\n</ul>\n");
	fprintf(f, "<p class=\"note\">Every number below names the runs it comes from (the <em>runs</em> "
		   "column, and each cell's tooltip); the same numbers, with every digit, are in summary.csv, "
		   "series.csv, regression.csv, breakdown.csv and failed.csv beside this file, and the plots' "
		   "data and gnuplot scripts are in plots/.</p>\n");
	for (size_t s = 0; s < ds->sweep_count; s++)
		if (rec_sweep_get(db, ds->sweeps[s], html_sweep, f))
			fprintf(f, "<p>Sweep %" PRId64 ": no record of it in this database.</p>\n", ds->sweeps[s]);
	for (size_t r = 0; r < ds->run_count && shown < 50; r++) {
		if (ds->runs[r].sweep_id)
			continue;
		if (!shown++)
			fprintf(f, "<h3>Runs not from a sweep: their commands</h3>\n<ul>\n");
		fprintf(f, "<li>run %" PRId64 ": <code>", ds->runs[r].id);
		an_html_text(f, ds->runs[r].command[0] ? ds->runs[r].command : "(not recorded)");
		fprintf(f, "</code></li>\n");
	}
	if (shown)
		fprintf(f, "</ul>\n");
}

static void html_statistics_note(FILE *f, const struct an_dataset *ds)
{
	fprintf(f, "<h2>Configurations</h2>\n");
	if (ds->common[0]) {
		fprintf(f, "<p>Every configuration below has <code>");
		an_html_text(f, ds->common);
		fprintf(f, "</code>; the labels name the settings that differ.</p>\n");
	}
	fprintf(f, "<p>A configuration is every run option that can change a result (docs/reports.md); "
		   "seeds and repetitions are its samples.  Its baseline is the configuration on the "
		   "<code>native</code> backend that is the same but for the backend and its options; a "
		   "configuration whose baseline is not in the selection has <em>no baseline</em> and no "
		   "overhead.</p>\n<p>");
	if (ds->deterministic_configs)
		fprintf(f, "%zu configuration%s ran on the soft engine, whose modelled cycles are "
			   "<strong>deterministic</strong>: a seed run again gives the same number, so the "
			   "samples are the distinct seeds, and where every sample is equal the value is "
			   "<strong>exact</strong>: no interval, no test.  ",
			ds->deterministic_configs, ds->deterministic_configs == 1 ? "" : "s");
	if (ds->timed_configs)
		fprintf(f, "%zu configuration%s measured wall time (the kvm engine): <strong>timed</strong>, "
			   "every run is a sample with real noise, with a 95%% confidence interval (Student's t) "
			   "and Welch's t-test against the baseline.",
			ds->timed_configs, ds->timed_configs == 1 ? "" : "s");
	fprintf(f, "  Between seeds of a deterministic configuration the interval is over the seeds' "
		   "variation.  An overhead's interval is Welch's interval of the difference of means over "
		   "the baseline mean.</p>\n");
}

static void html_configurations(FILE *f, const struct an_dataset *ds)
{
	char ids[8192], a[32], b[32], c_[32];

	fprintf(f, "<table id=\"summary\">\n<tr><th>configuration</th><th>statistics</th><th>metric</th>"
		   "<th>runs</th><th>mean</th><th>sd</th><th>95%% CI</th><th>overhead vs native</th>"
		   "<th>Welch t</th><th>df</th><th>p</th><th>baseline runs</th><th>runs</th></tr>\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		char cell[160], bids[4096] = "", both[12800];

		an_config_run_ids(ds, c, ids, sizeof(ids));
		if (c->baseline >= 0)
			an_config_run_ids(ds, &ds->configs[c->baseline], bids, sizeof(bids));
		if (snprintf(both, sizeof(both), "%s vs native %s", ids, bids) >= (int)sizeof(both))
			both[sizeof(both) - 1] = '\0';
		fprintf(f, "<tr>");
		html_cell(f, c->label, ids);
		kind_text(c, cell, sizeof(cell));
		html_cell(f, cell, ids);
		html_cell(f, metric_name(c->modelled), ids);
		snprintf(cell, sizeof(cell), "%zu", c->run_count);
		html_cell(f, cell, ids);
		an_fmt_short(c->stat.mean, a, sizeof(a));
		html_cell(f, a, ids);
		if (c->exact) {
			html_cell(f, "0", ids);
			html_cell(f, "exact", ids);
		} else {
			an_fmt_short(c->stat.sd, b, sizeof(b));
			html_cell(f, b, ids);
			an_fmt_short(c->stat.ci_low, b, sizeof(b));
			an_fmt_short(c->stat.ci_high, c_, sizeof(c_));
			if (isfinite(c->stat.ci_half))
				snprintf(cell, sizeof(cell), "[%s, %s]", b, c_);
			else
				snprintf(cell, sizeof(cell), "- (one sample)");
			html_cell(f, cell, ids);
		}
		overhead_text(ds, k, cell, sizeof(cell));
		html_cell(f, cell, both);
		if (c->has_welch && !c->welch.exact) {
			an_fmt_short(c->welch.t, a, sizeof(a));
			html_cell(f, a, both);
			an_fmt_short(c->welch.df, a, sizeof(a));
			html_cell(f, a, both);
		} else {
			html_cell(f, "-", both);
			html_cell(f, "-", both);
		}
		p_text(c, a, sizeof(a));
		html_cell(f, a, both);
		fprintf(f, "<td>");
		an_html_text(f, c->baseline >= 0 && (size_t)c->baseline != k ? bids : "-");
		fprintf(f, "</td><td>");
		an_html_text(f, ids);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void html_series(FILE *f, const struct report_data *rd, const char *dir)
{
	char a[32];

	fprintf(f, "<h2>Overhead against what the runs varied</h2>\n");
	if (!rd->series_count) {
		fprintf(f, "<p>None: no setting takes two values or more among compared configurations that "
			   "are otherwise the same.</p>\n");
		return;
	}
	fprintf(f, "<p>Each plot holds one setting on x and everything else fixed but the backend: a "
		   "line per backend, each point a configuration's overhead against its native baseline "
		   "(whiskers: 95%% interval, timed runs only).  The table fits a least-squares line of "
		   "overhead (percent) on x per backend; on deterministic configurations the fit's points "
		   "are the distinct x values (n counts them), for timed ones every run; p needs n &ge; 3.  "
		   "The line over a log<sub>2</sub> axis is fitted on x itself.</p>\n");
	fprintf(f, "<table id=\"regression\">\n<tr><th>x</th><th>fixed settings</th><th>backend</th><th>n</th>"
		   "<th>intercept (%%)</th><th>slope (%% per unit of x)</th><th>se(slope)</th><th>R&sup2;</th>"
		   "<th>p(slope=0)</th><th>runs</th></tr>\n");
	for (size_t s = 0; s < rd->series_count; s++) {
		const struct an_series *se = &rd->series[s];

		for (size_t l = 0; l < se->line_count; l++) {
			const struct an_line *ln = &se->lines[l];
			char cell[32];

			fprintf(f, "<tr>");
			html_cell(f, se->x_label, ln->run_ids);
			html_cell(f, se->context, ln->run_ids);
			html_cell(f, ln->label, ln->run_ids);
			snprintf(cell, sizeof(cell), "%zu", ln->fit_n);
			html_cell(f, cell, ln->run_ids);
			if (ln->has_fit) {
				an_fmt_short(ln->fit.c0, a, sizeof(a));
				html_cell(f, a, ln->run_ids);
				an_fmt_short(ln->fit.c1, a, sizeof(a));
				html_cell(f, a, ln->run_ids);
				an_fmt_short(ln->fit.se_c1, a, sizeof(a));
				html_cell(f, a, ln->run_ids);
				an_fmt_short(ln->fit.r2, a, sizeof(a));
				html_cell(f, a, ln->run_ids);
				an_fmt_p(ln->fit.p_slope, a, sizeof(a));
				html_cell(f, a, ln->run_ids);
			} else {
				for (int i = 0; i < 5; i++)
					html_cell(f, "-", ln->run_ids);
			}
			fprintf(f, "<td>");
			an_html_text(f, ln->run_ids);
			fprintf(f, "</td></tr>\n");
		}
	}
	fprintf(f, "</table>\n");
	for (size_t s = 0; s < rd->series_count; s++)
		html_img(f, dir, rd->series_plot[s], rd->series[s].x_label);
}

static void html_breakdown(FILE *f, const struct report_data *rd, const char *dir)
{
	const struct an_dataset *ds = rd->ds;
	const struct an_breakdown *bd = &rd->breakdown;
	char ids[8192], a[32];
	size_t rows = 0;

	fprintf(f, "<h2>Reasons for slowdown: the overhead by cause</h2>\n");
	for (size_t k = 0; k < ds->config_count; k++)
		rows += report_compared(ds, k) && ds->configs[k].modelled;
	if (!bd->cause_count || !rows) {
		fprintf(f, "<p>None: no compared configuration has modelled cycles by cause "
			   "(<code>modelled_cycles_&lt;cause&gt;</code>, the soft engine's cost model; kvm runs "
			   "measure time instead).</p>\n");
		return;
	}
	fprintf(f, "<p>Each cell is a cause's extra modelled cycles (the configuration's mean minus its "
		   "native baseline's) in percentage points of the baseline's total: the row adds up to the "
		   "overhead, and a cause the backend makes cheaper is negative.  The causes and their costs "
		   "are docs/cost-model.md's; causes are in the same order and colours in every report.</p>\n"
		   "<table id=\"breakdown\">\n<tr><th>configuration</th><th>overhead</th>");
	for (size_t q = 0; q < bd->cause_count; q++) {
		fprintf(f, "<th>");
		an_html_text(f, bd->causes[q]);
		fprintf(f, "</th>");
	}
	fprintf(f, "<th>runs</th></tr>\n");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];

		if (!report_compared(ds, k) || !c->modelled)
			continue;
		an_config_run_ids(ds, c, ids, sizeof(ids));
		fprintf(f, "<tr>");
		html_cell(f, c->label, ids);
		an_fmt_percent(c->overhead, a, sizeof(a));
		html_cell(f, a, ids);
		for (size_t q = 0; q < bd->cause_count; q++) {
			double part = bd->part[k * bd->cause_count + q];

			if (isfinite(part))
				snprintf(a, sizeof(a), "%+.2f pp", part);
			else
				snprintf(a, sizeof(a), "-");
			html_cell(f, a, ids);
		}
		fprintf(f, "<td>");
		an_html_text(f, ids);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
	html_img(f, dir, rd->breakdown_plot, "the overhead by cause");
}

static void html_timeline(FILE *f, const struct report_data *rd, const char *dir)
{
	const struct an_timeline *t = &rd->timeline;

	fprintf(f, "<h2>Over guest time</h2>\n");
	if (!t->count) {
		fprintf(f, "<p>None: no selected run recorded a time series (<code>memvirt run --timeseries "
			   "N</code> snapshots the counters every N retired instructions into the "
			   "<code>timeseries</code> table).</p>\n");
		return;
	}
	fprintf(f, "<p>Modelled cycles per guest instruction in each interval between two counter "
		   "snapshots, against the instructions retired (all VMs), for %zu run%s", t->count,
		t->count == 1 ? "" : "s");
	if (t->runs_with_series > t->count)
		fprintf(f, " (the first %zu of %zu with a time series)", t->count, t->runs_with_series);
	fprintf(f, ".</p>\n");
	html_img(f, dir, rd->timeline_plot, "modelled cycles per instruction over guest time");
}

static void html_failed(FILE *f, const struct an_dataset *ds)
{
	fprintf(f, "<h2>Runs that are not ok</h2>\n");
	if (!ds->failed && !ds->superseded) {
		fprintf(f, "<p>None.</p>\n");
		return;
	}
	fprintf(f, "<table id=\"failed\">\n<tr><th>run</th><th>status</th><th>configuration</th><th>rep</th>"
		   "<th>reason</th></tr>\n");
	for (size_t r = 0; r < ds->run_count; r++) {
		const struct an_run *run = &ds->runs[r];

		if (run->status == REC_STATUS_OK)
			continue;
		fprintf(f, "<tr><td>%" PRId64 "</td><td>%s", run->id, rec_status_name(run->status));
		if (run->superseded)
			fprintf(f, " (superseded by run %" PRId64 ")", run->superseded_by);
		fprintf(f, "</td><td>");
		an_html_text(f, run->engine);
		fputc('/', f);
		an_html_text(f, run->backend);
		fputc(' ', f);
		an_html_text(f, run->workload);
		fputc(' ', f);
		an_html_text(f, run->params_json);
		fprintf(f, "</td><td>%u</td><td>", run->rep);
		an_html_text(f, run->error);
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

static int write_html(struct rec_db *db, const struct report_data *rd, const struct an_report_opts *o, char *err,
		      size_t err_len)
{
	const struct an_dataset *ds = rd->ds;
	FILE *f = report_open(o->dir, "report.html", err, err_len);

	if (!f)
		return -EIO;
	html_head(f, db, ds, o);
	html_statistics_note(f, ds);
	html_configurations(f, ds);
	html_img(f, o->dir, rd->overhead_plot, "overhead against native per configuration");
	html_series(f, rd, o->dir);
	html_breakdown(f, rd, o->dir);
	html_timeline(f, rd, o->dir);
	fprintf(f, "<h2>Per-event latencies</h2>\n<p>Not in this report: no engine records per-event "
		   "latencies in the database yet (the kvm engine stores KVM's statistics before and after "
		   "each run, not the time of each exit).</p>\n");
	html_failed(f, ds);
	fprintf(f, "</body></html>\n");
	return report_close(f, o->dir, "report.html", err, err_len);
}

int an_report_write(struct rec_db *db, const struct an_dataset *ds, const struct an_report_opts *o,
		    struct an_report_result *res, char *err, size_t err_len)
{
	struct report_data rd = {.ds = ds};
	char path[4096];
	int rc;

	memset(res, 0, sizeof(*res));
	if (mkdir(o->dir, 0777) && errno != EEXIST) {
		snprintf(err, err_len, "%s: cannot create: %s", o->dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/plots", o->dir);
	if (mkdir(path, 0777) && errno != EEXIST) {
		snprintf(err, err_len, "%s: cannot create: %s", path, strerror(errno));
		return -errno;
	}
	rc = an_series_find(ds, &rd.series, &rd.series_count);
	rc = rc ? rc : an_breakdown_make(ds, &rd.breakdown);
	if (!rc) {
		rd.series_plot = calloc(rd.series_count + 1, sizeof(*rd.series_plot));
		rc = rd.series_plot ? 0 : -ENOMEM;
	}
	if (rc) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	rc = an_timeline_load(db, ds, &rd.timeline);
	if (rc) {
		snprintf(err, err_len, "%s: cannot read the time series: %s", o->db_path,
			 rc == -ENOMEM ? "out of memory" : rec_errmsg(db));
		goto out;
	}
	for (size_t s = 0; s < rd.series_count; s++)
		for (size_t l = 0; l < rd.series[s].line_count; l++)
			res->regressions += rd.series[s].lines[l].has_fit;
	rc = report_write_csv(&rd, o->dir, err, err_len);
	if (rc)
		goto out;
	if (o->plots)
		report_make_plots(&rd, o->dir, res);
	rc = write_html(db, &rd, o, err, err_len);
out:
	an_series_free(rd.series, rd.series_count);
	an_breakdown_free(&rd.breakdown);
	an_timeline_free(&rd.timeline);
	free(rd.series_plot);
	return rc;
}

void an_report_text(const struct an_dataset *ds, FILE *out)
{
	int width = (int)strlen("configuration");
	bool any_p = false;

	for (size_t k = 0; k < ds->config_count; k++) {
		int len = (int)strlen(ds->configs[k].label);

		width = len > width ? len : width;
		any_p |= ds->configs[k].has_welch;
	}
	if (ds->common[0])
		fprintf(out, "every configuration: %s\n", ds->common);
	fprintf(out, "%-*s %-26s %16s %29s %-32s%s  %s\n", width, "configuration", "statistics", "mean", "95% CI",
		"overhead vs native", any_p ? "         p" : "", "runs");
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		char ids[512], ci[96], ov[160], kind[64], mean[32], lo[32], hi[32], p[32];

		an_config_run_ids(ds, c, ids, sizeof(ids));
		kind_text(c, kind, sizeof(kind));
		an_fmt_short(c->stat.mean, mean, sizeof(mean));
		an_fmt_short(c->stat.ci_low, lo, sizeof(lo));
		an_fmt_short(c->stat.ci_high, hi, sizeof(hi));
		if (c->exact)
			snprintf(ci, sizeof(ci), "exact");
		else if (isfinite(c->stat.ci_half))
			snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
		else
			snprintf(ci, sizeof(ci), "-");
		overhead_text(ds, k, ov, sizeof(ov));
		p_text(c, p, sizeof(p));
		if (any_p)
			fprintf(out, "%-*s %-26s %16s %29s %-32s %9s  %s\n", width, c->label, kind, mean, ci, ov, p, ids);
		else
			fprintf(out, "%-*s %-26s %16s %29s %-32s  %s\n", width, c->label, kind, mean, ci, ov, ids);
	}
	fprintf(out, "(mean %s; overhead against the native configuration that differs only in the backend; "
		     "exact: every sample equal, deterministic: samples are distinct seeds, timed: runs)\n",
		ds->timed_configs && !ds->deterministic_configs ? "wall time in ns"
		: ds->timed_configs ? "modelled cycles, or wall time in ns on the kvm engine"
				    : "modelled cycles");
	if (ds->failed)
		fprintf(out, "%zu selected runs are not ok and not in these statistics\n", ds->failed);
	if (ds->superseded)
		fprintf(out, "%zu selected runs were not ok but their sweep points later ran ok (superseded)\n",
			ds->superseded);
}
