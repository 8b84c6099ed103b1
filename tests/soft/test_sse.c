/*
 * tests/soft/test_sse.c — directed tests of the soft CPU's SSE side
 * (cpu_sse.c) and of how an instruction that does not decode ends:
 * #UD without CR4.OSFXSR, #NM with CR0.TS, #GP(0) for a misaligned
 * aligned form (and none for the unaligned one), the FXSAVE image and an
 * FXSAVE/FXRSTOR round trip, MXCSR's sticky exception flags, rounding
 * control, DAZ and FTZ, an unmasked exception as #XM (or #UD without
 * CR4.OSXMMEXCPT) leaving the destination unchanged, the NaN that an
 * arithmetic form of two NaN operands returns (the first source, which
 * the oracle cannot check: unicorn gets it wrong), a 16-byte access
 * counting as one access as an 8-byte one does, and the three
 * decode failures: over-long (#GP), undefined (#UD), not implemented (the
 * run ends with a report naming the bytes and RIP).
 */
#include <inttypes.h>
#include <string.h>

#include "harness.h"
#include "vcpu/soft/fpu.h"

#define HANDLER_AT 0x11000u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u

/* A vCPU with CR4 bits cr4_or and CR0 bits cr0_or set, running hex at
 * TH_CODE; exceptions `vec` go to a handler that loads the faulting RIP
 * into RAX (and the error code into RBX when err) and halts. */
static void setup(struct th *t, uint64_t cr0_or, uint64_t cr4_or, const char *hex, int vec,
		  bool err)
{
	th_init(t);
	struct engine_sregs s = th_sregs(t);
	s.cr0 |= cr0_or;
	s.cr4 |= cr4_or;
	CHECK(t->ops->set_sregs(t->vcpu, &s) == 0, "set_sregs");
	th_code(t, TH_CODE, hex);
	if (vec >= 0) {
		/* pop rbx (error code); mov rax, [rsp]; hlt  -- or without the pop */
		th_code(t, HANDLER_AT, err ? "5b 48 8b 04 24 f4" : "48 8b 04 24 f4");
		th_gate(t, (unsigned)vec, HANDLER_AT, 0xe, 0, 0);
	}
}

static struct soft_fpu *fpu_of(struct th *t)
{
	return soft_vcpu_fpu(t->vcpu);
}

static uint32_t f32(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}

static uint64_t f64(double x)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	return u;
}

static void test_ud_without_osfxsr(void)
{
	struct th t;
	/* movaps xmm0, xmm1; hlt */
	setup(&t, 0, 0, "0f 28 c1 f4", 6, false);
	th_expect(&t, ENGINE_EXIT_HLT, "movaps without CR4.OSFXSR");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
	th_fini(&t);

	/* CR0.EM set: #UD too, even with OSFXSR. */
	setup(&t, CR0_EM, CR4_OSFXSR, "0f 28 c1 f4", 6, false);
	th_expect(&t, ENGINE_EXIT_HLT, "movaps with CR0.EM");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
	th_fini(&t);
}

static void test_nm_with_ts(void)
{
	struct th t;
	/* nop; addps xmm0, xmm1; hlt */
	setup(&t, CR0_TS, CR4_OSFXSR, "90 0f 58 c1 f4", 7, false);
	th_expect(&t, ENGINE_EXIT_HLT, "addps with CR0.TS");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE + 1);
	th_fini(&t);

	/* FXSAVE: #NM with TS, without looking at OSFXSR. */
	setup(&t, CR0_TS, 0, "48 c7 c0 00 00 20 00 48 0f ae 00 f4", 7, false);
	th_expect(&t, ENGINE_EXIT_HLT, "fxsave with CR0.TS");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE + 7);
	th_fini(&t);
}

static void test_alignment(void)
{
	struct th t;
	/* mov rax, 0x200008; movups xmm0, [rax]; movaps xmm1, [rax]; hlt */
	setup(&t, 0, CR4_OSFXSR, "48 c7 c0 08 00 20 00 0f 10 00 0f 28 08 f4", 13, true);
	for (unsigned i = 0; i < 32; i++)
		t.mem[TH_DATA + i] = (uint8_t)(i + 1);
	th_expect(&t, ENGINE_EXIT_HLT, "movaps from a misaligned address");
	struct engine_regs r = th_regs(&t);
	CHECK_EQ_U64(r.rax, TH_CODE + 10); /* the movaps, after movups ran */
	CHECK_EQ_U64(r.rbx, 0);            /* #GP(0) */
	struct soft_fpu *f = fpu_of(&t);
	CHECK_EQ_U64(f->xmm[0][0], 0x100f0e0d0c0b0a09ull);
	CHECK_EQ_U64(f->xmm[0][1], 0x1817161514131211ull);
	CHECK_EQ_U64(f->xmm[1][0], 0); /* untouched */
	th_fini(&t);

	/* CMPXCHG16B wants 16-byte alignment too: mov rax, 0x200008;
	 * cmpxchg16b [rax]; hlt */
	setup(&t, 0, 0, "48 c7 c0 08 00 20 00 48 0f c7 08 f4", 13, true);
	th_expect(&t, ENGINE_EXIT_HLT, "cmpxchg16b at a misaligned address");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE + 7);
	CHECK_EQ_U64(th_regs(&t).rbx, 0);
	th_fini(&t);
}

static void test_fxsave_fxrstor(void)
{
	struct th t;
	/* mov rax, 0x200000; fxsave64 [rax]; pxor xmm3, xmm3; pxor xmm15, xmm15;
	 * ldmxcsr [rax + 0x400] (0x1f80); fxrstor64 [rax]; fxsave [rax + 0x200]; hlt */
	setup(&t, 0, CR4_OSFXSR,
	      "48 c7 c0 00 00 20 00 48 0f ae 00 66 0f ef db 66 45 0f ef ff "
	      "0f ae 90 00 04 00 00 48 0f ae 08 0f ae 80 00 02 00 00 f4", -1, false);
	struct soft_fpu *f = fpu_of(&t);
	for (unsigned i = 0; i < 16; i++) {
		f->xmm[i][0] = 0x0101010101010101ull * i;
		f->xmm[i][1] = ~(0x0101010101010101ull * i);
	}
	f->mxcsr = 0x7fa5;   /* round to zero, DAZ off, flags set, masks on */
	f->fcw = 0x027f;
	f->fsw = 3u << 11;   /* TOP = 3 */
	f->ftw = 0x88;
	f->fop = 0x123;
	f->fip = 0x1122334455667788ull;
	f->fdp = 0x99aabbccddeeff00ull;
	for (unsigned i = 0; i < 8; i++)
		for (unsigned k = 0; k < 10; k++)
			f->st[i][k] = (uint8_t)(0x10 * i + k);
	memset(t.mem + TH_DATA, 0xaa, 0x400);
	uint32_t reset = SOFT_MXCSR_RESET;
	memcpy(t.mem + TH_DATA + 0x400, &reset, 4);
	th_expect(&t, ENGINE_EXIT_HLT, "fxsave / fxrstor");

	/* The restore brought back the registers the code cleared. */
	CHECK_EQ_U64(f->xmm[3][0], 0x0303030303030303ull);
	CHECK_EQ_U64(f->xmm[15][1], ~0x0f0f0f0f0f0f0f0full);
	CHECK_EQ_U64(f->mxcsr, 0x7fa5);

	const uint8_t *img = t.mem + TH_DATA;
	uint16_t w;
	uint32_t d;
	uint64_t q;
	memcpy(&w, img + 0, 2);
	CHECK_EQ_U64(w, 0x027f);
	memcpy(&w, img + 2, 2);
	CHECK_EQ_U64(w, 3u << 11);
	CHECK_EQ_U64(img[4], 0x88);
	memcpy(&w, img + 6, 2);
	CHECK_EQ_U64(w, 0x123);
	memcpy(&q, img + 8, 8);
	CHECK_EQ_U64(q, 0x1122334455667788ull); /* 64-bit format: the whole FIP */
	memcpy(&q, img + 16, 8);
	CHECK_EQ_U64(q, 0x99aabbccddeeff00ull);
	memcpy(&d, img + 24, 4);
	CHECK_EQ_U64(d, 0x7fa5);
	memcpy(&d, img + 28, 4);
	CHECK_EQ_U64(d, 0xffff); /* MXCSR_MASK: DAZ supported */
	/* ST(0) is R[TOP] = R3, ST(5) is R0. */
	CHECK_EQ_U64(img[32], 0x30);
	CHECK_EQ_U64(img[32 + 9], 0x39);
	CHECK_EQ_U64(img[32 + 10], 0);
	CHECK_EQ_U64(img[32 + 5 * 16], 0x00);
	CHECK_EQ_U64(img[32 + 5 * 16 + 1], 0x01);
	memcpy(&q, img + 160 + 16 * 7, 8);
	CHECK_EQ_U64(q, 0x0707070707070707ull);
	/* Bytes 416..511 are not written. */
	for (unsigned i = 416; i < 512; i++)
		CHECK(img[i] == 0xaa, "fxsave wrote reserved byte %u (%#x)", i, img[i]);

	/* The second, 32-bit format image: FIP and FDP's low halves, the
	 * selectors zero; the restored x87 state is the same. */
	const uint8_t *img2 = t.mem + TH_DATA + 0x200;
	memcpy(&d, img2 + 8, 4);
	CHECK_EQ_U64(d, 0x55667788);
	memcpy(&w, img2 + 12, 2);
	CHECK_EQ_U64(w, 0);
	memcpy(&d, img2 + 16, 4);
	CHECK_EQ_U64(d, 0xddeeff00);
	CHECK(memcmp(img2 + 32, img + 32, 416 - 32) == 0, "second image's registers differ");
	th_fini(&t);

	/* FXRSTOR of an image with reserved MXCSR bits: #GP(0), nothing loaded. */
	setup(&t, 0, CR4_OSFXSR, "48 c7 c0 00 00 20 00 48 0f ae 08 f4", 13, true);
	memset(t.mem + TH_DATA, 0, 512);
	uint32_t bad = 0x11f80;
	memcpy(t.mem + TH_DATA + 24, &bad, 4);
	fpu_of(&t)->xmm[0][0] = 42;
	th_expect(&t, ENGINE_EXIT_HLT, "fxrstor with reserved MXCSR bits");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE + 7);
	CHECK_EQ_U64(fpu_of(&t)->xmm[0][0], 42);
	CHECK_EQ_U64(fpu_of(&t)->mxcsr, SOFT_MXCSR_RESET);
	th_fini(&t);
}

static void test_mxcsr(void)
{
	struct th t;
	/* divss xmm0, xmm1 (1 / 0); hlt: ZE set, +inf, masked. */
	setup(&t, 0, CR4_OSFXSR | CR4_OSXMMEXCPT, "f3 0f 5e c1 f4", -1, false);
	struct soft_fpu *f = fpu_of(&t);
	f->xmm[0][0] = f32(1.0f);
	f->xmm[1][0] = 0;
	th_expect(&t, ENGINE_EXIT_HLT, "divss by zero, masked");
	CHECK_EQ_U64(f->xmm[0][0], 0x7f800000);
	CHECK_EQ_U64(f->mxcsr, SOFT_MXCSR_RESET | 0x4);
	th_fini(&t);

	/* The same with ZM clear: #XM, destination unchanged, ZE set. */
	setup(&t, 0, CR4_OSFXSR | CR4_OSXMMEXCPT, "f3 0f 5e c1 f4", 19, false);
	f = fpu_of(&t);
	f->xmm[0][0] = f32(1.0f);
	f->mxcsr = SOFT_MXCSR_RESET & ~0x200u;
	th_expect(&t, ENGINE_EXIT_HLT, "divss by zero, unmasked");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
	CHECK_EQ_U64(f->xmm[0][0], f32(1.0f));
	CHECK_EQ_U64(f->mxcsr, (SOFT_MXCSR_RESET & ~0x200u) | 0x4);
	th_fini(&t);

	/* Unmasked without CR4.OSXMMEXCPT: #UD instead. */
	setup(&t, 0, CR4_OSFXSR, "f3 0f 5e c1 f4", 6, false);
	f = fpu_of(&t);
	f->xmm[0][0] = f32(1.0f);
	f->mxcsr = SOFT_MXCSR_RESET & ~0x200u;
	th_expect(&t, ENGINE_EXIT_HLT, "divss by zero, unmasked, no OSXMMEXCPT");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
	CHECK_EQ_U64(f->xmm[0][0], f32(1.0f));
	th_fini(&t);

	/* Rounding control: cvtsd2si rax, xmm0 of 2.5 and -2.5 under each
	 * mode; ldmxcsr [rsp] loads each mode in turn.
	 *   sub rsp, 8; mov dword [rsp], 0x1f80 + rc << 13; ldmxcsr [rsp];
	 *   cvtsd2si r8, xmm0; cvtsd2si r9, xmm1; hlt */
	static const int64_t want[4][2] = { { 2, -2 }, { 2, -3 }, { 3, -2 }, { 2, -2 } };
	for (unsigned rc = 0; rc < 4; rc++) {
		char hex[256];
		uint32_t mx = 0x1f80 | rc << 13;
		snprintf(hex, sizeof(hex),
			 "48 83 ec 08 c7 04 24 %02x %02x 00 00 0f ae 14 24 "
			 "f2 4c 0f 2d c0 f2 4c 0f 2d c9 f4", mx & 0xff, mx >> 8);
		setup(&t, 0, CR4_OSFXSR, hex, -1, false);
		f = fpu_of(&t);
		f->xmm[0][0] = f64(2.5);
		f->xmm[1][0] = f64(-2.5);
		th_expect(&t, ENGINE_EXIT_HLT, "cvtsd2si under a rounding mode");
		struct engine_regs r = th_regs(&t);
		CHECK(r.r8 == (uint64_t)want[rc][0] && r.r9 == (uint64_t)want[rc][1],
		      "rounding mode %u: 2.5 -> %" PRId64 ", -2.5 -> %" PRId64, rc, (int64_t)r.r8,
		      (int64_t)r.r9);
		CHECK_EQ_U64(f->mxcsr, mx | 0x20); /* inexact */
		th_fini(&t);
	}

	/* DAZ: a denormal source counts as zero (addss: 0 + denormal = 0);
	 * FTZ: a tiny product becomes zero, with UE and PE. */
	setup(&t, 0, CR4_OSFXSR, "f3 0f 58 c1 f3 0f 59 d3 f4", -1, false);
	f = fpu_of(&t);
	f->mxcsr = SOFT_MXCSR_RESET | 0x40 | 0x8000;
	f->xmm[0][0] = 0;
	f->xmm[1][0] = 1;                   /* smallest denormal */
	f->xmm[2][0] = f32(1e-30f);
	f->xmm[3][0] = f32(1e-10f);
	th_expect(&t, ENGINE_EXIT_HLT, "DAZ and FTZ");
	CHECK_EQ_U64(f->xmm[0][0], 0);
	CHECK_EQ_U64(f->xmm[2][0], 0);
	CHECK_EQ_U64(f->mxcsr, SOFT_MXCSR_RESET | 0x40 | 0x8000 | 0x10 | 0x20);
	th_fini(&t);

	/* LDMXCSR with a reserved bit: #GP(0). */
	setup(&t, 0, CR4_OSFXSR, "48 83 ec 08 c7 04 24 80 1f 01 00 0f ae 14 24 f4", 13, true);
	th_expect(&t, ENGINE_EXIT_HLT, "ldmxcsr of a reserved bit");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE + 11);
	CHECK_EQ_U64(fpu_of(&t)->mxcsr, SOFT_MXCSR_RESET);
	th_fini(&t);
}

/* The machine's counters after running hex with RBX = rbx. */
struct counters {
	unsigned n;
	char name[96][48];
	uint64_t value[96];
};

/* ADD/SUB/MUL/DIV of two NaNs return the first source (the destination),
 * an SNaN quieted, whichever significand is larger (SDM vol. 1, 4.8.3.5,
 * Table 4-7; the x87 rule would take the larger one, as unicorn 2.0.1
 * does: oracle.c corrects it and relies on this test).  An SNaN source
 * sets IE. */
static void test_two_nans(void)
{
	struct th t;
	/* mov rax, 0x200000; mulps xmm0, xmm1; addsd xmm2, [rax];
	 * divpd xmm3, [rax + 16]; subss xmm4, xmm5; hlt */
	setup(&t, 0, CR4_OSFXSR, "48 c7 c0 00 00 20 00 0f 59 c1 f2 0f 58 10 66 0f 5e 58 10 "
		  "f3 0f 5c e5 f4", -1, false);
	struct soft_fpu *f = fpu_of(&t);
	/* Lanes: two QNaNs, the second's significand the larger (negative,
	 * then positive); SNaN, QNaN; QNaN, SNaN. */
	f->xmm[0][0] = 0x7fefffffffdeb3d7ull;
	f->xmm[0][1] = 0x7fc000007f800001ull;
	f->xmm[1][0] = 0x7ff80000ffffffffull;
	f->xmm[1][1] = 0x7f8000017fc00000ull;
	f->xmm[2][0] = 0xfff4000000000000ull; /* SNaN, the source a larger QNaN */
	f->xmm[2][1] = 0x1234;
	th_wr64(&t, TH_DATA, 0x7fffffffffffffffull);
	f->xmm[3][0] = 0x7ff0000000000001ull; /* SNaN, QNaN */
	f->xmm[3][1] = 0x7ff8000000000007ull; /* QNaN, SNaN */
	th_wr64(&t, TH_DATA + 16, 0x7ff8000000000005ull);
	th_wr64(&t, TH_DATA + 24, 0xfff0000000000003ull);
	f->xmm[4][0] = 0x111111117fa00000ull; /* SNaN, a larger SNaN */
	f->xmm[4][1] = 0x2222;
	f->xmm[5][0] = 0xff800001ull | 0x7fffffff00000000ull;
	th_expect(&t, ENGINE_EXIT_HLT, "arithmetic of two NaNs");
	CHECK_EQ_U64(f->xmm[0][0], 0x7fefffffffdeb3d7ull);
	CHECK_EQ_U64(f->xmm[0][1], 0x7fc000007fc00001ull);
	CHECK_EQ_U64(f->xmm[2][0], 0xfffc000000000000ull);
	CHECK_EQ_U64(f->xmm[2][1], 0x1234);
	CHECK_EQ_U64(f->xmm[3][0], 0x7ff8000000000001ull);
	CHECK_EQ_U64(f->xmm[3][1], 0x7ff8000000000007ull);
	CHECK_EQ_U64(f->xmm[4][0], 0x111111117fe00000ull);
	CHECK_EQ_U64(f->xmm[4][1], 0x2222);
	CHECK_EQ_U64(f->mxcsr, SOFT_MXCSR_RESET | 0x1);
	th_fini(&t);
}

static void collect(void *ctx, const char *name, uint64_t value)
{
	struct counters *c = ctx;
	if (c->n < 96) {
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
		c->value[c->n++] = value;
	}
}

static void run_counting(const char *hex, uint64_t rbx, struct counters *c)
{
	struct th t;
	setup(&t, 0, CR4_OSFXSR, hex, -1, false);
	struct engine_regs r = th_regs(&t);
	r.rbx = rbx;
	th_set_regs(&t, &r);
	th_expect(&t, ENGINE_EXIT_HLT, hex);
	c->n = 0;
	soft_machine_stats(t.m, collect, c);
	th_fini(&t);
}

/* A 16-byte operand is one access, as an 8-byte one is: the same TLB,
 * walk and page-walk-cache counts, inside a page and across two. */
static void test_access_counts(void)
{
	static const uint64_t at[][2] = { { 0x200000, 0x200000 }, { 0x200ffc, 0x200ff8 } };
	for (unsigned i = 0; i < 2; i++) {
		static struct counters a, b;
		/* mov rax, [rbx]; mov [rbx], rax  /  movdqu xmm0, [rbx]; movdqu [rbx], xmm0 */
		run_counting("48 8b 03 48 89 03 f4", at[i][0], &a);
		run_counting("f3 0f 6f 03 f3 0f 7f 03 f4", at[i][1], &b);
		CHECK(a.n == b.n && a.n > 0, "%u and %u counters", a.n, b.n);
		for (unsigned k = 0; k < a.n; k++)
			CHECK(strcmp(a.name[k], b.name[k]) == 0 && a.value[k] == b.value[k],
			      "%s: 8-byte accesses count %" PRIu64 ", 16-byte ones %s %" PRIu64 " (%s)",
			      a.name[k], a.value[k], b.name[k], b.value[k], i ? "across pages" : "in a page");
	}
}

static void test_decode_failures(void)
{
	struct th t;
	/* Not implemented here (PSHUFB, SSSE3): the run ends, naming it. */
	setup(&t, 0, CR4_OSFXSR, "90 66 0f 38 00 c1 f4", 6, false);
	struct engine_exit *x = th_run(&t);
	CHECK(x->reason == ENGINE_EXIT_INTERNAL_ERROR, "pshufb: exit %s",
	      engine_exit_reason_name(x->reason));
	CHECK(strcmp(x->message, "soft CPU: unimplemented instruction 66 0f 38 00 c1 at rip 0x10001") == 0,
	      "report: %s", x->message);
	th_fini(&t);

	/* AVX (VEX vmovd xmm1, edi) and SSE4.1 (palignr's 0f 3a map): the
	 * report shows the VEX prefix and the third opcode byte too. */
	setup(&t, 0, CR4_OSFXSR, "c5 f9 6e cf f4", 6, false);
	x = th_run(&t);
	CHECK(x->reason == ENGINE_EXIT_INTERNAL_ERROR &&
	      strcmp(x->message, "soft CPU: unimplemented instruction c5 f9 6e cf at rip 0x10000") == 0,
	      "vmovd: exit %s, %s", engine_exit_reason_name(x->reason), x->message);
	th_fini(&t);
	setup(&t, 0, CR4_OSFXSR, "66 0f 3a 0f c1 04 f4", 6, false);
	x = th_run(&t);
	CHECK(x->reason == ENGINE_EXIT_INTERNAL_ERROR &&
	      strcmp(x->message, "soft CPU: unimplemented instruction 66 0f 3a 0f c1 at rip 0x10000") == 0,
	      "palignr: exit %s, %s", engine_exit_reason_name(x->reason), x->message);
	th_fini(&t);

	/* Undefined on every x86-64 (UD0, and 0x06 in 64-bit mode): #UD. */
	setup(&t, 0, 0, "0f ff c0 f4", 6, false);
	th_expect(&t, ENGINE_EXIT_HLT, "ud0");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
	th_fini(&t);
	setup(&t, 0, 0, "90 06 f4", 6, false);
	th_expect(&t, ENGINE_EXIT_HLT, "push es in 64-bit mode");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE + 1);
	th_fini(&t);

	/* Longer than 15 bytes: #GP(0). */
	setup(&t, 0, 0, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 05 11 11 f4", 13, true);
	th_expect(&t, ENGINE_EXIT_HLT, "over-long instruction");
	CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
	CHECK_EQ_U64(th_regs(&t).rbx, 0);
	th_fini(&t);
}

int main(void)
{
	test_ud_without_osfxsr();
	test_nm_with_ts();
	test_alignment();
	test_fxsave_fxrstor();
	test_mxcsr();
	test_two_nans();
	test_access_counts();
	test_decode_failures();
	return 0;
}
