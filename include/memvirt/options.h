/*
 * memvirt/options.h — `key=value,key=value` option text, described by a
 * table and parsed by one parser that memvirt's own option strings
 * (--backend-opt of every in-tree backend, --tlb, --costs) and plugins
 * share.  Part of the plugin SDK: a plugin describes its --backend-opt
 * keys with a table of struct mv_option, points mv_backend_ops.options at
 * it, and calls mv_options_parse() in create().
 *
 * Why a table: the same description gives the parser, the "accepted: ..."
 * text of every error, `memvirt list backends`, and the canonical form of
 * a configuration (every key in table order, defaults spelled out), so
 * that `cache=8` and the empty text name the same configuration.
 *
 * Numbers are decimal or 0x hexadecimal with an optional binary suffix
 * K, M, G or T (KiB...); a leading 0 is a decimal digit, never octal.
 * Keys may appear once each; items are separated by ','.
 */
#ifndef MEMVIRT_OPTIONS_H
#define MEMVIRT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mv_option_type {
	MV_OPT_UINT = 0,   /* a number in [min, max] */
	MV_OPT_CHOICE,     /* one of choices[] (NULL-terminated); the value is its index */
	MV_OPT_BOOL,       /* 0|1|on|off|yes|no|true|false; the value is 0 or 1 */
	MV_OPT_PAIR,       /* A:B, two numbers (A in [min, max], B in [min2, max2]), or a lone 0 when zero_ok */
	MV_OPT_REAL,       /* a finite number >= 0 and <= max_real */
};

struct mv_option {
	const char *name;
	enum mv_option_type type;
	uint64_t min, max;            /* UINT, PAIR's first part */
	uint64_t min2, max2;          /* PAIR's second part */
	bool zero_ok;                 /* PAIR: "0" alone means none (both parts 0) */
	double max_real;              /* REAL */
	const char *const *choices;   /* CHOICE */
	const char *def;              /* the default, written as a user would */
	const char *help;             /* one line, with the unit */
	const char *metavar;          /* what the value looks like in messages ("N", "ENTRIES:WAYS"); NULL: by type */
};

struct mv_opt_value {
	uint64_t u;        /* UINT, CHOICE (index), BOOL, PAIR's first part */
	uint64_t u2;       /* PAIR's second part */
	double real;       /* REAL */
	bool given;        /* set by the text, not the default */
};

/* Every value to its option's default.  The defaults of a table must
 * parse (a test of each in-tree table checks it). */
void mv_options_defaults(const struct mv_option *opts, size_t count, struct mv_opt_value *values);

/*
 * Parse `text` (NULL or "" gives the defaults) into values[count].  `what`
 * names the option text in messages ("shadow", "--tlb").  Returns 0, or
 * -EINVAL with one line in err: the item at fault and what is accepted.
 * values is left unchanged on error.
 */
int mv_options_parse(const struct mv_option *opts, size_t count, const char *text,
		     struct mv_opt_value *values, const char *what, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* Parse one value of one option; the building block of mv_options_parse. */
int mv_option_parse_value(const struct mv_option *opt, const char *text, struct mv_opt_value *out,
			  char *why, size_t why_len) __attribute__((warn_unused_result));

/* The canonical text: every option in table order, "key=value,...",
 * numbers in decimal.  Returns the length it needed (like snprintf). */
size_t mv_options_format(const struct mv_option *opts, size_t count,
			 const struct mv_opt_value *values, char *buf, size_t len);

/* One value in canonical form ("8", "oos", "64:4", "1500"). */
size_t mv_option_format_value(const struct mv_option *opt, const struct mv_opt_value *value,
			      char *buf, size_t len);

/* "key=N (1..4096, default 8), key=a|b (default a), ..." for messages and help. */
size_t mv_options_accepted(const struct mv_option *opts, size_t count, char *buf, size_t len);

/* A number as the option parser reads it (see the top of this file). */
bool mv_parse_u64(const char *text, uint64_t *out);

#endif
