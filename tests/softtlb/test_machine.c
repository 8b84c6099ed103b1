/*
 * tests/softtlb/test_machine.c — the architected-TLB machine's guest
 * interface (docs/arch-tlb.md) exercised instruction by instruction on the
 * soft CPU: CPUID leaf, EntryHi/EntryLo/Index round trips, write indexed
 * and random, probe, read, flush one ASID, flush all (wired entries
 * kept), the refill exception (vector 20, error code, CR2, BadVAddr,
 * EntryHi), protection faults as #PF, the current-ASID register, #GP for
 * every malformed access, no such machine on the page-table machine, and
 * the ENGINE_ICPT_TLB_WRITE intercept a VMM uses.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "soft/harness.h"
#include "softtlb/vtlb.h"
#include "vcpu/soft/archtlb.h"

/* The backends' copy of the interface (softtlb/vtlb.h, public API only)
 * must be the machine's. */
_Static_assert(MV_ATLB_MSR_ASID == MV_ATLB_MSR_ASID && MV_ATLB_MSR_COMMAND == MV_ATLB_MSR_COMMAND &&
	       MV_ATLB_HI_VPN == MV_ATLB_HI_VPN && MV_ATLB_HI_ASID == MV_ATLB_HI_ASID &&
	       MV_ATLB_LO_V == MV_ATLB_LO_V && MV_ATLB_LO_W == MV_ATLB_LO_W &&
	       MV_ATLB_LO_U == MV_ATLB_LO_U && MV_ATLB_LO_X == MV_ATLB_LO_X &&
	       MV_ATLB_LO_G == MV_ATLB_LO_G && MV_ATLB_LO_S == MV_ATLB_LO_S &&
	       MV_ATLB_LO_PFN == MV_ATLB_LO_PFN && MV_ATLB_INDEX_P == MV_ATLB_INDEX_P &&
	       MV_ATLB_REFILL_VECTOR == MV_ATLB_REFILL_VECTOR &&
	       (int)MV_ATLB_CMD_WRITE_INDEXED == (int)MV_ATLB_CMD_WRITE_INDEXED &&
	       (int)MV_ATLB_CMD_WRITE_RANDOM == (int)MV_ATLB_CMD_WRITE_RANDOM &&
	       (int)MV_ATLB_CMD_PROBE == (int)MV_ATLB_CMD_PROBE &&
	       (int)MV_ATLB_CMD_READ == (int)MV_ATLB_CMD_READ &&
	       (int)MV_ATLB_CMD_FLUSH_ASID == (int)MV_ATLB_CMD_FLUSH_ASID &&
	       (int)MV_ATLB_CMD_FLUSH_ALL == (int)MV_ATLB_CMD_FLUSH_ALL,
	       "softtlb/vtlb.h and vcpu/soft/archtlb.h disagree");

#define CODE_WRMSR  TH_CODE
#define CODE_RDMSR  (TH_CODE + 0x10)
#define CODE_CPUID  (TH_CODE + 0x20)
#define CODE_LOAD   (TH_CODE + 0x30)   /* mov rax, [0x400000]; hlt */
#define CODE_STORE  (TH_CODE + 0x40)   /* mov [0x400000], rax; hlt */
#define CODE_LOAD6  (TH_CODE + 0x50)   /* mov rax, [0x600000]; hlt */
#define H_GP        (TH_CODE + 0x800)
#define H_PF        (TH_CODE + 0x810)
#define H_REFILL    (TH_CODE + 0x820)

#define VA_MAPPED   0x400000ull
#define VA_MISSING  0x600000ull

static void setup(struct th *t, const char *tlb, bool arch)
{
	th_init_tlb(t, tlb);
	th_code(t, CODE_WRMSR, "0f 30 f4");
	th_code(t, CODE_RDMSR, "0f 32 f4");
	th_code(t, CODE_CPUID, "0f a2 f4");
	th_code(t, CODE_LOAD, "48 8b 04 25 00 00 40 00 f4");
	th_code(t, CODE_STORE, "48 89 04 25 00 00 40 00 f4");
	th_code(t, CODE_LOAD6, "48 8b 04 25 00 00 60 00 f4");
	th_code(t, H_GP, "f4");
	th_code(t, H_PF, "f4");
	th_code(t, H_REFILL, "f4");
	th_gate(t, 13, H_GP, 0xe, 0, 0);
	th_gate(t, 14, H_PF, 0xe, 0, 0);
	th_gate(t, 20, H_REFILL, 0xe, 0, 0);
	if (arch)
		CHECK(soft_atlb_enable(t->vcpu) == 0, "soft_atlb_enable");
}

/* Run the code at rip with rax/rcx/rdx; returns where it halted. */
static uint64_t run_at(struct th *t, uint64_t rip, uint64_t rax, uint64_t rcx, uint64_t rdx)
{
	struct engine_regs r = th_regs(t);

	r.rip = rip;
	r.rax = rax;
	r.rcx = rcx;
	r.rdx = rdx;
	r.rsp = TH_KSTACK;
	th_set_regs(t, &r);
	th_expect(t, ENGINE_EXIT_HLT, "run_at");
	return th_regs(t).rip - 1;   /* the HLT retired */
}

/* WRMSR; true when it completed, false when it raised #GP. */
static bool wrmsr(struct th *t, uint32_t msr, uint64_t v)
{
	uint64_t at = run_at(t, CODE_WRMSR, (uint32_t)v, msr, v >> 32);

	CHECK(at == CODE_WRMSR + 2 || at == H_GP, "wrmsr %#x stopped at %#" PRIx64, msr, at);
	return at == CODE_WRMSR + 2;
}

static void wr_ok(struct th *t, uint32_t msr, uint64_t v)
{
	CHECK(wrmsr(t, msr, v), "wrmsr(%#x, %#" PRIx64 ") raised #GP", msr, v);
}

static void wr_gp(struct th *t, uint32_t msr, uint64_t v)
{
	CHECK(!wrmsr(t, msr, v), "wrmsr(%#x, %#" PRIx64 ") did not raise #GP", msr, v);
}

static uint64_t rd(struct th *t, uint32_t msr)
{
	uint64_t at = run_at(t, CODE_RDMSR, 0, msr, 0);
	struct engine_regs r = th_regs(t);

	CHECK(at == CODE_RDMSR + 2, "rdmsr %#x raised #GP", msr);
	return (r.rdx << 32) | (uint32_t)r.rax;
}

static void put(struct th *t, uint32_t index, uint64_t hi, uint64_t lo)
{
	wr_ok(t, MV_ATLB_MSR_INDEX, index);
	wr_ok(t, MV_ATLB_MSR_ENTRYHI, hi);
	wr_ok(t, MV_ATLB_MSR_ENTRYLO, lo);
	wr_ok(t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
}

static uint64_t probe(struct th *t, uint64_t hi)
{
	wr_ok(t, MV_ATLB_MSR_ENTRYHI, hi);
	wr_ok(t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_PROBE);
	return rd(t, MV_ATLB_MSR_INDEX);
}

#define KLO(pa) ((pa) | MV_ATLB_LO_V | MV_ATLB_LO_W | MV_ATLB_LO_X | MV_ATLB_LO_G | \
		 MV_ATLB_LO_S)

static void test_absent_on_pt_machine(void)
{
	struct th t;

	setup(&t, NULL, false);
	run_at(&t, CODE_CPUID, MV_ATLB_CPUID_LEAF, 0, 0);
	CHECK_EQ_U64(th_regs(&t).rax, 0);
	CHECK_EQ_U64(th_regs(&t).rbx, 0);
	for (uint32_t m = MV_ATLB_MSR_FIRST; m <= MV_ATLB_MSR_LAST; m++) {
		wr_gp(&t, m, 0);
		CHECK(run_at(&t, CODE_RDMSR, 0, m, 0) == H_GP, "rdmsr %#x without the machine", m);
	}
	th_fini(&t);
}

static void test_cpuid(void)
{
	struct th t;

	setup(&t, "arch=32,asid-bits=6", true);
	run_at(&t, CODE_CPUID, 0x40000000, 0, 0);
	CHECK(th_regs(&t).rax >= MV_ATLB_CPUID_LEAF, "max hypervisor leaf %#" PRIx64,
	      th_regs(&t).rax);
	run_at(&t, CODE_CPUID, MV_ATLB_CPUID_LEAF, 0, 0);
	CHECK_EQ_U64(th_regs(&t).rax, 1);      /* present, walks still on */
	CHECK_EQ_U64(th_regs(&t).rbx, 32);
	CHECK_EQ_U64(th_regs(&t).rcx, 6);
	CHECK_EQ_U64(th_regs(&t).rdx, 3);
	put(&t, 0, 0, KLO(0));     /* code, stack, IDT: walks are about to stop */
	wr_ok(&t, MV_ATLB_MSR_CTL, MV_ATLB_CTL_E);
	run_at(&t, CODE_CPUID, MV_ATLB_CPUID_LEAF, 0, 0);
	CHECK_EQ_U64(th_regs(&t).rax, 3);
	th_fini(&t);

	/* The guest-visible ASID width is capped at 12 bits. */
	setup(&t, "asid-bits=16", true);
	run_at(&t, CODE_CPUID, MV_ATLB_CPUID_LEAF, 0, 0);
	CHECK_EQ_U64(th_regs(&t).rcx, 12);
	th_fini(&t);
}

static void test_write_read_probe(void)
{
	struct th t;
	uint64_t lo = 0x300000 | MV_ATLB_LO_V | MV_ATLB_LO_U | MV_ATLB_LO_X;

	setup(&t, "arch=16", true);
	put(&t, 5, 0x7f0000001000ull | 3, 0x300000 | MV_ATLB_LO_V | MV_ATLB_LO_U | MV_ATLB_LO_X);
	CHECK_EQ_U64(probe(&t, 0x7f0000001000ull | 3), 5);
	CHECK_EQ_U64(probe(&t, 0x7f0000001000ull | 4), MV_ATLB_INDEX_P);
	CHECK_EQ_U64(probe(&t, 0x7f0000002000ull | 3), MV_ATLB_INDEX_P);
	wr_ok(&t, MV_ATLB_MSR_INDEX, 5);
	wr_ok(&t, MV_ATLB_MSR_ENTRYHI, 0);
	wr_ok(&t, MV_ATLB_MSR_ENTRYLO, 0);
	wr_ok(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_READ);
	CHECK_EQ_U64(rd(&t, MV_ATLB_MSR_ENTRYHI), 0x7f0000001000ull | 3);
	CHECK_EQ_U64(rd(&t, MV_ATLB_MSR_ENTRYLO), lo);
	/* A global 2 MiB entry matches every ASID. */
	put(&t, 6, 0x40000000ull, KLO(0x200000));
	CHECK_EQ_U64(probe(&t, 0x40012000ull | 9), 6);
	CHECK_EQ_U64(rd(&t, MV_ATLB_MSR_COMMAND), 0);
	th_fini(&t);
}

static void test_gp(void)
{
	struct th t;

	setup(&t, "arch=16,asid-bits=4", true);
	wr_gp(&t, MV_ATLB_MSR_INDEX, 16);                    /* past the TLB */
	wr_gp(&t, MV_ATLB_MSR_ENTRYHI, 0x0000800000000000ull);  /* non-canonical */
	wr_gp(&t, MV_ATLB_MSR_ENTRYHI, 0x1000 | 0x10);       /* ASID wider than 4 bits */
	wr_gp(&t, MV_ATLB_MSR_ENTRYLO, 1ull << 5);           /* reserved bit */
	wr_gp(&t, MV_ATLB_MSR_ENTRYLO, 1ull << 63);
	wr_gp(&t, MV_ATLB_MSR_ASID, 16);
	wr_gp(&t, MV_ATLB_MSR_WIRED, 16);
	wr_gp(&t, MV_ATLB_MSR_BADVADDR, 0);                  /* read-only */
	wr_gp(&t, MV_ATLB_MSR_COMMAND, 0);
	wr_gp(&t, MV_ATLB_MSR_COMMAND, 7);
	wr_gp(&t, MV_ATLB_MSR_CTL, 2);
	/* A frame outside the VM's RAM (8 MiB here), a misaligned 2 MiB page. */
	wr_ok(&t, MV_ATLB_MSR_INDEX, 1);
	wr_ok(&t, MV_ATLB_MSR_ENTRYHI, 0x1000);
	wr_ok(&t, MV_ATLB_MSR_ENTRYLO, TH_MEM | MV_ATLB_LO_V);
	wr_gp(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
	wr_ok(&t, MV_ATLB_MSR_ENTRYLO, 0x201000 | MV_ATLB_LO_V | MV_ATLB_LO_S);
	wr_gp(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
	/* Walks off cannot be undone. */
	put(&t, 0, 0, KLO(0));     /* code, stack, IDT: [0, 2 MiB) */
	wr_ok(&t, MV_ATLB_MSR_CTL, MV_ATLB_CTL_E);
	wr_gp(&t, MV_ATLB_MSR_CTL, 0);
	th_fini(&t);
}

static void test_walks_off_and_refill(void)
{
	struct th t;
	struct engine_regs r;

	setup(&t, "arch=16,asid-bits=8", true);
	put(&t, 0, 0, KLO(0));
	wr_ok(&t, MV_ATLB_MSR_WIRED, 1);
	/* VA 0x400000 -> PA 0x200000, ASID 7: the identity page table would
	 * give PA 0x400000, so the value read proves who translated. */
	th_wr64(&t, 0x200000, 0x1111);
	th_wr64(&t, 0x400000, 0x2222);
	put(&t, 3, VA_MAPPED | 7, 0x200000 | MV_ATLB_LO_V | MV_ATLB_LO_X);
	wr_ok(&t, MV_ATLB_MSR_ASID, 7);
	CHECK_EQ_U64(run_at(&t, CODE_LOAD, 0, 0, 0), CODE_LOAD + 8);
	CHECK_EQ_U64(th_regs(&t).rax, 0x2222);              /* walks still on */
	wr_ok(&t, MV_ATLB_MSR_CTL, MV_ATLB_CTL_E);
	CHECK_EQ_U64(run_at(&t, CODE_LOAD, 0, 0, 0), CODE_LOAD + 8);
	CHECK_EQ_U64(th_regs(&t).rax, 0x1111);

	/* Read-only entry: a write is a protection #PF, not a refill. */
	CHECK_EQ_U64(run_at(&t, CODE_STORE, 5, 0, 0), H_PF);
	r = th_regs(&t);
	CHECK_EQ_U64(th_rd64(&t, r.rsp), 0x3);               /* P | W */
	CHECK_EQ_U64(th_sregs(&t).cr2, VA_MAPPED);

	/* Another ASID: the entry does not match, a refill for the load. */
	wr_ok(&t, MV_ATLB_MSR_ASID, 8);
	CHECK_EQ_U64(run_at(&t, CODE_LOAD, 0, 0, 0), H_REFILL);
	r = th_regs(&t);
	CHECK_EQ_U64(th_rd64(&t, r.rsp), 0);                 /* read, supervisor, P clear */
	CHECK_EQ_U64(th_rd64(&t, r.rsp + 8), CODE_LOAD);    /* faulting RIP */
	CHECK_EQ_U64(th_sregs(&t).cr2, VA_MAPPED);
	CHECK_EQ_U64(rd(&t, MV_ATLB_MSR_BADVADDR), VA_MAPPED);
	CHECK_EQ_U64(rd(&t, MV_ATLB_MSR_ENTRYHI), VA_MAPPED | 8);

	/* A write miss to a page never mapped. */
	CHECK_EQ_U64(run_at(&t, CODE_LOAD6 , 0, 0, 0), H_REFILL);
	CHECK_EQ_U64(th_sregs(&t).cr2, VA_MISSING);
	wr_ok(&t, MV_ATLB_MSR_ASID, 7);
	CHECK_EQ_U64(run_at(&t, CODE_STORE, 5, 0, 0), H_PF);
	/* Rewrite it writable: the store goes through to PA 0x200000. */
	put(&t, 3, VA_MAPPED | 7, 0x200000 | MV_ATLB_LO_V | MV_ATLB_LO_W);
	CHECK_EQ_U64(run_at(&t, CODE_STORE, 0x3333, 0, 0), CODE_STORE + 8);
	CHECK_EQ_U64(th_rd64(&t, 0x200000), 0x3333);

	/* Flush ASID 7: the entry goes, a refill follows; the wired one stays. */
	wr_ok(&t, MV_ATLB_MSR_ENTRYHI, 7);
	wr_ok(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_FLUSH_ASID);
	CHECK_EQ_U64(run_at(&t, CODE_LOAD, 0, 0, 0), H_REFILL);
	CHECK_EQ_U64(probe(&t, 0x10000), 0);
	th_fini(&t);
}

static void test_random_and_flush_all(void)
{
	struct th t;
	unsigned seen[16] = { 0 };
	uint64_t first[8];

	setup(&t, "arch=16", true);
	put(&t, 0, 0, KLO(0));
	put(&t, 1, 0x200000, KLO(0x200000));
	wr_ok(&t, MV_ATLB_MSR_WIRED, 2);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t idx;

		wr_ok(&t, MV_ATLB_MSR_ENTRYHI, 0x10000000ull + 0x1000ull * i);
		wr_ok(&t, MV_ATLB_MSR_ENTRYLO, 0x300000 | MV_ATLB_LO_V);
		wr_ok(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_RANDOM);
		idx = rd(&t, MV_ATLB_MSR_INDEX);
		CHECK(idx >= 2 && idx < 16, "write random chose index %" PRIu64 " (wired 2, 16 entries)", idx);
		seen[idx]++;
		if (i < 8)
			first[i] = idx;
	}
	for (unsigned i = 2; i < 16; i++)
		CHECK(seen[i] > 0, "write random never chose index %u in 64 writes", i);
	wr_ok(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_FLUSH_ALL);
	CHECK_EQ_U64(probe(&t, 0x1000), 0);          /* wired entries kept */
	CHECK_EQ_U64(probe(&t, 0x201000), 1);
	for (unsigned i = 0; i < 64; i++)
		CHECK_EQ_U64(probe(&t, 0x10000000ull + 0x1000ull * i), MV_ATLB_INDEX_P);
	th_fini(&t);

	/* Deterministic: the same sequence of indices on a fresh machine. */
	setup(&t, "arch=16", true);
	wr_ok(&t, MV_ATLB_MSR_WIRED, 2);
	for (unsigned i = 0; i < 8; i++) {
		wr_ok(&t, MV_ATLB_MSR_ENTRYHI, 0x10000000ull + 0x1000ull * i);
		wr_ok(&t, MV_ATLB_MSR_ENTRYLO, 0x300000 | MV_ATLB_LO_V);
		wr_ok(&t, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_RANDOM);
		CHECK_EQ_U64(rd(&t, MV_ATLB_MSR_INDEX), first[i]);
	}
	th_fini(&t);
}

static void test_intercept(void)
{
	struct th t;
	struct soft_intercepts icpt;
	struct engine_exit *e;
	struct engine_regs r;

	setup(&t, "arch=16", true);
	soft_vcpu_get_intercepts(t.vcpu, &icpt);
	icpt.causes |= SOFT_ICPT(ENGINE_ICPT_TLB_WRITE);
	CHECK(soft_vcpu_set_intercepts(t.vcpu, &icpt) == 0, "set intercepts");
	/* Register writes do not exit; the command does, before it runs. */
	wr_ok(&t, MV_ATLB_MSR_INDEX, 4);
	wr_ok(&t, MV_ATLB_MSR_ENTRYHI, 0x5000);
	wr_ok(&t, MV_ATLB_MSR_ENTRYLO, 0x5000 | MV_ATLB_LO_V);
	r = th_regs(&t);
	r.rip = CODE_WRMSR;
	r.rcx = MV_ATLB_MSR_COMMAND;
	r.rax = MV_ATLB_CMD_WRITE_INDEXED;
	r.rdx = 0;
	th_set_regs(&t, &r);
	e = th_run(&t);
	CHECK(e->reason == ENGINE_EXIT_INTERCEPT && e->intercept.cause == ENGINE_ICPT_TLB_WRITE,
	      "exit %s cause %s", engine_exit_reason_name(e->reason),
	      engine_intercept_name(e->intercept.cause));
	CHECK_EQ_U64(e->intercept.info1, MV_ATLB_MSR_COMMAND);
	CHECK_EQ_U64(e->intercept.info2, MV_ATLB_CMD_WRITE_INDEXED);
	CHECK_EQ_U64(e->intercept.insn_len, 2);
	CHECK_EQ_U64(th_regs(&t).rip, CODE_WRMSR);
	CHECK(soft_atlb_real_probe(t.vcpu, 0x5000) == -ENOENT, "the intercepted write happened");
	/* The ASID register exits too. */
	r.rcx = MV_ATLB_MSR_ASID;
	r.rax = 2;
	th_set_regs(&t, &r);
	e = th_run(&t);
	CHECK(e->reason == ENGINE_EXIT_INTERCEPT && e->intercept.cause == ENGINE_ICPT_TLB_WRITE &&
	      e->intercept.info1 == MV_ATLB_MSR_ASID, "ASID write did not exit");
	/* The VMM's side: the real TLB in the same format. */
	CHECK(soft_atlb_real_write(t.vcpu, 9, 0x7000 | 2, 0x6000 | MV_ATLB_LO_V) == 0, "real write");
	CHECK(soft_atlb_real_probe(t.vcpu, 0x7000 | 2) == 9, "real probe");
	uint64_t hi, lo;
	CHECK(soft_atlb_real_read(t.vcpu, 9, &hi, &lo) == 0, "real read");
	CHECK_EQ_U64(hi, 0x7000 | 2);
	CHECK_EQ_U64(lo, 0x6000 | MV_ATLB_LO_V);
	CHECK(soft_atlb_real_write(t.vcpu, 16, 0, 0) == -EINVAL, "index past the TLB");
	soft_atlb_real_flush(t.vcpu, false, 2);
	CHECK(soft_atlb_real_probe(t.vcpu, 0x7000 | 2) == -ENOENT, "real flush of ASID 2");
	th_fini(&t);
}

int main(void)
{
	test_absent_on_pt_machine();
	test_cpuid();
	test_write_read_probe();
	test_gp();
	test_walks_off_and_refill();
	test_random_and_flush_all();
	test_intercept();
	printf("architected-TLB machine: ok\n");
	return 0;
}
