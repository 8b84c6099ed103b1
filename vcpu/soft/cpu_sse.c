/*
 * vcpu/soft/cpu_sse.c — the soft CPU's SSE and SSE2 instructions (the
 * forms of sse_ops.h), MXCSR, and FXSAVE/FXRSTOR of the whole x87/SSE
 * state (fpu.h).
 *
 * Exactness: every floating-point and packed-integer operation of the
 * "xmm, xmm/m" kind runs as the same instruction on the host (memvirt runs
 * on x86-64 hosts only), on the guest's operand values, with the guest's
 * MXCSR (rounding, DAZ, FTZ) loaded into the host's around it and the
 * exception flags read back; the host's own MXCSR is put back in the same
 * asm statement, so no host code runs under the guest's.  Every exception
 * is masked while the host computes (an unmasked one would be a host
 * SIGFPE): the flags say what happened, and the guest's masks decide.
 * The integer and bitwise forms, which neither read nor write MXCSR, run
 * without the switch.
 * An unmasked exception raises #XM (#UD when CR4.OSXMMEXCPT is clear)
 * with the destination unchanged and the flags set, where a pre-
 * computation exception (invalid, denormal, divide by zero) that is
 * unmasked hides the post-computation ones (SDM vol. 1, 11.5.1).
 * Moves, shuffles, conversions to and from general registers and the
 * state instructions are written here.
 *
 * Checks, in the SDM's priority order: #UD when CR0.EM is set or
 * CR4.OSFXSR clear, #NM when CR0.TS is set (FXSAVE/FXRSTOR: #NM when
 * TS or EM), #GP(0) for a 16-byte operand of an aligned form that is not
 * 16-byte aligned, then the memory access's own faults.
 *
 * Memory and the TLB model: an operand is one access of its size, as the
 * general instructions' are: one translation (one TLB lookup, counted
 * once) when it stays in a page, two when it crosses into the next (both
 * translated before a byte moves, so a fault changes nothing).  So a
 * 16-byte MOVDQU counts what an 8-byte MOV counts, not two of them;
 * FXSAVE/FXRSTOR access the 416 bytes of the image that hold state
 * (bytes 416..511 are reserved or left to software and are not touched)
 * as one access.
 */
#include "vcpu/soft/cpu_ops.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

#define MXCSR_FLAGS 0x3fu
#define MXCSR_MASKS 0x1f80u
#define MXCSR_PRE 0x07u        /* IE DE ZE: found before the result is */
#define MXCSR_VALID 0xffffu    /* MXCSR_MASK as FXSAVE reports it: DAZ supported */
#define FXSAVE_STATE_LEN 416u

/* Per form: its memory operand's size and flags (sse_ops.h). */
struct sse_desc {
	uint16_t msz;
	uint8_t fl;
};

#define DESC_H(id, mn, px, oc, msz, fl, insn) [SOFT_SSE_##id] = { msz, fl },
#define DESC_C(id, mn, px, oc, ex, mc, on, im, msz, fl) [SOFT_SSE_##id] = { msz, fl },
static const struct sse_desc sse_desc[SOFT_SSE__COUNT] = { SOFT_SSE_OPS(DESC_H, DESC_C) };

/* ---- host computation ---- */

typedef void (*host_fn)(uint64_t *dst, const uint64_t *src, uint32_t *mx);

/* dst = insn(dst, src) on the host's XMM0/XMM1 under MXCSR *mx, which
 * comes back with the flags the operation raised. */
#define HOST_ASM(insn, dst, src, mx)                                                     \
	do {                                                                             \
		uint32_t saved_ = 0;                                                     \
		__asm__ volatile("stmxcsr %[sv]\n\t"                                     \
				 "ldmxcsr %[m]\n\t"                                      \
				 "movdqu %[d], %%xmm0\n\t"                               \
				 "movdqu %[s], %%xmm1\n\t" insn "\n\t"                   \
				 "movdqu %%xmm0, %[d]\n\t"                               \
				 "stmxcsr %[m]\n\t"                                      \
				 "ldmxcsr %[sv]"                                         \
				 : [d] "+m"(*(uint64_t(*)[2])(dst)), [m] "+m"(*(mx)),    \
				   [sv] "+m"(saved_)                                     \
				 : [s] "m"(*(const uint64_t(*)[2])(src))                 \
				 : "xmm0", "xmm1");                                      \
	} while (0)

/* The same without MXCSR, for the forms that neither read nor raise
 * anything in it (integer and bitwise ones: no SSE_FP). */
#define HOST_ASM_INT(insn, dst, src)                                                     \
	__asm__ volatile("movdqu %[d], %%xmm0\n\t"                                       \
			 "movdqu %[s], %%xmm1\n\t" insn "\n\t"                           \
			 "movdqu %%xmm0, %[d]"                                           \
			 : [d] "+m"(*(uint64_t(*)[2])(dst))                              \
			 : [s] "m"(*(const uint64_t(*)[2])(src))                         \
			 : "xmm0", "xmm1")

#define HOST_H(id, mn, px, oc, msz, fl, insn)                                          \
	static void host_##id(uint64_t *d, const uint64_t *s, uint32_t *mx)            \
	{                                                                              \
		if ((fl) & SSE_FP)                                                     \
			HOST_ASM(insn " %%xmm1, %%xmm0", d, s, mx);                    \
		else                                                                   \
			HOST_ASM_INT(insn " %%xmm1, %%xmm0", d, s);                    \
	}
#define HOST_C(id, mn, px, oc, ex, mc, on, im, msz, fl)
SOFT_SSE_OPS(HOST_H, HOST_C)

#define FN_H(id, mn, px, oc, msz, fl, insn) [SOFT_SSE_##id] = host_##id,
static const host_fn host_fns[SOFT_SSE__COUNT] = { SOFT_SSE_OPS(FN_H, HOST_C) };

/* CMPPS/PD/SS/SD: one host function per predicate (imm8[2:0]; the
 * legacy encodings ignore imm8[7:3]). */
#define CMP8(name, insn)                                                               \
	static void name##0(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $0, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##1(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $1, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##2(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $2, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##3(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $3, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##4(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $4, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##5(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $5, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##6(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $6, %%xmm1, %%xmm0", d, s, mx); } \
	static void name##7(uint64_t *d, const uint64_t *s, uint32_t *mx) { HOST_ASM(insn " $7, %%xmm1, %%xmm0", d, s, mx); } \
	static const host_fn name[8] = { name##0, name##1, name##2, name##3,           \
					 name##4, name##5, name##6, name##7 };
CMP8(cmpps_fn, "cmpps")
CMP8(cmppd_fn, "cmppd")
CMP8(cmpss_fn, "cmpss")
CMP8(cmpsd_fn, "cmpsd")

/* Conversions to a general register: the value's low 32 or 64 bits of s. */
#define TO_GPR(name, insn, reg)                                                        \
	static uint64_t name(const uint64_t *s, uint32_t *mx)                          \
	{                                                                              \
		uint64_t r = 0;                                                        \
		uint32_t saved = 0;                                                    \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[m]\n\t" insn " %[s], %" reg "[r]\n\t" \
				 "stmxcsr %[m]\n\tldmxcsr %[sv]"                        \
				 : [r] "+r"(r), [m] "+m"(*mx), [sv] "+m"(saved)         \
				 : [s] "m"(*(const uint64_t(*)[1])s));                  \
		return r;                                                              \
	}
TO_GPR(cvttss2si_l, "cvttss2si", "k")
TO_GPR(cvttss2si_q, "cvttss2si", "q")
TO_GPR(cvttsd2si_l, "cvttsd2si", "k")
TO_GPR(cvttsd2si_q, "cvttsd2si", "q")
TO_GPR(cvtss2si_l, "cvtss2si", "k")
TO_GPR(cvtss2si_q, "cvtss2si", "q")
TO_GPR(cvtsd2si_l, "cvtsd2si", "k")
TO_GPR(cvtsd2si_q, "cvtsd2si", "q")

/* Conversions from a general register into the low element of d. */
#define FROM_GPR(name, insn, reg)                                                      \
	static void name(uint64_t *d, uint64_t x, uint32_t *mx)                        \
	{                                                                              \
		uint32_t saved = 0;                                                    \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[m]\n\tmovdqu %[d], %%xmm0\n\t" \
				 insn " %" reg "[x], %%xmm0\n\tmovdqu %%xmm0, %[d]\n\t" \
				 "stmxcsr %[m]\n\tldmxcsr %[sv]"                        \
				 : [d] "+m"(*(uint64_t(*)[2])d), [m] "+m"(*mx), [sv] "+m"(saved) \
				 : [x] "r"(x)                                           \
				 : "xmm0");                                             \
	}
FROM_GPR(cvtsi2ss_l, "cvtsi2ssl", "k")
FROM_GPR(cvtsi2ss_q, "cvtsi2ssq", "q")
FROM_GPR(cvtsi2sd_l, "cvtsi2sdl", "k")
FROM_GPR(cvtsi2sd_q, "cvtsi2sdq", "q")

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF as the host finds them.  The
 * setcc outputs are early-clobbered: they are written before the memory
 * operands (MXCSR) are last used, so they must not share a register with
 * those operands' addresses. */
#define COMI(name, insn)                                                               \
	static uint32_t name(const uint64_t *a, const uint64_t *b, uint32_t *mx)       \
	{                                                                              \
		uint8_t z, p, c;                                                       \
		uint32_t saved = 0;                                                    \
		__asm__ volatile("stmxcsr %[sv]\n\tldmxcsr %[m]\n\tmovdqu %[a], %%xmm0\n\t" \
				 "movdqu %[b], %%xmm1\n\t" insn " %%xmm1, %%xmm0\n\t"    \
				 "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\t"               \
				 "stmxcsr %[m]\n\tldmxcsr %[sv]"                        \
				 : [z] "=&q"(z), [p] "=&q"(p), [c] "=&q"(c), [m] "+m"(*mx), \
				   [sv] "+m"(saved)                                      \
				 : [a] "m"(*(const uint64_t(*)[2])a), [b] "m"(*(const uint64_t(*)[2])b) \
				 : "xmm0", "xmm1", "cc");                               \
		return (z ? SOFT_ZF : 0) | (p ? SOFT_PF : 0) | (c ? SOFT_CF : 0);     \
	}
COMI(comiss_fn, "comiss")
COMI(ucomiss_fn, "ucomiss")
COMI(comisd_fn, "comisd")
COMI(ucomisd_fn, "ucomisd")

/* ---- checks, MXCSR and memory ---- */

static void sse_avail(struct soft_vcpu *v, unsigned id)
{
	if (id == SOFT_SSE_FXSAVE || id == SOFT_SSE_FXRSTOR) {
		if (v->cr0 & (CR0_TS | CR0_EM))
			soft_raise(v, 7, false, 0);
		return;
	}
	if ((v->cr0 & CR0_EM) || !(v->cr4 & CR4_OSFXSR)) {
		v->n_ud++;
		soft_raise(v, 6, false, 0);
	}
	if (v->cr0 & CR0_TS)
		soft_raise(v, 7, false, 0);
}

/* The MXCSR the host computes under: the guest's rounding, DAZ and FTZ,
 * every exception masked, no flag set. */
static uint32_t host_mxcsr(const struct soft_vcpu *v)
{
	return ((v->fpu.mxcsr | MXCSR_MASKS) & ~MXCSR_FLAGS) & MXCSR_VALID;
}

/* Folds the flags an operation raised into the guest's MXCSR; raises
 * #XM (or #UD) for an unmasked one before the result is written. */
static void fp_done(struct soft_vcpu *v, uint32_t mx)
{
	uint32_t flags = mx & MXCSR_FLAGS;
	uint32_t unmasked = flags & ~(v->fpu.mxcsr >> 7) & MXCSR_FLAGS;
	if (unlikely(unmasked)) {
		if (unmasked & MXCSR_PRE)
			flags &= MXCSR_PRE;
		v->fpu.mxcsr |= flags;
		if (!(v->cr4 & CR4_OSXMMEXCPT)) {
			v->n_ud++;
			soft_raise(v, 6, false, 0);
		}
		soft_raise(v, 19, false, 0);
	}
	v->fpu.mxcsr |= flags;
}

/* An access of n bytes (9..416: XMM operands, CMPXCHG16B, the FXSAVE
 * image): see the top of the file. */
void soft_access_n(struct soft_vcpu *v, uint64_t va, unsigned n, enum soft_access acc, void *buf)
{
	uint8_t *p = host_ptr(v, va, n, acc);
	if (likely(p)) {
		if (buf)
			acc == SOFT_ACCESS_WRITE ? memcpy(p, buf, n) : memcpy(buf, p, n);
		return;
	}
	struct soft_fault f;
	bool user = v->cpl == 3;
	if ((va & (SOFT_PAGE - 1)) + n <= SOFT_PAGE) {
		uint64_t hpa;
		if (!xlate(v, va, acc, user, n, &hpa, &f))
			soft_raise_fault(v, &f, acc, va, n);
		if (buf)
			acc == SOFT_ACCESS_WRITE ? memcpy(v->m->mem + hpa, buf, n)
						 : memcpy(buf, v->m->mem + hpa, n);
	} else if (buf) {
		/* (A probe of a crossing access is left to the access itself,
		 * as mem_probe_wr() does.) */
		uint8_t tmp[FXSAVE_STATE_LEN];
		assert(n <= sizeof(tmp));
		if (acc == SOFT_ACCESS_WRITE)
			memcpy(tmp, buf, n);
		if (!soft_cross_access(v, va, n, acc, user, tmp, &f))
			soft_raise_fault(v, &f, acc, va, n);
		if (acc == SOFT_ACCESS_READ)
			memcpy(buf, tmp, n);
	}
}

static void rd_n(struct soft_vcpu *v, uint64_t va, unsigned n, void *buf)
{
	soft_access_n(v, va, n, SOFT_ACCESS_READ, buf);
}

static void wr_n(struct soft_vcpu *v, uint64_t va, unsigned n, const void *buf)
{
	soft_access_n(v, va, n, SOFT_ACCESS_WRITE, (void *)(uintptr_t)buf);
}

/* The memory operand's address, aligned as the form requires. */
static uint64_t sse_ea(struct soft_vcpu *v, const struct soft_dinsn *d, const struct sse_desc *ds)
{
	uint64_t a = ea(v, d);
	if ((ds->fl & SSE_AL) && ds->msz >= 16 && (a & 15))
		soft_raise(v, 13, true, 0);
	return a;
}

/* Reads the r/m operand (an XMM register, or msz bytes of memory
 * zero-extended) into s. */
static void src_rd(struct soft_vcpu *v, const struct soft_dinsn *d, const struct sse_desc *ds,
		   unsigned msz, uint64_t s[2])
{
	if (!d->mem) {
		s[0] = v->fpu.xmm[d->rm][0];
		s[1] = v->fpu.xmm[d->rm][1];
		return;
	}
	uint64_t a = sse_ea(v, d, ds);
	s[1] = 0;
	if (msz <= 8) {
		s[0] = mem_rd(v, a, msz);
	} else {
		rd_n(v, a, 16, s);
	}
}

/* ---- FXSAVE / FXRSTOR ---- */

static void fxsave(struct soft_vcpu *v, uint64_t a, bool rexw)
{
	const struct soft_fpu *f = &v->fpu;
	uint8_t img[FXSAVE_STATE_LEN];
	memset(img, 0, sizeof(img));
	memcpy(img + 0, &f->fcw, 2);
	memcpy(img + 2, &f->fsw, 2);
	img[4] = f->ftw;
	uint16_t fop = f->fop & 0x7ff;
	memcpy(img + 6, &fop, 2);
	if (rexw) {
		memcpy(img + 8, &f->fip, 8);
		memcpy(img + 16, &f->fdp, 8);
	} else {
		/* The 32-bit layout: offsets, with the selectors (not kept:
		 * flat 64-bit code) zero. */
		uint32_t ip = (uint32_t)f->fip, dp = (uint32_t)f->fdp;
		memcpy(img + 8, &ip, 4);
		memcpy(img + 16, &dp, 4);
	}
	uint32_t mask = MXCSR_VALID;
	memcpy(img + 24, &f->mxcsr, 4);
	memcpy(img + 28, &mask, 4);
	unsigned top = (f->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, f->st[(top + i) & 7], 10);
	memcpy(img + 160, f->xmm, 256);
	wr_n(v, a, FXSAVE_STATE_LEN, img);
}

static void fxrstor(struct soft_vcpu *v, uint64_t a, bool rexw)
{
	uint8_t img[FXSAVE_STATE_LEN];
	rd_n(v, a, FXSAVE_STATE_LEN, img);
	uint32_t mxcsr;
	memcpy(&mxcsr, img + 24, 4);
	if (mxcsr & ~MXCSR_VALID)
		soft_raise(v, 13, true, 0);
	struct soft_fpu *f = &v->fpu;
	memcpy(&f->fcw, img + 0, 2);
	memcpy(&f->fsw, img + 2, 2);
	f->ftw = img[4];
	memcpy(&f->fop, img + 6, 2);
	f->fop &= 0x7ff;
	if (rexw) {
		memcpy(&f->fip, img + 8, 8);
		memcpy(&f->fdp, img + 16, 8);
	} else {
		uint32_t ip, dp;
		memcpy(&ip, img + 8, 4);
		memcpy(&dp, img + 16, 4);
		f->fip = ip;
		f->fdp = dp;
	}
	f->mxcsr = mxcsr;
	unsigned top = (f->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		memset(f->st[(top + i) & 7], 0, 16);
		memcpy(f->st[(top + i) & 7], img + 32 + 16 * i, 10);
	}
	memcpy(f->xmm, img + 160, 256);
}

/* ---- the executor ---- */

static uint16_t w16(const uint64_t x[2], unsigned i)
{
	return (uint16_t)(x[i / 4] >> (16 * (i % 4)));
}

static uint32_t d32(const uint64_t x[2], unsigned i)
{
	return (uint32_t)(x[i / 2] >> (32 * (i % 2)));
}

static void set_d32(uint64_t x[2], unsigned i, uint32_t val)
{
	unsigned sh = 32 * (i % 2);
	x[i / 2] = (x[i / 2] & ~(0xffffffffull << sh)) | ((uint64_t)val << sh);
}

static void set_w16(uint64_t x[2], unsigned i, uint16_t val)
{
	unsigned sh = 16 * (i % 4);
	x[i / 4] = (x[i / 4] & ~(0xffffull << sh)) | ((uint64_t)val << sh);
}

/* Byte shift of a 128-bit value: left (towards the high end) or right. */
static void byte_shift(uint64_t x[2], unsigned n, bool left)
{
	uint8_t b[16], r[16] = { 0 };
	memcpy(b, x, 16);
	if (n < 16) {
		if (left)
			memcpy(r + n, b, 16 - n);
		else
			memcpy(r, b + n, 16 - n);
	}
	memcpy(x, r, 16);
}

/* An XMM store: to memory (aligned as the form says) or to XMM rm. */
static void store(struct soft_vcpu *v, const struct soft_dinsn *d, const struct sse_desc *ds,
		  const uint64_t x[2])
{
	uint64_t a = sse_ea(v, d, ds);
	if (ds->msz <= 8)
		mem_wr(v, a, ds->msz, x[0]);
	else
		wr_n(v, a, 16, x);
}

void soft_exec_sse(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned id = d->sub;
	const struct sse_desc *ds = &sse_desc[id];
	if (!(ds->fl & SSE_NOCHK))
		sse_avail(v, id);
	uint64_t *dst = v->fpu.xmm[d->reg & 15];
	uint64_t s[2], r[2];
	uint32_t mx = host_mxcsr(v);

	if (host_fns[id]) {
		src_rd(v, d, ds, ds->msz, s);
		r[0] = dst[0];
		r[1] = dst[1];
		host_fns[id](r, s, &mx);
		if (ds->fl & SSE_FP)
			fp_done(v, mx);
		dst[0] = r[0];
		dst[1] = r[1];
		return;
	}

	switch (id) {
	/* Loads into XMM reg. */
	case SOFT_SSE_MOVUPS_LD:
	case SOFT_SSE_MOVUPD_LD:
	case SOFT_SSE_MOVAPS_LD:
	case SOFT_SSE_MOVAPD_LD:
	case SOFT_SSE_MOVDQA_LD:
	case SOFT_SSE_MOVDQU_LD:
		src_rd(v, d, ds, 16, s);
		dst[0] = s[0];
		dst[1] = s[1];
		break;
	case SOFT_SSE_MOVSS_LD:
		src_rd(v, d, ds, 4, s);
		if (d->mem)
			dst[1] = 0, dst[0] = s[0];
		else
			set_d32(dst, 0, (uint32_t)s[0]);
		break;
	case SOFT_SSE_MOVSD_LD:
		src_rd(v, d, ds, 8, s);
		if (d->mem)
			dst[1] = 0;
		dst[0] = s[0];
		break;
	case SOFT_SSE_MOVQ_LD:
		src_rd(v, d, ds, 8, s);
		dst[0] = s[0];
		dst[1] = 0;
		break;
	case SOFT_SSE_MOVLPS_LD:
	case SOFT_SSE_MOVLPD_LD:
		dst[0] = mem_rd(v, ea(v, d), 8);
		break;
	case SOFT_SSE_MOVHPS_LD:
	case SOFT_SSE_MOVHPD_LD:
		dst[1] = mem_rd(v, ea(v, d), 8);
		break;
	case SOFT_SSE_MOVHLPS:
		dst[0] = v->fpu.xmm[d->rm][1];
		break;
	case SOFT_SSE_MOVLHPS:
		dst[1] = v->fpu.xmm[d->rm][0];
		break;

	/* Stores from XMM reg (dst is the source here). */
	case SOFT_SSE_MOVUPS_ST:
	case SOFT_SSE_MOVUPD_ST:
	case SOFT_SSE_MOVAPS_ST:
	case SOFT_SSE_MOVAPD_ST:
	case SOFT_SSE_MOVDQA_ST:
	case SOFT_SSE_MOVDQU_ST:
	case SOFT_SSE_MOVNTPS:
	case SOFT_SSE_MOVNTPD:
	case SOFT_SSE_MOVNTDQ:
		r[0] = dst[0];
		r[1] = dst[1];
		if (d->mem) {
			store(v, d, ds, r);
		} else {
			v->fpu.xmm[d->rm][0] = r[0];
			v->fpu.xmm[d->rm][1] = r[1];
		}
		break;
	case SOFT_SSE_MOVSS_ST:
		if (d->mem)
			mem_wr(v, ea(v, d), 4, (uint32_t)dst[0]);
		else
			set_d32(v->fpu.xmm[d->rm], 0, (uint32_t)dst[0]);
		break;
	case SOFT_SSE_MOVSD_ST:
		if (d->mem)
			mem_wr(v, ea(v, d), 8, dst[0]);
		else
			v->fpu.xmm[d->rm][0] = dst[0];
		break;
	case SOFT_SSE_MOVQ_ST:
		if (d->mem) {
			mem_wr(v, ea(v, d), 8, dst[0]);
		} else {
			v->fpu.xmm[d->rm][0] = dst[0];
			v->fpu.xmm[d->rm][1] = 0;
		}
		break;
	case SOFT_SSE_MOVLPS_ST:
	case SOFT_SSE_MOVLPD_ST:
		mem_wr(v, ea(v, d), 8, dst[0]);
		break;
	case SOFT_SSE_MOVHPS_ST:
	case SOFT_SSE_MOVHPD_ST:
		mem_wr(v, ea(v, d), 8, dst[1]);
		break;

	/* XMM and general registers. */
	case SOFT_SSE_MOVD_TOX:
		dst[0] = rm_rd(v, d, d->osize);
		dst[1] = 0;
		break;
	case SOFT_SSE_MOVD_FROMX:
		if (d->mem)
			mem_wr(v, ea(v, d), d->osize, dst[0] & szmask(d->osize));
		else
			reg_wr(v, d->rm, d->osize, dst[0]);
		break;
	case SOFT_SSE_MOVNTI:
		mem_wr(v, ea(v, d), d->osize, reg_rd(v, d->reg, d->osize));
		break;
	case SOFT_SSE_CVTSI2SS:
	case SOFT_SSE_CVTSI2SD: {
		uint64_t x = rm_rd(v, d, d->osize);
		r[0] = dst[0];
		r[1] = dst[1];
		bool q = d->osize == 8;
		if (id == SOFT_SSE_CVTSI2SS)
			(q ? cvtsi2ss_q : cvtsi2ss_l)(r, x, &mx);
		else
			(q ? cvtsi2sd_q : cvtsi2sd_l)(r, x, &mx);
		fp_done(v, mx);
		dst[0] = r[0];
		dst[1] = r[1];
		break;
	}
	case SOFT_SSE_CVTTSS2SI:
	case SOFT_SSE_CVTTSD2SI:
	case SOFT_SSE_CVTSS2SI:
	case SOFT_SSE_CVTSD2SI: {
		src_rd(v, d, ds, ds->msz, s);
		bool q = d->osize == 8;
		uint64_t x;
		switch (id) {
		case SOFT_SSE_CVTTSS2SI: x = (q ? cvttss2si_q : cvttss2si_l)(s, &mx); break;
		case SOFT_SSE_CVTTSD2SI: x = (q ? cvttsd2si_q : cvttsd2si_l)(s, &mx); break;
		case SOFT_SSE_CVTSS2SI: x = (q ? cvtss2si_q : cvtss2si_l)(s, &mx); break;
		default: x = (q ? cvtsd2si_q : cvtsd2si_l)(s, &mx); break;
		}
		fp_done(v, mx);
		reg_wr(v, d->reg, q ? 8 : 4, x);
		break;
	}
	case SOFT_SSE_MOVMSKPS:
	case SOFT_SSE_MOVMSKPD:
	case SOFT_SSE_PMOVMSKB: {
		const uint64_t *x = v->fpu.xmm[d->rm];
		uint64_t m = 0;
		if (id == SOFT_SSE_MOVMSKPS) {
			for (unsigned i = 0; i < 4; i++)
				m |= (uint64_t)(d32(x, i) >> 31) << i;
		} else if (id == SOFT_SSE_MOVMSKPD) {
			m = (x[0] >> 63) | ((x[1] >> 63) << 1);
		} else {
			for (unsigned i = 0; i < 16; i++)
				m |= ((x[i / 8] >> (8 * (i % 8) + 7)) & 1) << i;
		}
		reg_wr(v, d->reg, 8, m);
		break;
	}
	case SOFT_SSE_PINSRW: {
		uint64_t x = d->mem ? mem_rd(v, ea(v, d), 2) : reg_rd(v, d->rm, 2);
		set_w16(dst, (unsigned)d->imm & 7, (uint16_t)x);
		break;
	}
	case SOFT_SSE_PEXTRW:
		reg_wr(v, d->reg, 8, w16(v->fpu.xmm[d->rm], (unsigned)d->imm & 7));
		break;

	/* Compares. */
	case SOFT_SSE_UCOMISS:
	case SOFT_SSE_COMISS:
	case SOFT_SSE_UCOMISD:
	case SOFT_SSE_COMISD: {
		src_rd(v, d, ds, ds->msz, s);
		uint32_t fl;
		switch (id) {
		case SOFT_SSE_UCOMISS: fl = ucomiss_fn(dst, s, &mx); break;
		case SOFT_SSE_COMISS: fl = comiss_fn(dst, s, &mx); break;
		case SOFT_SSE_UCOMISD: fl = ucomisd_fn(dst, s, &mx); break;
		default: fl = comisd_fn(dst, s, &mx); break;
		}
		fp_done(v, mx);
		set_arith(v, fl);
		break;
	}
	case SOFT_SSE_CMPPS:
	case SOFT_SSE_CMPPD:
	case SOFT_SSE_CMPSS:
	case SOFT_SSE_CMPSD: {
		src_rd(v, d, ds, ds->msz, s);
		r[0] = dst[0];
		r[1] = dst[1];
		unsigned p = (unsigned)d->imm & 7;
		const host_fn *fns = id == SOFT_SSE_CMPPS ? cmpps_fn : id == SOFT_SSE_CMPPD ? cmppd_fn
				   : id == SOFT_SSE_CMPSS ? cmpss_fn : cmpsd_fn;
		fns[p](r, s, &mx);
		fp_done(v, mx);
		dst[0] = r[0];
		dst[1] = r[1];
		break;
	}

	/* Shuffles. */
	case SOFT_SSE_PSHUFD:
	case SOFT_SSE_PSHUFLW:
	case SOFT_SSE_PSHUFHW: {
		src_rd(v, d, ds, 16, s);
		unsigned im = (unsigned)d->imm;
		if (id == SOFT_SSE_PSHUFD) {
			for (unsigned i = 0; i < 4; i++)
				set_d32(r, i, d32(s, (im >> (2 * i)) & 3));
		} else {
			unsigned base = id == SOFT_SSE_PSHUFLW ? 0 : 4;
			r[0] = s[0];
			r[1] = s[1];
			for (unsigned i = 0; i < 4; i++)
				set_w16(r, base + i, w16(s, base + ((im >> (2 * i)) & 3)));
		}
		dst[0] = r[0];
		dst[1] = r[1];
		break;
	}
	case SOFT_SSE_SHUFPS: {
		src_rd(v, d, ds, 16, s);
		unsigned im = (unsigned)d->imm;
		set_d32(r, 0, d32(dst, im & 3));
		set_d32(r, 1, d32(dst, (im >> 2) & 3));
		set_d32(r, 2, d32(s, (im >> 4) & 3));
		set_d32(r, 3, d32(s, (im >> 6) & 3));
		dst[0] = r[0];
		dst[1] = r[1];
		break;
	}
	case SOFT_SSE_SHUFPD: {
		src_rd(v, d, ds, 16, s);
		unsigned im = (unsigned)d->imm;
		r[0] = dst[im & 1];
		r[1] = s[(im >> 1) & 1];
		dst[0] = r[0];
		dst[1] = r[1];
		break;
	}

	/* Shifts by an immediate: the shift by a register count of the same
	 * kind, with the count in a register. */
	case SOFT_SSE_PSRLW_I:
	case SOFT_SSE_PSRAW_I:
	case SOFT_SSE_PSLLW_I:
	case SOFT_SSE_PSRLD_I:
	case SOFT_SSE_PSRAD_I:
	case SOFT_SSE_PSLLD_I:
	case SOFT_SSE_PSRLQ_I:
	case SOFT_SSE_PSLLQ_I: {
		static const uint8_t by_count[SOFT_SSE__COUNT] = {
			[SOFT_SSE_PSRLW_I] = SOFT_SSE_PSRLW, [SOFT_SSE_PSRAW_I] = SOFT_SSE_PSRAW,
			[SOFT_SSE_PSLLW_I] = SOFT_SSE_PSLLW, [SOFT_SSE_PSRLD_I] = SOFT_SSE_PSRLD,
			[SOFT_SSE_PSRAD_I] = SOFT_SSE_PSRAD, [SOFT_SSE_PSLLD_I] = SOFT_SSE_PSLLD,
			[SOFT_SSE_PSRLQ_I] = SOFT_SSE_PSRLQ, [SOFT_SSE_PSLLQ_I] = SOFT_SSE_PSLLQ,
		};
		uint64_t *x = v->fpu.xmm[d->rm];
		s[0] = d->imm & 0xff;
		s[1] = 0;
		host_fns[by_count[id]](x, s, &mx);
		break;
	}
	case SOFT_SSE_PSRLDQ:
	case SOFT_SSE_PSLLDQ:
		byte_shift(v->fpu.xmm[d->rm], (unsigned)d->imm & 0xff, id == SOFT_SSE_PSLLDQ);
		break;

	/* State. */
	case SOFT_SSE_LDMXCSR: {
		uint64_t x = mem_rd(v, ea(v, d), 4);
		if (x & ~(uint64_t)MXCSR_VALID)
			soft_raise(v, 13, true, 0);
		v->fpu.mxcsr = (uint32_t)x;
		break;
	}
	case SOFT_SSE_STMXCSR:
		mem_wr(v, ea(v, d), 4, v->fpu.mxcsr);
		break;
	case SOFT_SSE_FXSAVE:
		fxsave(v, sse_ea(v, d, ds), d->osize == 8);
		break;
	case SOFT_SSE_FXRSTOR:
		fxrstor(v, sse_ea(v, d, ds), d->osize == 8);
		break;
	default:
		/* Every C() entry of sse_ops.h has its case above; one without
		 * is this file's bug, reported rather than guessed at. */
		v->exit.reason = ENGINE_EXIT_INTERNAL_ERROR;
		snprintf(v->exit.message, sizeof(v->exit.message),
			 "soft CPU: SSE form %s has no semantics (cpu_sse.c) at rip %#llx",
			 soft_forms[d->form].mnem, (unsigned long long)v->rip);
		soft_exit_unwind(v);
	}
}

void soft_fpu_reset(struct soft_fpu *f)
{
	memset(f, 0, sizeof(*f));
	f->mxcsr = SOFT_MXCSR_RESET;
	f->fcw = SOFT_FCW_RESET;
}
