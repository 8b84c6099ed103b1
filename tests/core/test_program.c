/*
 * tests/core/test_program.c — the VMM side of programs, piece by piece:
 * the ELF checks (crafted headers: 32-bit, other machine, big-endian,
 * truncated, an interpreter, DT_NEEDED, a static-pie's dynamic section),
 * the package's every field built from real files, the refusal of
 * duplicate and overlong file names, the split of an argument text, a
 * hostile guest's write descriptors, output capture at its cap, JSON of
 * arbitrary bytes, and the program's console lines.
 *
 * Usage: test-program DIR (a scratch folder it may write files in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "core/console.h"
#include "core/json.h"
#include "core/program.h"
#include "core/progout.h"

static const char *dir;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A minimal static x86-64 executable: header, two program headers (a
 * PT_LOAD of the whole file and one of `second_type`), then 64 bytes of
 * "code" that the PT_DYNAMIC, when it is one, covers. */
static size_t make_elf(uint8_t *b, uint32_t second_type, int64_t dyn_tag)
{
	size_t size = 64 + 2 * 56 + 64;

	memset(b, 0, size);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = 2;                 /* ELFCLASS64 */
	b[5] = 1;                 /* little-endian */
	b[6] = 1;
	put16(b + 16, 2);         /* ET_EXEC */
	put16(b + 18, 62);        /* x86-64 */
	put32(b + 20, 1);
	put64(b + 24, 0x401000);
	put64(b + 32, 64);        /* phoff */
	put16(b + 52, 64);
	put16(b + 54, 56);
	put16(b + 56, 2);
	/* PT_LOAD */
	put32(b + 64, 1);
	put64(b + 64 + 8, 0);
	put64(b + 64 + 16, 0x400000);
	put64(b + 64 + 32, size);
	put64(b + 64 + 40, size);
	/* the second */
	put32(b + 120, second_type);
	put64(b + 120 + 8, 64 + 2 * 56);
	put64(b + 120 + 32, 32);
	put64(b + 120 + 40, 32);
	put64(b + 176, (uint64_t)dyn_tag);
	put64(b + 176 + 16, 0);   /* DT_NULL */
	return size;
}

static void expect_refusal(const char *what, const uint8_t *b, size_t n, const char *want)
{
	char why[512] = "";
	int rc = prog_check_elf("/x/prog", b, n, why, sizeof(why));

	CHECK(rc == -ENOEXEC, "%s: accepted (rc %d)", what, rc);
	CHECK(!strcmp(why, want), "%s: said '%s', expected '%s'", what, why, want);
}

static void test_elf_checks(void)
{
	uint8_t b[512];
	size_t n;
	char why[512] = "";

	n = make_elf(b, 4 /* PT_NOTE */, 0);
	CHECK(!prog_check_elf("/x/prog", b, n, why, sizeof(why)), "a good static ELF refused: %s", why);
	n = make_elf(b, 2 /* PT_DYNAMIC */, 30 /* DT_FLAGS */);
	CHECK(!prog_check_elf("/x/prog", b, n, why, sizeof(why)), "a static-pie's dynamic section refused: %s", why);
	b[16] = 3;   /* ET_DYN */
	CHECK(!prog_check_elf("/x/prog", b, n, why, sizeof(why)), "ET_DYN refused: %s", why);

	n = make_elf(b, 3 /* PT_INTERP */, 0);
	expect_refusal("PT_INTERP", b, n, "/x/prog: dynamically linked: build with -static");
	n = make_elf(b, 2, 1 /* DT_NEEDED */);
	expect_refusal("DT_NEEDED", b, n, "/x/prog: dynamically linked: build with -static");

	n = make_elf(b, 4, 0);
	b[4] = 1;
	expect_refusal("ELFCLASS32", b, 52, "/x/prog: a 32-bit ELF; memvirt runs x86-64 (ELF64) programs");
	n = make_elf(b, 4, 0);
	put16(b + 18, 183);
	expect_refusal("AArch64", b, n, "/x/prog: an ELF for machine 183 (AArch64), not x86-64 (e_machine 62)");
	n = make_elf(b, 4, 0);
	b[5] = 2;
	expect_refusal("big-endian", b, n, "/x/prog: a big-endian ELF; memvirt runs x86-64 (little-endian) programs");
	n = make_elf(b, 4, 0);
	put16(b + 16, 1);
	expect_refusal("ET_REL", b, n,
		       "/x/prog: an ELF of type 1 (a relocatable object (.o): link it), not an executable");
	n = make_elf(b, 4, 0);
	expect_refusal("truncated header", b, 40, "/x/prog: a truncated ELF (40 bytes, shorter than its header)");
	expect_refusal("truncated program headers", b, 100,
		       "/x/prog: a truncated ELF (its program headers end past the file's 100 bytes)");
	expect_refusal("segment past the end", b, n - 8,
		       "/x/prog: a truncated ELF (segment 0 ends past the file's 232 bytes)");
	expect_refusal("text", (const uint8_t *)"#!/bin/sh\n", 10,
		       "/x/prog: not an ELF file (memvirt runs static Linux x86-64 executables)");
	expect_refusal("empty", b, 0, "/x/prog: not an ELF file (memvirt runs static Linux x86-64 executables)");
	n = make_elf(b, 4, 0);
	put16(b + 56, 0);
	expect_refusal("no program headers", b, n, "/x/prog: an ELF without program headers: nothing to load");
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL, "cannot create %s", path);
	CHECK(fwrite(data, 1, len, f) == len, "cannot write %s", path);
	fclose(f);
	CHECK(!chmod(path, mode), "cannot chmod %s", path);
}

static void test_package(void)
{
	uint8_t elf[512];
	size_t elf_len = make_elf(elf, 4, 0);
	char prog[4096], data1[4096], data2[4096], why[512] = "";
	const char *args[] = {"-n", "5", "two words", ""};
	const char *files[2];
	struct prog_package pkg;
	struct mv_prog_header h;
	const char *s;

	snprintf(prog, sizeof(prog), "%s/hello", dir);
	snprintf(data1, sizeof(data1), "%s/in.txt", dir);
	snprintf(data2, sizeof(data2), "%s/empty", dir);
	write_file(prog, elf, elf_len, 0755);
	write_file(data1, "abc", 3, 0640);
	write_file(data2, "", 0, 0600);
	files[0] = data1;
	files[1] = data2;
	CHECK(!prog_package_build(prog, args, 4, files, 2, 12345, &pkg, why, sizeof(why)), "build: %s", why);
	CHECK(pkg.len % 8 == 0, "package length %zu is not 8-aligned", pkg.len);
	memcpy(&h, pkg.data, sizeof(h));
	CHECK_EQ_U64(h.magic, MV_PROG_MAGIC);
	CHECK_EQ_U64(h.version, MV_PROG_VERSION);
	CHECK_EQ_U64(h.argc, 5);
	CHECK_EQ_U64(h.envc, prog_env_count);
	CHECK_EQ_U64(h.file_count, 3);
	CHECK_EQ_U64(h.flags, 0);
	CHECK_EQ_U64(h.strings_off, 64);
	CHECK_EQ_U64(h.output_limit, 12345);
	CHECK_EQ_U64(h.total_len, pkg.len);
	CHECK_EQ_U64(h.files_off % 8, 0);
	CHECK(h.files_off >= h.strings_off + h.strings_len, "files at %" PRIu64 " overlap the strings", h.files_off);
	/* argv then envp, back to back */
	s = (const char *)pkg.data + h.strings_off;
	{
		const char *want[] = {"/hello", "-n", "5", "two words", "", "PATH=/", "HOME=/", "LANG=C", "TERM=dumb"};
		size_t total = 0;

		CHECK_EQ_U64(prog_env_count, 4);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			CHECK(!strcmp(s, want[i]), "string %zu is '%s', expected '%s'", i, s, want[i]);
			total += strlen(s) + 1;
			s += strlen(s) + 1;
		}
		CHECK_EQ_U64(h.strings_len, total);
	}
	{
		const char *names[] = {"hello", "in.txt", "empty"};
		const uint8_t *contents[] = {elf, (const uint8_t *)"abc", (const uint8_t *)""};
		uint64_t sizes[] = {elf_len, 3, 0};
		uint32_t modes[] = {0755, 0640, 0600};
		uint64_t prev_end = h.files_off + 3 * sizeof(struct mv_prog_file);

		for (unsigned i = 0; i < 3; i++) {
			struct mv_prog_file f;

			memcpy(&f, pkg.data + h.files_off + i * sizeof(f), sizeof(f));
			CHECK(!strcmp(f.name, names[i]), "file %u named '%s', expected '%s'", i, f.name, names[i]);
			CHECK_EQ_U64(f.size, sizes[i]);
			CHECK_EQ_U64(f.mode, modes[i]);
			CHECK_EQ_U64(f.reserved, 0);
			CHECK_EQ_U64(f.data_off % 8, 0);
			CHECK(f.data_off >= prev_end, "file %u at %" PRIu64 " overlaps what is before it (%" PRIu64 ")", i,
			      f.data_off, prev_end);
			CHECK(f.data_off + f.size <= h.total_len, "file %u ends past the package", i);
			CHECK(!memcmp(pkg.data + f.data_off, contents[i], sizes[i]), "file %u's bytes differ", i);
			prev_end = f.data_off + f.size;
			CHECK(strlen(pkg.files[i].sha256) == 64, "file %u has no sha256", i);
		}
		CHECK(!strcmp(pkg.files[1].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
		      "sha256 of 'abc' is %s", pkg.files[1].sha256);
	}
	prog_package_free(&pkg);

	/* refusals */
	files[1] = data1;
	CHECK(prog_package_build(prog, NULL, 0, files, 2, 0, &pkg, why, sizeof(why)) == -EINVAL &&
		      strstr(why, "a second file named 'in.txt'"),
	      "a duplicate base name: %s", why);
	{
		char longname[4096], sub[4096];

		snprintf(sub, sizeof(sub), "%s/sub", dir);
		mkdir(sub, 0755);
		snprintf(longname, sizeof(longname), "%s/sub/%064d", dir, 0);
		write_file(longname, "x", 1, 0644);
		files[0] = longname;
		CHECK(prog_package_build(prog, NULL, 0, files, 1, 0, &pkg, why, sizeof(why)) == -EINVAL &&
			      strstr(why, "a file name of 64 characters; the guest's files have at most 63"),
		      "a name of 64 characters: %s", why);
		snprintf(longname, sizeof(longname), "%s/sub/in.txt", dir);
		write_file(longname, "x", 1, 0644);
		files[1] = longname;
		files[0] = data1;
		CHECK(prog_package_build(prog, NULL, 0, files, 2, 0, &pkg, why, sizeof(why)) == -EINVAL,
		      "the same base name in two folders accepted");
	}
	files[0] = "/nonexistent/memvirt-test-file";
	CHECK(prog_package_build(prog, NULL, 0, files, 1, 0, &pkg, why, sizeof(why)) == -ENOENT &&
		      !strcmp(why, "/nonexistent/memvirt-test-file: No such file or directory"),
	      "a missing --file: %s", why);
	CHECK(prog_package_build(data1, NULL, 0, NULL, 0, 0, &pkg, why, sizeof(why)) == -ENOEXEC, "a text program: %s",
	      why);
	CHECK(pkg.data == NULL, "a refused package left memory behind");
}

static void test_split(void)
{
	char buf[256], why[256];
	const char *w[8];
	int n;

	n = prog_split_words("  -n 5 'two words' \"a \\\"q\\\" b\" back\\ slash ''", buf, sizeof(buf), w, 8, why,
			     sizeof(why));
	CHECK(n == 6, "split into %d words: %s", n, n < 0 ? why : "");
	CHECK(!strcmp(w[0], "-n") && !strcmp(w[1], "5") && !strcmp(w[2], "two words"), "words 0-2: %s|%s|%s", w[0],
	      w[1], w[2]);
	CHECK(!strcmp(w[3], "a \"q\" b"), "double quotes: '%s'", w[3]);
	CHECK(!strcmp(w[4], "back slash"), "backslash: '%s'", w[4]);
	CHECK(!strcmp(w[5], ""), "an empty quoted word: '%s'", w[5]);
	CHECK(prog_split_words("", buf, sizeof(buf), w, 8, why, sizeof(why)) == 0, "the empty text has words");
	CHECK(prog_split_words("'open", buf, sizeof(buf), w, 8, why, sizeof(why)) == -EINVAL &&
		      strstr(why, "unterminated ' quote"),
	      "an open quote: %s", why);
	CHECK(prog_split_words("a b c", buf, sizeof(buf), w, 2, why, sizeof(why)) == -EINVAL, "too many words");
	CHECK(prog_split_words("abcdefgh", buf, 4, w, 2, why, sizeof(why)) == -EINVAL, "a word past the buffer");
}

static void test_descriptors(void)
{
	static uint8_t ram[8192];
	struct mv_prog_write w;
	const uint8_t *data;
	char why[256];
	struct {
		uint64_t desc;
		uint32_t fd, len;
		uint64_t gpa;
		int rc;
		const char *says;
	} cases[] = {
		{0x100, 1, 5, 0x1000, 0, NULL},
		{0x100, 2, 0, 0x2000, 0, NULL},                     /* empty at the very end: fine */
		{0x100, 1, 4096, 0x1000, 0, NULL},                  /* up to the last byte */
		{0x100, 1, 4097, 0x1000, -EFAULT, "outside"},       /* one past */
		{0x100, 0, 5, 0x1000, -EINVAL, "fd 0"},
		{0x100, 3, 5, 0x1000, -EINVAL, "fd 3"},
		{0x100, 1, 65537, 0, -EINVAL, "length 65537"},
		{0x100, 1, 16, UINT64_MAX - 8, -EFAULT, "outside"},  /* gpa + len wraps */
		{0x100, 1, 1, 0x2000, -EFAULT, "outside"},
		{8192 - 8, 1, 1, 0, -EFAULT, "descriptor"},          /* the descriptor itself straddles the end */
		{UINT32_MAX, 1, 1, 0, -EFAULT, "descriptor"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mv_prog_write d = {.fd = cases[i].fd, .len = cases[i].len, .gpa = cases[i].gpa};
		int rc;

		memset(ram, 0, sizeof(ram));
		if (cases[i].desc + sizeof(d) <= sizeof(ram))
			memcpy(ram + cases[i].desc, &d, sizeof(d));
		why[0] = '\0';
		rc = progout_read(ram, sizeof(ram), cases[i].desc, &w, &data, why, sizeof(why));
		CHECK(rc == cases[i].rc, "case %zu (desc %#" PRIx64 " fd %u len %u gpa %#" PRIx64 "): rc %d, expected %d (%s)",
		      i, cases[i].desc, cases[i].fd, cases[i].len, cases[i].gpa, rc, cases[i].rc, why);
		if (rc) {
			CHECK(data == NULL, "case %zu: refused but data set", i);
			CHECK(strstr(why, cases[i].says), "case %zu: said '%s', expected it to name '%s'", i, why,
			      cases[i].says);
		} else {
			CHECK(data == ram + cases[i].gpa && w.len == cases[i].len, "case %zu: wrong data", i);
		}
	}
}

static void test_capture(void)
{
	struct progout_stream s;

	progout_init(&s, 10);
	CHECK(!progout_append(&s, (const uint8_t *)"hello ", 6), "append");
	CHECK(!progout_append(&s, (const uint8_t *)"world!", 6), "append");
	CHECK(!progout_append(&s, (const uint8_t *)"more", 4), "append");
	CHECK_EQ_U64(s.len, 10);
	CHECK_EQ_U64(s.truncated, 6);
	CHECK(!memcmp(s.data, "hello worl", 10), "kept '%.*s'", (int)s.len, (const char *)s.data);
	progout_free(&s);
	progout_init(&s, 0);
	CHECK(!progout_append(&s, (const uint8_t *)"x", 1), "append");
	CHECK(s.len == 0 && s.truncated == 1 && s.data == NULL, "a cap of 0 keeps nothing");
	progout_free(&s);
}

static void test_json_bytes(void)
{
	static const uint8_t in[] = {'a', '"', '\\', '\n', 0, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0x80,
				     0xc0, 0xaf, 0xf0, 0x9f, 0x98, 0x80, 0xe2, 0x82};
	const char *want = "\"a\\\"\\\\\\n\\u0000\xc3\xa9\\u00ff\xe2\x82\xac\\u00ed\\u00a0\\u0080\\u00c0\\u00af"
			   "\xf0\x9f\x98\x80\\u00e2\\u0082\"";
	struct json j;

	json_init(&j);
	json_string_bytes(&j, in, sizeof(in));
	CHECK(!strcmp(json_text(&j), want), "JSON of bytes: %s\nexpected: %s", json_text(&j), want);
	json_free(&j);
	json_init(&j);
	json_string_bytes(&j, NULL, 0);
	CHECK(!strcmp(json_text(&j), "\"\""), "no bytes: %s", json_text(&j));
	json_free(&j);
}

static void console_lines(struct console *c, const char *text)
{
	for (const char *p = text; *p; p++)
		console_put(c, (uint8_t)*p);
}

static void test_console(void)
{
	struct ctr_set ctr;
	struct console c;
	char why[512];

	ctr_init(&ctr);
	console_init(&c, 0, NULL, &ctr);
	console_lines(&c, "memvirt guest: lx\nstat enosys_334=2\nprogram exit_status=3\nprogram exit_status=0\n");
	CHECK(c.program.exited && c.program.exit_status == 3, "exit status %d", c.program.exit_status);
	CHECK(console_program_failure(&c.program, why, sizeof(why)) && !strcmp(why, "program exited with status 3"),
	      "exit 3: %s", why);
	CHECK(ctr_get(&ctr, -1, "guest_enosys_334", -1) == 2, "stat enosys_334 is not the counter guest_enosys_334");

	console_init(&c, 0, NULL, &ctr);
	console_lines(&c, "program signal=11 name=SIGSEGV addr=0 rip=401a2f\n");
	CHECK(console_program_failure(&c.program, why, sizeof(why)) &&
		      !strcmp(why, "program killed by SIGSEGV (signal 11) at address 0x0, rip 0x401a2f"),
	      "signal: %s", why);

	console_init(&c, 0, NULL, &ctr);
	console_lines(&c, "program error cannot map segment 2\n");
	CHECK(console_program_failure(&c.program, why, sizeof(why)) &&
		      !strcmp(why, "program error: cannot map segment 2"),
	      "error: %s", why);

	console_init(&c, 0, NULL, &ctr);
	console_lines(&c, "program exit_status=0\n");
	CHECK(!console_program_failure(&c.program, why, sizeof(why)), "exit 0 is a failure: %s", why);

	console_init(&c, 0, NULL, &ctr);
	console_lines(&c, "program exit_status=zero\nprogram signal=11 name=SIGSEGV\n");
	CHECK(!c.program.exited && !c.program.signalled, "malformed lines were taken");
	CHECK(console_program_failure(&c.program, why, sizeof(why)) && strstr(why, "did not say how the program ended"),
	      "no end line: %s", why);
	ctr_free(&ctr);
}

int main(int argc, char **argv)
{
	CHECK(argc == 2, "usage: test-program DIR");
	dir = argv[1];
	mkdir(dir, 0755);
	test_elf_checks();
	test_package();
	test_split();
	test_descriptors();
	test_capture();
	test_json_bytes();
	test_console();
	printf("ok\n");
	return 0;
}
