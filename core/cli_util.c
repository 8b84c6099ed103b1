/*
 * core/cli_util.c — helpers shared by the subcommands (see cli.h).
 */
#include "core/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memvirt/options.h"

/* The last error reported, for commands that must also say it in their
 * JSON output.  The CLI is the edge: one process, one command. */
static char last_error[2048];

int cli_fail(int code, const char *sub, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	/* One line, whatever the message quoted. */
	for (char *p = last_error; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "memvirt%s%s: %s\n", sub ? " " : "", sub ? sub : "", last_error);
	return code;
}

const char *cli_last_error(void)
{
	return last_error;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *sub)
{
	char spec[64];
	int c;

	/* Our own messages: one line, "memvirt SUB: ...", with a suggestion. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == ':') {
		cli_fail(MV_EXIT_USAGE, sub, "option '%s' needs a value (see memvirt %s --help)",
			 argv[optind - 1] ? argv[optind - 1] : "?", sub);
		return CLI_GETOPT_ERROR;
	}
	if (c == '?') {
		const char *arg = argv[optind - 1] ? argv[optind - 1] : "?", *names[64], *close;
		char name[64];
		size_t n = 0;

		if (optopt && !(arg[0] == '-' && arg[1] == '-')) {
			cli_fail(MV_EXIT_USAGE, sub, "unknown option '-%c' (see memvirt %s --help)", optopt, sub);
			return CLI_GETOPT_ERROR;
		}
		for (const char *p = arg; *p == '-'; p++)
			arg = p + 1;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
		for (size_t i = 0; longopts[i].name && n < 64; i++)
			names[n++] = longopts[i].name;
		close = cli_closest(name, names, n);
		cli_fail(MV_EXIT_USAGE, sub, "unknown option '--%s'%s%s%s (see memvirt %s --help)", name,
			 close ? " (did you mean '--" : "", close ? close : "", close ? "'?)" : "", sub);
		return CLI_GETOPT_ERROR;
	}
	return c;
}

/* Edit distance with transpositions (optimal string alignment): a
 * swapped pair of letters is one slip.  Names are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[65][65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *cli_closest(const char *name, const char *const *candidates, size_t count)
{
	size_t best = SIZE_MAX, limit = strlen(name) <= 4 ? 1 : 2;
	const char *pick = NULL;

	for (size_t i = 0; i < count; i++) {
		size_t d;

		if (!candidates[i])
			continue;
		d = edit_distance(name, candidates[i]);
		/* A prefix of a longer name is a likely slip too (--vm for --vms). */
		if (d > limit && !strncmp(candidates[i], name, strlen(name)) && strlen(name) >= 2)
			d = limit;
		if (d < best) {
			best = d;
			pick = candidates[i];
		}
	}
	return best <= limit ? pick : NULL;
}

bool cli_parse_u64(const char *text, uint64_t *out)
{
	return mv_parse_u64(text, out);
}
