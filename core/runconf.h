/*
 * core/runconf.h — the run configuration: one table of the options a run
 * takes (name, kind, unit, range, default, help, which commands take it,
 * what it is to a result), and the values one run was given.
 *
 * The table is the single description of a run option.  From it come
 * `memvirt run`'s option parsing and --help, the keys of a sweep file and
 * their validation, `memvirt list options`, the JSON configuration stored
 * with every run, and (core/runplan.h) the configuration identity that
 * compare and report match baselines on and the VMM's configuration.  To
 * add a run option: one entry here, one field in struct run_config, and
 * its use in runplan.c.
 *
 * Values are checked one at a time by rc_set(), the same function for the
 * command line and for every value of a sweep file, so the two cannot
 * drift.  Checks that involve several options (a workload's parameters, a
 * backend against an engine) are runplan.c's.
 *
 * Numbers are decimal or 0x hexadecimal with an optional K/M/G/T suffix
 * (KiB...), never octal: `--seed 010` is ten.
 */
#ifndef MEMVIRT_CORE_RUNCONF_H
#define MEMVIRT_CORE_RUNCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RC_MAX_PARAMS 32
#define RC_MAX_LIST 256

/* The values of a repeatable RC_LIST option, in command-line order. */
struct rc_list {
	const char *items[RC_MAX_LIST];
	unsigned count;
};

enum rc_kind {
	RC_TEXT = 0,    /* a string, checked by the option's check() */
	RC_NUMBER,      /* an unsigned number in [min, max] (and a multiple of `multiple`) */
	RC_FLAG,        /* no value */
	RC_PARAM,       /* KEY=VALUE, repeatable: workload parameters */
	RC_LIST,        /* a text, repeatable, kept in order (struct rc_list) */
};

/* What an option is to a run, and who takes it. */
enum rc_flag {
	RC_F_RUN = 1u << 0,       /* memvirt run takes it */
	RC_F_SWEEP = 1u << 1,     /* a [sweep] key */
	RC_F_LIST = 1u << 2,      /* a sweep key that may list several values (a grid axis) */
	RC_F_IDENTITY = 1u << 3,  /* can change a result: part of the configuration identity */
	RC_F_SAMPLE = 1u << 4,    /* the sample of a configuration (seed, repetition) */
	RC_F_HIDDEN = 1u << 5,    /* internal (memvirt sweep tags its runs): not in --help */
	RC_F_FILE = 1u << 6,      /* names a file: a sweep checks it exists before running (a run
				   * that cannot read it fails as an environment error, exit 3) */
};

struct rc_option {
	const char *name;        /* --NAME on the command line, NAME in a sweep file */
	const char *json_key;    /* key in the stored configuration; NULL: not stored */
	enum rc_kind kind;
	const char *metavar;     /* in --help: "N", "SIZE", "NAME" */
	const char *unit;        /* of a number: "bytes", "instructions", "seconds"; NULL: none */
	uint64_t min, max;       /* RC_NUMBER */
	uint64_t multiple;       /* RC_NUMBER: must be a multiple of this; 0: any */
	const char *def;         /* the default as a user writes it; NULL: none */
	const char *help;        /* one line */
	unsigned flags;          /* enum rc_flag */
	size_t offset;           /* field of struct run_config: uint64_t, const char *, bool or
				  * struct rc_list */
	/* RC_TEXT: a check of the value on its own; fills why and returns
	 * nonzero when it is refused.  NULL: any text. */
	int (*check)(const char *value, char *why, size_t why_len);
};

/* The values of one run.  Text values point at memory the caller keeps
 * (argv, a sweep file). */
struct run_config {
	/* the configuration */
	const char *engine, *backend, *backend_opt, *workload;
	const char *params[RC_MAX_PARAMS];
	unsigned param_count;
	uint64_t vms, quantum, slice, mem;
	const char *tlb, *machine, *costs, *guest;
	/* a program instead of a workload (core/program.h): its path, its
	 * arguments and files given one by one (arg, file) or each list as
	 * one text (args_text, files_text: the sweep keys) */
	const char *program, *args_text, *files_text;
	struct rc_list arg, file;
	uint64_t output_limit;
	/* the sample */
	uint64_t seed, reps;
	/* limits: they end a run, and change nothing of one that finishes */
	uint64_t insn_limit, timeout, boot_timeout;
	/* where results go */
	const char *record, *db;
	uint64_t timeseries;          /* counter snapshots every N instructions; 0 none */
	bool no_db, json, console, quiet;
	/* memvirt sweep's tags on its runs */
	uint64_t rep, sweep_id;
	const char *sweep_key;
	/* which options were given (indexed like rc_options) */
	bool given[64];
};

extern const struct rc_option rc_options[];
extern const size_t rc_option_count;

/* NULL when no option has that name. */
const struct rc_option *rc_find(const char *name);
/* The closest option name within a small edit distance among those
 * with `flags`, for "did you mean"; NULL when none is close. */
const char *rc_suggest(const char *name, unsigned flags);

/* Every option at its default. */
void rc_defaults(struct run_config *c);

/*
 * Check `value` for option o and store it in c (a number in normalised
 * form, text as given).  Returns 0, or -EINVAL with one line in why that
 * names the option (as `prefix` + name: "--vms" on the command line,
 * "vms" in a sweep file), the value and what is accepted.
 */
int rc_set(struct run_config *c, const struct rc_option *o, const char *value, const char *prefix,
	   char *why, size_t why_len) __attribute__((warn_unused_result));

/* A number option's value in decimal ("1M" -> "1048576"); false when it
 * is not one.  Sweep points are keyed on this form. */
bool rc_number_normal(const struct rc_option *o, const char *value, char *buf, size_t len);

/* The number a numeric option holds in c. */
uint64_t rc_number(const struct run_config *c, const struct rc_option *o);
/* The text a text option holds in c (NULL when unset). */
const char *rc_text(const struct run_config *c, const struct rc_option *o);

/*
 * Parse `memvirt run`'s command line into c (over its defaults).  Returns
 * 0, RC_PARSE_HELP (-h), RC_PARSE_VERSION (-V), or an exit code (2) after
 * printing a one-line "memvirt run: ..." error with a did-you-mean for an
 * unknown option.
 */
#define RC_PARSE_HELP (-1)
#define RC_PARSE_VERSION (-2)
int rc_parse_argv(struct run_config *c, int argc, char **argv);

/* `memvirt run --help`'s option list, generated from the table. */
void rc_print_options(FILE *out, unsigned flags);

#endif
