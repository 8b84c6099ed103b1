/*
 * core/cli_compare.c — `memvirt compare`: stored runs side by side, one
 * column per run, one row per configuration field and counter, plus the
 * modelled overhead of each run against the native run of the same
 * workload, parameters and seed when the selection holds one; then the
 * statistics per configuration (mean, 95% interval, overhead and Welch's
 * test against native) of `memvirt report`'s analysis.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dataset.h"
#include "analysis/report.h"
#include "core/cli.h"
#include "core/counters.h"
#include "core/store.h"

#define MAX_COLUMNS 64

struct column {
	int64_t id;
	char status[16], engine[16], backend[32], workload[32], params[256], checksum[256];
	uint64_t seed;
	uint32_t vms;
	double modelled_cycles;
	double wall_s;
	struct ctr_set counters;
};

struct compare_state {
	struct rec_db *db;
	struct column cols[MAX_COLUMNS];
	size_t count;
	size_t skipped;
};

static void compare_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt compare [--db FILE] [--runs SELECTOR] [--all]\n"
		"\n"
		"Show stored runs side by side: configuration, status, checksum, modelled\n"
		"cycles and overhead against native, and counters.\n"
		"\n"
		"  --db FILE         results database (default %s)\n"
		"  --runs SELECTOR   which runs (default last:8); comma-separated terms:\n"
		"                    12 (a run id), 10-20 (a range), last:N (the N newest),\n"
		"                    engine=, backend=, workload=, status=, sweep= (filters)\n"
		"  --all             every counter, also those that are 0 in every run\n"
		"  -h, --help        this help\n",
		MV_DEFAULT_DB);
}

static int collect_counter(void *ctx, int vm, const char *name, double value)
{
	struct column *c = ctx;

	if (vm != -1)
		return 0;
	return ctr_set(&c->counters, -1, name, value);
}

static int collect_run(void *ctx, const struct rec_run_row *row)
{
	struct compare_state *s = ctx;
	struct column *c;

	if (s->count == MAX_COLUMNS) {
		s->skipped++;
		return 0;
	}
	c = &s->cols[s->count++];
	memset(c, 0, sizeof(*c));
	ctr_init(&c->counters);
	c->id = row->id;
	snprintf(c->status, sizeof(c->status), "%s", rec_status_name(row->status));
	snprintf(c->engine, sizeof(c->engine), "%s", row->engine);
	snprintf(c->backend, sizeof(c->backend), "%s", row->backend);
	snprintf(c->workload, sizeof(c->workload), "%s", row->workload);
	snprintf(c->params, sizeof(c->params), "%s", row->params_json ? row->params_json : "");
	snprintf(c->checksum, sizeof(c->checksum), "%s", row->checksum_json ? row->checksum_json : "-");
	c->seed = row->seed;
	c->vms = row->vms;
	c->modelled_cycles = row->modelled_cycles;
	c->wall_s = (double)row->wall_ns / 1e9;
	return rec_run_counters(s->db, row->id, collect_counter, c);
}

/* The native run this column's overhead is measured against. */
static const struct column *baseline_of(const struct compare_state *s, const struct column *c)
{
	for (size_t i = 0; i < s->count; i++) {
		const struct column *b = &s->cols[i];

		if (!strcmp(b->backend, "native") && !strcmp(b->engine, c->engine) &&
		    !strcmp(b->workload, c->workload) && !strcmp(b->params, c->params) &&
		    b->seed == c->seed && b->vms == c->vms && !strcmp(b->status, "ok") &&
		    b->modelled_cycles > 0)
			return b;
	}
	return NULL;
}

static void row_text(const struct compare_state *s, const char *label,
		     void (*cell)(const struct column *, char *, size_t))
{
	char buf[64];

	printf("%-32s", label);
	for (size_t i = 0; i < s->count; i++) {
		cell(&s->cols[i], buf, sizeof(buf));
		printf(" %16.16s", buf);
	}
	printf("\n");
}

static void cell_id(const struct column *c, char *b, size_t n) { snprintf(b, n, "%" PRId64, c->id); }
static void cell_status(const struct column *c, char *b, size_t n) { snprintf(b, n, "%s", c->status); }
static void cell_engine(const struct column *c, char *b, size_t n) { snprintf(b, n, "%s", c->engine); }
static void cell_backend(const struct column *c, char *b, size_t n) { snprintf(b, n, "%s", c->backend); }
static void cell_workload(const struct column *c, char *b, size_t n) { snprintf(b, n, "%s", c->workload); }
static void cell_seed(const struct column *c, char *b, size_t n) { snprintf(b, n, "%" PRIu64, c->seed); }
static void cell_vms(const struct column *c, char *b, size_t n) { snprintf(b, n, "%u", c->vms); }
static void cell_wall(const struct column *c, char *b, size_t n) { snprintf(b, n, "%.3f", c->wall_s); }

static void cell_cycles(const struct column *c, char *b, size_t n)
{
	if (c->modelled_cycles < 0)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.0f", c->modelled_cycles);
}

static void print_table(const struct compare_state *s, bool all)
{
	struct ctr_set names;
	int rc = 0;

	row_text(s, "run", cell_id);
	row_text(s, "status", cell_status);
	row_text(s, "engine", cell_engine);
	row_text(s, "backend", cell_backend);
	row_text(s, "workload", cell_workload);
	row_text(s, "seed", cell_seed);
	row_text(s, "vms", cell_vms);
	row_text(s, "wall time (s)", cell_wall);
	row_text(s, "modelled cycles", cell_cycles);

	printf("%-32s", "overhead vs native");
	for (size_t i = 0; i < s->count; i++) {
		const struct column *b = baseline_of(s, &s->cols[i]);
		char buf[32];

		if (b && s->cols[i].modelled_cycles >= 0 && !strcmp(s->cols[i].status, "ok"))
			snprintf(buf, sizeof(buf), "%+.1f%%",
				 100.0 * (s->cols[i].modelled_cycles / b->modelled_cycles - 1.0));
		else
			snprintf(buf, sizeof(buf), "-");
		printf(" %16s", buf);
	}
	printf("\n");

	printf("%-32s", "walk refs per TLB miss");
	for (size_t i = 0; i < s->count; i++) {
		const struct ctr_set *c = &s->cols[i].counters;
		double refs = ctr_get(c, -1, "walk_refs", -1), walks = ctr_get(c, -1, "walks", -1);
		char buf[32];

		if (refs >= 0 && walks > 0)
			snprintf(buf, sizeof(buf), "%.2f", refs / walks);
		else
			snprintf(buf, sizeof(buf), "-");
		printf(" %16s", buf);
	}
	printf("\n");

	/* Counter rows: the union of the runs' counter names, first-seen order. */
	ctr_init(&names);
	for (size_t i = 0; i < s->count; i++)
		for (size_t k = 0; k < s->cols[i].counters.count; k++) {
			const struct ctr_entry *e = &s->cols[i].counters.items[k];

			if (all || e->value != 0)
				rc |= ctr_set(&names, -1, e->name, 0);
		}
	if (rc)
		fprintf(stderr, "memvirt compare: out of memory: some counters are not shown\n");
	for (size_t k = 0; k < names.count; k++) {
		printf("%-32.32s", names.items[k].name);
		for (size_t i = 0; i < s->count; i++) {
			const struct ctr_entry *e = ctr_find(&s->cols[i].counters, -1, names.items[k].name);

			if (e)
				printf(" %16.0f", e->value);
			else
				printf(" %16s", "-");
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
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = MV_DEFAULT_DB, *selector = "last:8";
	struct compare_state *s;
	bool all = false;
	char err[512];
	int c, rc;

	while ((c = cli_getopt(argc, argv, "h", opts, "compare")) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'r': selector = optarg; break;
		case 'a': all = true; break;
		case 'h':
			compare_usage(stdout);
			return MV_EXIT_OK;
		default:
			return MV_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_fail(MV_EXIT_USAGE, "compare", "unexpected argument '%s'", argv[optind]);
	s = calloc(1, sizeof(*s));
	if (!s)
		return cli_fail(MV_EXIT_ENV, "compare", "out of memory");
	rc = rec_open(db_path, REC_READ_ONLY, &s->db, err, sizeof(err));
	if (rc) {
		free(s);
		return cli_fail(rc == -EPROTO || rc == -ERANGE || rc == -ENOENT ? MV_EXIT_USAGE
										: MV_EXIT_ENV,
				"compare", "%s", err);
	}
	err[0] = '\0';
	rc = rec_select_runs(s->db, selector, collect_run, s, err, sizeof(err));
	if (rc) {
		rc = cli_fail(rc == -EINVAL ? MV_EXIT_USAGE : MV_EXIT_ENV, "compare", "%s",
			      err[0] ? err : rec_errmsg(s->db));
	} else if (s->count == 0) {
		rc = cli_fail(MV_EXIT_USAGE, "compare", "no runs match '%s' in %s", selector, db_path);
	} else {
		print_table(s, all);
		if (s->skipped)
			printf("(%zu more runs not shown: at most %d columns; narrow --runs)\n",
			       s->skipped, MAX_COLUMNS);
		/* Per-configuration statistics over the repetitions: the same
		 * analysis as `memvirt report` (analysis/dataset.h). */
		{
			struct an_dataset ds;
			char aerr[512] = "";

			if (an_dataset_load(s->db, selector, &ds, aerr, sizeof(aerr)) == 0) {
				if (ds.config_count) {
					printf("\n");
					an_report_text(&ds, stdout);
				}
				an_dataset_free(&ds);
			} else {
				fprintf(stderr, "memvirt compare: no statistics: %s\n", aerr);
			}
		}
		rc = MV_EXIT_OK;
	}
	for (size_t i = 0; i < s->count; i++)
		ctr_free(&s->cols[i].counters);
	rec_close(s->db);
	free(s);
	return rc;
}
