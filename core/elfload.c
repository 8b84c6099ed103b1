/*
 * core/elfload.c — the guest image loader (see elfload.h).
 */
#include "core/elfload.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELF_MAX_SIZE (256u << 20)

static int bad(char *err, size_t len, const char *what, const char *path)
{
	snprintf(err, len, "guest image '%s' is not a loadable x86-64 ELF64 kernel: %s", path, what);
	return -ENOEXEC;
}

/* The file is a byte buffer: a header may lie at any offset (an odd
 * e_phoff is legal), so every header is copied out, never cast in place. */
static Elf64_Ehdr ehdr_at(const struct elf_image *img)
{
	Elf64_Ehdr eh;

	memcpy(&eh, img->data, sizeof(eh));
	return eh;
}

static Elf64_Phdr phdr_at(const struct elf_image *img, const Elf64_Ehdr *eh, unsigned i)
{
	Elf64_Phdr ph;

	memcpy(&ph, img->data + eh->e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
	return ph;
}

int elf_open(const char *path, struct elf_image *img, char *err, size_t err_len)
{
	Elf64_Ehdr ehdr;
	const Elf64_Ehdr *eh = &ehdr;
	FILE *f;
	long size;
	int rc;

	memset(img, 0, sizeof(*img));
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		snprintf(err, err_len, "cannot read guest image '%s': %s", path, strerror(errno));
		return rc;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		snprintf(err, err_len, "cannot read guest image '%s': not a regular file", path);
		return -EACCES;
	}
	if ((size_t)size < sizeof(Elf64_Ehdr) || (size_t)size > ELF_MAX_SIZE) {
		fclose(f);
		return bad(err, err_len, "file size out of range", path);
	}
	img->data = malloc((size_t)size);
	if (!img->data) {
		fclose(f);
		snprintf(err, err_len, "out of memory reading '%s'", path);
		return -ENOMEM;
	}
	img->size = (size_t)size;
	if (fread(img->data, 1, img->size, f) != img->size) {
		fclose(f);
		elf_close(img);
		snprintf(err, err_len, "cannot read guest image '%s'", path);
		return -EIO;
	}
	fclose(f);

	ehdr = ehdr_at(img);
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		rc = bad(err, err_len, "no ELF magic", path);
	else if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		rc = bad(err, err_len, "not 64-bit little-endian", path);
	else if (eh->e_machine != EM_X86_64)
		rc = bad(err, err_len, "not x86-64", path);
	else if (eh->e_type != ET_EXEC)
		rc = bad(err, err_len, "not an executable (ET_EXEC)", path);
	else if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
		 eh->e_phoff > img->size ||
		 (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > img->size - eh->e_phoff)
		rc = bad(err, err_len, "program headers out of the file", path);
	else
		rc = 0;
	if (rc) {
		elf_close(img);
		return rc;
	}
	img->entry = eh->e_entry;
	img->load_lo = UINT64_MAX;
	img->load_hi = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr phdr = phdr_at(img, eh, i), *ph = &phdr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > img->size ||
		    ph->p_filesz > img->size - ph->p_offset ||
		    ph->p_paddr + ph->p_memsz < ph->p_paddr) {
			elf_close(img);
			return bad(err, err_len, "a PT_LOAD segment lies outside the file", path);
		}
		if (ph->p_paddr < img->load_lo)
			img->load_lo = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > img->load_hi)
			img->load_hi = ph->p_paddr + ph->p_memsz;
	}
	if (img->load_hi == 0) {
		elf_close(img);
		return bad(err, err_len, "no PT_LOAD segment", path);
	}
	if (img->entry < img->load_lo || img->entry >= img->load_hi) {
		elf_close(img);
		return bad(err, err_len, "entry point outside the loaded segments", path);
	}
	return 0;
}

int elf_load(const struct elf_image *img, uint8_t *ram, uint64_t ram_size, char *err,
	     size_t err_len)
{
	const Elf64_Ehdr ehdr = ehdr_at(img), *eh = &ehdr;

	if (img->load_hi > ram_size) {
		snprintf(err, err_len,
			 "guest image needs RAM up to 0x%llx but the VM has 0x%llx bytes; raise --mem",
			 (unsigned long long)img->load_hi, (unsigned long long)ram_size);
		return -E2BIG;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr phdr = phdr_at(img, eh, i), *ph = &phdr;

		if (ph->p_type != PT_LOAD)
			continue;
		memcpy(ram + ph->p_paddr, img->data + ph->p_offset, ph->p_filesz);
		memset(ram + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}

void elf_close(struct elf_image *img)
{
	free(img->data);
	img->data = NULL;
}
