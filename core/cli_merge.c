/*
 * core/cli_merge.c — `memvirt merge --db OUT IN.db...`: the runs of other
 * results databases (a sweep's shards, another machine's runs) into one,
 * with everything recorded for them (core/store_merge.c does the work).
 *
 * Every input is checked before anything is written, so one foreign or
 * damaged file refuses the whole command and OUT stays as it was; then
 * each input is merged in a transaction of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/store.h"

static void merge_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt merge --db OUT IN.db...\n"
		"\n"
		"Copy every run of the IN databases into OUT (created when missing), with its\n"
		"counters, events, time series and KVM statistics, and the sweeps they belong\n"
		"to.  The shards of one sweep file (memvirt sweep --shard I/N) become one sweep\n"
		"of OUT.  Merging the same database again adds nothing; a run OUT holds\n"
		"unfinished is replaced by a finished copy.  A run still being run by a live\n"
		"process on this machine is left out (merge again once it ends).\n"
		"\n"
		"  --db OUT          the database merged into (required)\n"
		"  -q, --quiet       no line per input\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 merged, 2 bad command line or an input that is not a memvirt\n"
		"database of this schema version (nothing is written then), 3 environment\n"
		"error (cannot write OUT).\n");
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *out_path = NULL;
	struct rec_merge_totals all = {0};
	struct rec_db *out;
	bool quiet = false;
	char err[2048];
	int c, rc;

	while ((c = cli_getopt(argc, argv, "hq", opts, "merge")) != -1) {
		switch (c) {
		case 'd': out_path = optarg; break;
		case 'q': quiet = true; break;
		case 'h':
			merge_usage(stdout);
			return MV_EXIT_OK;
		default:
			return MV_EXIT_USAGE;
		}
	}
	if (!out_path || !out_path[0])
		return cli_fail(MV_EXIT_USAGE, "merge", "no output database: give --db OUT");
	if (optind == argc)
		return cli_fail(MV_EXIT_USAGE, "merge", "no database to merge: memvirt merge --db OUT IN.db...");
	/* Check every input first: all or nothing. */
	for (int i = optind; i < argc; i++) {
		rc = rec_merge_check(out_path, argv[i], err, sizeof(err));
		if (rc)
			return cli_fail(rc == -EACCES || rc == -EIO ? MV_EXIT_ENV : MV_EXIT_USAGE, "merge", "%s", err);
	}
	rc = rec_open(out_path, REC_READ_WRITE, &out, err, sizeof(err));
	if (rc)
		return cli_fail(rc == -EPROTO || rc == -ERANGE ? MV_EXIT_USAGE : MV_EXIT_ENV, "merge", "%s", err);
	for (int i = optind; i < argc; i++) {
		struct rec_merge_totals t = {0};

		rc = rec_merge(out, argv[i], &t, err, sizeof(err));
		if (rc) {
			rec_close(out);
			return cli_fail(rc == -EPROTO || rc == -ENOENT ? MV_EXIT_USAGE : MV_EXIT_ENV, "merge", "%s", err);
		}
		if (!quiet) {
			printf("%s: %" PRIu32 " runs added, %" PRIu32 " replaced by their finished copy, %" PRIu32
			       " already there",
			       argv[i], t.runs_added, t.runs_replaced, t.runs_present);
			if (t.runs_unfinished)
				printf(", %" PRIu32 " unfinished (copied as incomplete)", t.runs_unfinished);
			if (t.runs_live)
				printf(", %" PRIu32 " still being run here (left out: merge again once they end)", t.runs_live);
			printf("; sweeps: %" PRIu32 " added, %" PRIu32 " joined\n", t.sweeps_added, t.sweeps_joined);
		}
		all.runs_added += t.runs_added;
		all.runs_replaced += t.runs_replaced;
		all.runs_present += t.runs_present;
		all.runs_live += t.runs_live;
	}
	rec_close(out);
	printf("merged %d database%s into %s: %" PRIu32 " runs added, %" PRIu32 " replaced, %" PRIu32
	       " already there%s\n",
	       argc - optind, argc - optind == 1 ? "" : "s", out_path, all.runs_added, all.runs_replaced,
	       all.runs_present, all.runs_live ? "; some runs are still being run (see above)" : "");
	return MV_EXIT_OK;
}
