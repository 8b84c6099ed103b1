/*
 * core/cli_compare.c — `memvirt compare`: stored runs side by side, one
 * column per run (configuration, status, checksum, metric, overhead
 * against its baseline run, counters), then the statistics per
 * configuration; or, with --json, one JSON object for scripts.  Every
 * number comes from the analysis' dataset (analysis/dataset.h), so it is
 * the one `memvirt report` and `memvirt export` give.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dataset.h"
#include "analysis/export.h"
#include "analysis/report.h"
#include "core/cli.h"
#include "core/counters.h"
#include "core/store.h"

#define MAX_COLUMNS 64
#define CELL 18

static void compare_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt compare [--db FILE] [--runs SELECTOR] [--all] [--json]\n"
		"\n"
		"Show stored runs side by side: configuration, status, checksum, modelled\n"
		"cycles, overhead against the native run of the same configuration, and\n"
		"counters; then the statistics of each configuration.\n"
		"\n"
		"  --db FILE         results database (default %s)\n"
		"  --runs SELECTOR   which runs (default last:8); comma-separated terms:\n"
		"                    12 (a run id), 10-20 (a range), last:N (the N newest),\n"
		"                    engine=, backend=, workload=, status=, sweep= (filters)\n"
		"  --all             every counter, also those that are 0 in every run\n"
		"  --json            one JSON object: runs (run_id, baseline_run_id, overhead,\n"
		"                    configuration, counters, ...) and configurations\n"
		"  -h, --help        this help\n",
		MV_DEFAULT_DB);
}

typedef void (*cell_fn)(const struct an_dataset *ds, size_t run, char *buf, size_t len);

static void row(const struct an_dataset *ds, size_t first, size_t count, const char *label, cell_fn cell)
{
	char buf[256];

	printf("%-30s", label);
	for (size_t i = first; i < first + count; i++) {
		cell(ds, i, buf, sizeof(buf));
		printf(" %*.*s", CELL, CELL, buf);
	}
	printf("\n");
}

/* A row whose cells may be longer than a column: printed whole, one run
 * per line, so nothing that sets runs apart is cut. */
static void long_row(const struct an_dataset *ds, size_t first, size_t count, const char *label, cell_fn cell)
{
	char buf[1024], first_buf[1024];
	bool fits = true, same = true;

	cell(ds, first, first_buf, sizeof(first_buf));
	for (size_t i = first; i < first + count; i++) {
		cell(ds, i, buf, sizeof(buf));
		fits &= strlen(buf) <= CELL;
		same &= !strcmp(buf, first_buf);
	}
	if (fits) {
		row(ds, first, count, label, cell);
		return;
	}
	if (same) {
		printf("%-30s every run: %s\n", label, first_buf);
		return;
	}
	for (size_t i = first; i < first + count; i++) {
		cell(ds, i, buf, sizeof(buf));
		printf("%-30s run %" PRId64 ": %s\n", i == first ? label : "", ds->runs[i].id, buf);
	}
}

static const char *or_given(const char *canonical, const char *given)
{
	return canonical[0] ? canonical : given[0] ? given : "-";
}

static void cell_id(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%" PRId64, ds->runs[i].id); }
static void cell_status(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	snprintf(b, n, "%s%s", rec_status_name(ds->runs[i].status), ds->runs[i].superseded ? " (superseded)" : "");
}
static void cell_engine(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%s", ds->runs[i].engine); }
static void cell_machine(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%s", ds->runs[i].machine); }
static void cell_backend(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%s", ds->runs[i].backend); }
static void cell_options(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	snprintf(b, n, "%s", or_given(ds->runs[i].backend_options_canonical, ds->runs[i].backend_options));
}
static void cell_workload(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%s", ds->runs[i].workload); }
static void cell_params(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%s", ds->runs[i].params_json); }
static void cell_tlb(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	snprintf(b, n, "%s", or_given(ds->runs[i].tlb_canonical, ds->runs[i].tlb));
}
static void cell_costs(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	snprintf(b, n, "%s", or_given(ds->runs[i].costs_canonical, ds->runs[i].costs));
}
static void cell_vms(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%u", ds->runs[i].vms); }
static void cell_quantum(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	if (ds->runs[i].vms > 1)
		snprintf(b, n, "%" PRIu64, ds->runs[i].quantum);
	else
		snprintf(b, n, "-");
}
static void cell_seed(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%" PRIu64, ds->runs[i].seed); }
static void cell_wall(const struct an_dataset *ds, size_t i, char *b, size_t n) { snprintf(b, n, "%.3f", (double)ds->runs[i].wall_ns / 1e9); }
static void cell_checksum(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	snprintf(b, n, "%s", ds->runs[i].checksum_json[0] ? ds->runs[i].checksum_json : "-");
}

static void cell_cycles(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	if (ds->runs[i].modelled)
		snprintf(b, n, "%.0f", ds->runs[i].modelled_cycles);
	else
		snprintf(b, n, "-");
}

static void cell_overhead(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	double ov;
	int64_t base;

	if (an_run_overhead(ds, i, &ov, &base))
		snprintf(b, n, "%+.2f%%", 100.0 * ov);
	else if (ds->runs[i].config >= 0 && ds->configs[ds->runs[i].config].baseline < 0)
		snprintf(b, n, "no baseline");
	else
		snprintf(b, n, "-");
}

static void cell_baseline(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	double ov;
	int64_t base;

	if (an_run_overhead(ds, i, &ov, &base) && base != ds->runs[i].id)
		snprintf(b, n, "%" PRId64, base);
	else if (base == ds->runs[i].id && base)
		snprintf(b, n, "itself");
	else
		snprintf(b, n, "-");
}

static void cell_refs(const struct an_dataset *ds, size_t i, char *b, size_t n)
{
	const struct ctr_set *c = &ds->runs[i].counters;
	double refs = ctr_get(c, -1, "walk_refs", -1), walks = ctr_get(c, -1, "walks", -1);

	if (refs >= 0 && walks > 0)
		snprintf(b, n, "%.2f", refs / walks);
	else
		snprintf(b, n, "-");
}

static void print_columns(const struct an_dataset *ds, size_t first, size_t count, bool all)
{
	struct ctr_set names;
	int rc = 0;

	row(ds, first, count, "run", cell_id);
	row(ds, first, count, "status", cell_status);
	row(ds, first, count, "engine", cell_engine);
	row(ds, first, count, "machine", cell_machine);
	row(ds, first, count, "backend", cell_backend);
	long_row(ds, first, count, "backend options", cell_options);
	row(ds, first, count, "workload", cell_workload);
	long_row(ds, first, count, "params", cell_params);
	long_row(ds, first, count, "tlb", cell_tlb);
	long_row(ds, first, count, "cost overrides", cell_costs);
	row(ds, first, count, "vms", cell_vms);
	row(ds, first, count, "quantum", cell_quantum);
	row(ds, first, count, "seed", cell_seed);
	long_row(ds, first, count, "checksum", cell_checksum);
	row(ds, first, count, "wall time (s)", cell_wall);
	row(ds, first, count, "modelled cycles", cell_cycles);
	row(ds, first, count, "overhead vs native", cell_overhead);
	row(ds, first, count, "baseline run", cell_baseline);
	row(ds, first, count, "walk refs per TLB miss", cell_refs);

	/* Counter rows: the union of the runs' counter names, first-seen order. */
	ctr_init(&names);
	for (size_t i = first; i < first + count; i++)
		for (size_t k = 0; k < ds->runs[i].counters.count; k++) {
			const struct ctr_entry *e = &ds->runs[i].counters.items[k];

			if (e->vm == -1 && (all || e->value != 0) && !ctr_find(&names, -1, e->name))
				rc |= ctr_set(&names, -1, e->name, 0);
		}
	if (rc)
		fprintf(stderr, "memvirt compare: out of memory: some counters are not shown\n");
	for (size_t k = 0; k < names.count; k++) {
		printf("%-30.30s", names.items[k].name);
		for (size_t i = first; i < first + count; i++) {
			const struct ctr_entry *e = ctr_find(&ds->runs[i].counters, -1, names.items[k].name);

			if (e)
				printf(" %*.0f", CELL, e->value);
			else
				printf(" %*s", CELL, "-");
		}
		printf("\n");
	}
	ctr_free(&names);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"runs", required_argument, NULL, 'r'},
		{"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = MV_DEFAULT_DB, *selector = "last:8";
	struct an_dataset ds;
	struct rec_db *db;
	bool all = false, json = false;
	char err[512];
	int c, rc;

	while ((c = cli_getopt(argc, argv, "h", opts, "compare")) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'r': selector = optarg; break;
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'h':
			compare_usage(stdout);
			return MV_EXIT_OK;
		default:
			return MV_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(MV_EXIT_USAGE, "compare", "unexpected argument '%s'", argv[optind]);
	rc = rec_open(db_path, REC_READ_ONLY, &db, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EPROTO || rc == -ERANGE || rc == -ENOENT ? MV_EXIT_USAGE : MV_EXIT_ENV, "compare",
				"%s", err);
	err[0] = '\0';
	rc = an_dataset_load(db, selector, &ds, err, sizeof(err));
	if (rc) {
		rec_close(db);
		return cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_ENV, "compare", "%s", err);
	}
	if (!ds.run_count) {
		rc = cli_fail(MV_EXIT_USAGE, "compare", "no runs match '%s' in %s", selector, db_path);
	} else if (json) {
		rc = an_export_json(&ds, stdout) ? cli_fail(MV_EXIT_ENV, "compare", "out of memory") : MV_EXIT_OK;
	} else {
		size_t shown = ds.run_count < MAX_COLUMNS ? ds.run_count : MAX_COLUMNS;

		print_columns(&ds, 0, shown, all);
		if (ds.run_count > shown)
			printf("(%zu more runs not shown as columns: at most %d; narrow --runs, or use --json)\n",
			       ds.run_count - shown, MAX_COLUMNS);
		if (ds.config_count) {
			printf("\n");
			an_report_text(&ds, stdout);
		}
		rc = MV_EXIT_OK;
	}
	if (fflush(stdout) && rc == MV_EXIT_OK)
		rc = cli_fail(MV_EXIT_ENV, "compare", "cannot write the output: %s", strerror(errno));
	an_dataset_free(&ds);
	rec_close(db);
	return rc;
}
