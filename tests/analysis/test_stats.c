/*
 * tests/analysis/test_stats.c — the report's statistics on a fixture
 * database with known numbers, checked against values this test computes
 * on its own: textbook formulas written out here, Student's t quantile
 * from the printed tables, and two-sided p-values by numerically
 * integrating the t density (no GSL in this file).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/dataset.h"
#include "analysis/report.h"
#include "analysis/stats.h"
#include "check.h"
#include "core/store.h"

#define CHECK_NEAR(a, b, rel)                                                                      \
	do {                                                                                       \
		double check_a_ = (a), check_b_ = (b);                                             \
		CHECK(fabs(check_a_ - check_b_) <= (rel) * fmax(1.0, fabs(check_b_)),              \
		      "%s = %.12g, expected %s = %.12g", #a, check_a_, #b, check_b_);              \
	} while (0)

/* Student's t 0.975 quantile for 2 degrees of freedom (statistical tables). */
#define T975_DF2 4.302652729911275

static char dir[] = "/tmp/memvirt-analysis-XXXXXX";

struct sample {
	const char *backend;
	double wss;
	double v[3];
};

/* Three repetitions of native and shadow at three working-set sizes. */
static const struct sample fixture[] = {
	{"native", 4096, {1000, 1010, 990}},
	{"shadow", 4096, {1200, 1260, 1150}},
	{"native", 8192, {2000, 2000, 2000}},
	{"shadow", 8192, {2600, 2660, 2540}},
	{"native", 16384, {4000, 4020, 3980}},
	{"shadow", 16384, {5400, 5500, 5300}},
};
#define NFIX (sizeof(fixture) / sizeof(fixture[0]))

static double mean3(const double *v) { return (v[0] + v[1] + v[2]) / 3.0; }

static double var3(const double *v)
{
	double m = mean3(v), s = 0;

	for (int i = 0; i < 3; i++)
		s += (v[i] - m) * (v[i] - m);
	return s / 2.0;
}

/* Density of Student's t with nu degrees of freedom. */
static double t_pdf(double t, double nu)
{
	return exp(lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * M_PI) -
		   (nu + 1) / 2 * log1p(t * t / nu));
}

/* Two-sided p = 1 - 2 * integral_0^|t| pdf, by Simpson's rule. */
static double t_p_two_sided(double t, double nu)
{
	const int n = 20000;
	double h = fabs(t) / n, s = t_pdf(0, nu) + t_pdf(fabs(t), nu);

	for (int i = 1; i < n; i++)
		s += (i % 2 ? 4 : 2) * t_pdf(i * h, nu);
	return 1.0 - 2.0 * s * h / 3.0;
}

/* The 0.975 quantile of t with nu (not necessarily whole) degrees of
 * freedom: bisection on the two-sided p above. */
static double t_quantile975(double nu)
{
	double lo = 0, hi = 100;

	for (int i = 0; i < 60; i++) {
		double mid = (lo + hi) / 2;

		if (t_p_two_sided(mid, nu) > 0.05)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static void build_fixture(const char *path)
{
	struct rec_db *db;
	char err[512];

	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "open: %s", err);
	for (size_t s = 0; s < NFIX; s++)
		for (int r = 0; r < 3; r++) {
			char params[64];
			int64_t id;
			struct rec_run_desc d = {
				.engine = "soft", .backend = fixture[s].backend, .workload = "scan",
				.params_json = params, .config_json = "{\"tlb\":\"\",\"mem\":134217728}",
				.record_level = "summary", .seed = 1 + (uint64_t)r, .vms = 1, .rep = (uint32_t)r,
			};
			struct rec_run_result res = {.status = REC_STATUS_OK, .modelled_cycles = fixture[s].v[r]};

			snprintf(params, sizeof(params), "{\"wss\":%.0f,\"passes\":2}", fixture[s].wss);
			CHECK(rec_run_begin(db, &d, &id) == 0, "begin");
			/* Breakdown: 800 cycles of execution, the rest shadow faults. */
			CHECK(rec_run_counter(db, id, -1, "modelled_cycles_execution", 800) == 0, "counter");
			CHECK(rec_run_counter(db, id, -1, "modelled_cycles_shadow_faults", fixture[s].v[r] - 800) == 0,
			      "counter");
			CHECK(rec_run_finish(db, id, &res) == 0, "finish");
		}
	/* A failed run: not in any statistic, listed apart. */
	{
		struct rec_run_desc d = {.engine = "soft", .backend = "shadow", .workload = "scan",
					 .params_json = "{\"wss\":4096,\"passes\":2}", .config_json = "{}", .vms = 1};
		struct rec_run_result res = {.status = REC_STATUS_FAILED, .exit_code = 1, .error = "boom",
					     .modelled_cycles = 1e9};
		int64_t id;

		CHECK(rec_run_begin(db, &d, &id) == 0 && rec_run_finish(db, id, &res) == 0, "failed run");
	}
	rec_close(db);
}

static const struct an_config *find_config(const struct an_dataset *ds, const char *backend, double wss)
{
	for (size_t k = 0; k < ds->config_count; k++) {
		double w;

		if (!strcmp(ds->configs[k].backend, backend) && an_param_value(ds->configs[k].params_json, "wss", &w) &&
		    w == wss)
			return &ds->configs[k];
	}
	return NULL;
}

/* The line of summary.csv whose first field starts with label. */
static bool csv_line(const char *path, const char *label, char *line, size_t len)
{
	FILE *f = fopen(path, "r");
	bool found = false;

	CHECK(f, "open %s", path);
	while (!found && fgets(line, (int)len, f))
		found = !strncmp(line + 1, label, strlen(label));
	fclose(f);
	return found;
}

/* Field i (0-based) of a CSV line without commas inside quotes before it. */
static double csv_field(const char *line, int i)
{
	const char *p = line;
	bool quoted = false;

	for (int f = 0; f < i; p++) {
		CHECK(*p, "field %d missing in %s", i, line);
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			f++;
	}
	return strtod(p, NULL);
}

/* The index of a column of a CSV file's header. */
static int csv_col(const char *path, const char *name)
{
	char header[4096], *p, *save = NULL;
	FILE *f = fopen(path, "r");
	int i = 0;

	CHECK(f && fgets(header, sizeof(header), f), "header of %s", path);
	fclose(f);
	header[strcspn(header, "\n")] = '\0';
	for (p = strtok_r(header, ",", &save); p; p = strtok_r(NULL, ",", &save), i++)
		if (!strcmp(p, name))
			return i;
	CHECK(0, "%s: no column %s", path, name);
	return -1;
}

static int64_t add_run(struct rec_db *db, const char *backend, const char *machine, uint64_t seed, double cycles)
{
	char config[1024];
	int64_t id;
	struct rec_run_desc d = {
		.engine = "soft", .backend = backend, .workload = "scan", .params_json = "{\"wss\":4096}",
		.config_json = config, .record_level = "summary", .seed = seed, .vms = 1,
	};
	struct rec_run_result res = {.status = REC_STATUS_OK, .modelled_cycles = cycles};

	/* Identities as memvirt run stores them (core/runplan.h). */
	snprintf(config, sizeof(config),
		 "{\"machine\":\"%s\",\"identity\":\"engine=soft;machine=%s;backend=%s;backend-opt=;workload=scan;"
		 "param=wss=4096;vms=1;mem=134217728;tlb=l1=64:4;costs=;guest=0\",\"baseline_identity\":\"engine=soft;"
		 "machine=%s;workload=scan;param=wss=4096;vms=1;mem=134217728;tlb=l1=64:4;costs=;guest=0\"}",
		 machine, machine, backend, machine);
	CHECK(rec_run_begin(db, &d, &id) == 0 && rec_run_finish(db, id, &res) == 0, "run");
	return id;
}

/* Findings of issue 13: unlike machines are never one baseline, and
 * copies of one deterministic run are one sample, not n. */
static void check_identities(void)
{
	char path[512], err[512];
	struct rec_db *db;
	struct an_dataset ds;
	int64_t native_pt, native_arch;
	const struct an_config *asid = NULL, *shadow = NULL;

	snprintf(path, sizeof(path), "%s/identity.db", dir);
	CHECK(rec_open(path, REC_READ_WRITE, &db, err, sizeof(err)) == 0, "open: %s", err);
	native_pt = add_run(db, "native", "pt", 1, 1000);
	native_arch = add_run(db, "native", "archtlb", 1, 1200);
	for (int r = 0; r < 3; r++) {
		add_run(db, "asid", "archtlb", 1, 1800);      /* three copies of seed 1 */
		add_run(db, "shadow", "pt", 1, 1500);
	}
	add_run(db, "softtlb", "archtlb", 7, 2000);           /* its baseline ran seed 1 only */
	rec_close(db);
	CHECK(rec_open(path, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(an_dataset_load(db, "", &ds, err, sizeof(err)) == 0, "load: %s", err);
	CHECK(ds.config_count == 5, "configurations: %zu", ds.config_count);
	for (size_t k = 0; k < ds.config_count; k++) {
		if (!strcmp(ds.configs[k].backend, "asid"))
			asid = &ds.configs[k];
		if (!strcmp(ds.configs[k].backend, "shadow"))
			shadow = &ds.configs[k];
	}
	CHECK(asid && shadow, "asid and shadow configurations");
	CHECK(asid->baseline >= 0 && !strcmp(ds.configs[asid->baseline].machine, "archtlb") &&
	      ds.configs[asid->baseline].runs[0] < ds.run_count &&
	      ds.runs[ds.configs[asid->baseline].runs[0]].id == native_arch,
	      "asid's baseline is native on the architected-TLB machine");
	CHECK_NEAR(asid->overhead, 1800.0 / 1200.0 - 1, 1e-15);
	CHECK(shadow->baseline >= 0 && ds.runs[ds.configs[shadow->baseline].runs[0]].id == native_pt, "shadow's baseline");
	CHECK(asid->run_count == 3 && asid->sample_count == 1 && asid->exact, "three copies are one exact sample");
	CHECK(!asid->has_welch && isnan(asid->overhead_low) && isnan(asid->stat.ci_half),
	      "no test, no interval from copies");
	CHECK(strstr(asid->label, "machine=archtlb") != NULL, "the label names the machine: %s", asid->label);
	{
		double ov;
		int64_t base;

		CHECK(an_run_overhead(&ds, asid->runs[1], &ov, &base) && base == native_arch, "per-run baseline");
		CHECK_NEAR(ov, asid->overhead, 1e-15);
	}
	an_dataset_free(&ds);
	rec_close(db);
}

int main(void)
{
	char db_path[256], out[256], path[512], err[512], line[4096];
	struct rec_db *db;
	struct an_dataset ds;

	CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(db_path, sizeof(db_path), "%s/fixture.db", dir);
	build_fixture(db_path);
	CHECK(rec_open(db_path, REC_READ_ONLY, &db, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(an_dataset_load(db, "", &ds, err, sizeof(err)) == 0, "load: %s", err);
	CHECK(ds.run_count == 19 && ds.failed == 1 && ds.config_count == 6, "runs %zu failed %zu configs %zu",
	      ds.run_count, ds.failed, ds.config_count);

	/* Means, standard deviations, 95% intervals, overhead and Welch's test. */
	for (size_t s = 0; s < NFIX; s++) {
		const struct an_config *c = find_config(&ds, fixture[s].backend, fixture[s].wss);
		double m = mean3(fixture[s].v), sd = sqrt(var3(fixture[s].v));

		CHECK(c, "configuration %s wss=%.0f missing", fixture[s].backend, fixture[s].wss);
		CHECK(c->run_count == 3 && c->has_stat, "%s: %zu runs", c->label, c->run_count);
		CHECK_NEAR(c->stat.mean, m, 1e-12);
		CHECK_NEAR(c->stat.sd, sd, 1e-12);
		CHECK(c->deterministic && c->sample_count == 3, "%s: three seeds are three samples", c->label);
		if (sd == 0) {
			/* Copies of one value: exact, no interval. */
			CHECK(c->exact && isnan(c->stat.ci_half), "%s: exact", c->label);
			continue;
		}
		CHECK(!c->exact, "%s: not exact", c->label);
		CHECK_NEAR(c->stat.ci_half, T975_DF2 * sd / sqrt(3.0), 1e-9);
		CHECK_NEAR(c->stat.ci_low, m - T975_DF2 * sd / sqrt(3.0), 1e-9);
		if (!strcmp(fixture[s].backend, "shadow")) {
			const struct sample *b = &fixture[s - 1];
			double mb = mean3(b->v), va = var3(fixture[s].v) / 3, vb = var3(b->v) / 3;
			double t = (m - mb) / sqrt(va + vb);
			double df = (va + vb) * (va + vb) / (va * va / 2 + vb * vb / 2);

			CHECK(c->baseline >= 0 && !strcmp(ds.configs[c->baseline].backend, "native"), "%s baseline",
			      c->label);
			CHECK_NEAR(c->overhead, m / mb - 1, 1e-12);
			CHECK(c->has_welch && !c->welch.exact, "%s: welch", c->label);
			CHECK_NEAR(c->welch.t, t, 1e-9);
			CHECK_NEAR(c->welch.df, df, 1e-9);
			CHECK_NEAR(c->welch.p, t_p_two_sided(t, df), 1e-7);
			CHECK(c->welch.p < 0.05, "%s: shadow should differ significantly, p %g", c->label, c->welch.p);
			/* Overhead interval: Welch's interval of the difference over the native mean. */
			{
				double h = t_quantile975(df) * sqrt(va + vb);

				CHECK_NEAR(c->overhead_low, (m - mb - h) / mb, 1e-7);
				CHECK_NEAR(c->overhead_high, (m - mb + h) / mb, 1e-7);
			}
		}
	}
	/* Spot values worked by hand: shadow at 4 KiB has mean 1203.333...,
	 * sd 55.07571, interval half-width 4.302653 * 55.07571 / sqrt 3. */
	{
		const struct an_config *c = find_config(&ds, "shadow", 4096);

		CHECK_NEAR(c->stat.mean, 3610.0 / 3.0, 1e-12);
		CHECK_NEAR(c->stat.sd, 55.075705472861, 1e-9);
		CHECK_NEAR(c->stat.ci_half, 136.8168, 1e-5);
	}

	/* A constant sample against another: the difference is exact. */
	{
		const double a[] = {5, 5, 5}, b[] = {4, 4, 4}, c_[] = {1, 2, 3, 4};
		struct an_welch w;
		struct an_summary s;

		CHECK(an_welch(a, 3, b, 3, &w) == 0 && w.exact && w.p == 0.0 && w.diff == 1.0, "exact: p %g", w.p);
		CHECK(an_welch(a, 3, a, 3, &w) == 0 && w.exact && w.p == 1.0, "identical: p %g", w.p);
		CHECK(an_welch(a, 1, b, 3, &w) == -EINVAL, "welch with one value");
		CHECK(an_summarize(c_, 1, 0.95, &s) == 0 && isnan(s.ci_half) && s.sd == 0, "one value: no interval");
		CHECK(an_summarize(c_, 4, 0.95, &s) == 0, "four values");
		/* t(0.975, 3) = 3.182446305284263 (tables); sd of 1..4 = sqrt(5/3). */
		CHECK_NEAR(s.ci_half, 3.182446305284263 * sqrt(5.0 / 3.0) / 2.0, 1e-9);
		CHECK_NEAR(an_quantile((double[]){4, 1, 3, 2, 5}, 5, 0.5), 3.0, 1e-12);
	}

	/* The report: its CSV carries the same numbers, and one regression of
	 * shadow's overhead on wss (no instruction counts: no fault-rate fit).
	 * The soft engine is deterministic: the fit's points are the three
	 * distinct working sets, each the configuration's overhead. */
	snprintf(out, sizeof(out), "%s/report", dir);
	{
		struct an_report_opts o = {.dir = out, .db_path = db_path, .selector = "", .command = "test",
					   .plots = access("/usr/bin/gnuplot", X_OK) == 0};
		struct an_report_result res;
		double x[3], y[3], sx = 0, sy = 0, sxx = 0, sxy = 0, sse = 0, sst = 0, slope, icept;
		size_t n = 0;

		CHECK(an_report_write(db, &ds, &o, &res, err, sizeof(err)) == 0, "report: %s", err);
		CHECK(res.regressions == 1, "regressions: %zu", res.regressions);
		for (size_t s = 1; s < NFIX; s += 2) {
			x[n] = fixture[s].wss;
			y[n] = 100.0 * (mean3(fixture[s].v) / mean3(fixture[s - 1].v) - 1.0);
			sx += x[n];
			sy += y[n];
			n++;
		}
		for (size_t i = 0; i < n; i++) {
			sxx += (x[i] - sx / n) * (x[i] - sx / n);
			sxy += (x[i] - sx / n) * (y[i] - sy / n);
		}
		slope = sxy / sxx;
		icept = sy / n - slope * sx / n;
		for (size_t i = 0; i < n; i++) {
			sse += (y[i] - icept - slope * x[i]) * (y[i] - icept - slope * x[i]);
			sst += (y[i] - sy / n) * (y[i] - sy / n);
		}
		snprintf(path, sizeof(path), "%s/regression.csv", out);
		/* csv_line matches from the second character: series 1 on wss. */
		CHECK(csv_line(path, ",\"wss\"", line, sizeof(line)), "regression row missing");
		CHECK(strstr(line, "1,\"wss\",") == line && strstr(line, ",\"shadow\",\"deterministic\",3,"),
		      "regression on wss over 3 distinct values: %s", line);
		CHECK_NEAR(csv_field(line, csv_col(path, "intercept_pct")), icept, 1e-9);
		CHECK_NEAR(csv_field(line, csv_col(path, "slope_pct_per_x")), slope, 1e-9);
		CHECK_NEAR(csv_field(line, csv_col(path, "r2")), 1.0 - sse / sst, 1e-9);

		snprintf(path, sizeof(path), "%s/summary.csv", out);
		CHECK(csv_line(path, "soft/shadow scan wss=8192", line, sizeof(line)), "summary row missing");
		{
			double m = mean3(fixture[3].v), h = T975_DF2 * sqrt(var3(fixture[3].v) / 3);

			CHECK_NEAR(csv_field(line, csv_col(path, "mean")), m, 1e-12);
			CHECK_NEAR(csv_field(line, csv_col(path, "ci95_low")), m - h, 1e-9);
			CHECK_NEAR(csv_field(line, csv_col(path, "ci95_high")), m + h, 1e-9);
			CHECK_NEAR(csv_field(line, csv_col(path, "overhead")), m / 2000.0 - 1, 1e-12);
			/* Native at 8 KiB has no variance: the interval is shadow's alone. */
			CHECK_NEAR(csv_field(line, csv_col(path, "overhead_ci95_low")), (m - 2000.0 - h) / 2000.0, 1e-9);
			CHECK_NEAR(csv_field(line, csv_col(path, "overhead_ci95_high")), (m - 2000.0 + h) / 2000.0, 1e-9);
		}
		CHECK(strstr(line, "\"10,11,12\"") != NULL, "run ids of shadow wss=8192: %s", line);
		/* Native at 8 KiB: exact, its interval cells empty. */
		CHECK(csv_line(path, "soft/native scan wss=8192", line, sizeof(line)), "native row");
		CHECK(strstr(line, ",\"exact\",") && strstr(line, ",0,,,\"is baseline\","), "exact native row: %s", line);

		/* Breakdown: shadow faults are all the extra cycles over native,
		 * in points of native's total: the whole overhead. */
		snprintf(path, sizeof(path), "%s/breakdown.csv", out);
		CHECK(csv_line(path, "soft/shadow scan wss=16384", line, sizeof(line)), "breakdown row");
		CHECK(strstr(line, ",\"execution\",800,800,0,0,") != NULL, "execution cause: %s", line);
		{
			FILE *f = fopen(path, "r");
			bool found = false;

			while (fgets(line, sizeof(line), f))
				if (strstr(line, "wss=16384") && strstr(line, "shadow scan") && strstr(line, ",\"shadow_faults\",")) {
					CHECK_NEAR(csv_field(line, 2), 5400 - 800, 1e-12);
					CHECK_NEAR(csv_field(line, 3), 4000 - 800, 1e-12);
					CHECK_NEAR(csv_field(line, 5), 100.0 * (5400 - 4000) / 4000.0, 1e-12);
					found = true;
				}
			fclose(f);
			CHECK(found, "shadow_faults row");
		}
		snprintf(path, sizeof(path), "%s/failed.csv", out);
		CHECK(csv_line(path, "", line, sizeof(line)), "failed.csv");
		{
			FILE *f = fopen(path, "r");
			int rows = 0;

			while (fgets(line, sizeof(line), f))
				rows += strstr(line, ",failed,") && strstr(line, "\"boom\"");
			fclose(f);
			CHECK(rows == 1, "failed rows %d", rows);
		}
		if (o.plots)
			CHECK(res.plots_made == 3 && res.plots_failed == 0, "plots %zu made, %zu failed: %s", res.plots_made,
			      res.plots_failed, res.plot_error);
	}
	an_dataset_free(&ds);
	rec_close(db);
	check_identities();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("analysis statistics: all checks passed\n");
	return 0;
}
