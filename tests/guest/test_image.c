/*
 * tests/guest/test_image.c — the guest image keeps the loading contract of
 * docs/boot-protocol.md: an ELF64 x86-64 file with one PT_LOAD at physical
 * 1 MiB whose file offsets move with its addresses, an entry inside it, and
 * a multiboot v1 header (address fields, flag bit 16) in the first 8 KiB
 * that describes the same bytes the ELF program header does.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int main(int argc, char **argv)
{
	static unsigned char img[1 << 22];
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Phdr *ph, *load = NULL;
	uint32_t mb[8];
	size_t n, off;
	unsigned i, nload = 0;
	FILE *f;

	CHECK(argc == 2, "usage: %s GUEST_ELF", argv[0]);
	f = fopen(argv[1], "rb");
	CHECK(f != NULL, "cannot open %s", argv[1]);
	n = fread(img, 1, sizeof img, f);
	fclose(f);
	CHECK(n > sizeof *eh && n < sizeof img, "image size %zu", n);
	CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64,
	      "not an ELF64 file");
	CHECK_EQ_U64(eh->e_machine, EM_X86_64);
	CHECK(eh->e_phoff + (uint64_t)eh->e_phnum * sizeof *ph <= n, "program headers out of file");
	ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			load = &ph[i];
			nload++;
		}
	CHECK_EQ_U64(nload, 1);
	CHECK_EQ_U64(load->p_paddr, 0x100000);
	CHECK(load->p_offset + load->p_filesz <= n, "segment past end of file");
	CHECK(eh->e_entry >= load->p_paddr && eh->e_entry < load->p_paddr + load->p_filesz,
	      "entry %" PRIx64 " outside the segment", (uint64_t)eh->e_entry);

	for (off = 0; off + sizeof mb <= 8192; off += 4) {
		memcpy(mb, img + off, sizeof mb);
		if (mb[0] == 0x1badb002u && (uint32_t)(mb[0] + mb[1] + mb[2]) == 0)
			break;
	}
	CHECK(off + sizeof mb <= 8192, "no multiboot header in the first 8 KiB");
	CHECK(mb[1] & (1u << 16), "multiboot flags %x lack the address fields (bit 16)", mb[1]);
	/* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
	CHECK_EQ_U64(mb[4], load->p_paddr);
	CHECK_EQ_U64(mb[3] - mb[4], off - load->p_offset);
	CHECK(mb[5] > mb[4] && mb[5] - mb[4] <= load->p_filesz,
	      "load_end %x beyond the file contents (filesz %" PRIx64 ")", mb[5], (uint64_t)load->p_filesz);
	CHECK_EQ_U64(mb[6], load->p_paddr + load->p_memsz);
	CHECK(mb[7] >= mb[4] && mb[7] < mb[5], "multiboot entry %x outside the image", mb[7]);
	return 0;
}
