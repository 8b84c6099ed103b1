/*
 * core/main.c — the `memvirt` command: finds the subcommand and hands
 * over to it.  Each subcommand reports its own errors once, at the edge,
 * and returns one of the exit codes of cli.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "memvirt-config.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct subcommand subcommands[] = {
	{"list", cmd_list, "list engines, backends, workloads or event types"},
	{"run", cmd_run, "run a workload on an engine under a memory backend"},
	{"compare", cmd_compare, "show stored runs side by side"},
	{"export", cmd_export, "stored runs as CSV or JSON, one row per run"},
	{"sweep", cmd_sweep, "run a grid of configurations from a sweep file, in parallel"},
	{"merge", cmd_merge, "merge results databases (a sweep's shards, other machines' runs) into one"},
	{"report", cmd_report, "statistics, plots and tables comparing stored runs (HTML, CSV, text)"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: memvirt SUBCOMMAND [OPTIONS]\n"
		"       memvirt --help | --version\n"
		"\n"
		"memvirt runs a small x86-64 guest kernel and its workloads under a chosen\n"
		"memory-virtualization backend, counts every fault, exit and TLB event,\n"
		"records them in SQLite and compares backends.\n"
		"\n"
		"Subcommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-9s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(out,
		"\n"
		"Run 'memvirt SUBCOMMAND --help' for its options.\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the run failed (guest error, checksum mismatch, backend error)\n"
		"  2  usage error (bad option, unknown name, bad value or input file)\n"
		"  3  environment error (no /dev/kvm, unwritable database, missing guest image)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MV_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return MV_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("memvirt %s\n", MEMVIRT_VERSION);
		return MV_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name))
			continue;
		/* -V/--version means the same to every subcommand. */
		for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (!strcmp(argv[a], "-V") || !strcmp(argv[a], "--version")) {
				printf("memvirt %s\n", MEMVIRT_VERSION);
				return MV_EXIT_OK;
			}
		return subcommands[i].run(argc - 1, argv + 1);
	}
	{
		const char *names[sizeof(subcommands) / sizeof(subcommands[0])];
		const char *close;

		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			names[i] = subcommands[i].name;
		close = cli_closest(argv[1], names, sizeof(names) / sizeof(names[0]));
		return cli_fail(MV_EXIT_USAGE, NULL,
				"unknown subcommand '%s'%s%s%s; accepted: list, run, compare, export, sweep, report (see memvirt --help)",
				argv[1], close ? " (did you mean '" : "", close ? close : "", close ? "'?)" : "");
	}
}
