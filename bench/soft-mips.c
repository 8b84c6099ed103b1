/*
 * bench/soft-mips.c — guest MIPS of the soft CPU with the TLB model on.
 *
 * Builds a machine (default TLB geometry, or --tlb TEXT), 4-level page
 * tables with 4 KiB pages over the data, and two small guest programs
 * assembled here as bytes:
 *   compute: a register-only xorshift/multiply loop (10 instructions);
 *   memory:  a read-modify-write walk over a 16 MiB array with a stride of
 *            4104 bytes (a new page, and a TLB miss, nearly every access).
 * Each runs for a fixed number of retired instructions (an INSN_LIMIT
 * exit); the figure is retired instructions per second of host CPU time
 * of the running thread (wall time on a shared machine would measure the
 * other tenants too).
 *
 * Usage: soft-mips [--insns N] [--tlb TEXT]
 * The last two lines are `mips_compute=N` and `mips_memory=N`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vcpu/soft/soft.h"

#define MEM (64ull << 20)
#define PML4 0x1000u
#define GDT 0x8000u
#define CODE 0x10000u
#define STACK 0x80000u
#define DATA 0x1000000u            /* 16 MiB of data at 16 MiB */
#define DATA_LEN (16u << 20)
#define PT_AREA 0x100000u          /* page tables for the 4 KiB mappings */

static void put64(uint8_t *m, uint64_t a, uint64_t v)
{
	memcpy(m + a, &v, 8);
}

static int put_hex(uint8_t *m, uint64_t at, const char *hex)
{
	for (const char *p = hex; *p;) {
		unsigned b;
		if (*p == ' ') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &b) != 1)
			return -EINVAL;
		m[at++] = (uint8_t)b;
		p += 2;
	}
	return 0;
}

/* Identity map [0, 32 MiB) with 4 KiB pages: PML4 -> PDPT -> one PD ->
 * 16 PTs (each maps 2 MiB). */
static void build_tables(uint8_t *m)
{
	uint64_t pdpt = PT_AREA, pd = PT_AREA + 0x1000, pt = PT_AREA + 0x2000;
	put64(m, PML4, pdpt | 3);
	put64(m, pdpt, pd | 3);
	for (uint64_t i = 0; i < 16; i++) {
		put64(m, pd + 8 * i, (pt + 0x1000 * i) | 3);
		for (uint64_t j = 0; j < 512; j++)
			put64(m, pt + 0x1000 * i + 8 * j, ((i << 21) | (j << 12)) | 3);
	}
	put64(m, GDT + 8, 0x00af9b000000ffffull);
	put64(m, GDT + 16, 0x00cf93000000ffffull);
}

/*
 * compute (r8 = iteration count, never reached):
 *   loop: mov rax, rbx ; shl rax, 13 ; xor rbx, rax ; mov rax, rbx ; shr rax, 7
 *         xor rbx, rax ; add rcx, rbx ; imul rdx, rcx, 3 ; dec r8 ; jnz loop
 */
static const char prog_compute[] =
	"48 89 d8 48 c1 e0 0d 48 31 c3 48 89 d8 48 c1 e8 07 48 31 c3 48 01 d9 "
	"48 6b d1 03 49 ff c8 75 e0";

/*
 * memory (rsi = DATA, rdx = 0):
 *   loop: mov rax, [rsi + rdx] ; add rax, rcx ; mov [rsi + rdx], rax
 *         add rdx, 4104 ; and rdx, 0xfffff8 ; inc rcx ; jmp loop
 */
static const char prog_memory[] =
	"48 8b 04 16 48 01 c8 48 89 04 16 48 81 c2 08 10 00 00 "
	"48 81 e2 f8 ff ff 00 48 ff c1 eb e2";

/* CPU time of this thread: on a shared machine wall time measures the
 * other tenants, not the CPU. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(const struct soft_mmu_config *mc, const char *prog, uint64_t insns,
	       double *mips)
{
	const struct engine_ops *ops = &soft_engine_ops;
	struct soft_machine_config cfg = { .mem_size = MEM, .mmu = *mc };
	struct soft_machine *m;
	struct engine_vm *vm;
	struct engine_vcpu *v;
	int r = soft_machine_create(&cfg, &m);
	if (r)
		return r;
	uint8_t *mem = soft_machine_mem(m, NULL);
	struct engine_vm_config vc = { .machine = m };
	if ((r = ops->vm_create(&vc, &vm)))
		goto out_machine;
	if ((r = ops->set_memory(vm, 0, 0, MEM, mem)) || (r = ops->vcpu_create(vm, &v)))
		goto out_vm;
	build_tables(mem);
	if ((r = put_hex(mem, CODE, prog)))
		goto out_vm;

	struct engine_sregs s = { 0 };
	s.cs = (struct engine_segment){ .selector = 8, .type = 0xb, .present = 1, .s = 1, .l = 1,
					.g = 1, .limit = 0xffffffff };
	s.ds = s.es = s.ss = (struct engine_segment){ .selector = 16, .type = 3, .present = 1,
						      .s = 1, .db = 1, .g = 1, .limit = 0xffffffff };
	s.gdt = (struct engine_dtable){ .base = GDT, .limit = 23 };
	s.cr0 = 0x80050033;
	s.cr3 = PML4;
	s.cr4 = 0x20;
	s.efer = 0xd00;
	struct engine_regs g = { .rip = CODE, .rsp = STACK, .rflags = 2, .rbx = 0x9e3779b97f4a7c15ull,
				 .rsi = DATA, .r8 = ~0ull };
	if ((r = ops->set_sregs(v, &s)) || (r = ops->set_regs(v, &g)) ||
	    (r = ops->set_limits(v, 0, insns)))
		goto out_vm;
	double t0 = now();
	if ((r = ops->run(v)))
		goto out_vm;
	double t1 = now();
	struct engine_exit *e = ops->exit(v);
	if (e->reason != ENGINE_EXIT_INSN_LIMIT) {
		fprintf(stderr, "soft-mips: unexpected exit %s %s\n",
			engine_exit_reason_name(e->reason), e->message);
		r = -EIO;
		goto out_vm;
	}
	*mips = (double)ops->instructions(v) / (t1 - t0) / 1e6;
	uint64_t walks = 0;
	if (soft_mmu_stat(soft_machine_mmu(m), "walks", &walks))
		walks = 0;
	printf("  %" PRIu64 " instructions in %.3f s of CPU time, %" PRIu64 " page walks\n",
	       ops->instructions(v), t1 - t0, walks);
out_vm:
	ops->vm_destroy(vm);
out_machine:
	soft_machine_destroy(m);
	return r;
}

int main(int argc, char **argv)
{
	uint64_t insns = 200000000;
	struct soft_mmu_config mc;
	soft_mmu_config_default(&mc);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--insns") == 0 && i + 1 < argc) {
			insns = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--tlb") == 0 && i + 1 < argc) {
			char err[256];
			if (soft_mmu_config_parse(argv[++i], &mc, err, sizeof(err))) {
				fprintf(stderr, "soft-mips: --tlb: %s\n", err);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: soft-mips [--insns N] [--tlb TEXT]\n");
			return 2;
		}
	}
	double compute = 0, memory = 0;
	printf("compute-bound loop:\n");
	int r = run(&mc, prog_compute, insns, &compute);
	if (!r) {
		printf("memory-bound loop:\n");
		r = run(&mc, prog_memory, insns / 2, &memory);
	}
	if (r) {
		fprintf(stderr, "soft-mips: error %d (%s)\n", r, strerror(-r));
		return 1;
	}
	printf("mips_compute=%.0f\n", compute);
	printf("mips_memory=%.0f\n", memory);
	return 0;
}
