/*
 * core/program.h — a user's static Linux x86-64 program as a workload:
 * the checks of its ELF made before anything boots, and the program
 * package (workloads/program_abi.h) the guest's Linux personality runs
 * it from: argv, a fixed environment, the program and its --file files.
 *
 * Every refusal is one line that starts with the file's path and is a
 * usage error (exit 2): a missing file included, since the path came
 * from the command line.
 */
#ifndef MEMVIRT_CORE_PROGRAM_H
#define MEMVIRT_CORE_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/catalog.h"
#include "workloads/program_abi.h"

#define PROG_MAX_ARGS 257     /* argv[0] and 256 arguments */
#define PROG_MAX_FILES 33    /* the program and 32 --file files */
/* What one program or file may weigh: the package lives in guest RAM
 * next to the kernel, and --mem is at most 64 GiB. */
#define PROG_MAX_FILE_SIZE (1ull << 30)
/* The default of --output-limit (bytes of fd 1 and 2 together). */
#define PROG_OUTPUT_LIMIT_DEFAULT "1M"
/* The workload name a program run has in the boot info, the store's
 * workload column ("program:NAME") and listings. */
#define PROG_WORKLOAD "program"

/* The environment every program gets, in this order: fixed, so that a
 * run does not depend on the host's environment. */
extern const char *const prog_env[];
extern const unsigned prog_env_count;

/* The stand-in workload description of a program run: no parameters. */
extern const struct wl_desc prog_workload;

/* The last path component ("a/b/c" -> "c"). */
const char *prog_base_name(const char *path);

/*
 * Check that data[0, size) is an ELF a static Linux x86-64 program can
 * be: ELF64, little-endian, x86-64, ET_EXEC or ET_DYN, no interpreter and
 * no needed libraries, loadable segments inside the file.  0, or -ENOEXEC
 * with one line in why that starts with `path`.
 */
int prog_check_elf(const char *path, const uint8_t *data, size_t size, char *why, size_t len)
	__attribute__((warn_unused_result));

/* Read a whole file (at most PROG_MAX_FILE_SIZE); 0, or -errno with one
 * line "PATH: reason" in why.  *data is malloc'd. */
int prog_read_file(const char *path, uint8_t **data, size_t *size, uint32_t *mode, char *why, size_t len)
	__attribute__((warn_unused_result));

/* One file of a package, as the run's configuration names it. */
struct prog_file_id {
	char name[MV_PROG_NAME_MAX];
	char sha256[65];
	uint64_t size;
};

struct prog_package {
	uint8_t *data;                          /* malloc'd, len bytes */
	size_t len;
	unsigned file_count;
	struct prog_file_id files[PROG_MAX_FILES]; /* files[0]: the program */
};

/*
 * Build the package: the program at `program` (checked with
 * prog_check_elf), its arguments args[0, nargs) (argv[0] is "/" + its
 * base name, added here), the files at files[0, nfiles).  0, or -errno
 * with one line in why (-ENOEXEC, -ENOENT..: a bad or missing file,
 * -EINVAL: a bad name, a duplicate, too many; all usage errors).
 */
int prog_package_build(const char *program, const char *const *args, unsigned nargs,
		       const char *const *files, unsigned nfiles, uint64_t output_limit,
		       struct prog_package *pkg, char *why, size_t len) __attribute__((warn_unused_result));
void prog_package_free(struct prog_package *pkg);

/*
 * Split an argument list written as one text (the sweep key `args`,
 * `--args`) into words, like a POSIX shell without expansions: words
 * separated by blanks; '...' keeps everything literally; "..." keeps
 * everything but \" and \\ (which stand for " and \); a backslash
 * outside quotes keeps the next character.  Returns the number of words
 * (each a NUL-terminated string in buf, pointed at by words[]), or
 * -EINVAL with why on an unterminated quote or too many words.
 */
int prog_split_words(const char *text, char *buf, size_t buf_len, const char **words, unsigned max_words,
		     char *why, size_t len) __attribute__((warn_unused_result));

#endif
