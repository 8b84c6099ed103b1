/*
 * workloads/user/programs.c — the workload programs, run by the guest
 * kernel as user processes at CPL 3.
 *
 * Built position-independent and mapped read-only into every address space
 * at USER_IMAGE_BASE, so this file must be self-contained: no calls into the
 * kernel image, no writable globals, no libc (the build checks that the
 * object has no undefined symbols and no data or bss).
 *
 * Every checksum depends only on the seed and the parameters: a process's
 * result is computed from its own memory, and results of several processes
 * are folded in the fixed order they were started, never in the order they
 * happened to finish.  workloads/reference.c computes the same values on
 * the host; docs/workloads.md defines them.
 */
#include "workloads/kernel/abi.h"
#include "workloads/wlmix.h"

#define PAGE 4096ull
#define WORDS_PER_PAGE 512ull

static inline int64_t sys0(uint64_t nr)
{
	int64_t r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

static inline int64_t sys3(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	int64_t r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static __attribute__((noreturn)) void u_exit(uint64_t v)
{
	sys3(SYS_EXIT, v, 0, 0);
	for (;;)
		;
}

static void u_write(const char *s)
{
	uint64_t n = 0;

	while (s[n])
		n++;
	sys3(SYS_WRITE, 1, (uint64_t)s, n);
}

static void u_fail(const char *why)
{
	u_write("user: ");
	u_write(why);
	u_write("\n");
	u_exit(~0ull);
}

static uint64_t *u_mmap(uint64_t len)
{
	int64_t r = sys3(SYS_MMAP, len, 0, 0);

	if (r < 0)
		u_fail("mmap failed");
	return (uint64_t *)r;
}

static void u_munmap(void *p, uint64_t len)
{
	if (sys3(SYS_MUNMAP, (uint64_t)p, len, 0) < 0)
		u_fail("munmap failed");
}

static int64_t u_spawn(const struct wl_args *a)
{
	int64_t pid = sys3(SYS_SPAWN, (uint64_t)&user_main, (uint64_t)a, sizeof *a);

	if (pid < 0)
		u_fail("spawn failed");
	return pid;
}

static uint64_t u_wait(int64_t pid)
{
	uint64_t v = 0;

	if (sys3(SYS_WAIT, (uint64_t)pid, (uint64_t)&v, 0) < 0)
		u_fail("wait failed");
	return v;
}

static uint64_t run(const struct wl_args *a);

/* scan: init w[i] = hash(seed + i); then `passes` passes touching every
 * (stride/8)-th word: fold it into the checksum and write it back + pass + 1. */
static uint64_t wl_scan(uint64_t seed, uint64_t wss, uint64_t stride, uint64_t passes)
{
	uint64_t n = wss / 8, step = stride / 8, acc = seed, i, p;
	uint64_t *w = u_mmap(n * 8);

	for (i = 0; i < n; i++)
		w[i] = wl_hash(seed + i);
	for (p = 0; p < passes; p++)
		for (i = 0; i < n; i += step) {
			uint64_t v = w[i];

			acc = wl_fold(acc, v);
			w[i] = v + p + 1;
		}
	u_munmap(w, n * 8);
	return wl_fold(acc, n);
}

/* gups: table of n = 2^k words (the largest that fits wss), t[i] = i;
 * each update xors a splitmix64 value into the slot its low bits pick;
 * the checksum folds the whole table in index order. */
static uint64_t wl_gups(uint64_t seed, uint64_t wss, uint64_t updates)
{
	uint64_t n = 1, s = seed, acc = seed, i;
	uint64_t *t;

	while (n * 2 <= wss / 8)
		n *= 2;
	t = u_mmap(n * 8);
	for (i = 0; i < n; i++)
		t[i] = i;
	for (i = 0; i < updates; i++) {
		uint64_t r = wl_rand(&s);

		t[r & (n - 1)] ^= r;
	}
	for (i = 0; i < n; i++)
		acc = wl_fold(acc, t[i]);
	u_munmap(t, n * 8);
	return acc;
}

/* chase: n = wss/64 nodes, one per 64-byte line, holding the index of the
 * next node of a single random cycle (Sattolo's shuffle); steps loads from
 * node 0 on, folding each index reached. */
static uint64_t wl_chase(uint64_t seed, uint64_t wss, uint64_t steps)
{
	uint64_t n = wss / 64, s = seed, acc = seed, i, p = 0;
	uint64_t *node = u_mmap(n * 64);

	for (i = 0; i < n; i++)
		node[i * 8] = i;
	for (i = n - 1; i > 0; i--) {
		uint64_t j = wl_rand(&s) % i, t = node[i * 8];

		node[i * 8] = node[j * 8];
		node[j * 8] = t;
	}
	for (i = 0; i < steps; i++) {
		p = node[p * 8];
		acc = wl_fold(acc, p);
	}
	u_munmap(node, n * 64);
	return acc;
}

/* Unmap a ptchurn region in pieces, so every way munmap edits a region is
 * exercised: a hole in the middle (a split), a range covering a whole
 * piece plus the next one's head, a tail, then the rest. */
static void ptchurn_unmap(uint64_t *base, uint64_t pages)
{
	char *b = (char *)base;

	if (pages < 5) {
		u_munmap(b, pages * PAGE);
		return;
	}
	u_munmap(b + PAGE, PAGE);                        /* [0,1) [2,n) */
	u_munmap(b, 3 * PAGE);                           /* [3,n) */
	u_munmap(b + (pages - 1) * PAGE, PAGE);          /* [3,n-1) */
	u_munmap(b + 3 * PAGE, (pages - 4) * PAGE);      /* nothing */
}

/* ptchurn: per round r, map `regions` regions of `pages` pages, write
 * h = hash(seed + tag) into word 0 of each page (tag counts pages across
 * rounds and regions) and ~h into word 1 + r % 2; fold word 0, word
 * 1 + r % 2 and word 2 - r % 2 of every page (the word the previous round
 * wrote in the frames it freed: it must read zero from a fresh page), then
 * unmap them all. */
static uint64_t wl_ptchurn(uint64_t seed, uint64_t regions, uint64_t pages, uint64_t rounds)
{
	uint64_t *base[64];
	uint64_t acc = seed, r, k, p;

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < regions; k++) {
			base[k] = u_mmap(pages * PAGE);
			for (p = 0; p < pages; p++) {
				uint64_t *w = &base[k][p * WORDS_PER_PAGE];
				uint64_t h = wl_hash(seed + (r * regions + k) * pages + p);

				w[0] = h;
				w[1 + (r & 1)] = ~h;
			}
		}
		for (k = 0; k < regions; k++) {
			for (p = 0; p < pages; p++) {
				const uint64_t *w = &base[k][p * WORDS_PER_PAGE];

				acc = wl_fold(acc, w[0]);
				acc = wl_fold(acc, w[1 + (r & 1)]);
				acc = wl_fold(acc, w[2 - (r & 1)]);
			}
			ptchurn_unmap(base[k], pages);
		}
	}
	return acc;
}

/* forkchurn child c: flip word 0 of every page with (p + c) even (a COW
 * break), fold word 0 of every page; the fold is its exit value. */
static __attribute__((noreturn)) void forkchurn_child(uint64_t *buf, uint64_t pages, uint64_t c)
{
	uint64_t h = c, p;

	for (p = 0; p < pages; p++) {
		uint64_t *w = &buf[p * WORDS_PER_PAGE];

		if (((p + c) & 1) == 0)
			*w ^= wl_hash(c + 1);
		h = wl_fold(h, *w);
	}
	u_exit(h);
}

/* forkchurn: fill word 0 of each page with hash(seed + p); fork all the
 * children; fold their exit values in fork order, then word 0 of every page
 * again (the children's writes must not show through). */
static uint64_t wl_forkchurn(uint64_t seed, uint64_t children, uint64_t pages)
{
	int64_t pid[60];
	uint64_t *buf = u_mmap(pages * PAGE);
	uint64_t acc = seed, c, p;

	for (p = 0; p < pages; p++)
		buf[p * WORDS_PER_PAGE] = wl_hash(seed + p);
	for (c = 0; c < children; c++) {
		pid[c] = sys0(SYS_FORK);
		if (pid[c] < 0)
			u_fail("fork failed");
		if (pid[c] == 0)
			forkchurn_child(buf, pages, c);
	}
	for (c = 0; c < children; c++)
		acc = wl_fold(acc, u_wait(pid[c]));
	for (p = 0; p < pages; p++)
		acc = wl_fold(acc, buf[p * WORDS_PER_PAGE]);
	u_munmap(buf, pages * PAGE);
	return acc;
}

/* ctxsw process: each round, add r + pg to word r % 512 of every page and
 * fold it, then yield. */
static uint64_t ctxsw_proc(uint64_t seed, uint64_t rounds, uint64_t wss)
{
	uint64_t npages = wss / PAGE, h = seed, r, pg;
	uint64_t *buf = u_mmap(npages * PAGE);

	for (r = 0; r < rounds; r++) {
		for (pg = 0; pg < npages; pg++) {
			uint64_t *w = &buf[pg * WORDS_PER_PAGE + r % 512];

			*w += r + pg;
			h = wl_fold(h, *w);
		}
		sys0(SYS_YIELD);
	}
	u_munmap(buf, npages * PAGE);
	return h;
}

/* The child programs of ctxsw and mixed are ordinary workloads started with
 * spawn; these workload numbers are private to this file. */
#define WL_PRIV_CTXSW_PROC (WL_COUNT + 1)

static uint64_t wl_spawn_all(const struct wl_args *child, uint64_t n, uint64_t seed)
{
	int64_t pid[60];
	uint64_t acc = seed, i;

	for (i = 0; i < n; i++)
		pid[i] = u_spawn(&child[i]);
	for (i = 0; i < n; i++)
		acc = wl_fold(acc, u_wait(pid[i]));
	return acc;
}

/* ctxsw: spawn procs processes (seeds seed + i), fold their results in
 * spawn order. */
static uint64_t wl_ctxsw(uint64_t seed, uint64_t procs, uint64_t rounds, uint64_t wss)
{
	struct wl_args child[60];
	uint64_t i;

	for (i = 0; i < procs; i++) {
		child[i].workload = WL_PRIV_CTXSW_PROC;
		child[i].seed = seed + i;
		child[i].params[0] = rounds;
		child[i].params[1] = wss;
	}
	return wl_spawn_all(child, procs, seed);
}

/* mixed: process i runs workload i % 5 of (scan, gups, chase, ptchurn,
 * forkchurn) with seed + i and parameters derived from wss and ops. */
static uint64_t wl_mixed(uint64_t seed, uint64_t procs, uint64_t wss, uint64_t ops)
{
	struct wl_args child[16];
	uint64_t i, pages = wss / (4 * PAGE);

	for (i = 0; i < procs; i++) {
		struct wl_args *c = &child[i];
		uint64_t j;

		for (j = 0; j < WL_MAX_PARAMS; j++)
			c->params[j] = 0;
		c->seed = seed + i;
		switch (i % 5) {
		case 0:
			c->workload = WL_SCAN;
			c->params[WL_SCAN_WSS] = wss;
			c->params[WL_SCAN_STRIDE] = 64;
			c->params[WL_SCAN_PASSES] = 2;
			break;
		case 1:
			c->workload = WL_GUPS;
			c->params[WL_GUPS_WSS] = wss;
			c->params[WL_GUPS_UPDATES] = ops;
			break;
		case 2:
			c->workload = WL_CHASE;
			c->params[WL_CHASE_WSS] = wss;
			c->params[WL_CHASE_STEPS] = ops;
			break;
		case 3:
			c->workload = WL_PTCHURN;
			c->params[WL_PTCHURN_REGIONS] = 4;
			c->params[WL_PTCHURN_PAGES] = pages;
			c->params[WL_PTCHURN_ROUNDS] = 4;
			break;
		default:
			c->workload = WL_FORKCHURN;
			c->params[WL_FORKCHURN_CHILDREN] = 2;
			c->params[WL_FORKCHURN_PAGES] = pages;
			break;
		}
	}
	return wl_spawn_all(child, procs, seed);
}

static uint64_t run(const struct wl_args *a)
{
	const uint64_t *v = a->params;

	switch (a->workload) {
	case WL_SCAN:
		return wl_scan(a->seed, v[WL_SCAN_WSS], v[WL_SCAN_STRIDE], v[WL_SCAN_PASSES]);
	case WL_GUPS:
		return wl_gups(a->seed, v[WL_GUPS_WSS], v[WL_GUPS_UPDATES]);
	case WL_CHASE:
		return wl_chase(a->seed, v[WL_CHASE_WSS], v[WL_CHASE_STEPS]);
	case WL_PTCHURN:
		return wl_ptchurn(a->seed, v[WL_PTCHURN_REGIONS], v[WL_PTCHURN_PAGES], v[WL_PTCHURN_ROUNDS]);
	case WL_FORKCHURN:
		return wl_forkchurn(a->seed, v[WL_FORKCHURN_CHILDREN], v[WL_FORKCHURN_PAGES]);
	case WL_CTXSW:
		return wl_ctxsw(a->seed, v[WL_CTXSW_PROCS], v[WL_CTXSW_ROUNDS], v[WL_CTXSW_WSS]);
	case WL_MIXED:
		return wl_mixed(a->seed, v[WL_MIXED_PROCS], v[WL_MIXED_WSS], v[WL_MIXED_OPS]);
	case WL_PRIV_CTXSW_PROC:
		return ctxsw_proc(a->seed, v[0], v[1]);
	default:
		u_fail("unknown workload number");
		return 0;
	}
}

void user_main(const struct wl_args *args)
{
	u_exit(run(args));
}
