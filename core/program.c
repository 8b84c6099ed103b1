/*
 * core/program.c — a user's program checked and packaged (program.h;
 * the package format is workloads/program_abi.h).
 *
 * The ELF checks read only what a loader needs and never trust an offset
 * before comparing it with the file's size, so a truncated or hostile
 * file is refused with a line, never read past.
 */
#include "core/program.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"

const char *const prog_env[] = {"PATH=/", "HOME=/", "LANG=C", "TERM=dumb"};
const unsigned prog_env_count = sizeof(prog_env) / sizeof(prog_env[0]);

const struct wl_desc prog_workload = {
	.name = PROG_WORKLOAD,
	.help = "a static Linux x86-64 program (--program)",
	.param_count = 0,
};

static int say(char *why, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int say(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return rc;
}

const char *prog_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ---- the ELF ------------------------------------------------------------ */

#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define DT_NULL 0
#define DT_NEEDED 1

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static const char *machine_name(uint16_t m)
{
	switch (m) {
	case 3: return "i386";
	case 8: return "MIPS";
	case 20: return "PowerPC";
	case 21: return "PowerPC64";
	case 22: return "S390";
	case 40: return "ARM";
	case 50: return "IA-64";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	case 258: return "LoongArch";
	default: return "unknown";
	}
}

static const char *type_name(uint16_t t)
{
	switch (t) {
	case 0: return "no file type";
	case 1: return "a relocatable object (.o): link it";
	case 4: return "a core dump";
	default: return "not an executable";
	}
}

int prog_check_elf(const char *path, const uint8_t *d, size_t size, char *why, size_t len)
{
	uint64_t phoff;
	uint16_t type, machine, phentsize, phnum;
	unsigned loads = 0;

	if (size < 4 || memcmp(d, "\x7f" "ELF", 4))
		return say(why, len, -ENOEXEC, "%s: not an ELF file (memvirt runs static Linux x86-64 executables)",
			   path);
	if (size > EI_CLASS && d[EI_CLASS] == ELFCLASS32)
		return say(why, len, -ENOEXEC, "%s: a 32-bit ELF; memvirt runs x86-64 (ELF64) programs", path);
	if (size < 64)
		return say(why, len, -ENOEXEC, "%s: a truncated ELF (%zu bytes, shorter than its header)", path, size);
	if (d[EI_CLASS] != ELFCLASS64)
		return say(why, len, -ENOEXEC, "%s: an ELF of unknown class %u; memvirt runs x86-64 (ELF64) programs",
			   path, d[EI_CLASS]);
	if (d[EI_DATA] != ELFDATA2LSB)
		return say(why, len, -ENOEXEC, "%s: a big-endian ELF; memvirt runs x86-64 (little-endian) programs",
			   path);
	type = get16(d + 16);
	machine = get16(d + 18);
	if (machine != EM_X86_64)
		return say(why, len, -ENOEXEC, "%s: an ELF for machine %u (%s), not x86-64 (e_machine 62)", path,
			   machine, machine_name(machine));
	if (type != ET_EXEC && type != ET_DYN)
		return say(why, len, -ENOEXEC, "%s: an ELF of type %u (%s), not an executable", path, type,
			   type_name(type));
	phoff = get64(d + 32);
	phentsize = get16(d + 54);
	phnum = get16(d + 56);
	if (phnum == 0)
		return say(why, len, -ENOEXEC, "%s: an ELF without program headers: nothing to load", path);
	if (phentsize != 56)
		return say(why, len, -ENOEXEC, "%s: an ELF with program headers of %u bytes (ELF64 has 56)", path,
			   phentsize);
	if (phoff > size || (uint64_t)phnum * 56 > size - phoff)
		return say(why, len, -ENOEXEC, "%s: a truncated ELF (its program headers end past the file's %zu bytes)",
			   path, size);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = d + phoff + (uint64_t)i * 56;
		uint32_t ptype = get32(ph);
		uint64_t off = get64(ph + 8), filesz = get64(ph + 32), memsz = get64(ph + 40);

		if (ptype == PT_INTERP)
			return say(why, len, -ENOEXEC, "%s: dynamically linked: build with -static", path);
		if (ptype != PT_LOAD && ptype != PT_DYNAMIC)
			continue;
		if (off > size || filesz > size - off)
			return say(why, len, -ENOEXEC,
				   "%s: a truncated ELF (segment %u ends past the file's %zu bytes)", path, i, size);
		if (ptype == PT_LOAD) {
			if (filesz > memsz)
				return say(why, len, -ENOEXEC,
					   "%s: a malformed ELF (segment %u holds more file bytes than memory)", path, i);
			loads++;
			continue;
		}
		/* A static-pie has a dynamic section of its own relocations;
		 * a program that needs a library names it with DT_NEEDED. */
		for (uint64_t k = 0; k + 16 <= filesz; k += 16) {
			int64_t tag = (int64_t)get64(d + off + k);

			if (tag == DT_NULL)
				break;
			if (tag == DT_NEEDED)
				return say(why, len, -ENOEXEC, "%s: dynamically linked: build with -static", path);
		}
	}
	if (!loads)
		return say(why, len, -ENOEXEC, "%s: an ELF without loadable segments", path);
	return 0;
}

int prog_read_file(const char *path, uint8_t **data, size_t *size, uint32_t *mode, char *why, size_t len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, rc;

	*data = NULL;
	*size = 0;
	/* O_NONBLOCK: a FIFO given as a file must not hang the command (it is
	 * refused below as not a regular file). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		return say(why, len, rc, "%s: %s", path, strerror(-rc));
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		return say(why, len, rc, "%s: %s", path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return say(why, len, -EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > PROG_MAX_FILE_SIZE) {
		close(fd);
		return say(why, len, -EFBIG, "%s: %jd bytes; at most %llu MiB", path, (intmax_t)st.st_size,
			   PROG_MAX_FILE_SIZE >> 20);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return say(why, len, -ENOMEM, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return say(why, len, rc, "%s: %s", path, n < 0 ? strerror(-rc) : "it shrank while being read");
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = got;
	if (mode)
		*mode = (uint32_t)(st.st_mode & 07777);
	return 0;
}

/* ---- the package --------------------------------------------------------- */

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

void prog_package_free(struct prog_package *pkg)
{
	free(pkg->data);
	pkg->data = NULL;
	pkg->len = 0;
}

static int check_name(const char *path, const char *name, char *why, size_t len)
{
	if (!*name)
		return say(why, len, -EINVAL, "%s: no file name (the path ends with '/')", path);
	if (strlen(name) > MV_PROG_NAME_MAX - 1)
		return say(why, len, -EINVAL, "%s: a file name of %zu characters; the guest's files have at most %u",
			   path, strlen(name), MV_PROG_NAME_MAX - 1);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return say(why, len, -EINVAL, "%s: not a file name", path);
	return 0;
}

int prog_package_build(const char *program, const char *const *args, unsigned nargs,
		       const char *const *files, unsigned nfiles, uint64_t output_limit,
		       struct prog_package *pkg, char *why, size_t len)
{
	uint8_t *data[PROG_MAX_FILES] = {0};
	size_t size[PROG_MAX_FILES] = {0};
	uint32_t mode[PROG_MAX_FILES] = {0};
	const char *paths[PROG_MAX_FILES];
	struct mv_prog_header h;
	uint64_t strings_len, off;
	unsigned count = nfiles + 1;
	int rc = 0;

	memset(pkg, 0, sizeof(*pkg));
	if (nargs + 1 > PROG_MAX_ARGS)
		return say(why, len, -EINVAL, "%u program arguments; at most %u", nargs, PROG_MAX_ARGS - 1);
	if (count > PROG_MAX_FILES)
		return say(why, len, -EINVAL, "%u --file files; at most %u", nfiles, PROG_MAX_FILES - 1);
	paths[0] = program;
	for (unsigned i = 0; i < nfiles; i++)
		paths[i + 1] = files[i];
	for (unsigned i = 0; i < count && !rc; i++) {
		const char *name = prog_base_name(paths[i]);

		rc = check_name(paths[i], name, why, len);
		for (unsigned k = 0; k < i && !rc; k++)
			if (!strcmp(pkg->files[k].name, name))
				rc = say(why, len, -EINVAL, "%s: a second file named '%s' (the guest's files are one folder)",
					 paths[i], name);
		if (!rc)
			rc = prog_read_file(paths[i], &data[i], &size[i], &mode[i], why, len);
		if (!rc && i == 0)
			rc = prog_check_elf(paths[i], data[i], size[i], why, len);
		if (!rc) {
			struct sha256 s;

			snprintf(pkg->files[i].name, sizeof(pkg->files[i].name), "%s", name);
			sha256_init(&s);
			sha256_update(&s, data[i], size[i]);
			sha256_hex(&s, pkg->files[i].sha256);
			pkg->files[i].size = size[i];
		}
	}
	if (rc)
		goto out;
	pkg->file_count = count;

	/* Layout: header, strings (argv then envp), file entries, data. */
	strings_len = 1 + strlen(pkg->files[0].name) + 1;
	for (unsigned i = 0; i < nargs; i++)
		strings_len += strlen(args[i]) + 1;
	for (unsigned i = 0; i < prog_env_count; i++)
		strings_len += strlen(prog_env[i]) + 1;
	off = align8(sizeof(h) + strings_len) + (uint64_t)count * sizeof(struct mv_prog_file);
	for (unsigned i = 0; i < count; i++)
		off = align8(off) + size[i];
	off = align8(off);
	pkg->data = calloc(1, off);
	if (!pkg->data) {
		rc = say(why, len, -ENOMEM, "out of memory building the program package (%" PRIu64 " bytes)", off);
		goto out;
	}
	pkg->len = off;
	h = (struct mv_prog_header){
		.magic = MV_PROG_MAGIC,
		.version = MV_PROG_VERSION,
		.argc = nargs + 1,
		.envc = prog_env_count,
		.file_count = count,
		.flags = 0,
		.strings_off = sizeof(h),
		.strings_len = strings_len,
		.files_off = align8(sizeof(h) + strings_len),
		.output_limit = output_limit,
		.total_len = off,
	};
	memcpy(pkg->data, &h, sizeof(h));
	{
		char *s = (char *)pkg->data + h.strings_off;

		s += sprintf(s, "/%s", pkg->files[0].name) + 1;
		for (unsigned i = 0; i < nargs; i++)
			s += sprintf(s, "%s", args[i]) + 1;
		for (unsigned i = 0; i < prog_env_count; i++)
			s += sprintf(s, "%s", prog_env[i]) + 1;
	}
	off = h.files_off + (uint64_t)count * sizeof(struct mv_prog_file);
	for (unsigned i = 0; i < count; i++) {
		struct mv_prog_file f;

		memset(&f, 0, sizeof(f));
		memcpy(f.name, pkg->files[i].name, strlen(pkg->files[i].name));
		off = align8(off);
		f.data_off = off;
		f.size = size[i];
		f.mode = mode[i];
		memcpy(pkg->data + h.files_off + (uint64_t)i * sizeof(f), &f, sizeof(f));
		if (size[i])
			memcpy(pkg->data + off, data[i], size[i]);
		off += size[i];
	}
out:
	for (unsigned i = 0; i < count && i < PROG_MAX_FILES; i++)
		free(data[i]);
	if (rc)
		prog_package_free(pkg);
	return rc;
}

/* ---- argument lists as one text ------------------------------------------ */

int prog_split_words(const char *text, char *buf, size_t buf_len, const char **words, unsigned max_words,
		     char *why, size_t len)
{
	const char *p = text;
	size_t n = 0;
	unsigned count = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return (int)count;
		if (count == max_words)
			return say(why, len, -EINVAL, "more than %u words in '%s'", max_words, text);
		words[count] = buf + n;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			char quote = 0;

			if (*p == '\'' || *p == '"') {
				quote = *p++;
				while (*p && *p != quote) {
					if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					if (n + 1 >= buf_len)
						return say(why, len, -EINVAL, "argument list too long: '%s'", text);
					buf[n++] = *p++;
				}
				if (!*p)
					return say(why, len, -EINVAL, "unterminated %c quote in '%s'", quote, text);
				p++;
				continue;
			}
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 >= buf_len)
				return say(why, len, -EINVAL, "argument list too long: '%s'", text);
			buf[n++] = *p++;
		}
		if (n + 1 > buf_len)
			return say(why, len, -EINVAL, "argument list too long: '%s'", text);
		buf[n++] = '\0';
		count++;
	}
}
