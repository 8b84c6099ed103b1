/*
 * vcpu/soft/cpu_x87.c — the soft CPU's x87 FPU instructions (SDM vol. 1
 * ch. 8): every documented D8..DF encoding but the transcendental ones,
 * and FWAIT.
 *
 * How results are made exact: the arithmetic is not emulated, it is done
 * by the host's own x87, one guest instruction at a time.  memvirt runs
 * only on x86-64 hosts, and every x87 operation outside the
 * transcendentals is specified to the bit (IEEE 754 rounding under the
 * guest's precision and rounding control, the SDM's default results for
 * masked exceptions, the defined condition codes and tags), so any x86-64
 * host computes exactly what the guest's CPU would.  For each instruction
 * the guest's x87 state is turned into an FSAVE image and loaded
 * (FRSTOR), the very same instruction runs from a table of stubs
 * assembled below (one per opcode and modrm, the memory forms addressing a
 * host buffer through RDI), and the result is saved back (FNSAVE, which
 * leaves the FPU initialized), the host's control word put back.  Nothing
 * of the compiler's own x87 or SSE use can interfere: the x86-64 ABI has
 * the x87 stack empty and the status word scratch at that point (this file
 * has no long double), the control word is kept, the stubs touch no SSE
 * state, and the guest's pending exceptions never meet a waiting host
 * instruction (below).  What the SDM leaves undefined (C0, C2 and C3
 * after most instructions, FBLD of digits that are not BCD, the tags and
 * results of the unsupported encodings on some older processors) is what
 * the host does, so it may differ between host processors; the oracle
 * (tests/soft/oracle_x87.c) checks the defined part against unicorn as
 * well as the host.  The transcendentals (F2XM1, FYL2X, FYL2XP1,
 * FPTAN, FPATAN, FSIN, FCOS, FSINCOS) are left out on purpose: their
 * last bit differs between processor generations and vendors, so the host
 * would make the soft engine's results depend on the machine it runs on;
 * they end the run with an internal-error exit that names them, as do
 * FNENI/FNDISI/FNSETPM and the 16-bit (66-prefixed) FNSTENV/FLDENV/
 * FNSAVE/FRSTOR formats.  Encodings the SDM reserves (including the
 * undocumented aliases such as D9 D8+i and DF C0+i) and FISTTP (SSE3,
 * which the soft CPU's CPUID does not report) raise #UD.
 *
 * What the soft CPU does around the host's result:
 * - #NM when CR0.EM or CR0.TS is set (FWAIT: when CR0.MP and CR0.TS both are).
 * - Pending exceptions: FSW.ES and FSW.B are what the host's FPU leaves
 *   (an unmasked exception sets them; FNCLEX, FNINIT and the loads of a
 *   status word change them as on hardware).  A waiting instruction (all
 *   but FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE) that finds ES set
 *   raises #MF before it does anything when CR0.NE is set.  With CR0.NE
 *   clear the PC-style report (FERR#, IGNNE#, IRQ 13) is not modelled: the
 *   run ends with an internal-error exit.  So the host never runs a
 *   waiting instruction with an exception pending: it cannot trap.
 * - Memory operands go through the CPU's data access path, so every
 *   access is translated and counted like any other: operands of 2, 4 or 8
 *   bytes as one access of that size (mem_rd/mem_wr); the 10-byte (m80,
 *   BCD), 28-byte (environment) and 108-byte (FSAVE image) operands as
 *   one access of that size: one translation of each page it touches, both
 *   pages translated before any byte moves when it crosses one
 *   (soft_cross_access), the same rule as every page-crossing access.
 *   Operands are read before the host runs and written after it, before
 *   the guest's x87 state changes, so a fault leaves everything as it was.
 *   A store the FPU suppresses (an unmasked invalid-operation, overflow or
 *   underflow) makes no access: the stub is run a second time over a
 *   buffer filled differently, and a store that did not happen shows.
 * - FCMOVcc reads, FCOMI/FUCOMI (and the popping forms) write the guest's
 *   RFLAGS: the host's flags are loaded from and read back into them.
 * - FIP, FDP, FOP as FXSAVE shows them: after every non-control
 *   instruction FIP is its address (RIP), FOP its 11 opcode bits
 *   ((first byte & 7) << 8 | modrm) and, with a memory operand, FDP the
 *   operand's effective address without the segment base; control
 *   instructions (FLDCW, FNSTCW, FNSTSW, FNSTENV, FNCLEX, FWAIT) keep them,
 *   FNINIT and FNSAVE clear them, FLDENV and FRSTOR load them (the
 *   32-bit offsets of the image, zero-extended), FNSTENV and FNSAVE store
 *   them (the low 32 bits; the reserved upper halves of the image's FCW,
 *   FSW, FTW and FDS dwords as ones).  The host's own pointers are never
 *   used: a context switch may replace them (Linux's FXSAVE-leak
 *   workaround on AMD).  The modrm in FOP is read back from the
 *   instruction's bytes.  Simplifications: for a memory form straddling
 *   two pages that modrm is rebuilt from the decoded operand with the
 *   shortest displacement encoding (what assemblers emit); FCS and FDS
 *   are stored as zero (CPUID.7.EBX[13], "FPU CS and DS deprecated");
 *   Intel's FOP and FDP deprecation (updated only on unmasked exceptions)
 *   is not modelled: they are always updated.
 */
#include "vcpu/soft/cpu_x87.h"

#include <stdio.h>
#include <string.h>

#include "vcpu/soft/cpu_ops.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)

#define FSW_ES 0x0080u
#define FSW_B 0x8000u
#define FSW_TOP(sw) (((sw) >> 11) & 7u)

/* The 32-bit protected-mode FSAVE image (SDM vol. 1, 8.1.10). */
#define IMG_SIZE 108
#define IMG_FCW 0
#define IMG_FSW 4
#define IMG_FTW 8
#define IMG_FIP 12
#define IMG_FOP 18     /* bits 16..26 of the FCS dword */
#define IMG_FDP 20
#define IMG_ST 28      /* ST(0)..ST(7), 10 bytes each */

/*
 * The stubs: for each escape opcode D8..DF (index o), 72 entries of 16
 * bytes: k = 0..7 the memory form with modrm.reg = k and operand [rdi],
 * k = 8..71 the register form with modrm 0xc0 + k - 8.  Each is
 * `endbr64; <opcode> <modrm>; ret`.
 */
#define STUBS_PER_OPC 72
#define STUB_SIZE 16
__asm__(
	".pushsection .text\n"
	".balign 16\n"
	".globl soft_x87_stubs\n"
	".hidden soft_x87_stubs\n"
	"soft_x87_stubs:\n"
	".macro soft_x87_opc o\n"
	"  .irp r,0,1,2,3,4,5,6,7\n"
	"    .balign 16\n"
	"    endbr64\n"
	"    .byte \\o, (\\r << 3) | 7\n"
	"    ret\n"
	"  .endr\n"
	"  soft_x87_m = 0xc0\n"
	"  .rept 64\n"
	"    .balign 16\n"
	"    endbr64\n"
	"    .byte \\o, soft_x87_m\n"
	"    ret\n"
	"    soft_x87_m = soft_x87_m + 1\n"
	"  .endr\n"
	".endm\n"
	"soft_x87_opc 0xd8\n"
	"soft_x87_opc 0xd9\n"
	"soft_x87_opc 0xda\n"
	"soft_x87_opc 0xdb\n"
	"soft_x87_opc 0xdc\n"
	"soft_x87_opc 0xdd\n"
	"soft_x87_opc 0xde\n"
	"soft_x87_opc 0xdf\n"
	".purgem soft_x87_opc\n"
	".globl soft_x87_stubs_end\n"
	".hidden soft_x87_stubs_end\n"
	"soft_x87_stubs_end:\n"
	".popsection\n");
extern const uint8_t soft_x87_stubs[], soft_x87_stubs_end[];

/* What an encoding is and does. */
#define X_OK 0x0001u       /* implemented */
#define X_UD 0x0002u       /* reserved: #UD */
#define X_NI 0x0004u       /* valid but not implemented: exit */
#define X_R 0x0008u        /* reads its memory operand */
#define X_W 0x0010u        /* writes its memory operand */
#define X_CTL 0x0020u      /* control instruction: FIP/FDP/FOP kept */
#define X_NOWAIT 0x0040u   /* does not look for pending exceptions */
#define X_INIT 0x0080u     /* clears FIP/FDP/FOP (FNINIT, FNSAVE) */
#define X_LDPTR 0x0100u    /* loads FIP/FDP/FOP from memory (FLDENV, FRSTOR) */
#define X_ENV 0x0200u      /* image format follows the operand size */
#define X_FLIN 0x0400u     /* reads RFLAGS (FCMOVcc) */
#define X_FLOUT 0x0800u    /* writes RFLAGS (FCOMI family) */
#define X_AX 0x1000u       /* writes AX (FNSTSW AX) */

struct x87_mem {
	uint16_t what;
	uint8_t size;
};

#define M(w, s) { .what = X_OK | (w), .size = s }
#define MUD { .what = X_UD, .size = 0 }
/* Memory forms by escape opcode and modrm.reg. */
static const struct x87_mem mem_forms[8][8] = {
	/* D8: fadd fmul fcom fcomp fsub fsubr fdiv fdivr m32fp */
	{ M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4) },
	/* D9: fld m32, -, fst m32, fstp m32, fldenv, fldcw, fnstenv, fnstcw */
	{ M(X_R, 4), MUD, M(X_W, 4), M(X_W, 4), M(X_R | X_CTL | X_LDPTR | X_ENV, 28),
	  M(X_R | X_CTL, 2), M(X_W | X_CTL | X_NOWAIT | X_ENV, 28), M(X_W | X_CTL | X_NOWAIT, 2) },
	/* DA: fiadd fimul ficom ficomp fisub fisubr fidiv fidivr m32int */
	{ M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4), M(X_R, 4) },
	/* DB: fild m32, fisttp (SSE3), fist m32, fistp m32, -, fld m80, -, fstp m80 */
	{ M(X_R, 4), MUD, M(X_W, 4), M(X_W, 4), MUD, M(X_R, 10), MUD, M(X_W, 10) },
	/* DC: fadd fmul fcom fcomp fsub fsubr fdiv fdivr m64fp */
	{ M(X_R, 8), M(X_R, 8), M(X_R, 8), M(X_R, 8), M(X_R, 8), M(X_R, 8), M(X_R, 8), M(X_R, 8) },
	/* DD: fld m64, fisttp (SSE3), fst m64, fstp m64, frstor, -, fnsave, fnstsw m16 */
	{ M(X_R, 8), MUD, M(X_W, 8), M(X_W, 8), M(X_R | X_CTL | X_LDPTR | X_ENV, IMG_SIZE),
	  MUD, M(X_W | X_CTL | X_NOWAIT | X_INIT | X_ENV, IMG_SIZE), M(X_W | X_CTL | X_NOWAIT, 2) },
	/* DE: fiadd fimul ficom ficomp fisub fisubr fidiv fidivr m16int */
	{ M(X_R, 2), M(X_R, 2), M(X_R, 2), M(X_R, 2), M(X_R, 2), M(X_R, 2), M(X_R, 2), M(X_R, 2) },
	/* DF: fild m16, fisttp (SSE3), fist m16, fistp m16, fbld, fild m64, fbstp, fistp m64 */
	{ M(X_R, 2), MUD, M(X_W, 2), M(X_W, 2), M(X_R, 10), M(X_R, 8), M(X_W, 10), M(X_W, 8) },
};

/* Register forms (mod = 3): what the SDM documents, by opcode and modrm. */
static unsigned reg_form(unsigned o, unsigned modrm)
{
	switch (o) {
	case 0: /* D8: fadd fmul fcom fcomp fsub fsubr fdiv fdivr st, st(i) */
		return X_OK;
	case 1: /* D9 */
		if (modrm <= 0xd0) /* fld st(i), fxch, fnop */
			return X_OK;
		switch (modrm) {
		case 0xe0: case 0xe1: case 0xe4: case 0xe5: /* fchs fabs ftst fxam */
		case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
		case 0xf4: case 0xf5: case 0xf6: case 0xf7: /* fxtract fprem1 fdecstp fincstp */
		case 0xf8: case 0xfa: case 0xfc: case 0xfd: /* fprem fsqrt frndint fscale */
			return X_OK;
		case 0xf0: case 0xf1: case 0xf2: case 0xf3: case 0xf9: case 0xfb: case 0xfe:
		case 0xff: /* f2xm1 fyl2x fptan fpatan fyl2xp1 fsincos fsin fcos */
			return X_NI;
		default:
			return X_UD;
		}
	case 2: /* DA: fcmovb fcmove fcmovbe fcmovu; fucompp */
		if (modrm < 0xe0)
			return X_OK | X_FLIN;
		return modrm == 0xe9 ? X_OK : X_UD;
	case 3: /* DB: fcmovnb fcmovne fcmovnbe fcmovnu; fnclex fninit; fucomi fcomi */
		if (modrm < 0xe0)
			return X_OK | X_FLIN;
		if (modrm == 0xe2)
			return X_OK | X_CTL | X_NOWAIT;
		if (modrm == 0xe3)
			return X_OK | X_CTL | X_NOWAIT | X_INIT;
		if (modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe4)
			return X_NI; /* fneni fndisi fnsetpm: 8087/287 relics */
		if (modrm >= 0xe8 && modrm < 0xf8)
			return X_OK | X_FLOUT;
		return X_UD;
	case 4: /* DC: fadd fmul st(i), st; fsubr fsub fdivr fdiv st(i), st */
		return modrm >= 0xd0 && modrm < 0xe0 ? X_UD : X_OK;
	case 5: /* DD: ffree, fst, fstp, fucom, fucomp st(i) */
		if (modrm < 0xc8 || (modrm >= 0xd0 && modrm < 0xf0))
			return X_OK;
		return X_UD;
	case 6: /* DE: faddp fmulp, fcompp, fsubrp fsubp fdivrp fdivp */
		if (modrm < 0xd0 || modrm == 0xd9 || modrm >= 0xe0)
			return X_OK;
		return X_UD;
	default: /* DF: fnstsw ax; fucomip fcomip */
		if (modrm == 0xe0)
			return X_OK | X_CTL | X_NOWAIT | X_AX;
		if (modrm >= 0xe8 && modrm < 0xf8)
			return X_OK | X_FLOUT;
		return X_UD;
	}
}

/* Runs one stub on the host FPU over the FSAVE image `img` (in and out),
 * with RDI = mem, the arithmetic flags *fl loaded into RFLAGS and read
 * back, and AX (for FNSTSW AX) returned in *ax. */
static void host_run(uint8_t *img, const uint8_t *stub, uint8_t *mem, uint64_t *fl,
		     uint64_t *ax)
{
	uint16_t cw;
	uint64_t f = (*fl & SOFT_ARITH) | 2;
	uint64_t a = 0;
	/* The host's own x87 state is its control word only: the x86-64 ABI
	 * has the register stack empty and the status word scratch here (this
	 * file has no long double), and FNSAVE leaves the FPU initialized.
	 * (FXSAVE/FXRSTOR, with FNINIT after, measured slower here.)  The red
	 * zone below RSP may hold the compiler's locals: the flags image and
	 * the call go below it. */
	__asm__ volatile(
		"fnstcw (%[cw])\n\t"
		"frstor (%[img])\n\t"
		"lea -128(%%rsp), %%rsp\n\t"
		"pushq %[f]\n\t"
		"popfq\n\t"
		"call *%[stub]\n\t"
		"pushfq\n\t"
		"popq %[f]\n\t"
		"lea 128(%%rsp), %%rsp\n\t"
		"fnsave (%[img])\n\t"
		"fldcw (%[cw])\n\t"
		: [f] "+r"(f), "+a"(a)
		: [cw] "r"(&cw), [img] "r"(img), [stub] "r"(stub), "D"(mem)
		: "memory", "cc");
	*fl = f;
	*ax = a;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t x;
	memcpy(&x, p, 2);
	return x;
}

static void wr16(uint8_t *p, uint16_t x)
{
	memcpy(p, &x, 2);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

static void wr32(uint8_t *p, uint32_t x)
{
	memcpy(p, &x, 4);
}

/* The guest's x87 state as an FSAVE image (full tags: 00 valid, 11 empty;
 * the host's FNSAVE recomputes the precise ones). */
static void to_image(const struct soft_fpu *x, uint8_t *img)
{
	memset(img, 0, IMG_SIZE);
	wr16(img + IMG_FCW, x->fcw);
	wr16(img + IMG_FSW, x->fsw);
	uint16_t tw = 0;
	for (unsigned i = 0; i < 8; i++)
		if (!(x->ftw & (1u << i)))
			tw |= (uint16_t)(3u << (2 * i));
	wr16(img + IMG_FTW, tw);
	wr32(img + IMG_FIP, (uint32_t)x->fip);
	wr16(img + IMG_FOP, (uint16_t)(x->fop & 0x7ff));
	wr32(img + IMG_FDP, (uint32_t)x->fdp);
	unsigned top = FSW_TOP(x->fsw);
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + IMG_ST + 10 * i, x->st[(top + i) & 7], 10);
}

static void from_image(struct soft_fpu *x, const uint8_t *img)
{
	x->fcw = rd16(img + IMG_FCW);
	x->fsw = rd16(img + IMG_FSW);
	uint16_t tw = rd16(img + IMG_FTW);
	x->ftw = 0;
	for (unsigned i = 0; i < 8; i++)
		if (((tw >> (2 * i)) & 3) != 3)
			x->ftw |= (uint8_t)(1u << i);
	unsigned top = FSW_TOP(x->fsw);
	for (unsigned i = 0; i < 8; i++) {
		memcpy(x->st[(top + i) & 7], img + IMG_ST + 10 * i, 10);
		memset(x->st[(top + i) & 7] + 10, 0, 6);
	}
}

/* The name of an X_NI register form, for the exit's report. */
static const char *ni_name(unsigned o, unsigned modrm)
{
	static const char *const d9[16] = {
		[0x0] = "f2xm1", [0x1] = "fyl2x", [0x2] = "fptan", [0x3] = "fpatan",
		[0x9] = "fyl2xp1", [0xb] = "fsincos", [0xe] = "fsin", [0xf] = "fcos",
	};
	if (o == 1 && modrm >= 0xf0 && d9[modrm - 0xf0])
		return d9[modrm - 0xf0];
	if (o == 3 && modrm == 0xe0)
		return "fneni";
	if (o == 3 && modrm == 0xe1)
		return "fndisi";
	if (o == 3 && modrm == 0xe4)
		return "fnsetpm";
	return "x87";
}

/* Ends the run: an x87 instruction the soft CPU does not implement. */
static _Noreturn void not_implemented(struct soft_vcpu *v, unsigned o, unsigned modrm,
				      const char *why)
{
	v->exit.reason = ENGINE_EXIT_INTERNAL_ERROR;
	snprintf(v->exit.message, sizeof(v->exit.message),
		 "soft: x87 instruction %02x %02x at rip %#llx not implemented (%s)", 0xd8 + o,
		 modrm, (unsigned long long)v->rip, why);
	soft_exit_unwind(v);
}

/* A pending unmasked exception reported before a waiting instruction. */
static void check_pending(struct soft_vcpu *v, unsigned o, unsigned modrm)
{
	if (!(v->fpu.fsw & FSW_ES))
		return;
	if (!(v->cr0 & CR0_NE))
		not_implemented(v, o, modrm,
				"a pending x87 exception with CR0.NE clear: FERR#/IRQ 13 is not modelled");
	soft_raise(v, 16, false, 0);
}

/* One memory operand of n bytes, as one access (see the top of the file). */
static void mem_read_n(struct soft_vcpu *v, uint64_t va, unsigned n, uint8_t *buf)
{
	if (n <= 8) {
		uint64_t x = mem_rd(v, va, n);
		memcpy(buf, &x, n);
		return;
	}
	struct soft_fault f;
	bool user = v->cpl == 3;
	uint64_t hpa;
	if ((va & (SOFT_PAGE - 1)) + n <= SOFT_PAGE) {
		if (!xlate(v, va, SOFT_ACCESS_READ, user, n, &hpa, &f))
			soft_raise_fault(v, &f, SOFT_ACCESS_READ, va, n);
		memcpy(buf, v->m->mem + hpa, n);
	} else if (!soft_cross_access(v, va, n, SOFT_ACCESS_READ, user, buf, &f)) {
		soft_raise_fault(v, &f, SOFT_ACCESS_READ, va, n);
	}
}

static void mem_write_n(struct soft_vcpu *v, uint64_t va, unsigned n, uint8_t *buf)
{
	if (n <= 8) {
		uint64_t x = 0;
		memcpy(&x, buf, n);
		mem_wr(v, va, n, x);
		return;
	}
	struct soft_fault f;
	bool user = v->cpl == 3;
	uint64_t hpa;
	if ((va & (SOFT_PAGE - 1)) + n <= SOFT_PAGE) {
		if (!xlate(v, va, SOFT_ACCESS_WRITE, user, n, &hpa, &f))
			soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, va, n);
		memcpy(v->m->mem + hpa, buf, n);
	} else if (!soft_cross_access(v, va, n, SOFT_ACCESS_WRITE, user, buf, &f)) {
		soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, va, n);
	}
}

/* The modrm byte of a memory form, for FOP: read back from the
 * instruction's bytes in machine memory (the bytes the decoder read, in
 * the fetch page: no translation, nothing counted), or for one straddling
 * two pages rebuilt from the decoded operand with the shortest
 * displacement (see the top of the file). */
static unsigned mem_modrm(const struct soft_vcpu *v, const struct soft_dinsn *d, unsigned reg)
{
	unsigned off = (unsigned)(v->rip & (SOFT_PAGE - 1));
	if (v->rip / SOFT_PAGE == v->fetch_vpage && off + d->len <= SOFT_PAGE) {
		const uint8_t *b = v->m->mem + v->fetch_hpage * SOFT_PAGE + off;
		for (unsigned i = 0; i + 1 < d->len; i++)
			if (b[i] >= 0xd8 && b[i] <= 0xdf)
				return b[i + 1];
	}
	unsigned rm, mod;
	if (d->base == SOFT_RIPREL)
		return reg << 3 | 5;
	if (d->index != SOFT_NOREG || d->base == SOFT_NOREG || (d->base & 7) == 4)
		rm = 4;
	else
		rm = d->base & 7;
	if (d->base == SOFT_NOREG)
		mod = 0;
	else if (d->disp == 0 && (d->base & 7) != 5)
		mod = 0;
	else if (d->disp >= -128 && d->disp <= 127)
		mod = 1;
	else
		mod = 2;
	return mod << 6 | reg << 3 | rm;
}

void soft_exec_x87(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	struct soft_fpu *x = &v->fpu;

	if (d->sub == SOFT_X87_FWAIT) {
		if ((v->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
			soft_raise(v, 7, false, 0);
		check_pending(v, 0x9b - 0xd8, 0);
		return;
	}

	unsigned o = d->sub & 7, reg = d->modrm_reg & 7;
	unsigned what, size = 0;
	if (d->mem) {
		what = mem_forms[o][reg].what;
		size = mem_forms[o][reg].size;
	} else {
		what = reg_form(o, 0xc0 | reg << 3 | (d->rm & 7));
	}
	unsigned modrm = d->mem ? mem_modrm(v, d, reg) : (0xc0 | reg << 3 | (d->rm & 7));
	if (what & X_UD) {
		v->n_ud++;
		soft_raise(v, 6, false, 0);
	}
	if (v->cr0 & (CR0_EM | CR0_TS))
		soft_raise(v, 7, false, 0);
	if (what & X_NI) {
		char why[96];
		snprintf(why, sizeof(why), "%s: %s", ni_name(o, modrm),
			 o == 1 ? "a transcendental, whose last bit differs between processors"
				: "an 8087/80287 control instruction");
		not_implemented(v, o, modrm, why);
	}
	if ((what & X_ENV) && d->osize == 2)
		not_implemented(v, o, modrm, "the 16-bit environment format");
	if (!(what & X_NOWAIT))
		check_pending(v, o, modrm);

	uint8_t buf[IMG_SIZE] = { 0 };
	uint64_t addr = 0;
	if (d->mem) {
		addr = ea(v, d);
		if (what & X_R)
			mem_read_n(v, addr, size, buf);
	}

	uint8_t img[IMG_SIZE] __attribute__((aligned(16)));
	to_image(x, img);
	const uint8_t *stub = soft_x87_stubs +
		STUB_SIZE * (o * STUBS_PER_OPC + (d->mem ? reg : 8 + (modrm & 0x3f)));
	uint64_t fl = soft_flags(v), ax;
	uint8_t before[IMG_SIZE];
	if (what & X_W)
		memcpy(before, img, IMG_SIZE);
	host_run(img, stub, buf, &fl, &ax);

	if (d->mem && (what & X_ENV) && (what & X_W)) {
		/* FNSTENV, FNSAVE: the pointers stored are the guest's (the
		 * host's may have been replaced by a context switch, above). */
		wr32(buf + IMG_FIP, (uint32_t)x->fip);
		wr16(buf + IMG_FIP + 4, 0);
		wr16(buf + IMG_FOP, (uint16_t)(x->fop & 0x7ff));
		wr32(buf + IMG_FDP, (uint32_t)x->fdp);
		wr16(buf + IMG_FDP + 4, 0);
		/* The reserved upper halves of the FCW, FSW, FTW and FDS
		 * dwords: ones, as the hardware measured writes them, fixed
		 * here so that no host can differ. */
		for (unsigned k = 2; k < 28; k += 4)
			if (k != 14 && k != 18 && k != 22)
				wr16(buf + k, 0xffff);
	}
	if (d->mem && (what & X_W)) {
		/* A store after an unmasked exception may have been suppressed:
		 * run it again over a buffer filled differently; a store that
		 * happened wrote the same bytes into both. */
		bool store = true;
		if (!(what & X_CTL) && (rd16(img + IMG_FSW) & FSW_ES)) {
			uint8_t buf2[IMG_SIZE];
			uint64_t fl2 = soft_flags(v), ax2;
			memset(buf2, 0xa5, sizeof(buf2));
			host_run(before, stub, buf2, &fl2, &ax2);
			store = memcmp(buf, buf2, size) == 0;
		}
		if (store)
			mem_write_n(v, addr, size, buf);
	}

	/* Commit: nothing below can fault. */
	uint64_t fip = x->fip, fdp = x->fdp;
	uint16_t fop = x->fop;
	from_image(x, img);
	if (what & X_INIT) {
		x->fip = x->fdp = 0;
		x->fop = 0;
	} else if (what & X_LDPTR) {
		/* From the bytes loaded (the environment and the FSAVE image
		 * share these offsets), not from the host: a context switch on
		 * some hosts (AMD: Linux's FXSAVE-leak workaround) replaces the
		 * host's own pointers. */
		x->fip = rd32(buf + IMG_FIP);
		x->fdp = rd32(buf + IMG_FDP);
		x->fop = rd16(buf + IMG_FOP) & 0x7ff;
	} else if (what & X_CTL) {
		x->fip = fip;
		x->fdp = fdp;
		x->fop = fop;
	} else {
		x->fip = v->rip;
		x->fop = (uint16_t)(o << 8 | modrm);
		x->fdp = d->mem ? ea_noseg(v, d) : fdp;
	}
	if (what & X_FLOUT)
		set_arith(v, (uint32_t)(fl & SOFT_ARITH));
	if (what & X_AX)
		reg_wr(v, 0, 2, ax);
}
