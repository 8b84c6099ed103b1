/*
 * tests/check.h — assertions for memvirt's C tests.  A failed CHECK prints
 * the condition, file:line and a message with the values that mattered,
 * then the test exits 1.  SKIP exits 77 with the reason (meson's skip).
 */
#ifndef MEMVIRT_TESTS_CHECK_H
#define MEMVIRT_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                     \
	do {                                                                   \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);   \
		CHECK(check_a_ == check_b_, "%s = %" PRIu64 " (0x%" PRIx64     \
		      "), %s = %" PRIu64 " (0x%" PRIx64 ")", #a, check_a_,     \
		      check_a_, #b, check_b_, check_b_);                       \
	} while (0)

#define SKIP(...)                                                              \
	do {                                                                   \
		fprintf(stdout, "SKIP: ");                                     \
		fprintf(stdout, __VA_ARGS__);                                  \
		fputc('\n', stdout);                                           \
		exit(77);                                                      \
	} while (0)

#endif
