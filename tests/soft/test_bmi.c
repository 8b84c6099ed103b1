/*
 * tests/soft/test_bmi.c — directed tests of BMI1's VEX-encoded
 * instructions (ANDN, BLSR, BLSMSK, BLSI, BEXTR; TZCNT is test_alu.c's):
 * results at 32 and 64 bits (a 32-bit one zero-extends), register and
 * memory sources, the high registers through VEX.R/X/B and vvvv, BEXTR's
 * START and LEN at and past the operand size, zero sources, and the flags
 * the SDM defines, each from all-clear and all-set flags.  Then the
 * encodings that are #UD (VEX.L = 1, a LOCK/66/F2/F3/REX prefix before
 * VEX, group 17's reserved /digits), the VEX instructions this CPU does
 * not implement (AVX, BMI2) still ending the run with a report, one
 * straddling two pages, and CPUID reporting BMI1.
 *
 * The bytes were assembled by GNU as from the text shown (objdump -M
 * intel); the expected values follow from the SDM's pseudo-code.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "harness.h"
#include "vcpu/soft/insn.h"

#define UD_HANDLER 0x12000u
#define ALL_ARITH (SOFT_CF | SOFT_PF | SOFT_AF | SOFT_ZF | SOFT_SF | SOFT_OF)

#define R(reg) #reg, offsetof(struct engine_regs, reg)

struct expect_reg {
	const char *name;
	size_t off;
	uint64_t value;
};

struct bmi_case {
	const char *text;
	const char *hex;             /* the instruction, then hlt */
	struct engine_regs init;
	uint64_t mem[2];             /* at TH_DATA */
	struct expect_reg expect[3];
	uint16_t defined;            /* the flags the SDM defines after it */
	uint16_t flags;              /* their expected values */
};

static const struct bmi_case cases[] = {
	/* ANDN: ~src1 & src2; SF ZF from the result, CF OF cleared. */
	{ "andn rax, rbx, rcx", "c4 e2 e0 f2 c1 f4",
	  { .rax = 1, .rbx = 0xff00ff00ff00ff00ull, .rcx = 0x0ff00ff00ff00ff0ull }, { 0 },
	  { { R(rax), 0x00f000f000f000f0ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, 0 },
	{ "andn eax, ebx, ecx (zero-extended, SF)", "c4 e2 60 f2 c1 f4",
	  { .rax = ~0ull, .rbx = 0x123456780000ffffull, .rcx = 0xffffffff8000ffffull }, { 0 },
	  { { R(rax), 0x80000000ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_SF },
	{ "andn rax, rbx, rcx (zero result)", "c4 e2 e0 f2 c1 f4",
	  { .rax = 5, .rbx = ~0ull, .rcx = 0x8000000000000001ull }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_ZF },
	{ "andn r8, r9, [r15 + r14*4 + 8]", "c4 02 b0 f2 44 b7 08 f4",
	  { .r9 = 0x00000000ffffffffull, .r14 = 2, .r15 = TH_DATA - 8 }, { 0, 0x8123456789abcdefull },
	  { { R(r8), 0x8123456700000000ull }, { R(r9), 0x00000000ffffffffull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_SF },
	{ "andn r10, r11, r12", "c4 42 a0 f2 d4 f4",
	  { .r11 = 0xf0, .r12 = 0xff }, { 0 },
	  { { R(r10), 0x0f } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, 0 },

	/* BLSR: (src - 1) & src into vvvv; CF = (src == 0). */
	{ "blsr rax, rbx", "c4 e2 f8 f3 cb f4",
	  { .rax = 7, .rbx = 0x50 }, { 0 },
	  { { R(rax), 0x40 }, { R(rbx), 0x50 } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, 0 },
	{ "blsr eax, ebx (zero source)", "c4 e2 78 f3 cb f4",
	  { .rax = ~0ull, .rbx = 0xffffffff00000000ull }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_CF | SOFT_ZF },
	{ "blsr rax, rbx (one bit left: zero)", "c4 e2 f8 f3 cb f4",
	  { .rax = 7, .rbx = 0x8000000000000000ull }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_ZF },
	{ "blsr r13, qword ptr [rsi]", "c4 e2 90 f3 0e f4",
	  { .rsi = TH_DATA, .r13 = 1 }, { 0xc000000000000000ull },
	  { { R(r13), 0x8000000000000000ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_SF },

	/* BLSMSK: (src - 1) ^ src; CF = (src == 0), ZF cleared. */
	{ "blsmsk rax, rbx", "c4 e2 f8 f3 d3 f4",
	  { .rbx = 0x50 }, { 0 },
	  { { R(rax), 0x1f } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, 0 },
	{ "blsmsk eax, ebx (zero source)", "c4 e2 78 f3 d3 f4",
	  { .rax = 0x1234567812345678ull, .rbx = 0xffffffff00000000ull }, { 0 },
	  { { R(rax), 0xffffffffull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_CF | SOFT_SF },
	{ "blsmsk rax, rbx (zero source)", "c4 e2 f8 f3 d3 f4",
	  { .rbx = 0 }, { 0 },
	  { { R(rax), ~0ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_CF | SOFT_SF },
	{ "blsmsk rax, rbx (top bit only)", "c4 e2 f8 f3 d3 f4",
	  { .rbx = 0x8000000000000000ull }, { 0 },
	  { { R(rax), ~0ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_SF },

	/* BLSI: -src & src; CF = (src != 0). */
	{ "blsi rax, rbx", "c4 e2 f8 f3 db f4",
	  { .rax = 3, .rbx = 0x50 }, { 0 },
	  { { R(rax), 0x10 } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_CF },
	{ "blsi eax, ebx (zero source)", "c4 e2 78 f3 db f4",
	  { .rax = ~0ull, .rbx = 0xffffffff00000000ull }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_ZF },
	{ "blsi rax, rbx (top bit)", "c4 e2 f8 f3 db f4",
	  { .rbx = 0x8000000000000000ull }, { 0 },
	  { { R(rax), 0x8000000000000000ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_CF | SOFT_SF },
	{ "blsi r11d, r12d (32-bit top bit)", "c4 c2 20 f3 dc f4",
	  { .r11 = ~0ull, .r12 = 0xffffffff80000000ull }, { 0 },
	  { { R(r11), 0x80000000ull } },
	  SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF, SOFT_CF | SOFT_SF },

	/* BEXTR: START = control[7:0], LEN = control[15:8]; ZF from the
	 * result, CF OF cleared (SF undefined). */
	{ "bextr rax, rbx, rcx (start 4, len 8)", "c4 e2 f0 f7 c3 f4",
	  { .rbx = 0x123456789abcdef0ull, .rcx = 0x0804 }, { 0 },
	  { { R(rax), 0xef } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr rax, rbx, rcx (control bits 63:16 ignored)", "c4 e2 f0 f7 c3 f4",
	  { .rbx = 0x123456789abcdef0ull, .rcx = 0xffffffffffff0804ull }, { 0 },
	  { { R(rax), 0xef } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr rax, rbx, rcx (start 64)", "c4 e2 f0 f7 c3 f4",
	  { .rax = 9, .rbx = ~0ull, .rcx = 0x0840 }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, SOFT_ZF },
	{ "bextr rax, rbx, rcx (start 255, len 255)", "c4 e2 f0 f7 c3 f4",
	  { .rax = 9, .rbx = ~0ull, .rcx = 0xffff }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, SOFT_ZF },
	{ "bextr eax, ebx, ecx (start 32 of 32 bits)", "c4 e2 70 f7 c3 f4",
	  { .rax = 9, .rbx = ~0ull, .rcx = 0x1020 }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, SOFT_ZF },
	{ "bextr rax, rbx, rcx (len 0)", "c4 e2 f0 f7 c3 f4",
	  { .rax = 9, .rbx = ~0ull, .rcx = 0x0004 }, { 0 },
	  { { R(rax), 0 } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, SOFT_ZF },
	{ "bextr rax, rbx, rcx (start 0, len 255: all 64 bits)", "c4 e2 f0 f7 c3 f4",
	  { .rbx = 0x8000000000000001ull, .rcx = 0xff00 }, { 0 },
	  { { R(rax), 0x8000000000000001ull } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr rax, rbx, rcx (start 0, len 64)", "c4 e2 f0 f7 c3 f4",
	  { .rbx = 0x8000000000000001ull, .rcx = 0x4000 }, { 0 },
	  { { R(rax), 0x8000000000000001ull } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr eax, ebx, ecx (start 0, len 32 of 32 bits)", "c4 e2 70 f7 c3 f4",
	  { .rax = ~0ull, .rbx = 0xffffffff80000001ull, .rcx = 0x2000 }, { 0 },
	  { { R(rax), 0x80000001ull } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr eax, ebx, ecx (start 28, len 8: past bit 31)", "c4 e2 70 f7 c3 f4",
	  { .rbx = 0xfffffffff0000000ull, .rcx = 0x081c }, { 0 },
	  { { R(rax), 0xf } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr rax, rbx, rcx (start 60, len 8: past bit 63)", "c4 e2 f0 f7 c3 f4",
	  { .rbx = 0xf000000000000000ull, .rcx = 0x083c }, { 0 },
	  { { R(rax), 0xf } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
	{ "bextr r9, qword ptr [rdi], r13", "c4 62 90 f7 0f f4",
	  { .rdi = TH_DATA, .r13 = 0x1008 }, { 0x0000beef0000ab00ull },
	  { { R(r9), 0xab } },
	  SOFT_CF | SOFT_ZF | SOFT_OF, 0 },
};

static const char *flag_names(uint16_t f, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s%s", f & SOFT_CF ? "CF " : "", f & SOFT_PF ? "PF " : "",
		 f & SOFT_AF ? "AF " : "", f & SOFT_ZF ? "ZF " : "", f & SOFT_SF ? "SF " : "",
		 f & SOFT_OF ? "OF " : "");
	return buf;
}

static void run_case(const struct bmi_case *c, uint64_t flags_in)
{
	struct th t;
	th_init(&t);
	th_code(&t, TH_CODE, c->hex);
	th_wr64(&t, TH_DATA, c->mem[0]);
	th_wr64(&t, TH_DATA + 8, c->mem[1]);
	struct engine_regs r = c->init;
	r.rip = TH_CODE;
	if (!r.rsp)
		r.rsp = TH_KSTACK;
	r.rflags = 2 | flags_in;
	th_set_regs(&t, &r);
	th_expect(&t, ENGINE_EXIT_HLT, c->text);
	struct engine_regs o = th_regs(&t);
	for (unsigned k = 0; k < 3 && c->expect[k].name; k++) {
		uint64_t got;
		memcpy(&got, (const char *)&o + c->expect[k].off, 8);
		CHECK(got == c->expect[k].value, "%s: %s = 0x%" PRIx64 ", expected 0x%" PRIx64,
		      c->text, c->expect[k].name, got, c->expect[k].value);
	}
	char a[32], b[32];
	CHECK((o.rflags & c->defined) == c->flags,
	      "%s from flags %#" PRIx64 ": defined flags %s, expected %s", c->text, flags_in,
	      flag_names((uint16_t)(o.rflags & c->defined), a, sizeof(a)),
	      flag_names(c->flags, b, sizeof(b)));
	/* A source and the destination's neighbours are not written. */
	CHECK(th_rd64(&t, TH_DATA) == c->mem[0] && th_rd64(&t, TH_DATA + 8) == c->mem[1],
	      "%s: memory written", c->text);
	th_fini(&t);
}

/* The table row the case's instruction decodes to says the same flags
 * are defined as the SDM (the oracle compares only those). */
static void check_form(const struct bmi_case *c)
{
	uint8_t bytes[SOFT_INSN_MAX] = { 0 };
	unsigned n = 0;
	for (const char *p = c->hex; *p && n < sizeof(bytes);) {
		unsigned x;
		int used;
		if (sscanf(p, "%2x%n", &x, &used) != 1)
			break;
		bytes[n++] = (uint8_t)x;
		p += used;
		while (*p == ' ')
			p++;
	}
	struct soft_dinsn d;
	int len = soft_decode(bytes, n, &d);
	CHECK(len > 0 && (unsigned)len == n - 1, "%s: decodes as %d of %u bytes", c->text, len, n);
	const struct soft_form *f = &soft_forms[d.form];
	CHECK(f->op == SOFT_OP_BMI1 && (f->attr & SOFT_A_VEX), "%s: decodes as %s", c->text, f->mnem);
	CHECK(f->fdef == c->defined, "%s: the table's %s defines flags %#x, the SDM %#x", c->text,
	      f->mnem, f->fdef, c->defined);
}

/* Encodings that are #UD: the handler loads the faulting RIP into RAX. */
static void test_ud(void)
{
	static const struct {
		const char *text, *hex;
	} ud[] = {
		{ "andn with VEX.L = 1", "c4 e2 e4 f2 c1 f4" },
		{ "blsr with VEX.L = 1", "c4 e2 fc f3 cb f4" },
		{ "bextr with VEX.L = 1", "c4 e2 f4 f7 c3 f4" },
		{ "66 before VEX (andn)", "66 c4 e2 e0 f2 c1 f4" },
		{ "f2 before VEX (andn)", "f2 c4 e2 e0 f2 c1 f4" },
		{ "f3 before VEX (blsr)", "f3 c4 e2 f8 f3 cb f4" },
		{ "lock before VEX (andn, memory)", "f0 c4 e2 e0 f2 06 f4" },
		{ "rex.w before VEX (andn)", "48 c4 e2 e0 f2 c1 f4" },
		{ "rex before the two-byte VEX (vmovd)", "40 c5 f9 6e cf f4" },
		{ "66 before VEX (AVX vpaddd)", "66 c5 f9 fe c1 f4" },
		{ "group 17 /0", "c4 e2 f8 f3 c3 f4" },
		{ "group 17 /4", "c4 e2 f8 f3 e3 f4" },
		{ "group 17 /7", "c4 e2 78 f3 fb f4" },
	};
	for (unsigned i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
		struct th t;
		th_init(&t);
		th_code(&t, TH_CODE, ud[i].hex);
		th_code(&t, UD_HANDLER, "48 8b 04 24 f4"); /* mov rax, [rsp]; hlt */
		th_gate(&t, 6, UD_HANDLER, 0xe, 0, 0);
		struct engine_regs r = th_regs(&t);
		r.rsi = TH_DATA;
		r.rax = 0x1234;
		th_set_regs(&t, &r);
		th_expect(&t, ENGINE_EXIT_HLT, ud[i].text);
		CHECK_EQ_U64(th_regs(&t).rax, TH_CODE);
		th_fini(&t);
	}
}

/* VEX instructions this CPU does not implement end the run, naming
 * their bytes: the guest never sees a #UD that hardware would not raise. */
static void test_not_implemented(void)
{
	static const struct {
		const char *text, *hex, *report;
	} ni[] = {
		{ "shlx (BMI2)", "c4 e2 f1 f7 c3 f4", "c4 e2 f1 f7 c3" },
		{ "pdep (BMI2)", "c4 e2 e3 f5 c1 f4", "c4 e2 e3 f5 c1" },
		{ "group 17 with VEX.66", "c4 e2 f9 f3 cb f4", "c4 e2 f9 f3 cb" },
		{ "andn with VEX.F3", "c4 e2 e2 f2 c1 f4", "c4 e2 e2 f2 c1" },
		{ "vpaddd ymm (AVX2)", "c5 fd fe c1 f4", "c5 fd fe c1" },
		{ "VEX map 4", "c4 e4 78 f3 cb f4", "c4 e4 78 f3 cb" },
	};
	for (unsigned i = 0; i < sizeof(ni) / sizeof(ni[0]); i++) {
		struct th t;
		th_init(&t);
		th_code(&t, TH_CODE, ni[i].hex);
		struct engine_exit *x = th_run(&t);
		char want[128];
		snprintf(want, sizeof(want), "soft CPU: unimplemented instruction %s at rip %#x",
			 ni[i].report, TH_CODE);
		CHECK(x->reason == ENGINE_EXIT_INTERNAL_ERROR && strcmp(x->message, want) == 0,
		      "%s: exit %s, \"%s\", expected \"%s\"", ni[i].text,
		      engine_exit_reason_name(x->reason), x->message, want);
		th_fini(&t);
	}
}

/* A VEX instruction across a page boundary (its VEX bytes in one page,
 * opcode and modrm in the next) and the decoder's answers for short input. */
static void test_straddle_and_short(void)
{
	struct th t;
	th_init(&t);
	const uint64_t at = TH_CODE + 0xffd;
	th_code(&t, at, "c4 e2 e0 f2 c1 f4"); /* andn rax, rbx, rcx */
	struct engine_regs r = th_regs(&t);
	r.rip = at;
	r.rbx = 0xf;
	r.rcx = 0xff;
	th_set_regs(&t, &r);
	th_expect(&t, ENGINE_EXIT_HLT, "andn across a page boundary");
	CHECK_EQ_U64(th_regs(&t).rax, 0xf0);
	th_fini(&t);

	static const uint8_t andn[] = { 0xc4, 0xe2, 0xe0, 0xf2, 0xc1 };
	struct soft_dinsn d;
	for (size_t n = 1; n < sizeof(andn); n++)
		CHECK(soft_decode(andn, n, &d) == -EAGAIN, "andn's first %zu bytes: not -EAGAIN", n);
	CHECK(soft_decode(andn, sizeof(andn), &d) == 5 && d.reg == 0 && d.vreg == 3 && d.rm == 1 &&
	      d.osize == 8 && !d.mem, "andn rax, rbx, rcx decodes as reg %u vvvv %u rm %u size %u",
	      d.reg, d.vreg, d.rm, d.osize);
}

static void test_cpuid(void)
{
	struct th t;
	th_init(&t);
	th_code(&t, TH_CODE, "b8 07 00 00 00 31 c9 0f a2 f4"); /* mov eax, 7; xor ecx, ecx; cpuid */
	th_expect(&t, ENGINE_EXIT_HLT, "cpuid leaf 7");
	CHECK(th_regs(&t).rbx & (1u << 3), "CPUID.7.0:EBX %#" PRIx64 " without BMI1",
	      th_regs(&t).rbx);
	th_fini(&t);
}

int main(void)
{
	unsigned n = sizeof(cases) / sizeof(cases[0]);
	for (unsigned i = 0; i < n; i++) {
		check_form(&cases[i]);
		run_case(&cases[i], 0);
		run_case(&cases[i], ALL_ARITH);
	}
	test_ud();
	test_not_implemented();
	test_straddle_and_short();
	test_cpuid();
	printf("%u BMI1 cases passed, with the #UD, report and straddle checks\n", n);
	return 0;
}
