/*
 * core/elfload.h — loads the guest kernel image (ELF64, x86-64) into a
 * VM's RAM at its segments' physical addresses.  Everything in the file
 * is checked before a byte is copied: a malformed or hostile image gets a
 * one-line error, never a write outside RAM.
 */
#ifndef MEMVIRT_CORE_ELFLOAD_H
#define MEMVIRT_CORE_ELFLOAD_H

#include <stddef.h>
#include <stdint.h>

struct elf_image {
	uint8_t *data;     /* the whole file */
	size_t size;
	uint64_t entry;    /* e_entry: the 64-bit entry point */
	uint64_t load_lo, load_hi; /* physical range the segments occupy */
};

/* Reads and validates.  -ENOENT/-EACCES (cannot read: environment),
 * -ENOEXEC (not a loadable x86-64 ELF64: message says what is wrong). */
int elf_open(const char *path, struct elf_image *img, char *err, size_t err_len)
	__attribute__((warn_unused_result));
/* Copies the segments into ram (GPA 0 .. ram_size) and zeroes their BSS.
 * -E2BIG when a segment does not fit. */
int elf_load(const struct elf_image *img, uint8_t *ram, uint64_t ram_size, char *err,
	     size_t err_len) __attribute__((warn_unused_result));
void elf_close(struct elf_image *img);

#endif
