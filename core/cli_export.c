/*
 * core/cli_export.c — `memvirt export`: stored runs as CSV or JSON for
 * scripts, one row per run (analysis/export.h writes them).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analysis/dataset.h"
#include "analysis/export.h"
#include "core/cli.h"
#include "core/store.h"

static void export_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt export [--db FILE] [--runs SELECTOR] --format csv|json\n"
		"\n"
		"Write stored runs to stdout, one per row: id, status, the configuration\n"
		"flattened (machine, backend and options, workload and each parameter, TLB,\n"
		"VMs, quantum, memory, cost overrides), seed, metrics, the baseline run and\n"
		"overhead (as memvirt report computes them), checksum, error, and every\n"
		"whole-run counter.  Numbers keep every digit; a missing value is an empty\n"
		"CSV cell or JSON null.  Columns: docs/results-schema.md.\n"
		"\n"
		"  --db FILE         results database (default %s)\n"
		"  --runs SELECTOR   which runs (default: all); comma-separated terms:\n"
		"                    12, 10-20, last:N, engine=, backend=, workload=, status=,\n"
		"                    sweep=ID\n"
		"  --format F        csv (a header line, then one line per run) or json (one\n"
		"                    object: runs and configurations, as memvirt compare --json)\n"
		"  -h, --help        this help\n",
		MV_DEFAULT_DB);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"runs", required_argument, NULL, 'r'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = MV_DEFAULT_DB, *selector = "", *format = NULL;
	struct an_dataset ds;
	struct rec_db *db;
	char err[1024];
	int c, rc;

	while ((c = cli_getopt(argc, argv, "h", opts, "export")) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'r': selector = optarg; break;
		case 'f': format = optarg; break;
		case 'h':
			export_usage(stdout);
			return MV_EXIT_OK;
		default:
			return MV_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(MV_EXIT_USAGE, "export", "unexpected argument '%s'", argv[optind]);
	if (!format)
		return cli_fail(MV_EXIT_USAGE, "export", "no format: give --format csv or --format json");
	if (strcmp(format, "csv") && strcmp(format, "json"))
		return cli_fail(MV_EXIT_USAGE, "export", "bad --format '%s': accepted: csv, json", format);
	rc = rec_open(db_path, REC_READ_ONLY, &db, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EPROTO || rc == -ERANGE || rc == -ENOENT ? MV_EXIT_USAGE : MV_EXIT_ENV, "export",
				"%s", err);
	err[0] = '\0';
	rc = an_dataset_load(db, selector, &ds, err, sizeof(err));
	if (rc) {
		rec_close(db);
		return cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_ENV, "export", "%s", err);
	}
	if (!ds.run_count && selector[0]) {
		rc = cli_fail(MV_EXIT_USAGE, "export", "no runs match '%s' in %s", selector, db_path);
	} else {
		rc = !strcmp(format, "csv") ? an_export_csv(&ds, stdout) : an_export_json(&ds, stdout);
		rc = rc ? cli_fail(MV_EXIT_ENV, "export", "out of memory") : MV_EXIT_OK;
		if (fflush(stdout) && rc == MV_EXIT_OK)
			rc = cli_fail(MV_EXIT_ENV, "export", "cannot write the output: %s", strerror(errno));
	}
	an_dataset_free(&ds);
	rec_close(db);
	return rc;
}
