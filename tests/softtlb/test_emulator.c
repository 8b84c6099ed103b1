/*
 * tests/softtlb/test_emulator.c — the backends' command emulator
 * (softtlb/vtlb.c) answers the guest exactly as the machine does
 * (vcpu/soft/archtlb.c).  The same sequences of TLB register writes and
 * commands run twice on the soft CPU: once on the machine itself, once
 * with ENGINE_ICPT_TLB_WRITE intercepted and every exit handed to
 * softtlb_emulate() through a stand-in VMM; after each step the
 * guest-visible registers (Index, EntryHi, EntryLo) and whether the
 * instruction raised #GP must agree.  Write random is the one place they
 * may differ (each has its own generator): its range and the entry read
 * back are compared.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "soft/harness.h"
#include "softtlb/vtlb.h"
#include "vcpu/soft/archtlb.h"

#define CODE_WRMSR TH_CODE
#define CODE_RDMSR (TH_CODE + 0x10)
#define H_GP       (TH_CODE + 0x800)

/* ---- a stand-in VMM: struct mv_hw over one harness vCPU ---- */

static struct th *cur;

static int fake_get_regs(struct mv_vm *vm, struct mv_atlb_regs *r)
{
	struct soft_atlb_regs s;

	(void)vm;
	soft_atlb_get_regs(cur->vcpu, &s);
	*r = (struct mv_atlb_regs){ .index = s.index, .entryhi = s.entryhi, .entrylo = s.entrylo,
				    .wired = s.wired, .badvaddr = s.badvaddr, .asid = s.asid,
				    .asid_bits = s.asid_bits, .entries = s.entries };
	return 0;
}

static int fake_set_regs(struct mv_vm *vm, const struct mv_atlb_regs *r)
{
	struct soft_atlb_regs s = { .index = r->index, .entryhi = r->entryhi, .entrylo = r->entrylo,
				    .wired = r->wired, .badvaddr = r->badvaddr, .asid = r->asid,
				    .asid_bits = r->asid_bits, .entries = r->entries };

	(void)vm;
	return soft_atlb_set_regs(cur->vcpu, &s);
}

static int fake_gpa_to_hpa(struct mv_vm *vm, uint64_t gpa, uint64_t *hpa)
{
	(void)vm;
	if (gpa >= TH_MEM)
		return -EFAULT;
	*hpa = gpa;
	return 0;
}

static int fake_skip(struct mv_vm *vm, uint8_t len)
{
	struct engine_regs r = th_regs(cur);

	(void)vm;
	r.rip += len;
	th_set_regs(cur, &r);
	return 0;
}

static int fake_inject(struct mv_vm *vm, uint8_t vector, uint32_t error_code, uint64_t cr2)
{
	(void)vm;
	return soft_vcpu_inject(cur->vcpu, vector, vector == 13, error_code, cr2);
}

static void fake_post(struct mv_vm *vm, struct mv_event *ev)
{
	(void)vm;
	(void)ev;
}

static int real_entry(void *ctx, struct mv_vm *vm, uint32_t vidx, uint64_t hi, uint64_t lo)
{
	(void)ctx; (void)vm; (void)vidx; (void)hi; (void)lo;
	return 0;
}

static int real_flush_asid(void *ctx, struct mv_vm *vm, uint32_t gasid)
{
	(void)ctx; (void)vm; (void)gasid;
	return 0;
}

static int real_flush_all(void *ctx, struct mv_vm *vm, uint32_t wired)
{
	(void)ctx; (void)vm; (void)wired;
	return 0;
}

static int real_set_asid(void *ctx, struct mv_vm *vm, uint32_t gasid)
{
	(void)ctx; (void)vm; (void)gasid;
	return 0;
}

static const struct softtlb_real nothing_real = {
	.entry = real_entry, .flush_asid = real_flush_asid, .flush_all = real_flush_all,
	.set_asid = real_set_asid,
};

static const struct mv_hw fake_hw = {
	.size = sizeof(struct mv_hw),
	.gpa_to_hpa = fake_gpa_to_hpa,
	.skip_instruction = fake_skip,
	.inject_exception = fake_inject,
	.post = fake_post,
	.atlb_get_regs = fake_get_regs,
	.atlb_set_regs = fake_set_regs,
};

/* ---- one side of the comparison ---- */

struct side {
	struct th t;
	bool emulated;
	struct softtlb_vtlb vtlb;
	struct softtlb_emul_stats st;
};

static void side_init(struct side *s, bool emulated)
{
	memset(s, 0, sizeof(*s));
	s->emulated = emulated;
	th_init_tlb(&s->t, "arch=16,asid-bits=4");
	th_code(&s->t, CODE_WRMSR, "0f 30 f4");
	th_code(&s->t, CODE_RDMSR, "0f 32 f4");
	th_code(&s->t, H_GP, "f4");
	th_gate(&s->t, 13, H_GP, 0xe, 0, 0);
	CHECK(soft_atlb_enable(s->t.vcpu) == 0, "soft_atlb_enable");
	if (emulated) {
		struct soft_intercepts icpt;

		CHECK(softtlb_vtlb_init(&s->vtlb, 16, 1) == 0, "vtlb init");
		soft_vcpu_get_intercepts(s->t.vcpu, &icpt);
		icpt.causes |= SOFT_ICPT(ENGINE_ICPT_TLB_WRITE);
		CHECK(soft_vcpu_set_intercepts(s->t.vcpu, &icpt) == 0, "intercepts");
	}
}

static void side_fini(struct side *s)
{
	if (s->emulated)
		softtlb_vtlb_fini(&s->vtlb);
	th_fini(&s->t);
}

/* WRMSR on one side; returns true when it raised #GP. */
static bool side_wrmsr(struct side *s, uint32_t msr, uint64_t v)
{
	struct engine_regs r = th_regs(&s->t);
	struct engine_exit *e;

	cur = &s->t;
	r.rip = CODE_WRMSR;
	r.rax = (uint32_t)v;
	r.rdx = v >> 32;
	r.rcx = msr;
	r.rsp = TH_KSTACK;
	th_set_regs(&s->t, &r);
	for (;;) {
		e = th_run(&s->t);
		if (e->reason == ENGINE_EXIT_HLT)
			break;
		CHECK(s->emulated && e->reason == ENGINE_EXIT_INTERCEPT &&
		      e->intercept.cause == ENGINE_ICPT_TLB_WRITE,
		      "unexpected exit %s (%s)", engine_exit_reason_name(e->reason), e->message);
		CHECK(softtlb_emulate(&fake_hw, NULL, &s->vtlb, e, &nothing_real, NULL, &s->st) ==
			      MV_EXIT_HANDLED, "emulate");
	}
	r = th_regs(&s->t);
	CHECK(r.rip - 1 == CODE_WRMSR + 2 || r.rip - 1 == H_GP, "stopped at %#" PRIx64, r.rip);
	return r.rip - 1 == H_GP;
}

static uint64_t side_rdmsr(struct side *s, uint32_t msr)
{
	struct engine_regs r = th_regs(&s->t);

	r.rip = CODE_RDMSR;
	r.rcx = msr;
	r.rsp = TH_KSTACK;
	th_set_regs(&s->t, &r);
	th_expect(&s->t, ENGINE_EXIT_HLT, "rdmsr");
	r = th_regs(&s->t);
	CHECK(r.rip - 1 == CODE_RDMSR + 2, "rdmsr %#x raised #GP", msr);
	return (r.rdx << 32) | (uint32_t)r.rax;
}

/* Both sides, the same write; their answers must agree. */
static struct side m, em;
static unsigned steps;

static void both(uint32_t msr, uint64_t v)
{
	bool gp_m = side_wrmsr(&m, msr, v), gp_e = side_wrmsr(&em, msr, v);

	steps++;
	CHECK(gp_m == gp_e, "step %u wrmsr(%#x, %#" PRIx64 "): machine #GP %d, emulator #GP %d", steps,
	      msr, v, gp_m, gp_e);
	for (uint32_t reg = MV_ATLB_MSR_INDEX; reg <= MV_ATLB_MSR_ENTRYLO; reg++) {
		uint64_t a = side_rdmsr(&m, reg), b = side_rdmsr(&em, reg);

		CHECK(a == b, "step %u after wrmsr(%#x, %#" PRIx64 "): MSR %#x machine %#" PRIx64
		      ", emulator %#" PRIx64, steps, msr, v, reg, a, b);
	}
}

/* Write random: each side picks its own index (each has its own
 * generator), inside [Wired, N); reading it back gives the entry written;
 * the entry is then invalidated on both sides so that their contents stay
 * alike (call it with only wired entries valid). */
static void random_step(uint64_t hi, uint64_t lo)
{
	struct side *sides[2] = { &m, &em };

	both(MV_ATLB_MSR_ENTRYHI, hi);
	both(MV_ATLB_MSR_ENTRYLO, lo);
	for (unsigned k = 0; k < 2; k++) {
		struct side *s = sides[k];
		uint64_t idx, wired = side_rdmsr(s, MV_ATLB_MSR_WIRED);

		CHECK(!side_wrmsr(s, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_RANDOM), "write random #GP");
		idx = side_rdmsr(s, MV_ATLB_MSR_INDEX);
		CHECK(idx >= wired && idx < 16, "%s: write random chose %" PRIu64 " (wired %" PRIu64 ")",
		      k ? "emulator" : "machine", idx, wired);
		side_wrmsr(s, MV_ATLB_MSR_ENTRYHI, 0);
		side_wrmsr(s, MV_ATLB_MSR_ENTRYLO, 0);
		CHECK(!side_wrmsr(s, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_READ), "read #GP");
		CHECK_EQ_U64(side_rdmsr(s, MV_ATLB_MSR_ENTRYHI), hi);
		CHECK_EQ_U64(side_rdmsr(s, MV_ATLB_MSR_ENTRYLO), lo);
		side_wrmsr(s, MV_ATLB_MSR_ENTRYLO, 0);
		CHECK(!side_wrmsr(s, MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED), "invalidate #GP");
		side_wrmsr(s, MV_ATLB_MSR_INDEX, 0);
	}
	steps++;
}

static void put(uint32_t idx, uint64_t hi, uint64_t lo)
{
	both(MV_ATLB_MSR_INDEX, idx);
	both(MV_ATLB_MSR_ENTRYHI, hi);
	both(MV_ATLB_MSR_ENTRYLO, lo);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
}

static void probe_read(uint64_t hi)
{
	both(MV_ATLB_MSR_ENTRYHI, hi);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_PROBE);
	both(MV_ATLB_MSR_INDEX, 3);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_READ);
}

int main(void)
{
	const uint64_t V = MV_ATLB_LO_V, G = MV_ATLB_LO_G, S = MV_ATLB_LO_S;

	side_init(&m, false);
	side_init(&em, true);

	put(0, 0, 0 | V | G | S | MV_ATLB_LO_W | MV_ATLB_LO_X);
	both(MV_ATLB_MSR_WIRED, 1);
	put(3, 0x7f0000001000ull | 5, 0x300000 | V | MV_ATLB_LO_U);
	put(4, 0x7f0000002000ull | 6, 0x301000 | V | MV_ATLB_LO_W);
	put(5, 0x40000000ull, 0x400000 | V | G | S);
	probe_read(0x7f0000001000ull | 5);    /* hit */
	probe_read(0x7f0000001000ull | 6);    /* another ASID: miss */
	probe_read(0x40123000ull | 9);        /* global 2 MiB: hit */
	probe_read(0x7f0000002000ull | 6);
	/* Malformed: every one #GP on both sides, nothing changes. */
	both(MV_ATLB_MSR_INDEX, 16);
	both(MV_ATLB_MSR_ENTRYHI, 0x1000 | 0x10);
	both(MV_ATLB_MSR_ENTRYLO, 1ull << 6);
	both(MV_ATLB_MSR_COMMAND, 0);
	both(MV_ATLB_MSR_COMMAND, 9);
	both(MV_ATLB_MSR_ASID, 16);
	both(MV_ATLB_MSR_INDEX, 6);
	both(MV_ATLB_MSR_ENTRYHI, 0x1000);
	both(MV_ATLB_MSR_ENTRYLO, TH_MEM | V);                   /* outside RAM */
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
	both(MV_ATLB_MSR_ENTRYLO, 0x201000 | V | S);             /* misaligned 2 MiB */
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
	both(MV_ATLB_MSR_ENTRYHI, 0x1000 | 0);                   /* unaligned 2 MiB VA */
	both(MV_ATLB_MSR_ENTRYLO, 0x200000 | V | S);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
	/* Flush one ASID: its entries go, others and global stay. */
	both(MV_ATLB_MSR_ENTRYHI, 5);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_FLUSH_ASID);
	probe_read(0x7f0000001000ull | 5);
	probe_read(0x7f0000002000ull | 6);
	probe_read(0x40000000ull | 5);
	/* Invalidate one entry through probe + write of an invalid entry. */
	both(MV_ATLB_MSR_ENTRYHI, 0x7f0000002000ull | 6);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_PROBE);
	both(MV_ATLB_MSR_ENTRYLO, 0);
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_WRITE_INDEXED);
	probe_read(0x7f0000002000ull | 6);
	/* Flush all: only the wired entry 0 stays. */
	both(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_FLUSH_ALL);
	probe_read(0x1000);
	probe_read(0x40000000ull);
	both(MV_ATLB_MSR_ASID, 3);
	/* Random writes land in [Wired, N). */
	for (unsigned i = 0; i < 8; i++)
		random_step((0x10000000ull + 0x1000ull * i) | 7, 0x500000 | V);
	probe_read(0x10000000ull | 7);
	CHECK(em.st.gp > 5 && em.st.writes > 8 && em.st.probes > 5,
	      "the emulator saw %" PRIu64 " #GP, %" PRIu64 " writes, %" PRIu64 " probes", em.st.gp,
	      em.st.writes, em.st.probes);

	side_fini(&m);
	side_fini(&em);
	printf("emulator agrees with the machine over %u steps\n", steps);
	return 0;
}
