/*
 * core/cli_list.c — `memvirt list engines|backends|workloads|events|options|costs`:
 * one name per line, a short description after it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/backends.h"
#include "core/cli.h"
#include "core/costmodel.h"
#include "core/registry.h"
#include "core/runconf.h"
#include "memvirt/event.h"
#include "workloads/catalog.h"

static void list_usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt list engines|backends|workloads|events|options|costs\n"
		"\n"
		"  engines    execution engines, and whether each can run on this machine\n"
		"  backends   memory-virtualization backends, the engines they run on, their options\n"
		"  workloads  guest workloads with their parameters and defaults\n"
		"  events     event types the event bus counts and records\n"
		"  options    the run options: memvirt run --NAME, sweep-file keys, and what each\n"
		"             is to a result (config: part of the configuration; sample: seed)\n"
		"  costs      the cost model: counter, cycles per count, cause, meaning (tab-separated;\n"
		"             docs/cost-model.md; override with --costs NAME=CYCLES)\n");
}

static int list_engines(void)
{
	for (size_t i = 0; i < reg_engine_count(); i++) {
		const struct engine_ops *ops = reg_engine_ops(i);
		char why[256] = "";

		if (!ops) {
			printf("%-8s (not built into this memvirt)\n", reg_engine_name(i));
			continue;
		}
		if (ops->available(why, sizeof(why)))
			printf("%-8s %s [available]\n", ops->name, ops->description);
		else
			printf("%-8s %s [unavailable: %s]\n", ops->name, ops->description, why);
	}
	return MV_EXIT_OK;
}

static int list_backends(void)
{
	for (size_t i = 0; i < be_count(); i++) {
		const struct mv_backend_ops *b = be_at(i);
		char engines[64];

		const struct mv_option *t;
		size_t n;

		be_engines_text(b, engines, sizeof(engines));
		printf("%-11s %s [engines: %s]\n", b->name, b->description, engines);
		t = be_option_table(b, &n);
		for (size_t k = 0; t && k < n; k++) {
			char accepted[512];

			mv_options_accepted(&t[k], 1, accepted, sizeof(accepted));
			printf("            --backend-opt %s: %s\n", accepted, t[k].help);
		}
	}
	return MV_EXIT_OK;
}

static int list_costs(void)
{
	struct cost_model m;

	cost_model_default(&m);
	for (size_t i = 0; i < m.count; i++)
		printf("%s\t%g\t%s\t%s\n", m.entries[i].counter, m.entries[i].cycles, m.entries[i].cause,
		       m.entries[i].help);
	return MV_EXIT_OK;
}

static int list_options(void)
{
	printf("%-12s %-7s %-19s %-12s %s\n", "option", "role", "default", "sweep", "meaning");
	for (size_t i = 0; i < rc_option_count; i++) {
		const struct rc_option *o = &rc_options[i];
		const char *role = o->flags & RC_F_IDENTITY ? "config"
				   : o->flags & RC_F_SAMPLE ? "sample"
				   : o->flags & RC_F_SWEEP ? "run"
							   : "output";

		if (o->flags & RC_F_HIDDEN)
			continue;
		printf("%-12s %-7s %-19s %-12s %s\n", o->name, role, o->def ? o->def : "-",
		       o->flags & RC_F_SWEEP ? (o->flags & RC_F_LIST ? "list" : "one")
					     : !strcmp(o->name, "param") ? "[params]"
					     : !strcmp(o->name, "arg") ? "args"
					     : !strcmp(o->name, "file") ? "files"
					     : !strcmp(o->name, "reps") ? "repetitions"
									 : "-",
		       o->help);
	}
	return MV_EXIT_OK;
}

static int list_workloads(void)
{
	for (unsigned i = 0; i < wl_catalog_count; i++) {
		const struct wl_desc *wl = &wl_catalog[i];

		printf("%-10s %s\n", wl->name, wl->help);
		for (unsigned p = 0; p < wl->param_count; p++) {
			const struct wl_param *prm = &wl->params[p];

			printf("           %s=%" PRIu64 " (%" PRIu64 "..%" PRIu64 ") %s\n", prm->name,
			       prm->def, prm->min, prm->max, prm->help);
		}
	}
	return MV_EXIT_OK;
}

static int list_events(void)
{
	for (uint32_t t = 0; t < MV_EV__COUNT; t++) {
		const struct mv_event_desc *d = mv_event_describe(t);

		printf("%-22s counter %-24s %s\n", d->name, d->counter, d->help);
	}
	return MV_EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, "list")) != -1) {
		if (c == 'h') {
			list_usage(stdout);
			return MV_EXIT_OK;
		}
		return MV_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		return cli_fail(MV_EXIT_USAGE, "list",
				"expects one of: engines, backends, workloads, events, options, costs");
	}
	if (!strcmp(argv[optind], "engines"))
		return list_engines();
	if (!strcmp(argv[optind], "backends"))
		return list_backends();
	if (!strcmp(argv[optind], "workloads"))
		return list_workloads();
	if (!strcmp(argv[optind], "events"))
		return list_events();
	if (!strcmp(argv[optind], "options"))
		return list_options();
	if (!strcmp(argv[optind], "costs"))
		return list_costs();
	return cli_fail(MV_EXIT_USAGE, "list", "unknown list '%s'; accepted: engines, backends, workloads, events, options, costs",
			argv[optind]);
}
