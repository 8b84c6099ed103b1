/*
 * tests/soft/coverage.c — mnemonic coverage: disassemble ELF files with
 * `objdump -d --no-show-raw-insn -M intel` and fail, listing them, on
 * every mnemonic the soft CPU's instruction-form table does not hold.
 *
 * Only code is checked: instructions inside a sized function symbol (the
 * bytes after a function's end are data such as strings, which objdump
 * decodes as junk), or after an unsized (assembly) label up to the next
 * symbol; sections named with --skip-section (the 32-bit multiboot stub,
 * which runs only under plain QEMU) are left out.
 *
 * For a statically linked C library, the code that runs on this CPU is a
 * subset: --skip-function SUBSTR leaves out the functions whose name holds
 * SUBSTR (glibc's ifunc variants for features the CPUID does not report:
 * _avx2, _evex, _sse4_2...), --skip-mnemonic NAME one that runs only
 * when CPUID reports its feature (xgetbv without OSXSAVE, RTM's xbegin).
 * The caller says why for each.
 *
 * Usage: coverage [--objdump PATH] [--nm PATH] [--skip-section NAME]...
 *                 [--skip-function SUBSTR]... [--skip-mnemonic NAME]... ELF...
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu/soft/insn.h"

#define MAX_SYMS 65536
#define MAX_UNKNOWN 512

struct sym {
	uint64_t addr, size;
	char name[128];
};

struct unknown {
	char mnem[32];
	unsigned count;
	char where[1200];
};

static const char *const prefixes[] = {
	"lock", "rep", "repz", "repnz", "repe", "repne", "data16", "data32", "addr32",
	"cs", "ds", "es", "ss", "fs", "gs", "notrack", "bnd",
};

static bool is_prefix(const char *t)
{
	if (strncmp(t, "rex", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strcmp(t, prefixes[i]) == 0)
			return true;
	return false;
}

static bool implemented(const char *m)
{
	for (unsigned i = 0; i < soft_form_count; i++)
		if (strcmp(soft_forms[i].mnem, m) == 0)
			return true;
	for (unsigned i = 0; i < soft_mnem_alias_count; i++)
		if (strcmp(soft_mnem_aliases[i].alias, m) == 0)
			return true;
	return false;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Symbol sizes from `nm -S`: size 0 when nm gives none. */
static unsigned load_syms(const char *nm, const char *elf, struct sym *syms)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s' -S --defined-only '%s'", nm, elf);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	unsigned n = 0;
	char line[512];
	while (fgets(line, sizeof(line), p) && n < MAX_SYMS) {
		char a[32], b[32], c[128], d[128];
		int k = sscanf(line, "%31s %31s %127s %127s", a, b, c, d);
		struct sym s = { 0 };
		if (k == 4) {
			s.addr = strtoull(a, NULL, 16);
			s.size = strtoull(b, NULL, 16);
			snprintf(s.name, sizeof(s.name), "%s", d);
		} else if (k == 3) {
			s.addr = strtoull(a, NULL, 16);
			snprintf(s.name, sizeof(s.name), "%s", c);
		} else {
			continue;
		}
		syms[n++] = s;
	}
	pclose(p);
	qsort(syms, n, sizeof(*syms), cmp_sym);
	return n;
}

static const struct sym *find_sym(const struct sym *syms, unsigned n, const char *name, uint64_t addr)
{
	for (unsigned i = 0; i < n; i++)
		if (syms[i].addr == addr && strcmp(syms[i].name, name) == 0)
			return &syms[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *objdump = "objdump", *nm = "nm";
	const char *skip[16], *skip_fn[64], *skip_mn[64];
	unsigned nskip = 0, nskip_fn = 0, nskip_mn = 0, nfiles = 0;
	unsigned long skipped = 0;
	static struct sym syms[MAX_SYMS];
	static struct unknown unk[MAX_UNKNOWN];
	unsigned nunk = 0;
	unsigned long checked = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--objdump") == 0 && i + 1 < argc) {
			objdump = argv[++i];
		} else if (strcmp(argv[i], "--nm") == 0 && i + 1 < argc) {
			nm = argv[++i];
		} else if (strcmp(argv[i], "--skip-section") == 0 && i + 1 < argc) {
			if (nskip < 16)
				skip[nskip++] = argv[++i];
		} else if (strcmp(argv[i], "--skip-function") == 0 && i + 1 < argc) {
			if (nskip_fn < 64)
				skip_fn[nskip_fn++] = argv[++i];
		} else if (strcmp(argv[i], "--skip-mnemonic") == 0 && i + 1 < argc) {
			if (nskip_mn < 64)
				skip_mn[nskip_mn++] = argv[++i];
		} else {
			const char *elf = argv[i];
			nfiles++;
			unsigned nsyms = load_syms(nm, elf, syms);
			char cmd[4096];
			snprintf(cmd, sizeof(cmd), "'%s' -d --no-show-raw-insn -M intel '%s'", objdump, elf);
			FILE *p = popen(cmd, "r");
			if (!p) {
				fprintf(stderr, "cannot run %s\n", cmd);
				return 1;
			}
			char line[1024], section[128] = "", symname[128] = "?";
			bool skipping = false, skip_this_fn = false;
			uint64_t sym_end = UINT64_MAX;
			unsigned long lines = 0;
			while (fgets(line, sizeof(line), p)) {
				lines++;
				if (strncmp(line, "Disassembly of section ", 23) == 0) {
					sscanf(line + 23, "%127[^:]", section);
					skipping = false;
					for (unsigned k = 0; k < nskip; k++)
						if (strcmp(section, skip[k]) == 0)
							skipping = true;
					continue;
				}
				uint64_t addr;
				char name[128];
				if (sscanf(line, "%" SCNx64 " <%127[^>]>:", &addr, name) == 2) {
					snprintf(symname, sizeof(symname), "%s", name);
					skip_this_fn = false;
					for (unsigned k = 0; k < nskip_fn; k++)
						if (strstr(name, skip_fn[k]))
							skip_this_fn = true;
					const struct sym *s = find_sym(syms, nsyms, name, addr);
					sym_end = s && s->size ? addr + s->size : UINT64_MAX;
					continue;
				}
				char *tab = strchr(line, '\t');
				if (skipping || !tab || sscanf(line, " %" SCNx64 ":", &addr) != 1)
					continue;
				if (addr >= sym_end)
					continue; /* data after the end of a function */
				char *save = NULL, *tok = strtok_r(tab + 1, " \t\n", &save);
				while (tok && is_prefix(tok))
					tok = strtok_r(NULL, " \t\n", &save);
				if (!tok)
					continue; /* a lone prefix */
				bool skip_mnem = false;
				for (unsigned k = 0; k < nskip_mn; k++)
					if (strcmp(tok, skip_mn[k]) == 0)
						skip_mnem = true;
				if (skip_this_fn || skip_mnem) {
					skipped++;
					continue;
				}
				checked++;
				if (implemented(tok))
					continue;
				unsigned u;
				for (u = 0; u < nunk; u++)
					if (strcmp(unk[u].mnem, tok) == 0)
						break;
				if (u == nunk && nunk < MAX_UNKNOWN) {
					snprintf(unk[u].mnem, sizeof(unk[u].mnem), "%s", tok);
					snprintf(unk[u].where, sizeof(unk[u].where), "%s: 0x%" PRIx64 " in <%s>",
						 elf, addr, symname);
					nunk++;
				}
				if (u < MAX_UNKNOWN)
					unk[u].count++;
			}
			int rc = pclose(p);
			if (rc != 0 || lines == 0) {
				fprintf(stderr, "%s failed on %s (status %d)\n", objdump, elf, rc);
				return 1;
			}
		}
	}
	if (nfiles == 0) {
		fprintf(stderr, "usage: coverage [--objdump PATH] [--nm PATH] [--skip-section NAME]... ELF...\n");
		return 2;
	}
	if (checked == 0) {
		fprintf(stderr, "no instructions found to check\n");
		return 1;
	}
	if (nunk) {
		fprintf(stderr, "%u mnemonic(s) the soft CPU does not implement:\n", nunk);
		for (unsigned u = 0; u < nunk; u++)
			fprintf(stderr, "  %-12s %6u time(s), first at %s\n", unk[u].mnem, unk[u].count,
				unk[u].where);
		return 1;
	}
	printf("%lu instructions checked: every mnemonic is implemented (%lu left out by "
	       "--skip-function/--skip-mnemonic)\n", checked, skipped);
	return 0;
}
