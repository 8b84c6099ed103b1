/*
 * tests/core/mkimage.c — writes a minimal guest image: an ELF64 x86-64
 * executable with one PT_LOAD segment at 1 MiB holding the machine code
 * given in hex, entry at its first byte.  Tests use it to make guests that
 * misbehave on purpose (triple fault, endless loop, wild page tables).
 *
 * Usage: mkimage OUT.elf HEXBYTES
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned char code[4096];
	size_t n = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: mkimage OUT.elf HEXBYTES\n");
		return 2;
	}
	for (const char *p = argv[2]; *p && n < sizeof(code);) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &v) != 1) {
			fprintf(stderr, "mkimage: bad hex at '%s'\n", p);
			return 2;
		}
		code[n++] = (unsigned char)v;
		p += 2;
	}
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0x100000;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	memset(&ph, 0, sizeof(ph));
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_offset = 0x1000;
	ph.p_vaddr = ph.p_paddr = 0x100000;
	ph.p_filesz = n;
	ph.p_memsz = 0x1000;
	ph.p_align = 0x1000;
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fwrite(&eh, sizeof(eh), 1, f);
	fwrite(&ph, sizeof(ph), 1, f);
	fseek(f, 0x1000, SEEK_SET);
	fwrite(code, 1, n, f);
	fclose(f);
	return 0;
}
