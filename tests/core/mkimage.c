/*
 * tests/core/mkimage.c — writes a minimal guest image: an ELF64 x86-64
 * executable with one PT_LOAD segment at 1 MiB holding the machine code
 * given in hex, entry at its first byte.  Tests use it to make guests that
 * misbehave on purpose (triple fault, endless loop, wild page tables).
 *
 * Usage: mkimage OUT.elf HEXBYTES
 *        mkimage OUT.elf --random-code SEED   random bytes as code
 *        mkimage OUT.elf --wild-tables SEED   random page tables, loaded into
 *                                             CR3, then random accesses
 * The random images are deterministic for a seed.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t put_bytes(unsigned char *code, size_t n, const void *bytes, size_t len)
{
	memcpy(code + n, bytes, len);
	return n + len;
}

/* mov rax, imm64 */
static size_t put_mov_rax(unsigned char *code, size_t n, uint64_t imm)
{
	static const unsigned char op[2] = {0x48, 0xb8};

	n = put_bytes(code, n, op, 2);
	return put_bytes(code, n, &imm, 8);
}

/*
 * Four pages of page tables at 0x101000..0x104fff whose entries point
 * mostly back into those pages (so walks go deep) and sometimes anywhere,
 * inside the VM's RAM or far outside it, with random flag bits; then the
 * code loads them into CR3 and touches random addresses.
 */
static size_t wild_tables(unsigned char *code, size_t cap, size_t *image_len)
{
	static const unsigned char mov_cr3[3] = {0x0f, 0x22, 0xd8};
	static const unsigned char load_store[6] = {0x48, 0x8b, 0x18, 0x48, 0x89, 0x18};
	static const unsigned char jmp_self[2] = {0xeb, 0xfe};
	size_t n = 0;

	for (unsigned i = 0; i < 4 * 512; i++) {
		uint64_t r = rng(), target;
		unsigned pick = (unsigned)(r % 10);

		if (pick < 7)
			target = 0x101000 + ((r >> 8) % 4) * 0x1000;      /* back into the tables */
		else if (pick < 9)
			target = ((r >> 8) % (128u << 20)) & ~0xfffull;   /* somewhere in RAM */
		else
			target = ((r >> 8) & 0xffffffffff000ull);         /* anywhere at all */
		target |= (r >> 52) & 0x1ff;                              /* P, W, U, PWT, PCD, A, D, PS, G */
		if ((r >> 40) % 8)
			target |= 1;                                      /* present most of the time */
		if ((r >> 44) % 8)
			target &= ~0x80ull;                               /* large pages now and then */
		target |= (r & (1ull << 7)) ? (1ull << 63) : 0;          /* NX now and then */
		memcpy(code + 0x1000 + i * 8, &target, 8);
	}
	/* The first 2 MiB stay identity-mapped (code, stack) so that the
	 * random accesses run; the first one that faults ends the guest. */
	{
		uint64_t pml4_0 = 0x102000 | 3, pdpt_0 = 0x103000 | 3, pd_0 = 0x0 | 3 | 0x80;

		memcpy(code + 0x1000, &pml4_0, 8);
		memcpy(code + 0x2000, &pdpt_0, 8);
		memcpy(code + 0x3000, &pd_0, 8);
	}
	/* A #PF handler that skips the 3-byte faulting load or store, so all
	 * the random accesses run: IDT at 0x105000, handler at 0x100800. */
	{
		static const unsigned char handler[] = {
			0x48, 0x83, 0x44, 0x24, 0x08, 0x03, /* add qword [rsp+8], 3 */
			0x48, 0x83, 0xc4, 0x08,             /* add rsp, 8 (error code) */
			0x48, 0xcf,                         /* iretq */
		};
		static const unsigned char lidt[] = {0x0f, 0x01, 0x1c, 0x25, 0x00, 0x09, 0x10, 0x00};
		uint64_t gate_lo = 0x0800 | (0x08ull << 16) | (0x8eull << 40) | (0x0010ull << 48);
		uint64_t gate_hi = 0;
		uint16_t limit = 4095;
		uint64_t base = 0x105000;

		memcpy(code + 0x800, handler, sizeof(handler));
		memcpy(code + 0x900, &limit, 2);
		memcpy(code + 0x902, &base, 8);
		memcpy(code + 0x5000 + 14 * 16, &gate_lo, 8);
		memcpy(code + 0x5000 + 14 * 16 + 8, &gate_hi, 8);
		n = put_bytes(code, n, lidt, sizeof(lidt));
	}
	n = put_mov_rax(code, n, 0x101000);
	n = put_bytes(code, n, mov_cr3, sizeof(mov_cr3));
	for (unsigned i = 0; i < 64 && n + 16 < 0x800; i++) {
		n = put_mov_rax(code, n, rng() & 0x00007ffffffff000ull);
		n = put_bytes(code, n, load_store, sizeof(load_store));
	}
	n = put_bytes(code, n, jmp_self, sizeof(jmp_self));
	(void)cap;
	*image_len = 0x6000;
	return n;
}

int main(int argc, char **argv)
{
	static unsigned char code[0x6000];
	size_t n = 0, image_len = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	FILE *f;

	if (argc == 4 && !strcmp(argv[2], "--random-code")) {
		rng_state = strtoull(argv[3], NULL, 10);
		for (n = 0; n < 4096; n += 8) {
			uint64_t r = rng();

			memcpy(code + n, &r, 8);
		}
	} else if (argc == 4 && !strcmp(argv[2], "--wild-tables")) {
		rng_state = strtoull(argv[3], NULL, 10);
		wild_tables(code, sizeof(code), &image_len);
		n = image_len;
	} else if (argc != 3) {
		fprintf(stderr, "usage: mkimage OUT.elf HEXBYTES | --random-code SEED | --wild-tables SEED\n");
		return 2;
	}
	for (const char *p = argc == 3 ? argv[2] : ""; *p && n < sizeof(code);) {
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
	ph.p_memsz = n > 0x1000 ? n : 0x1000;
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
