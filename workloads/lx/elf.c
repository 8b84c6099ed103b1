/*
 * workloads/lx/elf.c — loading a static Linux x86-64 ELF program and
 * building the initial stack Linux gives it.
 *
 * PT_LOAD segments are copied at exec time into fresh frames at their
 * linked addresses (ET_EXEC) or at LX_PIE_BASE plus them (ET_DYN,
 * static-pie), so two segments sharing a page are simply written into one
 * frame; their bss pages past the file's bytes are demand-zero.  Segment
 * flags become the VMA's protection (NX via EFER.NXE).  PT_TLS is left to
 * the program's start-up code, PT_GNU_STACK is ignored, PT_INTERP refuses
 * the program.  The break starts at the page after the highest segment.
 *
 * The stack (8 MiB below LX_STACK_TOP) gets, from the top down: 8 zero
 * bytes, the strings (execfn, environment, arguments, "x86_64"), 16
 * AT_RANDOM bytes from the boot seed, then 16-byte aligned argc, argv[],
 * NULL, envp[], NULL, auxv pairs ending in AT_NULL; RSP points at argc.
 */
#include "workloads/lx/lx.h"

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
	AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
	AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
	AT_HWCAP2 = 26, AT_EXECFN = 31,
};

static char errbuf[96];

static const char *err2(const char *a, const char *b)
{
	size_t n = 0, i;

	for (i = 0; a[i] && n < sizeof errbuf - 1; i++)
		errbuf[n++] = a[i];
	for (i = 0; b[i] && n < sizeof errbuf - 1; i++)
		errbuf[n++] = b[i];
	errbuf[n] = '\0';
	return errbuf;
}

const char *lx_elf_load(struct lx_as *as, const struct lx_pkg_file *f, struct lx_image *img)
{
	const struct elf64_ehdr *eh = (const void *)f->data;
	const struct elf64_phdr *ph;
	uint64_t base, hi = 0, phdr_va = 0;
	unsigned i;
	int err;

	if (f->size < sizeof *eh || eh->ident[0] != 0x7f || eh->ident[1] != 'E' ||
	    eh->ident[2] != 'L' || eh->ident[3] != 'F')
		return err2("not an ELF file: ", f->name);
	if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != EM_X86_64)
		return "not a 64-bit little-endian x86-64 ELF";
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return "not an executable ELF (neither ET_EXEC nor ET_DYN)";
	if (eh->phentsize != sizeof *ph || eh->phnum == 0 || eh->phoff > f->size ||
	    (uint64_t)eh->phnum * sizeof *ph > f->size - eh->phoff)
		return "ELF program headers out of range";
	ph = (const void *)(f->data + eh->phoff);
	for (i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_INTERP)
			return "dynamically linked: build with -static";
	base = eh->type == ET_DYN ? LX_PIE_BASE : 0;

	for (i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *p = &ph[i];
		struct lx_vma v = { 0 }, *prev;
		uint64_t va = base + p->vaddr, end;

		if (p->type == PT_PHDR)
			phdr_va = base + p->vaddr;
		if (p->type != PT_LOAD || p->memsz == 0)
			continue;
		if (p->filesz > p->memsz || p->offset > f->size || p->filesz > f->size - p->offset)
			return "ELF segment out of the file's range";
		if (va < LX_USER_MIN)
			return "ELF segment below 4 MiB (the kernel's): link at the usual 0x400000";
		end = va + p->memsz;
		if (end < va || !lx_mm_range_ok(va, p->memsz) || end > LX_STACK_TOP - LX_STACK_SIZE)
			return "ELF segment outside the user address range";
		v.start = LX_PAGE_DOWN(va);
		v.end = LX_PAGE_UP(end);
		v.prot = ((p->flags & 4) ? LX_PROT_READ : 0) | ((p->flags & 2) ? LX_PROT_WRITE : 0) |
			 ((p->flags & 1) ? LX_PROT_EXEC : 0);
		v.kind = LX_VMA_IMAGE;
		v.file = -1;
		/* A page shared with the previous segment keeps one VMA with
		 * both protections. */
		while (v.start < v.end && (prev = lx_mm_vma_at(as, v.start)) != NULL) {
			prev->prot |= v.prot;
			v.start += LX_PAGE;
		}
		if (v.start < v.end) {
			if (lx_mm_vma_at(as, v.end - 1))
				return "ELF segments overlap";
			if ((err = lx_mm_add_vma(as, &v)))
				return "too many ELF segments";
		}
		if (p->filesz && lx_mm_copyout(as, va, f->data + p->offset, p->filesz))
			return "ELF segment could not be written";
		if (!phdr_va && eh->phoff >= p->offset && eh->phoff - p->offset < p->filesz)
			phdr_va = va + (eh->phoff - p->offset);
		if (end > hi)
			hi = end;
	}
	if (!hi)
		return "ELF has no loadable segment";
	img->entry = base + eh->entry;
	img->phdr = phdr_va;
	img->phnum = eh->phnum;
	img->phent = eh->phentsize;
	img->base = base;
	as->brk_start = LX_PAGE_UP(hi);
	as->brk = as->brk_start;
	return NULL;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#define STK_BUF 65536u
static uint8_t stk[STK_BUF];   /* the stack's top STK_BUF bytes, built here then copied */

int lx_elf_stack(struct lx_as *as, const struct lx_image *img, uint64_t seed, uint64_t *rsp)
{
	const uint64_t top = LX_STACK_TOP, lo = top - STK_BUF;
	const char *strs = (const char *)lx_pkg + lx_pkg->strings_off;
	uint64_t nstr = (uint64_t)lx_pkg->argc + lx_pkg->envc, argc = lx_pkg->argc;
	uint64_t p = top - 8, execfn, platform, random, sp, *w, nwords, i, off = 0;
	uint64_t ptrs[1024];
	struct lx_vma v = { 0 };
	uint32_t a, b, c, d;
	int err;

	if (nstr > 1000)
		return -LX_E2BIG;
	v.start = top - LX_STACK_SIZE;
	v.end = top;
	v.prot = LX_PROT_READ | LX_PROT_WRITE;
	v.kind = LX_VMA_STACK;
	v.file = -1;
	if ((err = lx_mm_add_vma(as, &v)))
		return err;
	memset(stk, 0, sizeof stk);

#define PUT(src, n) ({ if (p - (n) < lo + 4096) return -LX_E2BIG; p -= (n); \
		memcpy(&stk[p - lo], (src), (n)); p; })
	{
		size_t n = kstrlen(lx_files[0].name);

		p -= n + 2;
		if (p < lo + 4096)
			return -LX_E2BIG;
		stk[p - lo] = '/';
		memcpy(&stk[p - lo + 1], lx_files[0].name, n + 1);
		execfn = p;
	}
	/* The package's strings in order, each placed below the previous. */
	for (i = 0; i < nstr; i++) {
		size_t n;

		if (off >= lx_pkg->strings_len)
			return -LX_E2BIG;
		n = kstrlen(strs + off);
		if (off + n >= lx_pkg->strings_len)
			return -LX_E2BIG;
		ptrs[i] = PUT(strs + off, n + 1);
		off += n + 1;
	}
	platform = PUT("x86_64", 7);
	p &= ~15ull;
	{
		uint64_t r[2] = { mix64(seed ^ 0x52414e444f4d3136ull), 0 };

		r[1] = mix64(r[0]);
		random = PUT(r, 16);
	}
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));

	{
		uint64_t aux[][2] = {
			{ AT_PHDR, img->phdr }, { AT_PHENT, img->phent }, { AT_PHNUM, img->phnum },
			{ AT_PAGESZ, 4096 }, { AT_BASE, 0 }, { AT_FLAGS, 0 }, { AT_ENTRY, img->entry },
			{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
			{ AT_SECURE, 0 }, { AT_RANDOM, random }, { AT_HWCAP, d }, { AT_HWCAP2, 0 },
			{ AT_CLKTCK, 100 }, { AT_EXECFN, execfn }, { AT_PLATFORM, platform },
			{ AT_NULL, 0 },
		};
		uint64_t naux = sizeof aux / sizeof aux[0];

		nwords = 1 + argc + 1 + (nstr - argc) + 1 + 2 * naux;
		sp = (p - nwords * 8) & ~15ull;
		if (sp < lo + 4096)
			return -LX_E2BIG;
		w = (uint64_t *)&stk[sp - lo];
		*w++ = argc;
		for (i = 0; i < argc; i++)
			*w++ = ptrs[i];
		*w++ = 0;
		for (i = argc; i < nstr; i++)
			*w++ = ptrs[i];
		*w++ = 0;
		for (i = 0; i < naux; i++) {
			*w++ = aux[i][0];
			*w++ = aux[i][1];
		}
	}
#undef PUT
	if ((err = lx_mm_copyout(as, sp, &stk[sp - lo], top - sp)))
		return err;
	*rsp = sp;
	return 0;
}
