/*
 * bench/vs-qemu.c — the soft engine against QEMU's TCG on the same guest.
 *
 * The same guest kernel image runs each workload twice over: booted by
 * qemu-system-x86_64 (TCG, -kernel through its multiboot entry, the
 * isa-debug-exit device for the guest's exit status, as tests/guest/
 * test_qemu.c boots it) and by `memvirt run --engine soft --backend
 * native` (the memvirt of this build).  Runs alternate, QEMU then memvirt,
 * REPS times (default 3), so that a machine whose speed drifts slows both
 * alike; each run is timed as a whole process, start-up included, from
 * the spawn to the reaping.  Both must print the same checksum, the one
 * the guest computed, or the bench fails.
 *
 * Then, on the soft engine only:
 *   - gups at 64 MiB under the shadow and ept backends against native,
 *     alternated the same way (the backends' own host cost);
 *   - the peak resident memory of a 4 GiB guest whose workload touches
 *     64 MiB (memory grows with what the guest touches, not with --mem).
 *
 * Workloads: scan (64 KiB, TLB-resident), gups and chase at 64 MiB (a
 * TLB miss nearly every access), ptchurn (page-table build and teardown),
 * and sort, the program of workloads/programs/ (radix and merge sort of
 * 1.5 M keys, a static glibc binary): memvirt runs it with --program on
 * the Linux-personality image; QEMU boots that image through multiboot
 * with the program package (built here by core/program.c, as memvirt
 * builds it) as its module.  QEMU's CPU model (qemu64) offers SSE3, which
 * the soft CPU does not, so glibc may pick other string routines there:
 * the same program and output, not always the same instructions.
 *
 * QEMU runs without -icount: plain TCG is the faster QEMU, the yardstick
 * worth beating (its timer then follows host time, which only moves the
 * guest's scheduler ticks; the workloads are single-process).
 *
 * Usage: vs-qemu [--reps N] [WORKLOAD...]
 * Environment: MEMVIRT (memvirt binary), MEMVIRT_GUEST (guest ELF),
 * MEMVIRT_GUEST_LX (the Linux-personality image), QEMU
 * (qemu-system-x86_64).  Exit 77 when QEMU is not installed.
 * Printed last, as name=value: qemu_<w>_s, memvirt_<w>_s (medians),
 * shadow_gups_s, ept_gups_s, native_gups_s, ratio_shadow_gups and
 * ratio_ept_gups (backend / native), peak_rss_mib, and, last of all, one
 * line per workload ratio_<w>=<memvirt/QEMU wall time>.  Every ratio is
 * the median of the ratios of the alternated pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_spawn.h"
#include "core/program.h"
#include "memvirt-config.h"



#define MAX_REPS 15
#define MAX_ARGS 48

struct vsq_case {
	const char *name;
	const char *params;     /* key=value ..., as both the guest and memvirt take them;
				 * a program's arguments */
	unsigned mem_mib;       /* guest RAM on both */
	const char *program;    /* a program of workloads/programs/ run with --program; NULL:
				 * a workload of the guest kernel */
};

static const struct vsq_case vsq_cases[] = {
	{"scan", "wss=65536 passes=4000", 256},
	{"gups", "wss=67108864 updates=4194304", 512},
	{"chase", "wss=67108864 steps=4194304", 512},
	{"ptchurn", "rounds=200", 256},
	{"sort", "", 256, BENCH_PROGRAM_DIR "/sort"},
};
#define VSQ_NCASES (sizeof(vsq_cases) / sizeof(vsq_cases[0]))

/* Splits text at spaces into argv[*n...] (text is modified). */
static void vsq_split(char *text, char **argv, unsigned *n)
{
	for (char *tok = strtok(text, " "); tok && *n < MAX_ARGS - 1; tok = strtok(NULL, " "))
		argv[(*n)++] = tok;
}

/* The checksum a run printed: the guest's `result checksum=HEX` (QEMU's
 * serial console) or memvirt's "checksum":["HEX"]; false when none. */
static bool vsq_checksum(const char *out, uint64_t *sum)
{
	const char *p = out ? strstr(out, "result checksum=") : NULL;
	if (p) {
		*sum = strtoull(p + strlen("result checksum="), NULL, 16);
		return true;
	}
	p = out ? strstr(out, "\"checksum\":[\"") : NULL;
	if (p) {
		*sum = strtoull(p + strlen("\"checksum\":[\""), NULL, 16);
		return true;
	}
	return false;
}

/* The program package of case c, written to path, as memvirt run
 * --program builds it (arguments c->params, no files). */
static int vsq_write_package(const struct vsq_case *c, const char *path)
{
	char params[512], why[512];
	char *words[MAX_ARGS];
	unsigned nw = 0;
	struct prog_package pkg;
	snprintf(params, sizeof(params), "%s", c->params);
	vsq_split(params, words, &nw);
	int rc = prog_package_build(c->program, (const char *const *)words, nw, NULL, 0, 1u << 20,
				    &pkg, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "vs-qemu: %s\n", why);
		return rc;
	}
	FILE *f = fopen(path, "wb");
	rc = f && fwrite(pkg.data, 1, pkg.len, f) == pkg.len ? 0 : -EIO;
	if (f && fclose(f))
		rc = -EIO;
	if (rc)
		fprintf(stderr, "vs-qemu: cannot write %s: %s\n", path, strerror(errno));
	prog_package_free(&pkg);
	return rc;
}

/* A program case boots `guest` (the Linux-personality image) with the
 * package at `package` as its multiboot module. */
static int vsq_run_qemu(const char *qemu, const char *guest, const struct vsq_case *c,
			const char *package, struct bench_run *r)
{
	char mem[16], append[512];
	snprintf(mem, sizeof(mem), "%u", c->mem_mib);
	if (c->program)
		snprintf(append, sizeof(append), "seed=1 timer_period=0");
	else
		snprintf(append, sizeof(append), "workload=%s seed=1 timer_period=0 %s", c->name,
			 c->params);
	char *argv[] = {(char *)qemu, "-accel", "tcg", "-cpu", "qemu64", "-m", mem,
			"-kernel", (char *)guest, "-append", append, "-nographic", "-no-reboot",
			"-display", "none", "-monitor", "none", "-serial", "stdio",
			"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
			c->program ? "-initrd" : NULL, (char *)package, NULL};
	int rc = bench_spawn(argv, true, r);
	if (rc)
		return rc;
	/* isa-debug-exit: QEMU exits with (status << 1) | 1; the guest's 0 is 1. */
	return r->exit_code == 1 ? 0 : -EIO;
}

static int vsq_run_memvirt(const char *memvirt, const char *guest, const char *backend,
			   const struct vsq_case *c, unsigned mem_mib, struct bench_run *r)
{
	char params[512], mem[16];
	char *argv[MAX_ARGS];
	unsigned n = 0;
	snprintf(mem, sizeof(mem), "%uM", mem_mib);
	argv[n++] = (char *)memvirt;
	argv[n++] = "run";
	argv[n++] = "--engine";
	argv[n++] = "soft";
	argv[n++] = "--backend";
	argv[n++] = (char *)backend;
	if (c->program) {
		argv[n++] = "--program";
		argv[n++] = (char *)c->program;
	} else {
		argv[n++] = "--workload";
		argv[n++] = (char *)c->name;
	}
	argv[n++] = "--seed";
	argv[n++] = "1";
	argv[n++] = "--mem";
	argv[n++] = mem;
	argv[n++] = "--guest";
	argv[n++] = (char *)guest;
	argv[n++] = "--no-db";
	argv[n++] = "--json";
	/* Each key=value becomes --param key=value; a program's words --arg. */
	snprintf(params, sizeof(params), "%s", c->params);
	char *words[MAX_ARGS];
	unsigned nw = 0;
	vsq_split(params, words, &nw);
	for (unsigned i = 0; i < nw && n + 3 < MAX_ARGS; i++) {
		argv[n++] = c->program ? "--arg" : "--param";
		argv[n++] = words[i];
	}
	argv[n] = NULL;
	int rc = bench_spawn(argv, true, r);
	if (rc)
		return rc;
	return r->exit_code == 0 ? 0 : -EIO;
}

static int vsq_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double vsq_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), vsq_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void vsq_fail(const char *what, const struct vsq_case *c, const struct bench_run *r, int rc)
{
	fprintf(stderr, "vs-qemu: %s on %s failed (%s, exit %d); its output ends:\n%s\n", what,
		c->name, rc == -EIO ? "bad exit status" : strerror(-rc), r->exit_code,
		r->out ? r->out + (strlen(r->out) > 2000 ? strlen(r->out) - 2000 : 0) : "");
}

int main(int argc, char **argv)
{
	const char *memvirt = getenv("MEMVIRT"), *guest = getenv("MEMVIRT_GUEST");
	const char *qemu = getenv("QEMU");
	char mpath[4096], gpath[4096];
	const struct vsq_case *cases[VSQ_NCASES];
	size_t nc = 0;
	int reps = 3;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "vs-qemu: --reps takes 1 to %d\n", MAX_REPS);
				return 2;
			}
			continue;
		}
		size_t k = 0;
		while (k < VSQ_NCASES && strcmp(vsq_cases[k].name, argv[i]))
			k++;
		if (k == VSQ_NCASES) {
			fprintf(stderr, "usage: vs-qemu [--reps N] [scan|gups|chase|ptchurn|sort...]\n");
			return 2;
		}
		if (nc < VSQ_NCASES)
			cases[nc++] = &vsq_cases[k];
	}
	if (!nc)
		for (size_t k = 0; k < VSQ_NCASES; k++)
			cases[nc++] = &vsq_cases[k];
	if (!memvirt) {
		snprintf(mpath, sizeof(mpath), "%s/memvirt", MEMVIRT_BUILD_ROOT);
		memvirt = mpath;
	}
	if (!guest) {
		snprintf(gpath, sizeof(gpath), "%s/workloads/memvirt-guest.elf", MEMVIRT_BUILD_ROOT);
		guest = gpath;
	}
	const char *guest_lx = getenv("MEMVIRT_GUEST_LX");
	char lxpath[4096], package[64] = "";
	if (!guest_lx) {
		snprintf(lxpath, sizeof(lxpath), "%s/workloads/lx/memvirt-guest-lx.elf",
			 MEMVIRT_BUILD_ROOT);
		guest_lx = lxpath;
	}
	if (!qemu)
		qemu = "qemu-system-x86_64";
	{
		struct bench_run probe;
		char *pv[] = {(char *)qemu, "--version", NULL};
		if (bench_spawn(pv, true, &probe) || probe.exit_code != 0) {
			fprintf(stderr, "vs-qemu: cannot run %s: install it with `apt-get install "
					"qemu-system-x86`, or name it in $QEMU\n", qemu);
			free(probe.out);
			return 77;
		}
		printf("QEMU: %.*s\n", (int)strcspn(probe.out ? probe.out : "", "\n"),
		       probe.out ? probe.out : "");
		free(probe.out);
	}

	/* One package file for the program case (the only one there is). */
	for (size_t i = 0; i < nc; i++) {
		if (!cases[i]->program || package[0])
			continue;
		int fd;
		snprintf(package, sizeof(package), "/tmp/vs-qemu-package-XXXXXX");
		fd = mkstemp(package);
		if (fd < 0) {
			fprintf(stderr, "vs-qemu: cannot create a temporary file: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
		if (vsq_write_package(cases[i], package)) {
			unlink(package);
			return 1;
		}
	}

	double qw[VSQ_NCASES][MAX_REPS], mw[VSQ_NCASES][MAX_REPS];
	for (int rep = 0; rep < reps; rep++) {
		for (size_t i = 0; i < nc; i++) {
			struct bench_run q, m;
			uint64_t qsum = 0, msum = 0;
			const char *img = cases[i]->program ? guest_lx : guest;
			int rc = vsq_run_qemu(qemu, img, cases[i], package, &q);
			if (rc) {
				vsq_fail("QEMU", cases[i], &q, rc);
				if (package[0])
					unlink(package);
				return 1;
			}
			rc = vsq_run_memvirt(memvirt, img, "native", cases[i], cases[i]->mem_mib, &m);
			if (rc) {
				vsq_fail("memvirt", cases[i], &m, rc);
				return 1;
			}
			if (!vsq_checksum(q.out, &qsum) || !vsq_checksum(m.out, &msum) || qsum != msum) {
				fprintf(stderr, "vs-qemu: %s: checksums differ or are missing (QEMU %016" PRIx64
						", memvirt %016" PRIx64 ")\n", cases[i]->name, qsum, msum);
				return 1;
			}
			qw[i][rep] = q.wall_s;
			mw[i][rep] = m.wall_s;
			printf("  run %d %-8s QEMU %7.3f s  memvirt %7.3f s  checksum %016" PRIx64 "\n",
			       rep + 1, cases[i]->name, q.wall_s, m.wall_s, qsum);
			fflush(stdout);
			free(q.out);
			free(m.out);
		}
	}

	/* The backends' own host cost on the soft engine: gups at 64 MiB. */
	const struct vsq_case *gups = &vsq_cases[1];
	static const char *const backends[] = {"native", "shadow", "ept"};
	double bw[3][MAX_REPS];
	for (int rep = 0; rep < reps; rep++) {
		for (unsigned b = 0; b < 3; b++) {
			struct bench_run r;
			int rc = vsq_run_memvirt(memvirt, guest, backends[b], gups, gups->mem_mib, &r);
			if (rc) {
				vsq_fail(backends[b], gups, &r, rc);
				return 1;
			}
			bw[b][rep] = r.wall_s;
			free(r.out);
		}
	}

	/* Resident memory follows what the guest touches: 4 GiB of RAM, a
	 * 64 MiB table (gups initialises all of it). */
	const struct vsq_case touch = {"gups", "wss=67108864 updates=65536", 4096};
	struct bench_run big;
	int rc = vsq_run_memvirt(memvirt, guest, "native", &touch, touch.mem_mib, &big);
	if (rc) {
		vsq_fail("memvirt --mem 4096M", &touch, &big, rc);
		return 1;
	}
	free(big.out);

	/* Ratios are the medians of each pair's ratio (a run of memvirt over
	 * the QEMU run just before it): a drift of the machine's speed moves
	 * both runs of a pair. */
	printf("%-10s %12s %12s %8s   (medians of %d runs each, whole processes, alternated;\n"
	       "%-10s %12s %12s %8s    ratio: the median of the pairs' ratios)\n",
	       "workload", "QEMU TCG s", "memvirt s", "ratio", reps, "", "", "", "");
	double qm[VSQ_NCASES], mm[VSQ_NCASES], ratio[VSQ_NCASES];
	for (size_t i = 0; i < nc; i++) {
		double pr[MAX_REPS];
		for (int rep = 0; rep < reps; rep++)
			pr[rep] = mw[i][rep] / qw[i][rep];
		ratio[i] = vsq_median(pr, reps);
		qm[i] = vsq_median(qw[i], reps);
		mm[i] = vsq_median(mw[i], reps);
		printf("%-10s %12.3f %12.3f %8.3f   %s\n", cases[i]->name, qm[i], mm[i], ratio[i],
		       cases[i]->params);
	}
	if (package[0])
		unlink(package);
	double shr[MAX_REPS], eptr[MAX_REPS];
	for (int rep = 0; rep < reps; rep++) {
		shr[rep] = bw[1][rep] / bw[0][rep];
		eptr[rep] = bw[2][rep] / bw[0][rep];
	}
	double sh_ratio = vsq_median(shr, reps), ept_ratio = vsq_median(eptr, reps);
	double nat = vsq_median(bw[0], reps), sh = vsq_median(bw[1], reps),
	       ept = vsq_median(bw[2], reps);
	printf("gups 64 MiB on the soft engine: native %.3f s, shadow %.3f s (%.2fx), ept %.3f s "
	       "(%.2fx)\n", nat, sh, sh_ratio, ept, ept_ratio);
	printf("4 GiB guest touching 64 MiB: peak resident %.1f MiB\n", (double)big.maxrss_kib / 1024);
	for (size_t i = 0; i < nc; i++) {
		printf("qemu_%s_s=%.3f\n", cases[i]->name, qm[i]);
		printf("memvirt_%s_s=%.3f\n", cases[i]->name, mm[i]);
	}
	printf("native_gups_s=%.3f\n", nat);
	printf("shadow_gups_s=%.3f\n", sh);
	printf("ept_gups_s=%.3f\n", ept);
	printf("ratio_shadow_gups=%.3f\n", sh_ratio);
	printf("ratio_ept_gups=%.3f\n", ept_ratio);
	printf("peak_rss_mib=%.1f\n", (double)big.maxrss_kib / 1024);
	for (size_t i = 0; i < nc; i++)
		printf("ratio_%s=%.3f\n", cases[i]->name, ratio[i]);
	return 0;
}
