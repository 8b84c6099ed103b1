/*
 * tests/guest/test_qemu.c — boot the guest image on plain QEMU (TCG,
 * through its multiboot entry) and check what it prints.
 *
 * usage: test-guest-qemu GUEST_ELF [options] WORKLOAD SEED [key=value...]
 *   --cpu MODEL        QEMU CPU model (default qemu64)
 *   --mem MIB          guest RAM (default 256)
 *   --timer N          scheduler tick: APIC timer initial count (timer_period=)
 *   --expect-error S   the guest must refuse the run (exit status 1) and
 *                      print S; no checksum expected
 * Without --expect-error: exit status 0, `result checksum=` equal to
 * wl_reference_checksum(), and the memory accounting balanced: every user
 * frame and page-table page the kernel counted as allocated is counted as
 * freed, and the free-frame count is back where it was before the first
 * process started (the kernel's own boot-time tables are not counted, so
 * nothing is expected to remain).  Workload-specific floors on the kernel's
 * counters follow (see check_workload()).
 *
 * QEMU runs with -icount shift=0: its clocks, the APIC timer included,
 * advance by one nanosecond per guest instruction, so the runs, their
 * timer ticks and preemptions are repeatable.
 *
 * A missing qemu-system-x86_64 is a failure, not a skip: CI installs it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "workloads/catalog.h"
#include "workloads/reference.h"

#define MAX_STATS 32

struct run {
	char *out;
	size_t len;
	int guest_status;      /* the value the guest wrote to port 0xf4, or -1 */
	unsigned nstats;
	char stat_name[MAX_STATS][40];
	uint64_t stat_val[MAX_STATS];
	int have_checksum;
	uint64_t checksum;
};

static int find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

static uint64_t stat_get(const struct run *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->nstats; i++)
		if (strcmp(r->stat_name[i], name) == 0)
			return r->stat_val[i];
	CHECK(0, "the guest printed no `stat %s=` line; output:\n%s", name, r->out);
	return 0;
}

static void parse_output(struct run *r)
{
	char *line = r->out;

	while (line && *line) {
		char *nl = strchr(line, '\n'), name[40];
		unsigned long long v;

		if (nl)
			*nl = '\0';
		if (sscanf(line, "stat %39[a-z_0-9]=%llu", name, &v) == 2 && r->nstats < MAX_STATS) {
			strcpy(r->stat_name[r->nstats], name);
			r->stat_val[r->nstats++] = v;
		} else if (sscanf(line, "result checksum=%llx", &v) == 1) {
			r->have_checksum = 1;
			r->checksum = v;
		}
		if (nl)
			*nl = '\n';
		line = nl ? nl + 1 : NULL;
	}
}

static void run_qemu(struct run *r, const char *elf, const char *cpu, const char *mem,
		     const char *append)
{
	char cmd[8192];
	FILE *f;
	int st;

	snprintf(cmd, sizeof cmd,
		 "timeout 60 qemu-system-x86_64 -cpu %s -m %s -icount shift=0,sleep=off "
		 "-kernel '%s' -append '%s' "
		 "-nographic -no-reboot -display none -monitor none -serial stdio "
		 "-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null 2>&1",
		 cpu, mem, elf, append);
	f = popen(cmd, "r");
	CHECK(f != NULL, "cannot run: %s", cmd);
	r->out = NULL;
	r->len = 0;
	for (;;) {
		char buf[4096];
		size_t n = fread(buf, 1, sizeof buf, f);

		if (n == 0)
			break;
		r->out = realloc(r->out, r->len + n + 1);
		CHECK(r->out != NULL, "out of memory");
		memcpy(r->out + r->len, buf, n);
		r->len += n;
	}
	if (!r->out)
		r->out = calloc(1, 1);
	r->out[r->len] = '\0';
	/* Serial output may carry NULs or CRs; make it one C string of lines. */
	for (size_t i = 0; i < r->len; i++)
		if (r->out[i] == '\0' || r->out[i] == '\r')
			r->out[i] = ' ';
	st = pclose(f);
	CHECK(WIFEXITED(st), "qemu did not exit normally (wait status %d); output:\n%s", st, r->out);
	/* isa-debug-exit: QEMU exits with (value << 1) | 1. */
	r->guest_status = (WEXITSTATUS(st) & 1) ? WEXITSTATUS(st) >> 1 : -1;
	CHECK(WEXITSTATUS(st) != 124, "qemu ran past 60 s; output:\n%s", r->out);
	parse_output(r);
	printf("%s", r->out);
}

/* Floors that show the kernel did the work the workload asks of it. */
static void check_workload(const struct run *r, const char *workload, const uint64_t *v)
{
	const struct wl_desc *wl = wl_find(workload);

	switch ((enum wl_id)(wl - wl_catalog)) {
	case WL_SCAN:
		/* Demand paging: one fault per page of the working set. */
		CHECK(stat_get(r, "page_faults") >= v[WL_SCAN_WSS] / 4096,
		      "page_faults %" PRIu64 " < %" PRIu64 " pages of wss",
		      stat_get(r, "page_faults"), v[WL_SCAN_WSS] / 4096);
		break;
	case WL_PTCHURN: {
		uint64_t touched = v[WL_PTCHURN_REGIONS] * v[WL_PTCHURN_PAGES] * v[WL_PTCHURN_ROUNDS];
		uint64_t span = v[WL_PTCHURN_REGIONS] * v[WL_PTCHURN_PAGES] * 4096;

		CHECK(stat_get(r, "page_faults") >= touched && stat_get(r, "frames_allocated") >= touched,
		      "page_faults %" PRIu64 ", frames_allocated %" PRIu64 ", want >= %" PRIu64,
		      stat_get(r, "page_faults"), stat_get(r, "frames_allocated"), touched);
		/* When a round's regions fit under one page table, each munmap
		 * round frees that PT, its PD and PDPT, and the next round
		 * builds them again: 3 per round, plus the PML4 and the 3
		 * tables each of the image and the stack. */
		if (span <= (2u << 20))
			CHECK_EQ_U64(stat_get(r, "ptpages_allocated"), 7 + 3 * v[WL_PTCHURN_ROUNDS]);
		break;
	}
	case WL_FORKCHURN: {
		uint64_t c = v[WL_FORKCHURN_CHILDREN], pages = v[WL_FORKCHURN_PAGES];
		uint64_t writes = 0, i;

		for (i = 0; i < c; i++)
			writes += (pages + ((i & 1) ? 0 : 1)) / 2;
		CHECK_EQ_U64(stat_get(r, "processes"), c + 1);
		CHECK(stat_get(r, "cow_breaks") >= writes,
		      "cow_breaks %" PRIu64 " < %" PRIu64 " copy-on-write writes by the children",
		      stat_get(r, "cow_breaks"), writes);
		break;
	}
	case WL_CTXSW: {
		uint64_t yields = v[WL_CTXSW_PROCS] * v[WL_CTXSW_ROUNDS];

		CHECK(stat_get(r, "context_switches") >= yields && stat_get(r, "syscalls") >= yields,
		      "context_switches %" PRIu64 ", syscalls %" PRIu64 ", want >= %" PRIu64,
		      stat_get(r, "context_switches"), stat_get(r, "syscalls"), yields);
		break;
	}
	case WL_MIXED:
		CHECK(stat_get(r, "processes") >= v[WL_MIXED_PROCS] + 1,
		      "processes %" PRIu64, stat_get(r, "processes"));
		break;
	default:
		break;
	}
}

int main(int argc, char **argv)
{
	const char *elf, *cpu = "qemu64", *expect_error = NULL, *workload, *timer = "0",
		   *mem = "256";
	char params[1024] = "", append[2048];
	uint64_t seed, want, v[WL_MAX_PARAMS];
	struct run r = { 0 };
	int i = 1, err;

	CHECK(argc >= 4, "usage: %s GUEST_ELF [--cpu M] [--expect-error S] WORKLOAD SEED [k=v...]",
	      argv[0]);
	elf = argv[i++];
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		CHECK(i + 1 < argc, "option %s needs a value", argv[i]);
		if (strcmp(argv[i], "--cpu") == 0)
			cpu = argv[i + 1];
		else if (strcmp(argv[i], "--mem") == 0)
			mem = argv[i + 1];
		else if (strcmp(argv[i], "--timer") == 0)
			timer = argv[i + 1];
		else if (strcmp(argv[i], "--expect-error") == 0)
			expect_error = argv[i + 1];
		else
			CHECK(0, "unknown option %s", argv[i]);
	}
	CHECK(i + 2 <= argc, "missing WORKLOAD SEED");
	workload = argv[i++];
	seed = strtoull(argv[i++], NULL, 10);
	for (; i < argc; i++) {
		if (params[0])
			strcat(params, " ");
		strncat(params, argv[i], sizeof params - strlen(params) - 2);
	}

	CHECK(find_in_path("qemu-system-x86_64"),
	      "qemu-system-x86_64 is not installed: install it with `apt-get install qemu-system-x86`");
	CHECK(access(elf, R_OK) == 0, "guest image %s is missing", elf);

	snprintf(append, sizeof append, "workload=%s seed=%" PRIu64 " timer_period=%s %s",
		 workload, seed, timer, params);
	run_qemu(&r, elf, cpu, mem, append);

	if (expect_error) {
		CHECK(r.guest_status == 1, "guest exit status %d, want 1 (refused run)", r.guest_status);
		CHECK(strstr(r.out, expect_error) != NULL, "output lacks \"%s\"", expect_error);
		CHECK(!r.have_checksum, "a refused run printed a checksum");
		free(r.out);
		return 0;
	}

	CHECK(r.guest_status == 0, "guest exit status %d, want 0", r.guest_status);
	CHECK(r.have_checksum, "no `result checksum=` line");
	err = wl_reference_checksum(workload, params, seed, &want);
	CHECK(err == 0, "reference checksum failed: %d", err);
	CHECK(r.checksum == want, "guest checksum %016" PRIx64 ", reference %016" PRIx64,
	      r.checksum, want);

	CHECK_EQ_U64(stat_get(&r, "frames_allocated"), stat_get(&r, "frames_freed"));
	CHECK_EQ_U64(stat_get(&r, "ptpages_allocated"), stat_get(&r, "ptpages_freed"));
	CHECK_EQ_U64(stat_get(&r, "frames_free_after"), stat_get(&r, "frames_free_before"));
	CHECK(stat_get(&r, "ptpages_allocated") > 0 && stat_get(&r, "page_faults") > 0,
	      "the workload ran without page tables or page faults");

	/* With a tick asked for, the timer must have interrupted the workload
	 * (-icount makes QEMU's APIC timer count guest instructions, as the
	 * soft engine's does, instead of following the host's clock). */
	if (strtoull(timer, NULL, 10) != 0)
		CHECK(stat_get(&r, "timer_ticks") > 0, "timer_period=%s but no timer tick", timer);
	CHECK(wl_parse_params(wl_find(workload), params, v, NULL, NULL) == 0, "params");
	check_workload(&r, workload, v);
	free(r.out);
	return 0;
}
