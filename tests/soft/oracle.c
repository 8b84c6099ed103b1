/*
 * tests/soft/oracle.c — differential test of the soft CPU against an
 * independent implementation: unicorn (QEMU's x86-64 translator, Debian's
 * libunicorn-dev).
 *
 * Random instruction sequences are generated from the instruction-form
 * table itself (soft_forms[]): every non-system form, with random operand
 * sizes, registers, immediates, memory operands into a data page (base
 * R15, index R14, RIP-relative, some crossing into the next page) and
 * LOCK where allowed.  Control-transfer, stack-frame, flags-image and
 * string forms are emitted inside fixed idioms that keep the sequence on
 * its rails (a Jcc over a marker instruction, CALL to a RET, REP MOVS with
 * set-up pointers...).  Each sequence runs on both CPUs from the same
 * registers, flags and memory; all 16 GPRs, the arithmetic flags the SDM
 * defines after the sequence, RIP and the 8 KiB of data must match.  An
 * exception must be the same vector at the same RIP.
 *
 * Registers RSP (stack in the data area), RBP (frame), R14 (small index)
 * and R15 (data base) are never destinations of random forms.
 *
 * Known divergence kept out of the generator: unicorn 2.0.1 (QEMU 5)
 * zero-extends RAX on a successful 32-bit CMPXCHG with a register
 * destination, hardware does not; 32-bit CMPXCHG is not generated.  BSWAP
 * r16 and 16-bit SHLD/SHRD are undefined on hardware and not generated.
 * Its LOCK NEG computes the flags from the old value (plain NEG is right),
 * so NEG is generated without LOCK.
 * It computes a RIP-relative address of SHLD/SHRD with an imm8 from the
 * start of the immediate (one byte short); those use R15-based operands.
 * unicorn 2.0.1 rejects POPCNT as an invalid instruction in every CPU
 * model, so POPCNT is checked by the directed tests (test_alu.c) only.
 * Its CMPXCHG8B/16B leave garbage in EFLAGS (TF included: a #DB follows),
 * so those are test_alu.c's too.
 *
 * VEX forms (SOFT_A_VEX: BMI1) are emitted with the three-byte VEX
 * prefix, VEX.W random, vvvv random (from the writable registers where
 * it is a destination or BEXTR's control, which a MOVABS sets just
 * before: START and LEN up to 16 past the operand size); one in twelve
 * is made #UD (VEX.L = 1, or a LOCK/66/F2/F3/REX prefix before VEX).  unicorn 2.0.1
 * gets three cases wrong, kept out here and checked by test_bmi.c: its
 * BLSI sets CF for a zero source instead of a nonzero one (CF is not
 * compared after BLSI); its BEXTR clamps a LEN >= the operand size to
 * one bit less, losing the top bit when START is 0 (not generated); its
 * 32-bit BEXTR of a register shifts the whole 64-bit register (a
 * MOV r32, r32 clears the high half first).
 *
 * SSE/SSE2 forms (SOFT_A_SSE) run from random XMM registers and a random
 * MXCSR (rounding mode, DAZ, FTZ and sticky flags random, every exception
 * masked); all 16 XMM registers and MXCSR's control bits must match too.
 * Not its exception flags: unicorn 2.0.1 (QEMU 5) never sets them (the
 * soft CPU has them from the host's own instruction; test_sse.c checks
 * them).  Its ADD/SUB/MUL/DIV of two NaNs return the one with the larger
 * significand (the x87 rule), hardware the first source: unicorn's result
 * is corrected in exactly those lanes as the instruction retires (struct
 * nan_fix; test_sse.c checks the rule), so XMM registers and data are
 * compared bit for bit, NaNs included.  Operands of
 * the aligned forms are 16-byte aligned (the #GP of a misaligned one is
 * the directed test's, test_sse.c); LDMXCSR loads a valid value stored
 * just before it.  FXSAVE/FXRSTOR are left to test_sse.c: they move the
 * x87 state too, which this oracle does not set up.  Forms marked
 * SOFT_A_X87 (cpu_x87.c) are left to oracle_x87.c.
 *
 * Usage: oracle [SEQUENCES [SEED]] (default 100000 sequences, seed 1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "harness.h"
#include "vcpu/soft/fpu.h"
#include "vcpu/soft/insn.h"


#define CODE_AT 0x10000u
#define DATA_AT 0x200000u
#define DATA_LEN 0x2000u
#define R15_VAL (DATA_AT + 0x200)
#define RSP_VAL (DATA_AT + 0x1800)
#define RBP_VAL (DATA_AT + 0x1c00)
#define MAX_CODE 2048
#define MAX_INSNS 64
#define MXCSR_FLAGS 0x3fu

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static unsigned rndn(struct rng *r, unsigned n)
{
	return (unsigned)(rnd(r) % n);
}

struct seq {
	uint8_t code[MAX_CODE];
	unsigned len;
	unsigned n;
	uint16_t mask;         /* arithmetic flags defined so far */
	uint32_t mxcsr_clear;  /* MXCSR bits the sequence must run without */
	struct {
		unsigned off, len;
		int form;          /* -1: idiom glue */
		unsigned osize;
		uint16_t written, fdef;
	} in[MAX_INSNS];
};

static void emit(struct seq *s, const uint8_t *b, unsigned n)
{
	memcpy(s->code + s->len, b, n);
	s->len += n;
}

static void emit1(struct seq *s, uint8_t b)
{
	s->code[s->len++] = b;
}

static void emitn(struct seq *s, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		emit1(s, (uint8_t)(v >> (8 * i)));
}

/* Record the instruction that starts at `start`. */
static void note(struct seq *s, unsigned start, int form, unsigned osize, uint16_t written,
		 uint16_t fdef)
{
	if (s->n >= MAX_INSNS)
		return;
	s->in[s->n].off = start;
	s->in[s->n].len = s->len - start;
	s->in[s->n].form = form;
	s->in[s->n].osize = osize;
	s->in[s->n].written = written;
	s->in[s->n].fdef = fdef;
	s->n++;
	s->mask = (uint16_t)((s->mask | written) & fdef);
}

/* Glue (idiom) instruction given as bytes, flags untouched or fully written. */
static void glue(struct seq *s, const uint8_t *b, unsigned n, uint16_t written)
{
	unsigned st = s->len;
	emit(s, b, n);
	note(s, st, -1, 0, written, SOFT_ARITH);
}

/* An instruction that reads flags the SDM left undefined has an undefined
 * result: define them all first (cmp r8, r9 writes no register). */
static void define_flags(struct seq *s)
{
	static const uint8_t cmp[] = { 0x4d, 0x39, 0xc8 };
	if (s->mask != SOFT_ARITH)
		glue(s, cmp, 3, SOFT_ARITH);
}

static bool reads_flags(const struct soft_form *f)
{
	switch (f->op) {
	case SOFT_OP_JCC:
	case SOFT_OP_SETCC:
	case SOFT_OP_CMOV:
	case SOFT_OP_PUSHF:
		return true;
	case SOFT_OP_ALU:
		return f->sub == SOFT_ALU_ADC || f->sub == SOFT_ALU_SBB;
	case SOFT_OP_SHIFT:
		return f->sub == SOFT_SH_RCL || f->sub == SOFT_SH_RCR;
	case SOFT_OP_FLAGOP:
		return f->sub == SOFT_FL_CMC;
	case SOFT_OP_LAHF:
		return true;
	default:
		return false;
	}
}

static bool is_sse(const struct soft_form *f)
{
	return (f->attr & SOFT_A_SSE) != 0;
}

/* SSE forms with a general-register or memory operand that REX.W sizes. */
static bool sse_rexw(const struct soft_form *f)
{
	switch (f->sub) {
	case SOFT_SSE_MOVD_TOX: case SOFT_SSE_MOVD_FROMX: case SOFT_SSE_CVTSI2SS:
	case SOFT_SSE_CVTSI2SD: case SOFT_SSE_CVTTSS2SI: case SOFT_SSE_CVTTSD2SI:
	case SOFT_SSE_CVTSS2SI: case SOFT_SSE_CVTSD2SI: case SOFT_SSE_MOVNTI:
		return true;
	default:
		return false;
	}
}

/* MXCSR bits under which unicorn 2.0.1 computes the form unlike
 * hardware: its MIN/MAX return a denormal source that DAZ makes zero,
 * its multiplies do not always treat a denormal input as zero under DAZ,
 * and under FTZ it keeps tiny results that hardware flushes to zero.  So
 * DAZ and FTZ are random only in sequences without floating-point
 * arithmetic (test_sse.c checks them against known results). */
static uint32_t sse_mxcsr_clear(const struct soft_form *f)
{
	switch (f->sub) {
#define FTZ_H(id, mn, px, oc, msz, fl, insn) case SOFT_SSE_##id: return ((fl) & SSE_FP) ? 0x8040 : 0;
#define FTZ_C(id, mn, px, oc, ex, mc, on, im, msz, fl) case SOFT_SSE_##id: return ((fl) & SSE_FP) ? 0x8040 : 0;
	SOFT_SSE_OPS(FTZ_H, FTZ_C)
#undef FTZ_H
#undef FTZ_C
	default:
		return 0;
	}
}

static uint32_t sse_mxcsr_clear_daz(const struct soft_form *f)
{
	switch (f->sub) {
	case SOFT_SSE_MINSS: case SOFT_SSE_MINSD: case SOFT_SSE_MINPS: case SOFT_SSE_MINPD:
	case SOFT_SSE_MAXSS: case SOFT_SSE_MAXSD: case SOFT_SSE_MAXPS: case SOFT_SSE_MAXPD:
		return 0x40;
	default:
		return 0;
	}
}

/* SSE forms whose modrm.reg is a general register (written, except MOVNTI's). */
static bool sse_reg_gpr(const struct soft_form *f)
{
	switch (f->sub) {
	case SOFT_SSE_CVTTSS2SI: case SOFT_SSE_CVTTSD2SI: case SOFT_SSE_CVTSS2SI:
	case SOFT_SSE_CVTSD2SI: case SOFT_SSE_MOVMSKPS: case SOFT_SSE_MOVMSKPD:
	case SOFT_SSE_PMOVMSKB: case SOFT_SSE_PEXTRW: case SOFT_SSE_MOVNTI:
		return true;
	default:
		return false;
	}
}

/* SSE forms whose register r/m operand is a general register. */
static bool sse_rm_gpr(const struct soft_form *f)
{
	switch (f->sub) {
	case SOFT_SSE_MOVD_TOX: case SOFT_SSE_MOVD_FROMX: case SOFT_SSE_CVTSI2SS:
	case SOFT_SSE_CVTSI2SD: case SOFT_SSE_PINSRW:
		return true;
	default:
		return false;
	}
}

/* SSE forms whose 16-byte memory operand must be 16-aligned. */
static bool sse_aligned(const struct soft_form *f)
{
	if (!is_sse(f))
		return false;
	switch (f->sub) {
#define AL_H(id, mn, px, oc, msz, fl, insn) case SOFT_SSE_##id: return ((fl) & SSE_AL) && (msz) >= 16;
#define AL_C(id, mn, px, oc, ex, mc, on, im, msz, fl) case SOFT_SSE_##id: return ((fl) & SSE_AL) && (msz) >= 16;
	SOFT_SSE_OPS(AL_H, AL_C)
#undef AL_H
#undef AL_C
	default:
		return false;
	}
}

/* Registers random forms may write. */
static const uint8_t dst_regs[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13 };

static unsigned pick_reg(struct rng *r)
{
	return dst_regs[rndn(r, sizeof(dst_regs))];
}

/* Flags an instruction writes with defined values (the rest it leaves as
 * they were, or undefined when they are not in fdef). */
static uint16_t flags_written(const struct soft_form *f, unsigned osize, uint64_t imm)
{
	switch (f->op) {
	case SOFT_OP_ALU:
		return f->sub == SOFT_ALU_AND || f->sub == SOFT_ALU_OR || f->sub == SOFT_ALU_XOR
			? SOFT_ARITH & ~SOFT_AF : SOFT_ARITH;
	case SOFT_OP_TEST:
		return SOFT_ARITH & ~SOFT_AF;
	case SOFT_OP_NEG:
	case SOFT_OP_XADD:
	case SOFT_OP_CMPXCHG:
	case SOFT_OP_POPCNT:
		return SOFT_ARITH;
	case SOFT_OP_INC:
	case SOFT_OP_DEC:
		return SOFT_ARITH & ~SOFT_CF;
	case SOFT_OP_MUL:
	case SOFT_OP_IMUL1:
	case SOFT_OP_IMUL2:
		return SOFT_CF | SOFT_OF;
	case SOFT_OP_BT:
		return SOFT_CF;
	case SOFT_OP_BSF:
	case SOFT_OP_BSR:
		return SOFT_ZF;
	case SOFT_OP_SAHF:
		return SOFT_ARITH & ~SOFT_OF;
	case SOFT_OP_CMPXCHG8B:
		return SOFT_ZF;
	case SOFT_OP_SSE:
		switch (f->sub) {
		case SOFT_SSE_COMISS: case SOFT_SSE_UCOMISS: case SOFT_SSE_COMISD: case SOFT_SSE_UCOMISD:
			return SOFT_ARITH;
		default:
			return 0;
		}
	case SOFT_OP_TZCNT:
	case SOFT_OP_LZCNT:
		return SOFT_CF | SOFT_ZF;
	case SOFT_OP_BMI1:
		return f->fdef; /* every flag it defines, it writes */
	case SOFT_OP_SHIFT:
	case SOFT_OP_SHLD:
	case SOFT_OP_SHRD: {
		unsigned cnt = f->count == SOFT_CNT_1 ? 1 : f->count == SOFT_CNT_IMM || f->opnds == SOFT_P_EGI
			? (unsigned)imm : 0; /* by CL: unknown here, count nothing */
		cnt &= osize == 8 ? 0x3f : 0x1f;
		if (!cnt)
			return 0;
		uint16_t w = f->fdef;
		if (f->op == SOFT_OP_SHIFT && f->sub <= SOFT_SH_RCR)
			w &= SOFT_CF | SOFT_OF; /* rotates write only these */
		if (cnt != 1)
			w &= ~SOFT_OF;
		return w;
	}
	default:
		return 0;
	}
}

/* Defined flags after the form: the table's fdef, narrowed where the SDM
 * says "undefined" for cases the table cannot express per form. */
static uint16_t flags_defined(const struct soft_form *f, unsigned osize)
{
	uint16_t d = f->fdef;
	if (f->op == SOFT_OP_SHIFT && f->count != SOFT_CNT_1) {
		d &= ~SOFT_OF;
		/* SHL/SHR by a count >= the operand width leave CF undefined. */
		if (osize < 4 && (f->sub == SOFT_SH_SHL || f->sub == SOFT_SH_SHR || f->sub == SOFT_SH_SAR))
			d &= ~SOFT_CF;
	}
	if ((f->op == SOFT_OP_SHLD || f->op == SOFT_OP_SHRD))
		d &= ~SOFT_OF;
	/* unicorn's BLSI CF is inverted (see the top of the file). */
	if (f->op == SOFT_OP_BMI1 && f->sub == SOFT_BMI_BLSI)
		d &= ~SOFT_CF;
	return d;
}

/* Forms this oracle does not check (see the top of the file). */
static bool form_skipped(const struct soft_form *f)
{
	return (f->attr & (SOFT_A_SYS | SOFT_A_X87)) || f->op == SOFT_OP_POPCNT ||
	       f->op == SOFT_OP_CMPXCHG8B ||
	       (is_sse(f) && (f->sub == SOFT_SSE_FXSAVE || f->sub == SOFT_SSE_FXRSTOR));
}

static bool form_eligible(const struct soft_form *f)
{
	if ((f->attr & SOFT_A_BRANCH) || form_skipped(f))
		return false;
	switch (f->op) {
	case SOFT_OP_MOVS:
	case SOFT_OP_STOS:
	case SOFT_OP_CMPS:
	case SOFT_OP_SCAS:
	case SOFT_OP_LEAVE:
	case SOFT_OP_PUSHF:
	case SOFT_OP_POPF:
		return false; /* idioms */
	case SOFT_OP_POPCNT:
		return false; /* unicorn 2.0.1 cannot run it (see the top of the file) */
	default:
		return true;
	}
}

static unsigned pick_osize(struct rng *r, const struct soft_form *f)
{
	if (f->attr & SOFT_A_VEX)
		return rndn(r, 2) ? 8 : 4; /* VEX.W */
	if (is_sse(f))
		return sse_rexw(f) && rndn(r, 2) ? 8 : 4;
	if (f->rexw)
		return 8;
	switch (f->size) {
	case SOFT_SZ_B: return 1;
	case SOFT_SZ_W: return 2;
	case SOFT_SZ_F64: return 8;
	case SOFT_SZ_D64: return rndn(r, 4) == 0 ? 2 : 8;
	default: {
		unsigned c = rndn(r, 3);
		unsigned sz = c == 0 ? 2 : c == 1 ? 4 : 8;
		if (f->op == SOFT_OP_CMPXCHG && sz == 4)
			sz = 8;
		if ((f->op == SOFT_OP_BSWAP || f->op == SOFT_OP_SHLD || f->op == SOFT_OP_SHRD) && sz == 2)
			sz = 4;
		if (f->op == SOFT_OP_MOVSX && f->sub == 4 && sz == 2)
			sz = 8;
		return sz;
	}
	}
}

/* Emit one random instance of form f. */
static void gen_form(struct seq *s, struct rng *r, unsigned fi)
{
	const struct soft_form *f = &soft_forms[fi];
	unsigned osize = pick_osize(r, f);
	if (reads_flags(f))
		define_flags(s);
	unsigned start = s->len;

	/* VEX.vvvv's register: a destination (BLS*) and BEXTR's control
	 * (set just before) come from the writable ones, ANDN's source may
	 * be any of the 16. */
	bool vex = (f->attr & SOFT_A_VEX) != 0;
	unsigned vreg = f->opnds == SOFT_P_GVE ? rndn(r, 16) : pick_reg(r);
	if (vex && f->op == SOFT_OP_BMI1 && f->sub == SOFT_BMI_BEXTR) {
		/* START and LEN up to 16 past the operand size, bits 63:16
		 * random.  unicorn 2.0.1 clamps a LEN >= the operand size to
		 * size - 1 bits, losing the top bit when START is 0: LEN that
		 * long comes with START >= 1 (test_bmi.c checks START 0). */
		unsigned bits = osize * 8;
		unsigned st = rndn(r, bits + 16), ln = rndn(r, bits + 16);
		if (ln >= bits && st == 0)
			st = 1 + rndn(r, bits + 15);
		uint64_t ctl = (rnd(r) & ~0xffffull) | ln << 8 | st;
		uint8_t mov[10] = { (uint8_t)(0x48 | (vreg >> 3)), (uint8_t)(0xb8 | (vreg & 7)) };
		memcpy(mov + 2, &ctl, 8);
		glue(s, mov, sizeof(mov), 0); /* movabs vreg, ctl */
		start = s->len;
	}

	/* Division: make the quotient fit most of the time. */
	if (f->op == SOFT_OP_DIV || f->op == SOFT_OP_IDIV) {
		static const uint8_t movzx_eax_al[] = { 0x0f, 0xb6, 0xc0 }, cbw[] = { 0x66, 0x98 },
			xor_edx[] = { 0x31, 0xd2 }, cwd[] = { 0x66, 0x99 }, cdq[] = { 0x99 },
			cqo[] = { 0x48, 0x99 };
		if (f->op == SOFT_OP_DIV)
			osize == 1 ? glue(s, movzx_eax_al, 3, 0) : glue(s, xor_edx, 2, SOFT_ARITH & ~SOFT_AF);
		else if (osize == 1)
			glue(s, cbw, 2, 0);
		else
			glue(s, osize == 2 ? cwd : osize == 4 ? cdq : cqo, osize == 8 ? 2 : osize == 2 ? 2 : 1, 0);
		start = s->len;
	}

	/* LDMXCSR: a valid MXCSR (every exception masked) stored first, at
	 * the [r15 + disp8] it loads from. */
	bool aligned = sse_aligned(f);
	int32_t ldmx_disp = ((int32_t)rndn(r, 64) - 32) * 4;
	if (is_sse(f) && f->sub == SOFT_SSE_LDMXCSR) {
		uint32_t mx = 0x1f80 | (uint32_t)(rnd(r) & 0x603f); /* no FTZ, DAZ: see sse_mxcsr_clear() */
		uint8_t st[] = { 0x41, 0xc7, 0x47, (uint8_t)ldmx_disp, 0, 0, 0, 0 };
		memcpy(st + 4, &mx, 4);
		glue(s, st, sizeof(st), 0);
		start = s->len;
	}

	bool lock = false;
	uint8_t rex = osize == 8 && f->size != SOFT_SZ_D64 && f->size != SOFT_SZ_F64 ? 0x48 : 0;
	if (osize == 2 && f->size != SOFT_SZ_W)
		emit1(s, 0x66);
	if (f->pfx && !vex)
		emit1(s, f->pfx);

	unsigned reg = 0, rm = 0;
	bool mem = false;
	bool has_modrm = f->attr & SOFT_A_MODRM;
	bool byte_ops = osize == 1 || ((f->op == SOFT_OP_MOVZX || f->op == SOFT_OP_MOVSX) && f->sub == 1);
	bool use_rex40 = byte_ops && rndn(r, 2);
	/* Memory operand modes: 0 [r15+d8], 1 [r15+r14*s+d8], 2 [rip+d32],
	 * 3 [rip+d32] near the end of the data page (page-crossing). */
	unsigned mmode = rndn(r, 4);
	if (f->opnds == SOFT_P_EGI)
		mmode &= 1;
	unsigned scale = rndn(r, 4);
	int32_t disp = (int32_t)rndn(r, 256) - 128;
	if (aligned) {
		mmode = rndn(r, 2) * 2; /* [r15 + d8] or [rip + d32], 16-aligned */
		disp &= ~15;
	}
	if (is_sse(f) && (f->sub == SOFT_SSE_LDMXCSR || f->sub == SOFT_SSE_STMXCSR)) {
		mmode = 0;
		disp = ldmx_disp;
	}

	if (has_modrm) {
		reg = f->ext >= 0 ? (unsigned)f->ext : pick_reg(r);
		if (f->modc == SOFT_MOD_MEM)
			mem = true;
		else if (f->modc == SOFT_MOD_REG)
			mem = false;
		else
			mem = rndn(r, 2);
		if (f->op == SOFT_OP_BT && mem && f->opnds == SOFT_P_EG)
			reg = 14; /* a small bit offset keeps the access in the page */
		if (!mem)
			rm = pick_reg(r);
		/* An XMM operand may be any of the 16 (a general one is picked
		 * from the writable ones above). */
		if (is_sse(f) && f->ext < 0 && !sse_reg_gpr(f))
			reg = rndn(r, 16);
		if (is_sse(f) && !mem && !sse_rm_gpr(f))
			rm = rndn(r, 16);
		bool divide = f->op == SOFT_OP_DIV || f->op == SOFT_OP_IDIV;
		if (divide && rm == 2)
			rm = 3; /* the divisor must not be the dividend's high half */
		if (byte_ops && !use_rex40 && !divide) {
			/* Without REX, byte registers 4..7 are AH..BH. */
			if (osize == 1 && rndn(r, 3) == 0 && f->ext < 0 && reg < 4)
				reg += 4;
			if (!mem && rndn(r, 3) == 0 && rm < 4)
				rm += 4;
		}
		if (f->attr & SOFT_A_LOCK && f->op != SOFT_OP_NEG && mem && rndn(r, 3) == 0)
			lock = true;
	} else if (f->opnds == SOFT_P_O || f->opnds == SOFT_P_OI || f->opnds == SOFT_P_AO) {
		reg = pick_reg(r);
		if (byte_ops && !use_rex40 && rndn(r, 3) == 0 && reg < 4)
			reg += 4;
	}
	if (lock) {
		/* LOCK goes first among the prefixes; move it before 66/F3. */
		memmove(s->code + start + 1, s->code + start, s->len - start);
		s->code[start] = 0xf0;
		s->len++;
	}
	if (has_modrm) {
		if (reg & 8)
			rex |= 0x44;
		if (!mem && (rm & 8))
			rex |= 0x41;
		if (mem && mmode < 2)
			rex |= 0x41; /* base r15 */
		if (mem && mmode == 1)
			rex |= 0x42; /* index r14 */
	} else if ((f->opnds == SOFT_P_O || f->opnds == SOFT_P_OI || f->opnds == SOFT_P_AO) && (reg & 8)) {
		rex |= 0x41;
	}
	if (use_rex40)
		rex |= 0x40;
	if (vex && f->sub == SOFT_BMI_BEXTR && osize == 4 && !mem) {
		/* unicorn's 32-bit BEXTR shifts the whole 64-bit source
		 * register: clear its high half first (mov r32, r32). */
		uint8_t mov[3] = { 0x45, 0x89, (uint8_t)(0xc0 | (rm & 7) << 3 | (rm & 7)) };
		if (rm < 8)
			glue(s, mov + 1, 2, 0);
		else
			glue(s, mov, 3, 0);
		start = s->len;
	}
	if (vex) {
		/* The three-byte VEX prefix: R X B inverted and the map, then
		 * W, vvvv inverted, L = 0 and pp. */
		static const uint8_t pp[256] = { [0x66] = 1, [0xf3] = 2, [0xf2] = 3 };
		unsigned mmmmm = f->map == SOFT_MAP_0F ? 1 : f->map == SOFT_MAP_0F38 ? 2 : 3;
		/* One in twelve is #UD on both: VEX.L = 1, or a LOCK, 66, F2,
		 * F3 or REX prefix before VEX. */
		unsigned bad = rndn(r, 12), l = bad == 0 ? 4 : 0;
		if (bad == 1) {
			static const uint8_t pre[] = { 0xf0, 0x66, 0xf2, 0xf3, 0x40, 0x48, 0x41 };
			emit1(s, pre[rndn(r, sizeof(pre))]);
		}
		emit1(s, 0xc4);
		emit1(s, (uint8_t)(((~rex & 7u) << 5) | mmmmm));
		emit1(s, (uint8_t)((osize == 8 ? 0x80 : 0) | ((~vreg & 15u) << 3) | l | pp[f->pfx]));
	} else if (rex)
		emit1(s, rex);
	if (vex)
		; /* the map is in the VEX prefix */
	else if (f->map == SOFT_MAP_0F)
		emit1(s, 0x0f);
	else if (f->map == SOFT_MAP_0F38) {
		emit1(s, 0x0f);
		emit1(s, 0x38);
	}
	if (f->opnds == SOFT_P_O || f->opnds == SOFT_P_OI || f->opnds == SOFT_P_AO)
		emit1(s, (uint8_t)(f->opc | (reg & 7)));
	else
		emit1(s, f->opc);

	unsigned dispoff = 0, dispsz = 0;
	if (has_modrm) {
		if (f->modrm >= 0) {
			emit1(s, (uint8_t)f->modrm);
		} else if (!mem) {
			emit1(s, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
		} else if (mmode == 0) {
			emit1(s, (uint8_t)(0x40 | (reg & 7) << 3 | 7)); /* [r15 + d8] */
			emit1(s, (uint8_t)disp);
		} else if (mmode == 1) {
			emit1(s, (uint8_t)(0x44 | (reg & 7) << 3)); /* SIB, d8 */
			emit1(s, (uint8_t)(scale << 6 | 6 << 3 | 7));
			emit1(s, (uint8_t)disp);
		} else {
			emit1(s, (uint8_t)(0x05 | (reg & 7) << 3)); /* [rip + d32] */
			dispoff = s->len;
			dispsz = 4;
			emitn(s, 0, 4);
		}
	}
	uint64_t imm = 0;
	unsigned isz = 0;
	switch (f->imm) {
	case SOFT_I_B: case SOFT_I_UB: isz = 1; break;
	case SOFT_I_W: isz = 2; break;
	case SOFT_I_Z: isz = osize == 2 ? 2 : 4; break;
	case SOFT_I_V: isz = osize; break;
	default: break;
	}
	if (isz) {
		imm = rnd(r);
		if (rndn(r, 4) == 0)
			imm &= 0x3f; /* small values matter for shift counts */
		/* CMPPS/PD/SS/SD take predicates 0..7 (unicorn 2.0.1 rejects
		 * the reserved bits 7:3 that legacy-encoded hardware ignores). */
		if (is_sse(f) && f->opc == 0xc2)
			imm &= 7;
		emitn(s, imm, isz);
		imm &= isz == 8 ? ~0ull : (1ull << (8 * isz)) - 1;
	}
	if (dispsz) {
		uint64_t target = mmode == 3 ? DATA_AT + 0x1000 - 1 - rndn(r, 15)
					     : DATA_AT + 0x100 + rndn(r, 0xd00);
		if (aligned)
			target &= ~(uint64_t)15;
		uint64_t next = CODE_AT + s->len;
		int32_t d = (int32_t)(target - next);
		memcpy(s->code + dispoff, &d, 4);
	}
	note(s, start, (int)fi, osize, flags_written(f, osize, imm), flags_defined(f, osize));
	if (is_sse(f))
		s->mxcsr_clear |= sse_mxcsr_clear(f) | sse_mxcsr_clear_daz(f);
	if (is_sse(f) && f->sub == SOFT_SSE_STMXCSR) {
		/* The stored exception flags are unicorn's (none): clear them
		 * in memory, and compare the control bits. */
		const uint8_t clr[] = { 0x41, 0x83, 0x67, (uint8_t)ldmx_disp, 0xc0 };
		glue(s, clr, sizeof(clr), SOFT_ARITH & ~SOFT_AF);
	}
	if (f->op == SOFT_OP_FLAGOP && f->sub == SOFT_FL_STD) {
		/* DF is not among the compared flags: show it alone in RAX (the
		 * rest of the image may hold undefined flags), then clear it
		 * so that the string idioms keep to the data area. */
		static const uint8_t show[] = {
			0x9c,                                           /* pushfq */
			0x48, 0x81, 0x24, 0x24, 0x00, 0x04, 0x00, 0x00, /* and qword [rsp], 0x400 */
			0x58, 0xfc,                                     /* pop rax; cld */
		};
		unsigned at = s->len;
		emit(s, show, sizeof(show));
		note(s, at, -1, 0, SOFT_ARITH & ~SOFT_AF, SOFT_ARITH & ~SOFT_AF);
	}
}

/* Control-flow, stack-frame, flags-image and string idioms. */
static void gen_idiom(struct seq *s, struct rng *r, unsigned *forms_hit, const int *form_of)
{
	unsigned k = rndn(r, 11);
	unsigned cc = rndn(r, 16);
	if (k <= 1 || k == 7)
		define_flags(s);
	unsigned st = s->len;
	switch (k) {
	case 0: { /* jcc rel8 over `inc r8` */
		const uint8_t b[] = { (uint8_t)(0x70 + cc), 3, 0x49, 0xff, 0xc0 };
		emit(s, b, 2);
		note(s, st, form_of[0 * 16 + cc], 8, 0, SOFT_ARITH);
		glue(s, b + 2, 3, 0); /* may be skipped: defines nothing */
		break;
	}
	case 1: { /* jcc rel32 over `inc r8` */
		const uint8_t b[] = { 0x0f, (uint8_t)(0x80 + cc), 3, 0, 0, 0, 0x49, 0xff, 0xc0 };
		emit(s, b, 6);
		note(s, st, form_of[1 * 16 + cc], 8, 0, SOFT_ARITH);
		glue(s, b + 6, 3, 0);
		break;
	}
	case 2: { /* jmp rel8 / rel32 over `inc r8` */
		bool near = rndn(r, 2);
		const uint8_t b8[] = { 0xeb, 3 }, b32[] = { 0xe9, 3, 0, 0, 0 };
		near ? emit(s, b32, 5) : emit(s, b8, 2);
		note(s, st, form_of[32 + near], 8, 0, SOFT_ARITH);
		const uint8_t inc[] = { 0x49, 0xff, 0xc0 };
		glue(s, inc, 3, 0);
		break;
	}
	case 3: { /* call rel32 to a ret (or ret imm16) */
		bool imm = rndn(r, 2);
		const uint8_t call[] = { 0xe8, 2, 0, 0, 0 };
		emit(s, call, 5);
		note(s, st, form_of[34], 8, 0, SOFT_ARITH);
		const uint8_t jmp[] = { 0xeb, (uint8_t)(imm ? 3 : 1) };
		glue(s, jmp, 2, 0);
		unsigned rs = s->len;
		if (imm) {
			const uint8_t ret[] = { 0xc2, 8, 0 };
			emit(s, ret, 3);
		} else {
			emit1(s, 0xc3);
		}
		note(s, rs, form_of[35 + imm], 8, 0, SOFT_ARITH);
		break;
	}
	case 4: { /* lea r13,[rip+5]; call r13; jmp +1; ret */
		const uint8_t lea[] = { 0x4c, 0x8d, 0x2d, 5, 0, 0, 0 };
		glue(s, lea, 7, 0);
		unsigned cs = s->len;
		const uint8_t call[] = { 0x41, 0xff, 0xd5 };
		emit(s, call, 3);
		note(s, cs, form_of[37], 8, 0, SOFT_ARITH);
		const uint8_t tail[] = { 0xeb, 1 };
		glue(s, tail, 2, 0);
		const uint8_t ret = 0xc3;
		glue(s, &ret, 1, 0);
		break;
	}
	case 5: { /* lea r13,[rip+6]; jmp r13; inc r8 */
		const uint8_t lea[] = { 0x4c, 0x8d, 0x2d, 6, 0, 0, 0 };
		glue(s, lea, 7, 0);
		unsigned js = s->len;
		const uint8_t jmp[] = { 0x41, 0xff, 0xe5 };
		emit(s, jmp, 3);
		note(s, js, form_of[38], 8, 0, SOFT_ARITH);
		const uint8_t inc[] = { 0x49, 0xff, 0xc0 };
		glue(s, inc, 3, 0);
		break;
	}
	case 6: { /* push rbp; mov rbp, rsp; leave */
		const uint8_t a[] = { 0x55, 0x48, 0x89, 0xe5 };
		glue(s, a, 4, 0);
		unsigned ls = s->len;
		emit1(s, 0xc9);
		note(s, ls, form_of[39], 8, 0, SOFT_ARITH);
		break;
	}
	case 7: { /* push imm32 (arithmetic flags and DF=0); popfq; pushfq; pop rax */
		uint8_t p[] = { 0x68, 0, 0, 0, 0 };
		uint32_t fl = (uint32_t)(rnd(r) & SOFT_ARITH) | 2;
		memcpy(p + 1, &fl, 4);
		glue(s, p, 5, 0);
		unsigned ps = s->len;
		emit1(s, 0x9d);
		note(s, ps, form_of[40], 8, SOFT_ARITH, SOFT_ARITH);
		ps = s->len;
		emit1(s, 0x9c);
		note(s, ps, form_of[41], 8, 0, SOFT_ARITH);
		const uint8_t pop = 0x58;
		glue(s, &pop, 1, 0);
		break;
	}
	case 10: { /* [mov ecx, 0]; jrcxz over `inc r8` */
		if (rndn(r, 2)) {
			const uint8_t zero[] = { 0xb9, 0, 0, 0, 0 };
			glue(s, zero, sizeof(zero), 0);
			st = s->len;
		}
		const uint8_t b[] = { 0xe3, 3, 0x49, 0xff, 0xc0 };
		emit(s, b, 2);
		note(s, st, form_of[46], 8, 0, SOFT_ARITH);
		glue(s, b + 2, 3, 0);
		break;
	}
	default: { /* [rep] stos/movs/cmps/scas with set-up pointers; sometimes DF=1 */
		unsigned kind = rndn(r, 4); /* stos movs cmps scas */
		unsigned sz = 1u << rndn(r, 4);
		bool rep = rndn(r, 4) != 0;
		bool down = rndn(r, 4) == 0;
		uint32_t n = rndn(r, 40);
		uint32_t di = 0x100 + rndn(r, 0x600), si = 0x100 + rndn(r, 0x600);
		if (down) {
			di += 0x300;
			si += 0x300;
		}
		uint8_t setup[] = { 0x49, 0x8d, 0xbf, 0, 0, 0, 0,  /* lea rdi, [r15+di-0x200] */
				    0x49, 0x8d, 0xb7, 0, 0, 0, 0,  /* lea rsi, [r15+si-0x200] */
				    0xb9, 0, 0, 0, 0 };            /* mov ecx, n */
		int32_t dd = (int32_t)di - 0x200, ds = (int32_t)si - 0x200;
		memcpy(setup + 3, &dd, 4);
		memcpy(setup + 10, &ds, 4);
		memcpy(setup + 15, &n, 4);
		glue(s, setup, sizeof(setup), 0);
		if (down) {
			const uint8_t std_ = 0xfd;
			glue(s, &std_, 1, 0);
		}
		unsigned ss = s->len;
		if (rep)
			emit1(s, kind >= 2 && rndn(r, 2) ? 0xf2 : 0xf3);
		if (sz == 2)
			emit1(s, 0x66);
		if (sz == 8)
			emit1(s, 0x48);
		static const uint8_t opc[4] = { 0xaa, 0xa4, 0xa6, 0xae };
		static const unsigned fidx[4] = { 42, 44, 47, 49 };
		emit1(s, (uint8_t)(opc[kind] + (sz > 1)));
		/* CMPS/SCAS write the flags of their last compare: none when a
		 * REP runs no iteration. */
		uint16_t w = kind >= 2 && (!rep || n) ? SOFT_ARITH : 0;
		note(s, ss, form_of[fidx[kind] + (sz > 1)], sz, w, SOFT_ARITH);
		if (down) {
			const uint8_t cld = 0xfc;
			glue(s, &cld, 1, 0);
		}
		break;
	}
	}
	(void)forms_hit;
}

/* The idiom forms, located in the table by encoding so the oracle can
 * count them as covered: [0..15] jcc rel8, [16..31] jcc rel32, 32 jmp
 * rel8, 33 jmp rel32, 34 call rel32, 35 ret, 36 ret imm16, 37 call r/m,
 * 38 jmp r/m, 39 leave, 40 popf, 41 pushf, 42 stos b, 43 stos v, 44 movs b,
 * 45 movs v, 46 jrcxz, 47 cmps b, 48 cmps v, 49 scas b, 50 scas v. */
static int find_form(unsigned map, unsigned opc, int ext)
{
	for (unsigned i = 0; i < soft_form_count; i++) {
		const struct soft_form *f = &soft_forms[i];
		if (f->map == map && f->opc == opc && f->ext == ext && !f->pfx && f->modrm < 0)
			return (int)i;
	}
	return -1;
}

static void idiom_forms(int *form_of)
{
	for (unsigned c = 0; c < 16; c++) {
		form_of[c] = find_form(SOFT_MAP_1B, 0x70 + c, -1);
		form_of[16 + c] = find_form(SOFT_MAP_0F, 0x80 + c, -1);
	}
	form_of[32] = find_form(SOFT_MAP_1B, 0xeb, -1);
	form_of[33] = find_form(SOFT_MAP_1B, 0xe9, -1);
	form_of[34] = find_form(SOFT_MAP_1B, 0xe8, -1);
	form_of[35] = find_form(SOFT_MAP_1B, 0xc3, -1);
	form_of[36] = find_form(SOFT_MAP_1B, 0xc2, -1);
	form_of[37] = find_form(SOFT_MAP_1B, 0xff, 2);
	form_of[38] = find_form(SOFT_MAP_1B, 0xff, 4);
	form_of[39] = find_form(SOFT_MAP_1B, 0xc9, -1);
	form_of[40] = find_form(SOFT_MAP_1B, 0x9d, -1);
	form_of[41] = find_form(SOFT_MAP_1B, 0x9c, -1);
	form_of[42] = find_form(SOFT_MAP_1B, 0xaa, -1);
	form_of[43] = find_form(SOFT_MAP_1B, 0xab, -1);
	form_of[44] = find_form(SOFT_MAP_1B, 0xa4, -1);
	form_of[45] = find_form(SOFT_MAP_1B, 0xa5, -1);
	form_of[46] = find_form(SOFT_MAP_1B, 0xe3, -1);
	form_of[47] = find_form(SOFT_MAP_1B, 0xa6, -1);
	form_of[48] = find_form(SOFT_MAP_1B, 0xa7, -1);
	form_of[49] = find_form(SOFT_MAP_1B, 0xae, -1);
	form_of[50] = find_form(SOFT_MAP_1B, 0xaf, -1);
	for (unsigned i = 0; i < 51; i++)
		CHECK(form_of[i] >= 0, "idiom form %u is not in the table", i);
}

/* A random 64-bit XMM lane: two floats or one double of a kind chosen
 * at random, or random bits. */
static uint64_t rnd_lane(struct rng *r)
{
	static const uint32_t f32[] = { 0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u,
					0xff800000u, 0x7fc00000u, 0x7fa00000u, 0x00000001u,
					0x807fffffu, 0x4f000000u, 0xcf000000u, 0x00800000u,
					0x7f7fffffu, 0x40490fdbu, 0x3effffffu };
	static const uint64_t f64[] = { 0, 0x8000000000000000ull, 0x3ff0000000000000ull,
					0xbff0000000000000ull, 0x7ff0000000000000ull,
					0xfff0000000000000ull, 0x7ff8000000000000ull,
					0x7ff4000000000000ull, 1, 0x800fffffffffffffull,
					0x43e0000000000000ull, 0xc3e0000000000000ull,
					0x41e0000000000000ull, 0x7fefffffffffffffull,
					0x400921fb54442d18ull, 0x0010000000000000ull };
	switch (rndn(r, 6)) {
	case 0:
		return f64[rndn(r, 16)];
	case 1:
		return (uint64_t)f32[rndn(r, 16)] | (uint64_t)f32[rndn(r, 16)] << 32;
	case 2: { /* a double near 1 or a small integer-valued one */
		double x = (double)((int)rndn(r, 2001) - 1000) / (double)(1 + rndn(r, 8));
		uint64_t u;
		memcpy(&u, &x, 8);
		return u;
	}
	case 3: {
		float x = (float)((int)rndn(r, 2001) - 1000) / (float)(1 + rndn(r, 8));
		float y = (float)((int)rndn(r, 201) - 100) * 0.37f;
		uint32_t a, b;
		memcpy(&a, &x, 4);
		memcpy(&b, &y, 4);
		return a | (uint64_t)b << 32;
	}
	default:
		return rnd(r);
	}
}

/* unicorn 2.0.1 picks the result of ADD/SUB/MUL/DIV (PS/PD/SS/SD) of two
 * NaN operands by the x87 rule (the larger significand); SSE hardware
 * returns the first source, quieted (SDM vol. 1, 4.8.3.5 and Table 4-7;
 * test_sse.c checks the soft CPU, which runs the host's own instruction,
 * against that rule).  The wrong NaN does not stay in a register where a
 * lenient comparison could forgive it: a later XORPD, PADDW, MINSD or
 * store carries it on as ordinary bits.  So unicorn's result is corrected
 * in exactly those lanes when such an instruction retires (a code hook
 * before every instruction snapshots the XMM registers, a read hook
 * notes a memory source's address), and everything, NaN lanes included,
 * is then compared bit for bit.  fixed counts the corrected lanes. */
struct nan_fix {
	const struct seq *s;
	int pending;           /* s->in[] index of the form that has not yet retired, or -1 */
	uint64_t xmm[16][2];   /* the XMM registers before it */
	uint64_t src_at;       /* its memory source (lowest address read), or UINT64_MAX */
	unsigned long fixed;
};

/* The element size of a form under the two-NaN rule (0: not one), and
 * whether it is packed (every lane) or scalar (the low one). */
static unsigned nan_rule_esize(const struct soft_form *f, bool *packed)
{
	if (!is_sse(f))
		return 0;
	switch (f->sub) {
	case SOFT_SSE_ADDPS: case SOFT_SSE_SUBPS: case SOFT_SSE_MULPS: case SOFT_SSE_DIVPS:
		*packed = true;
		return 4;
	case SOFT_SSE_ADDSS: case SOFT_SSE_SUBSS: case SOFT_SSE_MULSS: case SOFT_SSE_DIVSS:
		*packed = false;
		return 4;
	case SOFT_SSE_ADDPD: case SOFT_SSE_SUBPD: case SOFT_SSE_MULPD: case SOFT_SSE_DIVPD:
		*packed = true;
		return 8;
	case SOFT_SSE_ADDSD: case SOFT_SSE_SUBSD: case SOFT_SSE_MULSD: case SOFT_SSE_DIVSD:
		*packed = false;
		return 8;
	default:
		return 0;
	}
}

static bool lane_nan(uint64_t x, unsigned esize)
{
	if (esize == 4)
		return (x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu);
	return ((x >> 52) & 0x7ff) == 0x7ff && (x << 12);
}

static void nan_fix_retire(uc_engine *uc, struct nan_fix *n)
{
	const struct seq *s = n->s;
	const struct soft_form *f = &soft_forms[s->in[n->pending].form];
	const uint8_t *c = s->code + s->in[n->pending].off;
	n->pending = -1;
	bool packed;
	unsigned esize = nan_rule_esize(f, &packed);
	unsigned p = 0, rex = 0;
	while (c[p] == 0x66 || c[p] == 0xf2 || c[p] == 0xf3)
		p++;
	if ((c[p] & 0xf0) == 0x40)
		rex = c[p++];
	CHECK(c[p] == 0x0f && c[p + 1] == f->opc, "%s: unexpected encoding at +%u", f->mnem, p);
	uint8_t modrm = c[p + 2];
	unsigned dst = (modrm >> 3 & 7) | (rex & 4) << 1;
	uint8_t src[16], before[16], now[16];
	if (modrm >> 6 == 3) {
		memcpy(src, n->xmm[(modrm & 7) | (rex & 1) << 3], 16);
	} else {
		CHECK(n->src_at != UINT64_MAX, "%s: no memory read seen", f->mnem);
		uc_err e = uc_mem_read(uc, n->src_at, src, packed ? 16 : esize);
		CHECK(e == UC_ERR_OK, "uc_mem_read %#" PRIx64 ": %s", n->src_at, uc_strerror(e));
	}
	memcpy(before, n->xmm[dst], 16);
	uc_reg_read(uc, UC_X86_REG_XMM0 + (int)dst, now);
	bool changed = false;
	for (unsigned k = 0; k < (packed ? 16 / esize : 1); k++) {
		uint64_t a = 0, b = 0, r = 0;
		memcpy(&a, before + k * esize, esize);
		memcpy(&b, src + k * esize, esize);
		memcpy(&r, now + k * esize, esize);
		if (!lane_nan(a, esize) || !lane_nan(b, esize) || !lane_nan(r, esize))
			continue;
		uint64_t want = a | (esize == 4 ? 0x400000u : 0x8000000000000ull);
		if (r != want) {
			memcpy(now + k * esize, &want, esize);
			changed = true;
			n->fixed++;
		}
	}
	if (changed)
		uc_reg_write(uc, UC_X86_REG_XMM0 + (int)dst, now);
}

static void uc_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)size;
	struct nan_fix *n = user;
	if (n->pending >= 0)
		nan_fix_retire(uc, n);
	for (unsigned i = 0; i < n->s->n; i++) {
		bool packed;
		if (CODE_AT + n->s->in[i].off != address)
			continue;
		if (n->s->in[i].form >= 0 && nan_rule_esize(&soft_forms[n->s->in[i].form], &packed)) {
			for (unsigned k = 0; k < 16; k++)
				uc_reg_read(uc, UC_X86_REG_XMM0 + (int)k, n->xmm[k]);
			n->src_at = UINT64_MAX;
			n->pending = (int)i;
		}
		break;
	}
}

static void uc_read(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
		    void *user)
{
	(void)uc; (void)type; (void)size; (void)value;
	struct nan_fix *n = user;
	if (n->pending >= 0 && address < n->src_at)
		n->src_at = address;
}

/* ---- running both ---- */

struct state {
	uint64_t r[16];          /* x86 numbering */
	uint64_t rip, rflags;
	uint64_t xmm[16][2];
	uint32_t mxcsr;
	int exc;                 /* vector, or -1 */
	uint8_t data[DATA_LEN];
};

static const int uc_regs[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void to_engine(const uint64_t *r, struct engine_regs *e)
{
	e->rax = r[0]; e->rcx = r[1]; e->rdx = r[2]; e->rbx = r[3];
	e->rsp = r[4]; e->rbp = r[5]; e->rsi = r[6]; e->rdi = r[7];
	e->r8 = r[8]; e->r9 = r[9]; e->r10 = r[10]; e->r11 = r[11];
	e->r12 = r[12]; e->r13 = r[13]; e->r14 = r[14]; e->r15 = r[15];
}

static void from_engine(const struct engine_regs *e, uint64_t *r)
{
	r[0] = e->rax; r[1] = e->rcx; r[2] = e->rdx; r[3] = e->rbx;
	r[4] = e->rsp; r[5] = e->rbp; r[6] = e->rsi; r[7] = e->rdi;
	r[8] = e->r8; r[9] = e->r9; r[10] = e->r10; r[11] = e->r11;
	r[12] = e->r12; r[13] = e->r13; r[14] = e->r14; r[15] = e->r15;
}

static void uc_intr(uc_engine *uc, uint32_t intno, void *user)
{
	*(int *)user = (int)intno;
	uc_emu_stop(uc);
}

static uc_engine *uc_setup(int *intno, struct nan_fix *nf)
{
	uc_engine *uc;
	uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
	CHECK(e == UC_ERR_OK, "uc_open: %s", uc_strerror(e));
	/* A model with BMI1 and LZCNT, which the soft CPU reports. */
	e = uc_ctl_set_cpu_model(uc, UC_CPU_X86_HASWELL);
	CHECK(e == UC_ERR_OK, "cpu model: %s", uc_strerror(e));
	CHECK(uc_mem_map(uc, CODE_AT, 0x1000, UC_PROT_ALL) == UC_ERR_OK, "map code");
	CHECK(uc_mem_map(uc, DATA_AT, DATA_LEN, UC_PROT_ALL) == UC_ERR_OK, "map data");
	uc_hook hh;
	CHECK(uc_hook_add(uc, &hh, UC_HOOK_INTR, (void *)uc_intr, intno, 1, 0) == UC_ERR_OK,
	      "hook");
	CHECK(uc_hook_add(uc, &hh, UC_HOOK_CODE, (void *)uc_code, nf, CODE_AT,
			  CODE_AT + MAX_CODE - 1) == UC_ERR_OK, "code hook");
	CHECK(uc_hook_add(uc, &hh, UC_HOOK_MEM_READ, (void *)uc_read, nf, DATA_AT,
			  DATA_AT + DATA_LEN - 1) == UC_ERR_OK, "read hook");
	return uc;
}

static uc_err run_uc(uc_engine *uc, const struct seq *s, const struct state *in, struct state *out,
		     int *intno, struct nan_fix *nf)
{
	uc_err e = uc_mem_write(uc, CODE_AT, s->code, s->len);
	CHECK(e == UC_ERR_OK, "uc_mem_write code: %s", uc_strerror(e));
	uc_ctl_remove_cache(uc, CODE_AT, CODE_AT + MAX_CODE);
	e = uc_mem_write(uc, DATA_AT, in->data, DATA_LEN);
	CHECK(e == UC_ERR_OK, "uc_mem_write data: %s", uc_strerror(e));
	for (unsigned i = 0; i < 16; i++)
		uc_reg_write(uc, uc_regs[i], &in->r[i]);
	uint64_t fl = in->rflags;
	uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
	for (unsigned i = 0; i < 16; i++)
		uc_reg_write(uc, UC_X86_REG_XMM0 + (int)i, in->xmm[i]);
	uint32_t mx = in->mxcsr;
	uc_reg_write(uc, UC_X86_REG_MXCSR, &mx);
	*intno = -1;
	nf->s = s;
	nf->pending = -1;
	e = uc_emu_start(uc, CODE_AT, CODE_AT + s->len - 1, 0, 0);
	/* The last form retires without a next instruction's hook; one that
	 * raised an exception did not retire. */
	if (nf->pending >= 0 && *intno < 0 && e == UC_ERR_OK)
		nan_fix_retire(uc, nf);
	for (unsigned i = 0; i < 16; i++)
		uc_reg_read(uc, uc_regs[i], &out->r[i]);
	uc_reg_read(uc, UC_X86_REG_RIP, &out->rip);
	uc_reg_read(uc, UC_X86_REG_EFLAGS, &out->rflags);
	for (unsigned i = 0; i < 16; i++)
		uc_reg_read(uc, UC_X86_REG_XMM0 + (int)i, out->xmm[i]);
	out->mxcsr = 0;
	uc_reg_read(uc, UC_X86_REG_MXCSR, &out->mxcsr);
	uc_mem_read(uc, DATA_AT, out->data, DATA_LEN);
	out->exc = *intno;
	/* unicorn ends an invalid instruction (#UD) with this error rather
	 * than through the interrupt hook, RIP on it. */
	if (*intno < 0 && e == UC_ERR_INSN_INVALID)
		out->exc = 6;
	return out->exc >= 0 ? UC_ERR_OK : e;
}

static void run_soft(struct th *t, const struct seq *s, const struct state *in, struct state *out)
{
	memcpy(t->mem + CODE_AT, s->code, s->len);
	soft_machine_code_written(t->m, CODE_AT, s->len);
	memcpy(t->mem + DATA_AT, in->data, DATA_LEN);
	struct engine_regs r = { 0 };
	to_engine(in->r, &r);
	r.rip = CODE_AT;
	r.rflags = in->rflags;
	th_set_regs(t, &r);
	struct soft_fpu *fpu = soft_vcpu_fpu(t->vcpu);
	memcpy(fpu->xmm, in->xmm, sizeof(fpu->xmm));
	fpu->mxcsr = in->mxcsr;
	struct engine_exit *x = th_run(t);
	struct engine_regs o = th_regs(t);
	memcpy(out->xmm, fpu->xmm, sizeof(out->xmm));
	out->mxcsr = fpu->mxcsr;
	from_engine(&o, out->r);
	out->rip = o.rip;
	out->rflags = o.rflags;
	memcpy(out->data, t->mem + DATA_AT, DATA_LEN);
	if (x->reason == ENGINE_EXIT_HLT) {
		out->exc = -1;
		out->rip -= 1; /* unicorn stops at the HLT, the soft CPU retires it */
	} else {
		CHECK(x->reason == ENGINE_EXIT_INTERCEPT && x->intercept.cause == ENGINE_ICPT_EXCEPTION,
		      "soft exit %s %s", engine_exit_reason_name(x->reason), x->message);
		out->exc = x->intercept.vector;
	}
}

static void dump(const struct seq *s, const struct state *in, const struct state *a,
		 const struct state *b, uint16_t mask)
{
	fprintf(stderr, "sequence (%u bytes at 0x%x):\n", s->len, CODE_AT);
	for (unsigned i = 0; i < s->n; i++) {
		fprintf(stderr, "  +%-4u", s->in[i].off);
		for (unsigned k = 0; k < s->in[i].len; k++)
			fprintf(stderr, " %02x", s->code[s->in[i].off + k]);
		if (s->in[i].form >= 0)
			fprintf(stderr, "   %s (form %d, %u-bit operands)", soft_forms[s->in[i].form].mnem,
				s->in[i].form, s->in[i].osize * 8);
		else
			fprintf(stderr, "   (idiom)");
		fputc('\n', stderr);
	}
	fprintf(stderr, "%-6s %18s %18s %18s\n", "", "initial", "soft", "unicorn");
	for (unsigned i = 0; i < 16; i++)
		fprintf(stderr, "%-6s %18" PRIx64 " %18" PRIx64 " %18" PRIx64 "%s\n", reg_names[i],
			in->r[i], a->r[i], b->r[i], a->r[i] != b->r[i] ? "  <<" : "");
	fprintf(stderr, "%-6s %18" PRIx64 " %18" PRIx64 " %18" PRIx64 "%s\n", "rip", (uint64_t)CODE_AT,
		a->rip, b->rip, a->rip != b->rip ? "  <<" : "");
	fprintf(stderr, "%-6s %18" PRIx64 " %18" PRIx64 " %18" PRIx64 "  (compared: %#x)\n", "rflags",
		in->rflags, a->rflags, b->rflags, mask);
	for (unsigned i = 0; i < 16; i++)
		fprintf(stderr, "xmm%-3u %016" PRIx64 "%016" PRIx64 " %016" PRIx64 "%016" PRIx64
			" %016" PRIx64 "%016" PRIx64 "%s\n", i, in->xmm[i][1], in->xmm[i][0],
			a->xmm[i][1], a->xmm[i][0], b->xmm[i][1], b->xmm[i][0],
			memcmp(a->xmm[i], b->xmm[i], 16) ? "  <<" : "");
	fprintf(stderr, "mxcsr  %08x %08x %08x%s\n", in->mxcsr, a->mxcsr, b->mxcsr,
		a->mxcsr != b->mxcsr ? "  <<" : "");
	fprintf(stderr, "exception: soft %d, unicorn %d\n", a->exc, b->exc);
	for (unsigned i = 0; i < DATA_LEN; i++)
		if (a->data[i] != b->data[i])
			fprintf(stderr, "data +0x%x: soft %02x unicorn %02x (initial %02x)\n", i,
				a->data[i], b->data[i], in->data[i]);
}

int main(int argc, char **argv)
{
	unsigned long nseq = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

	int intno = -1;
	static struct nan_fix nf;
	uc_engine *uc = uc_setup(&intno, &nf);

	struct th t;
	th_init(&t);
	struct soft_intercepts ic = { .causes = SOFT_ICPT(ENGINE_ICPT_EXCEPTION), .exceptions = ~0u };
	CHECK(soft_vcpu_set_intercepts(t.vcpu, &ic) == 0, "intercepts");
	/* SSE enabled as an OS does it: CR4.OSFXSR and OSXMMEXCPT. */
	struct engine_sregs sr = th_sregs(&t);
	sr.cr4 |= 0x600;
	CHECK(t.ops->set_sregs(t.vcpu, &sr) == 0, "set_sregs");

	unsigned eligible[1024], neligible = 0;
	for (unsigned i = 0; i < soft_form_count; i++)
		if (form_eligible(&soft_forms[i]))
			eligible[neligible++] = i;
	int form_of[51];
	idiom_forms(form_of);
	static unsigned hits[1024];

	struct rng r = { .s = seed * 0x9e3779b97f4a7c15ull + 1 };
	static struct seq s;
	static struct state in, a, b;
	unsigned long exceptions = 0;
	for (unsigned long q = 0; q < nseq; q++) {
		memset(&s, 0, sizeof(s));
		s.mask = SOFT_ARITH;
		unsigned n = 1 + rndn(&r, 8);
		for (unsigned i = 0; i < n; i++) {
			if (rndn(&r, 6) == 0)
				gen_idiom(&s, &r, hits, form_of);
			else
				gen_form(&s, &r, eligible[rndn(&r, neligible)]);
		}
		emit1(&s, 0xf4); /* hlt: the soft CPU's end; unicorn stops before it */
		for (unsigned i = 0; i < s.n; i++)
			if (s.in[i].form >= 0)
				hits[s.in[i].form]++;

		for (unsigned i = 0; i < 16; i++)
			in.r[i] = rndn(&r, 4) == 0 ? rnd(&r) & 0xff : rnd(&r);
		in.r[4] = RSP_VAL;
		in.r[5] = RBP_VAL;
		in.r[14] = rndn(&r, 128);
		in.r[15] = R15_VAL;
		in.rflags = (rnd(&r) & SOFT_ARITH) | 2;
		/* XMM lanes: random bits, or values that matter to floating
		 * point (zeros, denormals, infinities, NaNs, small integers). */
		for (unsigned i = 0; i < 16; i++)
			for (unsigned k = 0; k < 2; k++)
				in.xmm[i][k] = rnd_lane(&r);
		/* Rounding mode, DAZ, FTZ and the sticky flags random; every
		 * exception masked. */
		in.mxcsr = (0x1f80 | (uint32_t)(rnd(&r) & 0xe07f)) & ~s.mxcsr_clear;
		for (unsigned i = 0; i < DATA_LEN; i += 8) {
			uint64_t x = rnd(&r);
			memcpy(in.data + i, &x, 8);
		}
		run_soft(&t, &s, &in, &a);
		uc_err ue = run_uc(uc, &s, &in, &b, &intno, &nf);
		if (ue != UC_ERR_OK) {
			fprintf(stderr, "unicorn failed in sequence %lu (seed %" PRIu64 "): %s\n", q,
				seed, uc_strerror(ue));
			dump(&s, &in, &a, &b, SOFT_ARITH);
			return 1;
		}

		/* The flags the SDM defines after the sequence (up to the
		 * faulting instruction when one faults). */
		uint16_t mask = SOFT_ARITH;
		for (unsigned i = 0; i < s.n; i++) {
			if (a.exc >= 0 && CODE_AT + s.in[i].off >= a.rip)
				break;
			mask = (uint16_t)((mask | s.in[i].written) & s.in[i].fdef);
		}
		bool ok = a.exc == b.exc && a.rip == b.rip &&
			  memcmp(a.xmm, b.xmm, sizeof(a.xmm)) == 0 &&
			  ((a.mxcsr ^ b.mxcsr) & ~MXCSR_FLAGS) == 0 &&
			  ((a.rflags ^ b.rflags) & mask) == 0 &&
			  memcmp(a.r, b.r, sizeof(a.r)) == 0 && memcmp(a.data, b.data, DATA_LEN) == 0;
		if (a.exc >= 0 || b.exc >= 0) {
			/* unicorn remembers the exception it stopped in (a second
			 * one would become #DF): start a fresh one. */
			exceptions++;
			uc_close(uc);
			uc = uc_setup(&intno, &nf);
		}
		if (!ok) {
			fprintf(stderr, "MISMATCH in sequence %lu (seed %" PRIu64 ")\n", q, seed);
			dump(&s, &in, &a, &b, mask);
			return 1;
		}
	}

	/* Every implemented non-system form must have been exercised. */
	unsigned covered = 0, total = 0;
	for (unsigned i = 0; i < soft_form_count; i++) {
		if (form_skipped(&soft_forms[i]))
			continue;
		total++;
		if (hits[i])
			covered++;
		else if (nseq >= 10000)
			CHECK(hits[i] > 0, "form %u (%s, opcode %02x) was never generated", i,
			      soft_forms[i].mnem, soft_forms[i].opc);
	}
	printf("%lu sequences agree with unicorn (seed %" PRIu64 "); %u of %u non-system forms "
	       "covered; %lu sequences ended in the same exception; %lu two-NaN lanes of "
	       "unicorn's corrected\n",
	       nseq, seed, covered, total, exceptions, nf.fixed);
	th_fini(&t);
	uc_close(uc);
	return 0;
}
