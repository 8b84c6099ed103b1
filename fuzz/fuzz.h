/*
 * fuzz/fuzz.h — what the libFuzzer harnesses share: the input as a C
 * string, the input as a file (elf_open and sweep_parse read a path), and
 * a check that prints the promise it holds and the values involved, then
 * aborts so that libFuzzer keeps the input as a reproducer.
 *
 * Harnesses are built by fuzz/run.sh with clang, not by meson (README.md).
 */
#ifndef MEMVIRT_FUZZ_FUZZ_H
#define MEMVIRT_FUZZ_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: a crash for libFuzzer. */
#define FUZZ_CHECK(cond, ...)                                                              \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: promise broken: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* The input up to its first NUL, as a string in a buffer of exactly that
 * size, so that ASan sees a read past its end.  The caller frees it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* The input as a file: a path that opens a file holding exactly
 * data[0..size).  One file (a memfd, or an unlinked temporary file) is
 * reused by every call.  NULL when no file can be made. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("memvirt-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			char tmpl[] = "/tmp/memvirt-fuzz-XXXXXX";

			fd = mkstemp(tmpl);
			if (fd < 0)
				return NULL;
			unlink(tmpl);
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		return NULL;
	return path;
}

#endif
