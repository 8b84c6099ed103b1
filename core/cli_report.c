/*
 * core/cli_report.c — `memvirt report`: the statistics of stored runs per
 * configuration, against the native baseline, written as a self-contained
 * HTML report with gnuplot plots, CSV files, and a text summary on stdout
 * (analysis/report.h does the work).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dataset.h"
#include "analysis/report.h"
#include "core/cli.h"
#include "core/store.h"

static void report_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt report [--db FILE] [--runs SELECTOR] -o DIR\n"
		"\n"
		"Compare stored runs with statistics: per configuration the mean and 95%%\n"
		"confidence interval over repetitions, Welch's t-test of each backend against\n"
		"native, regressions of overhead on working set and fault rate, and modelled\n"
		"cycles by cause.  Writes DIR/report.html (plots by gnuplot embedded), the same\n"
		"numbers as CSV files in DIR, and prints a summary.\n"
		"\n"
		"  --db FILE         results database (default %s)\n"
		"  --runs SELECTOR   which runs (default: all); comma-separated terms:\n"
		"                    12, 10-20, last:N, engine=, backend=, workload=, status=,\n"
		"                    sweep=ID (the runs of one sweep)\n"
		"  -o, --output DIR  where to write the report (created if missing)\n"
		"  --no-plots        tables only (no gnuplot)\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 written, 2 usage error (bad selector, no matching runs, not a\n"
		"memvirt database), 3 environment error (cannot write DIR).\n",
		MV_DEFAULT_DB);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"runs", required_argument, NULL, 'r'},
		{"output", required_argument, NULL, 'o'},
		{"no-plots", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = MV_DEFAULT_DB, *selector = "", *dir = NULL;
	bool plots = true;
	struct an_dataset ds;
	struct an_report_result res;
	struct rec_db *db;
	char err[1024], command[4096];
	size_t off = 0;
	int c, rc;

	/* Recorded before getopt permutes argv. */
	for (int i = 0; i < argc && off < sizeof(command); i++)
		off += (size_t)snprintf(command + off, sizeof(command) - off, "%s%s", i ? " " : "memvirt ", argv[i]);
	while ((c = cli_getopt(argc, argv, "ho:", opts, "report")) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'r': selector = optarg; break;
		case 'o': dir = optarg; break;
		case 'n': plots = false; break;
		case 'h':
			report_usage(stdout);
			return MV_EXIT_OK;
		default:
			return MV_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(MV_EXIT_USAGE, "report", "unexpected argument '%s'", argv[optind]);
	if (!dir)
		return cli_fail(MV_EXIT_USAGE, "report", "no output folder: give -o DIR");
	rc = rec_open(db_path, REC_READ_ONLY, &db, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EPROTO || rc == -ERANGE || rc == -ENOENT ? MV_EXIT_USAGE : MV_EXIT_ENV,
				"report", "%s", err);
	err[0] = '\0';
	rc = an_dataset_load(db, selector, &ds, err, sizeof(err));
	if (rc) {
		rec_close(db);
		return cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_ENV, "report", "%s", err);
	}
	if (!ds.run_count) {
		an_dataset_free(&ds);
		rec_close(db);
		return cli_fail(MV_EXIT_USAGE, "report", "no runs match '%s' in %s", selector[0] ? selector : "(all)",
				db_path);
	}
	{
		struct an_report_opts o = {
			.dir = dir,
			.db_path = db_path,
			.selector = selector,
			.command = command,
			.plots = plots,
		};

		rc = an_report_write(db, &ds, &o, &res, err, sizeof(err));
	}
	if (rc) {
		an_dataset_free(&ds);
		rec_close(db);
		return cli_fail(MV_EXIT_ENV, "report", "%s", err);
	}
	an_report_text(&ds, stdout);
	printf("report: %s/report.html (%zu plots), CSV: %s/summary.csv, regression.csv (%zu fits), "
	       "breakdown.csv, failed.csv\n",
	       dir, res.plots_made, dir, res.regressions);
	if (res.plots_failed)
		fprintf(stderr, "memvirt report: %zu plots missing: %s\n", res.plots_failed, res.plot_error);
	an_dataset_free(&ds);
	rec_close(db);
	return MV_EXIT_OK;
}
