/*
 * bench/kvm-vs-soft.c — each workload on the real /dev/kvm (kvm-shadow:
 * the host's shadow MMU) and on the soft engine's native and shadow
 * backends, side by side: real wall time, real VM exits and KVM's own
 * statistics (its binary stats interface) next to the soft engine's
 * modelled cycles and counts.
 *
 * It runs `memvirt run --json` (the memvirt of this build, or $MEMVIRT)
 * REPS times per configuration (default 3) and reports medians of wall
 * time; counts are of the last run (the soft engine's never vary; KVM's
 * exits do, a little).  The last lines are name=value: kvm_<w>_s,
 * soft_<w>_s (the soft engine's native backend) and
 * kvm_exits_per_guest_fault_<w>, for every workload.
 *
 * Usage: kvm-vs-soft [--reps N] [WORKLOAD...]
 * Exit 77 when the kvm engine cannot run here (the reason is printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memvirt-config.h"

#define MAX_OUT (1u << 20)
#define MAX_REPS 15

static const char *const all_workloads[] = {"scan", "gups", "chase", "ptchurn", "forkchurn", "ctxsw", "mixed"};

struct result {
	double wall_s, cycles;
	double counter[16];
	char status[16];
};

static const char *const counters[] = {
	"guest_page_faults", "vm_exits", "kvm_vcpu_exits", "kvm_vcpu_insn_emulation", "kvm_vm_mmu_pte_write",
	"kvm_vcpu_irq_injections", "shadow_faults_hidden", "instructions",
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

/* The number after "\"name\":" in a JSON text; -1 when absent. */
static double json_number(const char *json, const char *name)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(json, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

static int run(const char *memvirt, const char *args, struct result *r)
{
	char cmd[1024], *out = malloc(MAX_OUT);
	size_t n;
	FILE *f;
	const char *st;

	if (!out)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s run --no-db --json %s 2>/dev/null", memvirt, args);
	f = popen(cmd, "r");
	if (!f) {
		free(out);
		return -1;
	}
	n = fread(out, 1, MAX_OUT - 1, f);
	out[n] = '\0';
	pclose(f);
	st = strstr(out, "\"status\":\"");
	snprintf(r->status, sizeof(r->status), "%.*s", st ? (int)strcspn(st + 10, "\"") : 1, st ? st + 10 : "?");
	r->wall_s = json_number(out, "wall_ns") / 1e9;
	r->cycles = json_number(out, "modelled_cycles");
	for (size_t i = 0; i < NCOUNTERS; i++)
		r->counter[i] = json_number(out, counters[i]);
	free(out);
	return strcmp(r->status, "ok") ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* REPS runs; r gets the last one's counts and the median wall time. */
static int measure(const char *memvirt, const char *args, int reps, struct result *r)
{
	double walls[MAX_REPS];

	for (int i = 0; i < reps; i++) {
		if (run(memvirt, args, r))
			return -1;
		walls[i] = r->wall_s;
	}
	qsort(walls, (size_t)reps, sizeof(walls[0]), cmp_double);
	r->wall_s = walls[reps / 2];
	return 0;
}

static double counter(const struct result *r, const char *name)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		if (!strcmp(counters[i], name))
			return r->counter[i];
	return -1;
}

int main(int argc, char **argv)
{
	const char *memvirt = getenv("MEMVIRT");
	const char *workloads[16];
	size_t nw = 0;
	int reps = 3;
	char path[4096], args[512];
	struct result k[16], sn[16], ss[16];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "kvm-vs-soft: --reps takes 1 to %d\n", MAX_REPS);
				return 2;
			}
		} else if (nw < 16) {
			workloads[nw++] = argv[i];
		}
	}
	if (!nw)
		for (size_t i = 0; i < sizeof(all_workloads) / sizeof(all_workloads[0]); i++)
			workloads[nw++] = all_workloads[i];
	if (!memvirt) {
		snprintf(path, sizeof(path), "%s/memvirt", MEMVIRT_BUILD_ROOT);
		memvirt = path;
	}
	{
		struct result probe;

		if (run(memvirt, "--engine kvm --backend kvm-shadow --param wss=16K --param passes=1", &probe)) {
			char cmd[4300];

			snprintf(cmd, sizeof(cmd), "%s run --no-db --engine kvm --backend kvm-shadow --quiet", memvirt);
			fprintf(stderr, "kvm-vs-soft: the kvm engine cannot run here:\n");
			if (system(cmd) == -1)
				fprintf(stderr, "(cannot run %s)\n", memvirt);
			return 77;
		}
	}
	printf("%-10s %9s %9s %9s | %10s %12s %12s %12s | %12s %12s %12s\n", "workload", "kvm s", "soft s",
	       "soft-sh s", "kvm exits", "kvm emul.", "pte writes", "guest #PF", "soft cycles", "shadow cyc",
	       "hidden flt");
	for (size_t w = 0; w < nw; w++) {
		snprintf(args, sizeof(args), "--engine kvm --backend kvm-shadow --workload %s", workloads[w]);
		if (measure(memvirt, args, reps, &k[w])) {
			fprintf(stderr, "kvm-vs-soft: %s on kvm failed (%s)\n", workloads[w], k[w].status);
			return 1;
		}
		snprintf(args, sizeof(args), "--backend native --workload %s", workloads[w]);
		if (measure(memvirt, args, reps, &sn[w]))
			return 1;
		snprintf(args, sizeof(args), "--backend shadow --workload %s", workloads[w]);
		if (measure(memvirt, args, reps, &ss[w]))
			return 1;
		printf("%-10s %9.3f %9.3f %9.3f | %10.0f %12.0f %12.0f %12.0f | %12.0f %12.0f %12.0f\n", workloads[w],
		       k[w].wall_s, sn[w].wall_s, ss[w].wall_s, counter(&k[w], "kvm_vcpu_exits"),
		       counter(&k[w], "kvm_vcpu_insn_emulation"), counter(&k[w], "kvm_vm_mmu_pte_write"),
		       counter(&k[w], "guest_page_faults"), sn[w].cycles, ss[w].cycles,
		       counter(&ss[w], "shadow_faults_hidden"));
	}
	printf("(median of %d runs each; kvm: memvirt --engine kvm --backend kvm-shadow on this /dev/kvm; soft, "
	       "soft-sh: --engine soft --backend native, shadow; counts of the last run)\n",
	       reps);
	for (size_t w = 0; w < nw; w++) {
		double faults = counter(&k[w], "guest_page_faults");

		printf("kvm_%s_s=%.6f\n", workloads[w], k[w].wall_s);
		printf("soft_%s_s=%.6f\n", workloads[w], sn[w].wall_s);
		printf("kvm_exits_per_guest_fault_%s=%.3f\n", workloads[w],
		       faults > 0 ? counter(&k[w], "kvm_vcpu_exits") / faults : 0.0);
	}
	return 0;
}
