/*
 * fuzz/fuzz_elf.c — the guest image loader (core/elfload.c) on an
 * arbitrary file.  elf_open reads a path, so the input is written to a
 * memfd first; an image it accepts is loaded into RAM of exactly the size
 * it asked for (ASan sees any byte written outside), and refused by RAM
 * one byte too small.
 *
 * Promises held (core/elfload.h): everything is checked before a byte is
 * copied; an accepted image's entry lies in its loaded range; a refused
 * one gets a one-line message; elf_load never writes outside RAM.
 */
#include <errno.h>

#include "core/elfload.h"
#include "fuzz/fuzz.h"

/* Larger images are opened but not loaded: RAM that large per input
 * would only slow the fuzzer down. */
#define FUZZ_RAM_MAX (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct elf_image img;
	char err[512] = "";
	int rc;

	if (!path)
		return 0;
	rc = elf_open(path, &img, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == -ENOEXEC, "elf_open of a readable %zu-byte file: %d (%s)", size, rc, err);
		FUZZ_CHECK(err[0] && !strchr(err, '\n'), "message '%s'", err);
		FUZZ_CHECK(!img.data, "a refused image keeps its buffer");
		return 0;
	}
	FUZZ_CHECK(img.size == size && img.data, "image of %zu bytes from a %zu-byte file", img.size, size);
	FUZZ_CHECK(img.load_lo < img.load_hi && img.entry >= img.load_lo && img.entry < img.load_hi,
		   "entry 0x%llx, loaded 0x%llx..0x%llx", (unsigned long long)img.entry,
		   (unsigned long long)img.load_lo, (unsigned long long)img.load_hi);
	if (img.load_hi <= FUZZ_RAM_MAX) {
		size_t ram_size = (size_t)img.load_hi;
		uint8_t *ram = malloc(ram_size), small[1] = {0};

		if (!ram)
			abort();
		rc = elf_load(&img, ram, ram_size, err, sizeof(err));
		FUZZ_CHECK(rc == 0, "elf_load into the RAM it asked for (0x%zx bytes): %d (%s)", ram_size,
			   rc, err);
		/* RAM one byte short: refused before a byte is written (the
		 * 1-byte buffer stands for it; ASan catches a write past it). */
		rc = elf_load(&img, small, ram_size - 1, err, sizeof(err));
		FUZZ_CHECK(rc == -E2BIG, "elf_load into 0x%zx bytes, one short: %d", ram_size - 1, rc);
		free(ram);
	}
	elf_close(&img);
	return 0;
}
