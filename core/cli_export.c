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
#include "core/json.h"
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
		"                    or output: the programs' stdout and stderr of program runs\n"
		"                    (memvirt run --program), one JSON object\n"
		"  -h, --help        this help\n",
		MV_DEFAULT_DB);
}

/* --format output: {"runs": [{"run_id", "workload", "status", "vms":
 * [{"vm", "stdout", "stdout_truncated", "stderr", "stderr_truncated"}]}]},
 * the runs that have program output, in id order. */
struct output_ctx {
	struct rec_db *db;
	struct json *j;
	int vm;                 /* the VM whose object is open, -1 none */
	int rows;
};

static int output_row(void *ctx, int vm, const char *stream, const void *data, size_t len, uint64_t truncated)
{
	struct output_ctx *o = ctx;

	if (!o->rows) {
		json_key(o->j, "vms");
		json_array_begin(o->j);
	}
	if (vm != o->vm) {
		if (o->vm >= 0)
			json_object_end(o->j);
		json_object_begin(o->j);
		json_key(o->j, "vm");
		json_i64(o->j, vm);
		o->vm = vm;
	}
	json_key(o->j, stream);
	json_string_bytes(o->j, data, len);
	{
		char key[32];

		snprintf(key, sizeof(key), "%s_truncated", stream);
		json_key(o->j, key);
		json_u64(o->j, truncated);
	}
	o->rows++;
	return 0;
}

static int output_run(void *ctx, const struct rec_run_row *row)
{
	struct output_ctx *o = ctx;
	static const char *const status[] = {"running", "ok", "failed", "incomplete"};
	int rc;

	if (strncmp(row->workload, "program:", 8))
		return 0;
	json_object_begin(o->j);
	json_key(o->j, "run_id");
	json_i64(o->j, row->id);
	json_key(o->j, "workload");
	json_string(o->j, row->workload);
	json_key(o->j, "status");
	json_string(o->j, row->status <= REC_STATUS_INCOMPLETE ? status[row->status] : "unknown");
	o->vm = -1;
	o->rows = 0;
	rc = rec_run_outputs(o->db, row->id, output_row, o);
	if (o->vm >= 0)
		json_object_end(o->j);
	if (o->rows)
		json_array_end(o->j);
	else {
		json_key(o->j, "vms");
		json_array_begin(o->j);
		json_array_end(o->j);
	}
	json_object_end(o->j);
	return rc;
}

static int export_output(struct rec_db *db, const char *selector, char *err, size_t err_len)
{
	struct json j;
	struct output_ctx o = {.db = db, .j = &j};
	int rc;

	json_init(&j);
	json_object_begin(&j);
	json_key(&j, "runs");
	json_array_begin(&j);
	rc = rec_select_runs(db, selector, output_run, &o, err, err_len);
	json_array_end(&j);
	json_object_end(&j);
	if (!rc && j.failed)
		rc = -ENOMEM;
	if (!rc)
		printf("%s\n", json_text(&j));
	json_free(&j);
	return rc;
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
	if (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "output"))
		return cli_fail(MV_EXIT_USAGE, "export", "bad --format '%s': accepted: csv, json, output", format);
	rc = rec_open(db_path, REC_READ_ONLY, &db, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EPROTO || rc == -ERANGE || rc == -ENOENT ? MV_EXIT_USAGE : MV_EXIT_ENV, "export",
				"%s", err);
	err[0] = '\0';
	if (!strcmp(format, "output")) {
		rc = export_output(db, selector, err, sizeof(err));
		rec_close(db);
		if (rc)
			return cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_ENV, "export", "%s",
					err[0] ? err : strerror(-rc));
		return fflush(stdout) ? cli_fail(MV_EXIT_ENV, "export", "cannot write the output: %s", strerror(errno))
				      : MV_EXIT_OK;
	}
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
