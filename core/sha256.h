/*
 * core/sha256.h — SHA-256 (FIPS 180-4), for naming files by content: the
 * guest image and programs a run used are part of its configuration.
 */
#ifndef MEMVIRT_CORE_SHA256_H
#define MEMVIRT_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *s, char out[65]);

/* The digest of a whole file; -errno when it cannot be read. */
int sha256_file(const char *path, char out[65]) __attribute__((warn_unused_result));

#endif
