/*
 * core/cli_util.c — helpers shared by the subcommands (see cli.h).
 */
#include "core/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(int code, const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "memvirt%s%s: ", sub ? " " : "", sub ? sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_usage_hint(const char *sub)
{
	fprintf(stderr, "Try 'memvirt %s --help'.\n", sub);
	return MV_EXIT_USAGE;
}

bool cli_parse_u64(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!text || !*text || *text == '-' || *text == '+' || *text == ' ')
		return false;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || end == text)
		return false;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return false;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return false;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}
