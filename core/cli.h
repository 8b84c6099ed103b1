/*
 * core/cli.h — what the subcommands of `memvirt` share: exit codes,
 * number parsing, and the one-line error reporting at the edge.
 */
#ifndef MEMVIRT_CORE_CLI_H
#define MEMVIRT_CORE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in `memvirt --help` and the README. */
enum mv_exit {
	MV_EXIT_OK = 0,
	MV_EXIT_RUN_FAILED = 1,   /* guest error, checksum mismatch, backend error */
	MV_EXIT_USAGE = 2,        /* bad command line or input file */
	MV_EXIT_ENV = 3,          /* the environment: no /dev/kvm, unwritable database, ... */
};

#define MV_DEFAULT_DB "results/memvirt.db"

/* Print "memvirt SUBCOMMAND: message" on stderr, on one line (newlines in
 * what it quotes become spaces); returns code. */
int cli_fail(int code, const char *sub, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The message of the last cli_fail(), "" before any. */
const char *cli_last_error(void);

/* Unsigned number: decimal or 0x hex, optional binary suffix K, M, G, T
 * (KiB...); a leading 0 is a decimal digit, never octal.  false for
 * anything else or an overflow (mv_parse_u64 of the SDK). */
bool cli_parse_u64(const char *text, uint64_t *out);

/* The candidate closest to `name` within a small edit distance (or a
 * name it is a prefix of), for "did you mean"; NULL when none is close. */
const char *cli_closest(const char *name, const char *const *candidates, size_t count);

/* getopt_long for a subcommand, with memvirt's own one-line errors: an
 * unknown option (with a did-you-mean) or a missing value is reported as
 * "memvirt SUB: ..." and CLI_GETOPT_ERROR returned (exit 2 follows). */
struct option;
#define CLI_GETOPT_ERROR (-2)
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *sub);

int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
