/*
 * tests/soft/oracle_x87.c — differential test of the soft CPU's x87
 * instructions (cpu_x87.c) against two references: unicorn (QEMU's x87,
 * softfloat: an independent implementation) and the host processor
 * itself, running the same code natively.
 *
 * Each sequence starts with an FRSTOR of a random x87 state (random TOP,
 * tags, precision and rounding control, exception flags and masks, and
 * register values drawn from every class: zeros, denormals, infinities,
 * quiet and signalling NaNs, the indefinite, normals of every magnitude,
 * integers, and the unsupported encodings: pseudo-denormals, unnormals,
 * pseudo-NaNs), then runs 1..10 random x87 instructions, every documented
 * encoding the soft CPU implements, with memory operands of every size
 * through [r15+d8], [r15+r14*s+d8], [rip+d32] and page-crossing
 * [rip+d32] into a data area filled with values of those classes too.
 *
 * Every sequence must agree with the host on everything: registers, tags,
 * FCW, FSW to the bit, RFLAGS, AX, memory, the exception and where it
 * came, and FIP/FDP/FOP (relative to the code and data, where this host
 * keeps them: probe_host(); a difference there is run again first, as a
 * context switch may replace the host's own).  Three kinds of sequence:
 * - compared with unicorn too (1 in 2): every exception masked and kept
 *   masked (FLDCW loads a control word placed for it; no FLDENV/FRSTOR of
 *   random bytes), no signalling NaNs or unsupported encodings among the
 *   values, every load from a value placed for it, and the stack kept to a
 *   model (stack_step()); the soft CPU must agree with unicorn on the
 *   registers, tags, FCW, FSW but the bits below, RFLAGS (ZF, PF, CF), AX
 *   and memory.  A sequence with an instruction unicorn gets wrong (below)
 *   is compared with the host only;
 * - masked, with every kind of value and operand (1 in 4): the host only;
 * - "free" (1 in 4): random masks, FLDCW, FLDENV and FRSTOR of random
 *   bytes, pending exceptions: #MF must come at the same instruction, with
 *   the same state, as the host's (its SIGFPE).  Compared with the host
 *   only: unicorn 2.0.1 does not raise #MF for a pending exception before
 *   a waiting x87 instruction (QEMU checks only at FWAIT, and with its
 *   default CR0.NE clear not even there), so its results diverge from the
 *   first unmasked exception on.

 * Where unicorn (QEMU 5.0's x87 emulation) is wrong, shown against the
 * host (every such sequence also agrees with the host to the bit):
 * - it does not model stack faults (an empty register is read as its
 *   stale value, a push overwrites a full one, no IE/SF): masked sequences
 *   keep to a model of the stack (stack_step()) and never fault on it;
 * - it leaves out most exception flags (FSQRT of a negative number gives
 *   the indefinite without IE; PE, UE, DE are rarely raised) and does not
 *   set C1 on a rounded-up result: FSW's exception flags and C1 are
 *   compared with the host only.
 * - FCOMI/FUCOMI (and the popping forms) leave OF, SF and AF as they
 *   were; the SDM clears them: RFLAGS is compared on ZF, PF, CF only.
 * - FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2 ignore the rounding control
 *   (the SDM rounds the internal constant by it): with rounding other
 *   than to nearest, sequences with them are compared with the host only.
 * - FST/FSTP ST(i) leave the tag of an empty ST(i) empty: masked
 *   sequences store only into valid registers.
 * - Signalling NaNs converted from or to single or double precision (FLD,
 *   FST m32/m64) are not made quiet.  Sequences compared with unicorn (2 in
 *   3 masked ones) start with no signalling NaN in the registers or among
 *   the generated values (random bytes still make some), and a register or
 *   stored NaN that is unicorn's with the quiet bit set is accepted there.
 * - The encodings the SDM calls unsupported (pseudo-denormals, unnormals,
 *   pseudo-infinities and pseudo-NaNs) are numbers to it, invalid
 *   operands (IE, the indefinite) to the SDM and the host: they are in
 *   sequences compared with the host only.
 * - FSCALE rounds its result to the precision control (the SDM: only
 *   the arithmetic instructions and FSQRT do) and of two NaNs returns
 *   ST(1)'s, not the one with the larger significand: sequences with
 *   FSCALE are compared with the host only.
 * - Random bytes make signalling NaNs (which unicorn then propagates
 *   differently, above), unsupported encodings and invalid BCD digits
 *   (whose FBLD result the SDM leaves undefined): in sequences compared
 *   with unicorn, every load of a number reads a value placed for it, of
 *   its type and of every class but those, through [r15 + disp32]; the
 *   other addressing modes, page-crossing operands among them, are in the
 *   sequences compared with the host.
 * - FXTRACT of an infinity gives 1.0 and 2^14, not the infinities:
 *   sequences with FXTRACT are compared with the host only.
 * - FPREM and FPREM1 compute through a double (QEMU before 6.0): the
 *   remainder is wrong for most operands; sequences with them are
 *   compared with the host only.
 * - FBSTP of a NaN, an infinity or a value out of the 18-digit range
 *   does not store the packed-BCD indefinite: sequences with FBSTP are
 *   compared with the host only.
 * The rest of FSW (B, C3, TOP, C2, C0, ES, SF) is compared with unicorn,
 * in FSW itself, in AX after FNSTSW AX and in stored status words; C0, C2
 * and C3 while the SDM defines them (after a compare, FXAM, FPREM, and
 * through the instructions that leave them alone; most others leave them
 * "undefined", where unicorn and the host differ: the host keeps them).
 * Where a sequence stores an x87 environment (FNSTENV, FNSAVE), the
 * pointer fields of the stored image (FIP, FCS/FOP, FDP, FDS) are not
 * compared: unicorn's and the host's are their own code addresses; nor,
 * with unicorn, the reserved upper halves of its FCW, FSW, FTW and FDS
 * dwords (the host writes ones, unicorn zeros).
 *
 * The host run maps code and data at the same distance from each other as
 * in the guest, so RIP-relative operands reach the same bytes.
 *
 * Directed checks first (directed()): #NM from CR0.EM/TS, #MF at the next
 * waiting instruction and not at a non-waiting one, the exit with CR0.NE
 * clear, #UD of reserved encodings and of FISTTP, the exit naming a
 * transcendental, and stores of 10 and 28 bytes that cross into an
 * unmapped page faulting with nothing changed.
 *
 * Usage: oracle_x87 [SEQUENCES [SEED]] (default 30000 sequences, seed 1).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unicorn/unicorn.h>

#include "harness.h"
#include "vcpu/soft/cpu.h"

#define CODE_AT 0x10000u
#define DATA_AT 0x200000u
#define DATA_LEN 0x2000u
#define R15_VAL (DATA_AT + 0x200)
#define SLOT_AT 0x1100u       /* data offset of the 8 environment slots, 0x80 each */
#define CW_AT 0x1500u         /* data offset of the 8 control-word slots, 16 each */
#define SW_AT 0x1580u         /* data offset of the 16 status-word slots, 16 each */
#define IMG_AT 0x1800u        /* data offset of the initial FRSTOR image */
#define V80_AT 0x1a00u        /* data offset of the 16 loaded-value slots, 16 each */
#define MAX_CODE 512
#define MAX_INSNS 16

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

/* ---- the encodings under test ---- */

#define K_MEM 0x01u     /* memory form */
#define K_ENVST 0x02u   /* stores an environment / FSAVE image: to a slot, pointers not compared */
#define K_FREE 0x04u    /* only in free sequences (loads random control state) */
#define K_CW 0x08u      /* FLDCW: from a control-word slot */
#define K_ENVLD 0x10u   /* FLDENV/FRSTOR: from a slot */
#define K_HOST 0x20u    /* a sequence with it is compared with the host only (see the top) */
#define K_RC 0x40u      /* likewise unless rounding to nearest (the constants) */

struct enc {
	uint8_t opc, x;       /* x: modrm.reg of a memory form, else the modrm */
	uint8_t size, kind;
};

static struct enc encs[1024];
static unsigned nencs;

static void add(unsigned opc, unsigned x, unsigned size, unsigned kind)
{
	encs[nencs++] = (struct enc){ .opc = (uint8_t)opc, .x = (uint8_t)x, .size = (uint8_t)size,
				      .kind = (uint8_t)kind };
}

static void add_range(unsigned opc, unsigned from, unsigned to)
{
	for (unsigned m = from; m <= to; m++)
		add(opc, m, 0, 0);
}

/* Every documented x87 encoding cpu_x87.c implements (SDM vol. 2, the x87
 * opcode map of appendix A), written out independently of its tables. */
static void build_encs(void)
{
	for (unsigned r = 0; r < 8; r++) {
		add(0xd8, r, 4, K_MEM);
		add(0xda, r, 4, K_MEM);
		add(0xdc, r, 8, K_MEM);
		add(0xde, r, 2, K_MEM);
	}
	add(0xd9, 0, 4, K_MEM);
	add(0xd9, 2, 4, K_MEM);
	add(0xd9, 3, 4, K_MEM);
	add(0xd9, 4, 28, K_MEM | K_FREE | K_ENVLD);
	add(0xd9, 5, 2, K_MEM | K_CW);
	add(0xd9, 6, 28, K_MEM | K_ENVST);
	add(0xd9, 7, 2, K_MEM);
	add(0xdb, 0, 4, K_MEM);
	add(0xdb, 2, 4, K_MEM);
	add(0xdb, 3, 4, K_MEM);
	add(0xdb, 5, 10, K_MEM);
	add(0xdb, 7, 10, K_MEM);
	add(0xdd, 0, 8, K_MEM);
	add(0xdd, 2, 8, K_MEM);
	add(0xdd, 3, 8, K_MEM);
	add(0xdd, 4, 108, K_MEM | K_FREE | K_ENVLD);
	add(0xdd, 6, 108, K_MEM | K_ENVST);
	add(0xdd, 7, 2, K_MEM);
	add(0xdf, 0, 2, K_MEM);
	add(0xdf, 2, 2, K_MEM);
	add(0xdf, 3, 2, K_MEM);
	add(0xdf, 4, 10, K_MEM);
	add(0xdf, 5, 8, K_MEM);
	add(0xdf, 6, 10, K_MEM | K_HOST);
	add(0xdf, 7, 8, K_MEM);

	add_range(0xd8, 0xc0, 0xff);
	add_range(0xd9, 0xc0, 0xd0);
	static const uint8_t d9[] = { 0xe0, 0xe1, 0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed,
				      0xee, 0xf6, 0xf7, 0xfa, 0xfc, 0xfd };
	for (unsigned i = 0; i < sizeof(d9); i++)
		add(0xd9, d9[i], 0, d9[i] >= 0xe9 && d9[i] <= 0xed ? K_RC : d9[i] == 0xfd ? K_HOST : 0);
	add(0xd9, 0xf4, 0, K_HOST); /* fxtract */
	add(0xd9, 0xf5, 0, K_HOST); /* fprem1 */
	add(0xd9, 0xf8, 0, K_HOST); /* fprem */
	add_range(0xda, 0xc0, 0xdf);
	add(0xda, 0xe9, 0, 0);
	add_range(0xdb, 0xc0, 0xdf);
	add(0xdb, 0xe2, 0, 0);
	add(0xdb, 0xe3, 0, 0);
	add_range(0xdb, 0xe8, 0xf7);
	add_range(0xdc, 0xc0, 0xcf);
	add_range(0xdc, 0xe0, 0xff);
	add_range(0xdd, 0xc0, 0xc7);
	add_range(0xdd, 0xd0, 0xef);
	add_range(0xde, 0xc0, 0xcf);
	add(0xde, 0xd9, 0, 0);
	add_range(0xde, 0xe0, 0xff);
	add(0xdf, 0xe0, 0, 0);
	add_range(0xdf, 0xe8, 0xf7);
	add(0x9b, 0, 0, 0); /* fwait */
}

/* ---- values ---- */

/* No signalling NaNs (sequences compared with unicorn, see the top). */
static bool no_snan;

static void ext80(struct rng *r, uint8_t *p, bool weird)
{
	uint64_t m = rnd(r);
	unsigned e;
	unsigned c = rndn(r, weird ? 14 : 12);
	switch (c) {
	case 0: e = 0; m = 0; break;                                       /* zero */
	case 1: e = 0; m = (m >> rndn(r, 63)) & ~(1ull << 63); break;       /* denormal */
	case 2: e = 0x7fff; m = 1ull << 63; break;                          /* infinity */
	case 3: e = 0x7fff; m |= 3ull << 62; break;                         /* QNaN */
	case 4: e = 0x7fff; m = (m & ((1ull << 62) - 1)) | 1 | (1ull << 63) | (no_snan ? 1ull << 62 : 0); break; /* SNaN */
	case 5: e = 0x7fff; m = 3ull << 62; break;                          /* indefinite (sign below) */
	case 6: e = 1 + rndn(r, 0x7ffe); m |= 1ull << 63; break;             /* any normal */
	case 7: e = 0x3fff + rndn(r, 64); m = (m | 1ull << 63) & ~((1ull << (63 - (e - 0x3fff))) - 1); break; /* integer */
	case 8: e = 0x3fff - 70 + rndn(r, 140); m |= 1ull << 63; m &= ~0x7ffull; break; /* a double's */
	case 9: e = 0x3fff - 30 + rndn(r, 60); m |= 1ull << 63; m &= ~0xffffffffffull; break; /* a float's */
	case 10: e = rndn(r, 2) ? 1 + rndn(r, 64) : 0x7ffe - rndn(r, 64); m |= 1ull << 63; break; /* extremes */
	case 11: e = 0x3fff - 20 + rndn(r, 40); m |= 1ull << 63; break;
	case 12: e = 0; m |= 1ull << 63; break;                             /* pseudo-denormal */
	default: e = rndn(r, 0x8000); m &= ~(1ull << 63); if (!e) e = 1; break; /* unnormal, pseudo-NaN/inf */
	}
	bool neg = rnd(r) & 1;
	if (c == 5)
		neg = true;
	memcpy(p, &m, 8);
	uint16_t se = (uint16_t)(e | (neg ? 0x8000u : 0));
	memcpy(p + 8, &se, 2);
}

static uint64_t f64(struct rng *r)
{
	uint64_t m = rnd(r) & ((1ull << 52) - 1), s = (rnd(r) & 1) << 63, e;
	switch (rndn(r, 9)) {
	case 0: return s;
	case 1: return s | (m >> rndn(r, 52));                  /* denormal */
	case 2: return s | 0x7ff0000000000000ull;
	case 3: return s | 0x7ff8000000000000ull | (m >> 1);     /* QNaN */
	case 4: return s | 0x7ff0000000000000ull | (m >> 1) | 1 | (no_snan ? 1ull << 51 : 0); /* SNaN */
	case 5: e = 1 + rndn(r, 2046); break;
	case 6: /* an integer */
		e = 1023 + rndn(r, 53);
		m &= ~((1ull << (52 - (e - 1023))) - 1);
		break;
	default: e = 1023 - 40 + rndn(r, 80); break;
	}
	return s | e << 52 | m;
}

static uint32_t f32(struct rng *r)
{
	uint32_t m = (uint32_t)rnd(r) & ((1u << 23) - 1), s = ((uint32_t)rnd(r) & 1) << 31, e;
	switch (rndn(r, 8)) {
	case 0: return s;
	case 1: return s | (m >> rndn(r, 23));
	case 2: return s | 0x7f800000u;
	case 3: return s | 0x7fc00000u | (m >> 1);
	case 4: return s | 0x7f800000u | (m >> 1) | 1 | (no_snan ? 1u << 22 : 0);
	case 5: e = 1 + rndn(r, 254); break;
	default: e = 127 - 20 + rndn(r, 40); break;
	}
	return s | e << 23 | m;
}

static uint64_t int64v(struct rng *r)
{
	switch (rndn(r, 5)) {
	case 0: return (uint64_t)(int64_t)(int16_t)rnd(r);
	case 1: return (uint64_t)(int64_t)(int32_t)rnd(r);
	case 2: return 1ull << 63;
	case 3: return rnd(r) >> rndn(r, 64);
	default: return rnd(r);
	}
}

/* Fill the data area with values of every class at 8-byte granules (and
 * 10-byte extended values at 16-byte ones). */
static void fill_data(struct rng *r, uint8_t *data, bool weird)
{
	for (unsigned i = 0; i < DATA_LEN; i += 16) {
		for (unsigned h = 0; h < 16; h += 8) {
			uint64_t x;
			switch (rndn(r, 6)) {
			case 0: x = f64(r); break;
			case 1: x = f32(r) | (uint64_t)f32(r) << 32; break;
			case 2: x = int64v(r); break;
			case 3: {
				uint8_t e[10];
				ext80(r, e, weird);
				memcpy(data + i, e, 10);
				h = 16;
				continue;
			}
			case 4: x = (uint64_t)(uint16_t)int64v(r) | (uint64_t)(uint32_t)int64v(r) << 16 |
				    (uint64_t)(uint16_t)rnd(r) << 48; break;
			default: x = rnd(r); break;
			}
			memcpy(data + i + h, &x, 8);
		}
	}
}

/* An FSAVE image (32-bit protected-mode format) of a random state. */
static void make_image(struct rng *r, uint8_t *img, bool masked, bool weird)
{
	memset(img, 0, 108);
	static const uint16_t pcs[] = { 0, 2, 3, 3 };
	uint16_t masks = masked ? 0x3f : (uint16_t)(rndn(r, 2) ? 0x3f & rnd(r) : 0x3f);
	uint16_t fcw = (uint16_t)(0x40 | masks | pcs[rndn(r, 4)] << 8 | rndn(r, 4) << 10);
	uint16_t flags = rndn(r, 3) == 0 ? (uint16_t)(rnd(r) & 0x7f) : 0;
	if (masked)
		flags &= 0x3f; /* no stack fault left over either: SF alone is harmless but keep it simple */
	uint16_t fsw = (uint16_t)(flags | (rnd(r) & 0x4700) | rndn(r, 8) << 11);
	if (fsw & ~fcw & 0x3f)
		fsw |= 0x8080;
	uint16_t tw = 0;
	for (unsigned i = 0; i < 8; i++)
		if (rndn(r, 3) == 0)
			tw |= (uint16_t)(3u << (2 * i));
	memcpy(img + 0, &fcw, 2);
	memcpy(img + 4, &fsw, 2);
	memcpy(img + 8, &tw, 2);
	for (unsigned i = 0; i < 8; i++)
		ext80(r, img + 28 + 10 * i, weird);
}


/* ---- the stack model of masked sequences ----
 * unicorn 2.0.1 (QEMU 5) does not model stack faults: it reads an empty
 * register's stale value and pushes over a full one without IE/SF.  So
 * masked sequences only use registers that are valid and push onto empty
 * ones, which this model of TOP and the tags follows (SDM vol. 2, each
 * instruction's operation): ST(i) that must be valid, pushes, pops. */
struct stk {
	unsigned top;
	uint8_t valid;            /* bit r: R[r] valid */
};

static bool st_ok(const struct stk *k, unsigned i)
{
	return (k->valid >> ((k->top + i) & 7)) & 1;
}

/* Apply e to *k; false (k unchanged) when it would fault on the stack. */
static bool stack_step(const struct enc *e, struct stk *k)
{
	unsigned o = e->opc, x = e->x, i = x & 7, reads = 0, pops = 0;
	unsigned push = 0, pushr = 0;
	struct stk n = *k;
	if (o == 0x9b)
		return true;
	if (e->kind & K_MEM) {
		switch (o) {
		case 0xd8: case 0xda: case 0xdc: case 0xde:
			reads = 1;
			pops = x == 3;
			break;
		case 0xd9:
			push = x == 0;
			reads = x == 2 || x == 3;
			pops = x == 3;
			break;
		case 0xdb:
			push = x == 0 || x == 5;
			reads = x == 2 || x == 3 || x == 7;
			pops = x == 3 || x == 7;
			break;
		case 0xdd:
			if (x == 6) {
				n.top = 0;
				n.valid = 0;
				*k = n;
				return true;
			}
			push = x == 0;
			reads = x == 2 || x == 3;
			pops = x == 3;
			break;
		default: /* df */
			push = x == 0 || x == 4 || x == 5;
			reads = x == 2 || x == 3 || x == 6 || x == 7;
			pops = x == 3 || x == 6 || x == 7;
			break;
		}
		if (reads && !st_ok(k, 0))
			return false;
	} else {
		unsigned need = 0; /* bits: ST(j) must be valid */
		switch (o) {
		case 0xd8: case 0xdc:
			need = 1u | 1u << i;
			pops = o == 0xd8 && (x >> 3) == 0x1b; /* fcomp */
			break;
		case 0xd9:
			if (x < 0xc8) {
				need = 1u << i;
				pushr = true;
			} else if (x < 0xd0) {
				need = 1u | 1u << i;
			} else if (x == 0xd0 || x == 0xe5) {
				need = 0;
			} else if (x >= 0xe8 && x <= 0xee) {
				push = true;
			} else if (x == 0xf4) {
				need = 1;
				push = true;
			} else if (x == 0xf5 || x == 0xf8 || x == 0xfd) {
				need = 3;
			} else if (x == 0xf6) {
				n.top = (n.top - 1) & 7;
			} else if (x == 0xf7) {
				n.top = (n.top + 1) & 7;
			} else {
				need = 1;
			}
			break;
		case 0xda:
			need = x == 0xe9 ? 3 : 1u | 1u << i;
			pops = x == 0xe9 ? 2 : 0;
			break;
		case 0xdb:
			if (x == 0xe2)
				break;
			if (x == 0xe3) {
				n.top = 0;
				n.valid = 0;
				*k = n;
				return true;
			}
			need = 1u | 1u << i;
			break;
		case 0xdd:
			if (x < 0xc8) {
				n.valid &= (uint8_t)~(1u << ((n.top + i) & 7));
			} else if (x < 0xe0) {
				/* fst(p) st(i): into a valid ST(i) only (unicorn
				 * leaves an empty one tagged empty) */
				need = 1u | 1u << i;
				pops = x >= 0xd8;
			} else {
				need = 1u | 1u << i;
				pops = x >= 0xe8;
			}
			break;
		case 0xde:
			need = x == 0xd9 ? 3 : 1u | 1u << i;
			pops = x == 0xd9 ? 2 : 1;
			break;
		default: /* df */
			if (x == 0xe0)
				break;
			need = 1u | 1u << i;
			pops = 1;
			break;
		}
		for (unsigned j = 0; j < 8; j++)
			if ((need >> j) & 1 && !st_ok(k, j))
				return false;
		if (o == 0xdd && x >= 0xd0 && x < 0xe0)
			n.valid |= (uint8_t)(1u << ((n.top + i) & 7)); /* fst(p) st(i) fills it */
	}
	if (push || pushr) {
		if (st_ok(&n, 7))
			return false;
		n.top = (n.top - 1) & 7;
		n.valid |= (uint8_t)(1u << n.top);
	}
	for (unsigned p = 0; p < pops; p++) {
		n.valid &= (uint8_t)~(1u << n.top);
		n.top = (n.top + 1) & 7;
	}
	*k = n;
	return true;
}

/* ---- sequences ---- */

struct seq {
	uint8_t code[MAX_CODE];
	unsigned len, n;
	bool masked;
	bool host_only;           /* holds a K_HOST instruction */
	unsigned body;            /* offset of the first instruction after the FRSTOR */
	struct {
		unsigned off, len;
	} in[MAX_INSNS];
	struct {
		unsigned at, len;      /* data offsets not compared */
		bool uc_only;          /* ... with unicorn */
	} ign[4 * MAX_INSNS];
	unsigned nign;
	struct {
		unsigned at;
		uint16_t cw;
	} cw[8];
	unsigned ncw, nslot;
	struct {
		unsigned at;
		uint8_t v[10];
	} v80[16];                 /* operands placed for the loads of unicorn-compared sequences */
	unsigned nv80;
	bool uc;                   /* to be compared with unicorn */
	unsigned fswat[MAX_INSNS];  /* data offsets of stored status words */
	uint16_t fswdef[MAX_INSNS]; /* their bits unicorn is compared on */
	unsigned nfsw;
	bool cc;                   /* C0, C2, C3 defined (SDM) at this point */
	unsigned rc;               /* rounding control at this point (masked sequences) */
	uint16_t axdef;            /* AX bits compared: FNSTSW AX's defined ones */
};

/* The FSW bits compared with unicorn: B, C3, TOP, C2, C0, ES, SF; the
 * condition codes only while the SDM defines them. */
#define UC_FSW 0xfdc0u
#define CC_BITS 0x4500u

static uint16_t uc_fsw_mask(const struct seq *s)
{
	return (uint16_t)(s->cc ? UC_FSW : UC_FSW & ~CC_BITS);
}

/* What e leaves C0, C2 and C3: 1 defined (compares, FXAM, FPREM, and the
 * loads and clears of the whole state), 2 as they were (FCOMI, FWAIT),
 * 0 undefined (all other instructions: SDM vol. 2, "FPU flags affected"). */
static unsigned cc_after(const struct enc *e)
{
	unsigned o = e->opc, x = e->x;
	if (o == 0x9b)
		return 2;
	if (e->kind & K_MEM) {
		if ((o == 0xd8 || o == 0xda || o == 0xdc || o == 0xde) && (x == 2 || x == 3))
			return 1;
		if ((o == 0xd9 && x == 4) || (o == 0xdd && (x == 4 || x == 6)))
			return 1;
		return 0;
	}
	if ((o == 0xd8 && x >= 0xd0 && x < 0xe0) || (o == 0xdd && x >= 0xe0 && x < 0xf0) ||
	    (o == 0xda && x == 0xe9) || (o == 0xde && x == 0xd9) ||
	    (o == 0xd9 && (x == 0xe4 || x == 0xe5 || x == 0xf5 || x == 0xf8)) ||
	    (o == 0xdb && x == 0xe3))
		return 1;
	if ((o == 0xdb || o == 0xdf) && x >= 0xe8 && x < 0xf8)
		return 2;
	return 0;
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

/* [r15 + disp32] with the data offset `at`. */
static void emit_slot(struct seq *s, unsigned opc, unsigned reg, unsigned at)
{
	emit1(s, 0x41);
	emit1(s, (uint8_t)opc);
	emit1(s, (uint8_t)(0x80 | reg << 3 | 7));
	emitn(s, (uint32_t)(at - (R15_VAL - DATA_AT)), 4);
}

/* A memory form that reads a number (not FLDCW, FLDENV, FRSTOR). */
static bool mem_reads(const struct enc *e)
{
	if (!(e->kind & K_MEM))
		return false;
	switch (e->opc) {
	case 0xd8: case 0xda: case 0xdc: case 0xde:
		return true;
	case 0xd9: case 0xdd:
		return e->x == 0;
	case 0xdb:
		return e->x == 0 || e->x == 5;
	default:
		return e->x == 0 || e->x == 4 || e->x == 5;
	}
}

/* A value of the type e reads, of every class but the signalling NaNs
 * and the unsupported encodings. */
static void place_value(struct rng *r, const struct enc *e, uint8_t *v)
{
	uint64_t x;
	memset(v, 0, 10);
	switch (e->size) {
	case 2: x = int64v(r); memcpy(v, &x, 2); return;
	case 4:
		if (e->opc == 0xd8 || e->opc == 0xd9) {
			uint32_t f = f32(r);
			memcpy(v, &f, 4);
		} else {
			x = int64v(r);
			memcpy(v, &x, 4);
		}
		return;
	case 8:
		x = e->opc == 0xdf ? int64v(r) : f64(r);
		memcpy(v, &x, 8);
		return;
	default:
		if (e->opc == 0xdb) {
			ext80(r, v, false);
		} else {
			for (unsigned b = 0; b < 9; b++)
				v[b] = (uint8_t)(rndn(r, 10) | rndn(r, 10) << 4);
			v[9] = rndn(r, 2) ? 0x80 : 0;
		}
	}
}

static void gen_insn(struct seq *s, struct rng *r, const struct enc *e)
{
	unsigned start = s->len;
	if ((e->kind & K_HOST) || ((e->kind & K_RC) && s->rc != 0))
		s->host_only = true;
	if ((e->opc == 0xdb && e->x == 0xe3) || (e->opc == 0xdd && e->x == 6 && (e->kind & K_MEM))) {
		s->rc = 0; /* fninit, fnsave */
	}
	if (e->opc == 0x9b) {
		emit1(s, 0x9b);
	} else if (!(e->kind & K_MEM)) {
		emit1(s, e->opc);
		emit1(s, e->x);
	} else if (e->kind & (K_ENVST | K_ENVLD)) {
		unsigned at = SLOT_AT + 0x80 * (s->nslot++ & 7);
		emit_slot(s, e->opc, e->x, at);
		if (e->kind & K_ENVST) {
			s->ign[s->nign].at = at + 12;
			s->ign[s->nign].len = 14;
			s->nign++;
			for (unsigned k = 0; k < 4; k++) {
				/* the reserved upper halves of FCW, FSW, FTW, FDS */
				s->ign[s->nign].at = at + (k == 3 ? 26 : 4 * k + 2);
				s->ign[s->nign].len = 2;
				s->ign[s->nign].uc_only = true;
				s->nign++;
			}
			s->fswdef[s->nfsw] = uc_fsw_mask(s);
			s->fswat[s->nfsw++] = at + 4;
		}
	} else if (e->opc == 0xdd && e->x == 7 && s->masked) {
		/* fnstsw m16: where the compare with unicorn can find it */
		unsigned at = SW_AT + 16 * (s->nfsw & 15);
		emit_slot(s, e->opc, e->x, at);
		s->fswdef[s->nfsw] = uc_fsw_mask(s);
		s->fswat[s->nfsw++] = at;
	} else if (s->uc && mem_reads(e)) {
		/* From a value placed for it (see the top of the file). */
		unsigned k = s->nv80++ & 15, at = V80_AT + 16 * k;
		emit_slot(s, e->opc, e->x, at);
		s->v80[k].at = at;
		place_value(r, e, s->v80[k].v);
	} else if ((e->kind & K_CW) && s->masked) {
		unsigned at = CW_AT + 16 * (s->ncw & 7);
		emit_slot(s, e->opc, e->x, at);
		static const uint16_t pcs[] = { 0, 2, 3, 3 };
		s->cw[s->ncw & 7].at = at;
		s->cw[s->ncw & 7].cw = (uint16_t)(0x7f | pcs[rndn(r, 4)] << 8 | rndn(r, 4) << 10);
		s->rc = (s->cw[s->ncw & 7].cw >> 10) & 3;
		s->ncw++;
	} else {
		unsigned mode = rndn(r, 4);
		int disp = (int)rndn(r, 256) - 128;
		if (rndn(r, 2))
			disp &= ~7;
		if (mode == 0) {
			emit1(s, 0x41);
			emit1(s, e->opc);
			emit1(s, (uint8_t)(0x40 | e->x << 3 | 7));
			emit1(s, (uint8_t)disp);
		} else if (mode == 1) {
			emit1(s, 0x43);
			emit1(s, e->opc);
			emit1(s, (uint8_t)(0x44 | e->x << 3));
			emit1(s, (uint8_t)(rndn(r, 4) << 6 | 6 << 3 | 7));
			emit1(s, (uint8_t)disp);
		} else {
			emit1(s, e->opc);
			emit1(s, (uint8_t)(0x05 | e->x << 3));
			uint64_t target = mode == 3 ? DATA_AT + 0x1000 - 1 - rndn(r, e->size > 1 ? e->size - 1 : 1)
						    : DATA_AT + 0x100 + (rndn(r, 0xd00) & (rndn(r, 2) ? ~7u : ~0u));
			uint64_t next = CODE_AT + s->len + 4;
			emitn(s, (uint32_t)(int32_t)(target - next), 4);
		}
	}
	if (e->opc == 0xdf && e->x == 0xe0)
		s->axdef = uc_fsw_mask(s);
	unsigned c = cc_after(e);
	if (c != 2)
		s->cc = c == 1;
	s->in[s->n].off = start;
	s->in[s->n].len = s->len - start;
	s->n++;
}

/* A masked sequence starts from the state in img and keeps to the stack model. */
static void gen_seq(struct seq *s, struct rng *r, bool masked, const uint8_t *img)
{
	memset(s, 0, sizeof(*s));
	s->masked = masked;
	s->uc = masked && no_snan;
	s->cc = true;
	s->axdef = 0xffff;
	/* frstor [r15 + IMG] */
	emit_slot(s, 0xdd, 4, IMG_AT);
	s->body = s->len;
	uint16_t fsw, tw, fcw;
	memcpy(&fcw, img, 2);
	s->rc = (fcw >> 10) & 3;
	memcpy(&fsw, img + 4, 2);
	memcpy(&tw, img + 8, 2);
	struct stk k = { .top = (fsw >> 11) & 7u, .valid = 0 };
	for (unsigned i = 0; i < 8; i++)
		if (((tw >> (2 * i)) & 3) != 3)
			k.valid |= (uint8_t)(1u << i);
	unsigned n = 1 + rndn(r, 10);
	for (unsigned i = 0; i < n; i++) {
		const struct enc *e;
		for (;;) {
			e = &encs[rndn(r, nencs)];
			if (!masked)
				break;
			if (!(e->kind & K_FREE) && stack_step(e, &k))
				break;
		}
		gen_insn(s, r, e);
	}
}

/* ---- the three runs ---- */

struct x87s {
	uint16_t fcw, fsw, ftw;   /* ftw abridged: bit i = R[i] valid */
	uint16_t fop;
	uint64_t fip, fdp;
	uint8_t st[8][10];        /* by physical register */
	uint64_t rax, rflags, rip;
	int exc;                  /* vector, or -1 */
	uint8_t data[DATA_LEN];
};

static void run_soft(struct th *t, const struct seq *s, const uint8_t *data, uint64_t rax,
		     uint64_t rflags, uint64_t r14, struct x87s *o)
{
	memcpy(t->mem + CODE_AT, s->code, s->len);
	t->mem[CODE_AT + s->len] = 0xf4;
	soft_machine_code_written(t->m, CODE_AT, s->len + 1);
	memcpy(t->mem + DATA_AT, data, DATA_LEN);
	struct engine_regs r = { 0 };
	r.rax = rax;
	r.r14 = r14;
	r.r15 = R15_VAL;
	r.rsp = DATA_AT + 0x1f00;
	r.rip = CODE_AT;
	r.rflags = rflags;
	th_set_regs(t, &r);
	struct soft_vcpu *v = soft_vcpu_of(t->vcpu);
	memset(&v->fpu, 0, sizeof(v->fpu));
	v->fpu.fcw = SOFT_FCW_RESET;
	struct engine_exit *x = th_run(t);
	struct engine_regs g = th_regs(t);
	o->rax = g.rax;
	o->rflags = g.rflags;
	o->rip = g.rip;
	if (x->reason == ENGINE_EXIT_HLT) {
		o->exc = -1;
		o->rip -= 1;
	} else {
		CHECK(x->reason == ENGINE_EXIT_INTERCEPT && x->intercept.cause == ENGINE_ICPT_EXCEPTION,
		      "soft exit %s %s", engine_exit_reason_name(x->reason), x->message);
		o->exc = x->intercept.vector;
	}
	o->fcw = v->fpu.fcw;
	o->fsw = v->fpu.fsw;
	o->ftw = v->fpu.ftw;
	o->fop = v->fpu.fop;
	o->fip = v->fpu.fip;
	o->fdp = v->fpu.fdp;
	for (unsigned i = 0; i < 8; i++) {
		memcpy(o->st[i], v->fpu.st[i], 10);
		for (unsigned k = 10; k < 16; k++)
			CHECK(v->fpu.st[i][k] == 0, "R%u padding byte %u is %#x", i, k, v->fpu.st[i][k]);
	}
	memcpy(o->data, t->mem + DATA_AT, DATA_LEN);
}

static uc_engine *uc_setup(void)
{
	uc_engine *uc;
	uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
	CHECK(e == UC_ERR_OK, "uc_open: %s", uc_strerror(e));
	e = uc_ctl_set_cpu_model(uc, UC_CPU_X86_HASWELL);
	CHECK(e == UC_ERR_OK, "cpu model: %s", uc_strerror(e));
	CHECK(uc_mem_map(uc, CODE_AT, 0x1000, UC_PROT_ALL) == UC_ERR_OK, "map code");
	CHECK(uc_mem_map(uc, DATA_AT, DATA_LEN, UC_PROT_ALL) == UC_ERR_OK, "map data");
	return uc;
}

static void run_uc(uc_engine *uc, const struct seq *s, const uint8_t *data, uint64_t rax,
		   uint64_t rflags, uint64_t r14, struct x87s *o)
{
	uint8_t code[MAX_CODE + 1];
	memcpy(code, s->code, s->len);
	code[s->len] = 0xf4;
	CHECK(uc_mem_write(uc, CODE_AT, code, s->len + 1) == UC_ERR_OK, "code");
	uc_ctl_remove_cache(uc, CODE_AT, CODE_AT + MAX_CODE);
	CHECK(uc_mem_write(uc, DATA_AT, data, DATA_LEN) == UC_ERR_OK, "data");
	uint64_t r15 = R15_VAL, rsp = DATA_AT + 0x1f00;
	uc_reg_write(uc, UC_X86_REG_RAX, &rax);
	uc_reg_write(uc, UC_X86_REG_R14, &r14);
	uc_reg_write(uc, UC_X86_REG_R15, &r15);
	uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
	uc_reg_write(uc, UC_X86_REG_EFLAGS, &rflags);
	uc_err e = uc_emu_start(uc, CODE_AT, CODE_AT + s->len, 0, 0);
	CHECK(e == UC_ERR_OK, "unicorn: %s", uc_strerror(e));
	uc_reg_read(uc, UC_X86_REG_RAX, &o->rax);
	uc_reg_read(uc, UC_X86_REG_EFLAGS, &o->rflags);
	uc_reg_read(uc, UC_X86_REG_RIP, &o->rip);
	o->exc = -1;
	uc_reg_read(uc, UC_X86_REG_FPCW, &o->fcw);
	uc_reg_read(uc, UC_X86_REG_FPSW, &o->fsw);
	uint16_t tw;
	uc_reg_read(uc, UC_X86_REG_FPTAG, &tw);
	o->ftw = 0;
	for (unsigned i = 0; i < 8; i++)
		if (((tw >> (2 * i)) & 3) != 3)
			o->ftw |= (uint16_t)(1u << i);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t b[16] = { 0 };
		uc_reg_read(uc, UC_X86_REG_FP0 + (int)i, b);
		memcpy(o->st[i], b, 10);
	}
	o->fop = 0;
	o->fip = o->fdp = 0;
	uc_mem_read(uc, DATA_AT, o->data, DATA_LEN);
}

/* The host: code and data at their guest distance inside one mapping. */
static uint8_t *region;
static sigjmp_buf fpe_jb;
static struct x87s *fpe_out;

static void on_sigfpe(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ctx;
	const struct _libc_fpstate *f = uc->uc_mcontext.fpregs;
	struct x87s *o = fpe_out;
	o->exc = 16;
	o->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	o->rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
	o->rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	o->fcw = f->cwd;
	o->fsw = f->swd;
	o->ftw = f->ftw;
	o->fop = f->fop;
	o->fip = f->rip;
	o->fdp = f->rdp;
	unsigned top = (o->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++)
		memcpy(o->st[(top + i) & 7], &f->_st[i], 10);
	siglongjmp(fpe_jb, 1);
}

static __attribute__((noinline)) void native_call(uint8_t *code, uint64_t r14v, uint64_t *rax,
						  uint64_t *fl, uint8_t *img)
{
	uint8_t host[108] __attribute__((aligned(16)));
	register uint64_t r14 __asm__("r14") = r14v;
	register uint64_t r15 __asm__("r15") = (uint64_t)(uintptr_t)(region + R15_VAL);
	uint64_t f = (*fl & SOFT_ARITH) | 2, a = *rax;
	__asm__ volatile(
		"fnsave (%[host])\n\t"
		"lea -128(%%rsp), %%rsp\n\t"
		"pushq %[f]\n\t"
		"popfq\n\t"
		"call *%[code]\n\t"
		"pushfq\n\t"
		"popq %[f]\n\t"
		"lea 128(%%rsp), %%rsp\n\t"
		"fnsave (%[img])\n\t"
		"frstor (%[host])\n\t"
		: [f] "+r"(f), "+a"(a), "+r"(r14), "+r"(r15)
		: [host] "r"(host), [img] "r"(img), [code] "r"(code)
		: "memory", "cc"); /* the sequences write only AX, RFLAGS, x87 state and memory */
	*fl = f;
	*rax = a;
}

static void run_host(const struct seq *s, const uint8_t *data, uint64_t rax, uint64_t rflags,
		     uint64_t r14, struct x87s *o)
{
	uint8_t *code = region + CODE_AT;
	memcpy(code, s->code, s->len);
	code[s->len] = 0xc3; /* ret */
	memcpy(region + DATA_AT, data, DATA_LEN);
	__builtin___clear_cache((char *)code, (char *)code + s->len + 1);
	fpe_out = o;
	uint8_t img[108] __attribute__((aligned(16)));
	if (sigsetjmp(fpe_jb, 1) == 0) {
		uint64_t a = rax, f = rflags;
		native_call(code, r14, &a, &f, img);
		o->exc = -1;
		o->rax = a;
		o->rflags = f;
		o->rip = (uint64_t)(uintptr_t)(code + s->len);
		memcpy(&o->fcw, img + 0, 2);
		memcpy(&o->fsw, img + 4, 2);
		uint16_t tw;
		memcpy(&tw, img + 8, 2);
		o->ftw = 0;
		for (unsigned i = 0; i < 8; i++)
			if (((tw >> (2 * i)) & 3) != 3)
				o->ftw |= (uint16_t)(1u << i);
		uint32_t fip, fdp;
		uint16_t fop;
		memcpy(&fip, img + 12, 4);
		memcpy(&fop, img + 18, 2);
		memcpy(&fdp, img + 20, 4);
		o->fip = fip;
		o->fop = fop & 0x7ff;
		o->fdp = fdp;
		unsigned top = (o->fsw >> 11) & 7;
		for (unsigned i = 0; i < 8; i++)
			memcpy(o->st[(top + i) & 7], img + 28 + 10 * i, 10);
	}
	/* After a SIGFPE, the handler's fresh FPU state is the host's now:
	 * the default one, which this test does not depend on. */
	o->rip -= (uint64_t)(uintptr_t)region; /* guest-relative, like the others */
	memcpy(o->data, region + DATA_AT, DATA_LEN);
}

/* How this host keeps FOP and FDP, which vendors and generations do
 * differently (FOP and FDP "deprecation": updated only on unmasked
 * exceptions; FDP cleared by some instructions without a memory operand);
 * the soft CPU always updates both and keeps FDP across register forms
 * (cpu_x87.c): FOP is compared where this host keeps it, FDP where this
 * host keeps it and has not cleared it. */
static bool host_fop, host_fdp_mem, host_fdp_reg_zero;

static void probe_host(void)
{
	uint8_t h[108] __attribute__((aligned(16))), i1[108] __attribute__((aligned(16))),
		i2[108] __attribute__((aligned(16)));
	static float one = 1.0f;
	__asm__ volatile("fnsave (%[h])\n\t"
			 "flds (%[m])\n\t"
			 "fnsave (%[i1])\n\t"
			 "flds (%[m])\n\t"
			 "fld %%st(0)\n\t"
			 "fnsave (%[i2])\n\t"
			 "frstor (%[h])\n\t"
			 :
			 : [h] "r"(h), [i1] "r"(i1), [i2] "r"(i2), [m] "r"(&one)
			 : "memory");
	uint32_t fdp1, fdp2;
	uint16_t fop1, fop2;
	memcpy(&fdp1, i1 + 20, 4);
	memcpy(&fdp2, i2 + 20, 4);
	memcpy(&fop1, i1 + 18, 2);
	memcpy(&fop2, i2 + 18, 2);
	host_fop = (fop1 & 0x700) == 0x100 && (fop2 & 0x7ff) == 0x1c0; /* d9 /0 m32, d9 c0 */
	host_fdp_mem = fdp1 == (uint32_t)(uintptr_t)&one;
	host_fdp_reg_zero = fdp2 == 0;
}

/* ---- comparing ---- */

static const char *cmp_what;

static bool ignored(const struct seq *s, unsigned i, bool uc)
{
	for (unsigned k = 0; k < s->nign; k++)
		if (i >= s->ign[k].at && i < s->ign[k].at + s->ign[k].len && (uc || !s->ign[k].uc_only))
			return true;
	return false;
}

static bool fsw_byte(const struct seq *s, unsigned i)
{
	for (unsigned k = 0; k < s->nfsw; k++)
		if (i == s->fswat[k] || i == s->fswat[k] + 1)
			return true;
	return false;
}

/* A pointer (FIP, FDP) is the same when equal, or equal relative to the
 * run's code or data base (the host's are its own addresses, 32-bit in
 * an FSAVE image). */
static bool same_ptr(uint64_t soft, uint64_t host, uint64_t hbase, uint64_t gbase, bool is32)
{
	if (soft == host)
		return true;
	uint64_t a = soft - gbase, b = host - hbase;
	if (is32)
		return (uint32_t)a == (uint32_t)b;
	return a == b;
}

/* unicorn does not make a signalling NaN quiet when it converts one
 * between single or double and extended precision (see the top): x (the
 * soft CPU's) is then y (unicorn's) with the quiet bit set.  For an
 * extended register, and for a byte of memory that holds the quiet bit of
 * a single, double or extended NaN. */
static bool quieted_ext(const uint8_t *x, const uint8_t *y)
{
	uint64_t mx, my;
	uint16_t ex, ey;
	memcpy(&mx, x, 8);
	memcpy(&my, y, 8);
	memcpy(&ex, x + 8, 2);
	memcpy(&ey, y + 8, 2);
	return ex == ey && (ex & 0x7fff) == 0x7fff && mx == (my | 1ull << 62) && mx != my &&
	       (my & ((1ull << 62) - 1)) != 0;
}

static bool quieted_byte(const uint8_t *x, const uint8_t *y, unsigned i)
{
	if ((x[i] ^ y[i]) == 0x40 && i >= 2 && i + 1 < DATA_LEN) {
		uint32_t a, b;
		memcpy(&a, x + i - 2, 4);
		memcpy(&b, y + i - 2, 4);
		if ((a & 0x7fc00000u) == 0x7fc00000u && a == (b | 1u << 22) && (b & 0x3fffffu))
			return true;
	}
	if ((x[i] ^ y[i]) == 0x08 && i >= 6 && i + 1 < DATA_LEN) {
		uint64_t a, b;
		memcpy(&a, x + i - 6, 8);
		memcpy(&b, y + i - 6, 8);
		if ((a & 0x7ff8000000000000ull) == 0x7ff8000000000000ull && a == (b | 1ull << 51) &&
		    (b & ((1ull << 51) - 1)))
			return true;
	}
	if ((x[i] ^ y[i]) == 0x40 && i >= 7 && i + 2 < DATA_LEN && quieted_ext(x + i - 7, y + i - 7))
		return true;
	return false;
}

static bool compare(const struct seq *s, const struct x87s *a, const struct x87s *b,
		    bool host, uint16_t fsw_mask)
{
	if (a->exc != b->exc) {
		cmp_what = "exception";
		return false;
	}
	if (a->rip != b->rip) {
		cmp_what = "rip";
		return false;
	}
	if (a->fcw != b->fcw) {
		cmp_what = "fcw";
		return false;
	}
	if ((a->fsw ^ b->fsw) & fsw_mask) {
		cmp_what = "fsw";
		return false;
	}
	if ((a->ftw ^ b->ftw) & 0xff) {
		cmp_what = "tags";
		return false;
	}
	for (unsigned i = 0; i < 8; i++)
		if (memcmp(a->st[i], b->st[i], 10) != 0 && (host || !quieted_ext(a->st[i], b->st[i]))) {
			cmp_what = "registers";
			return false;
		}
	if ((a->rflags ^ b->rflags) & (fsw_mask == 0xffff ? SOFT_ARITH : SOFT_ZF | SOFT_PF | SOFT_CF)) {
		cmp_what = "rflags";
		return false;
	}
	if ((a->rax ^ b->rax) & (fsw_mask == 0xffff ? 0xffff : s->axdef)) { /* only FNSTSW AX writes it */
		cmp_what = "ax";
		return false;
	}
	for (unsigned i = 0; i < DATA_LEN; i++)
		if (a->data[i] != b->data[i] && !ignored(s, i, !host) &&
		    (host || (!fsw_byte(s, i) && !quieted_byte(a->data, b->data, i)))) {
			cmp_what = "memory";
			return false;
		}
	for (unsigned k = 0; k < s->nfsw && fsw_mask != 0xffff; k++) {
		/* Stored status words, compared as FSW is. */
		unsigned at = s->fswat[k];
		uint16_t x = (uint16_t)(a->data[at] | a->data[at + 1] << 8);
		uint16_t y = (uint16_t)(b->data[at] | b->data[at + 1] << 8);
		if ((x ^ y) & s->fswdef[k]) {
			cmp_what = "stored fsw";
			return false;
		}
	}
	if (host) {
		uint64_t hcode = (uint64_t)(uintptr_t)region;
		bool is32 = a->exc < 0; /* FNSAVE image: 32-bit; signal frame: 64-bit */
		if (!same_ptr(a->fip, b->fip, hcode, 0, is32)) {
			cmp_what = "fip";
			return false;
		}
		bool fdp_kept = host_fdp_mem && (is32 ? (uint32_t)b->fdp : b->fdp) != 0;
		if (fdp_kept && !same_ptr(a->fdp, b->fdp, hcode, 0, is32)) {
			cmp_what = "fdp";
			return false;
		}
		if (host_fop && a->fop != b->fop) {
			cmp_what = "fop";
			return false;
		}
	}
	return true;
}

static void dump_state(const char *name, const struct x87s *x)
{
	fprintf(stderr, "%-8s exc %d rip +%#" PRIx64 " fcw %04x fsw %04x ftw %02x fop %03x fip %#" PRIx64
		" fdp %#" PRIx64 " ax %04x rflags %03x\n", name, x->exc, x->rip - CODE_AT, x->fcw,
		x->fsw, x->ftw, x->fop, x->fip, x->fdp, (unsigned)(x->rax & 0xffff),
		(unsigned)(x->rflags & SOFT_ARITH));
	for (unsigned i = 0; i < 8; i++) {
		uint64_t m;
		uint16_t e;
		memcpy(&m, x->st[i], 8);
		memcpy(&e, x->st[i] + 8, 2);
		fprintf(stderr, "  R%u %04x %016" PRIx64 "%s", i, e, m, i % 2 ? "\n" : "");
	}
}

static void dump(const struct seq *s, const uint8_t *img, const struct x87s *a,
		 const struct x87s *b, const char *bname)
{
	fprintf(stderr, "%s sequence (%s):\n", s->masked ? "masked" : "free", cmp_what);
	for (unsigned i = 0; i < s->n; i++) {
		fprintf(stderr, "  +%-4u", s->in[i].off);
		for (unsigned k = 0; k < s->in[i].len; k++)
			fprintf(stderr, " %02x", s->code[s->in[i].off + k]);
		fputc('\n', stderr);
	}
	uint16_t fcw, fsw, tw;
	memcpy(&fcw, img, 2);
	memcpy(&fsw, img + 4, 2);
	memcpy(&tw, img + 8, 2);
	fprintf(stderr, "initial fcw %04x fsw %04x tags %04x, ST(0..7):\n", fcw, fsw, tw);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t m;
		uint16_t e;
		memcpy(&m, img + 28 + 10 * i, 8);
		memcpy(&e, img + 36 + 10 * i, 2);
		fprintf(stderr, "  %04x %016" PRIx64 "%s", e, m, i % 2 ? "\n" : "");
	}
	dump_state("soft", a);
	dump_state(bname, b);
	unsigned shown = 0;
	for (unsigned i = 0; i < DATA_LEN && shown < 24; i++)
		if (a->data[i] != b->data[i]) {
			fprintf(stderr, "data +%#x: soft %02x %s %02x\n", i, a->data[i], bname, b->data[i]);
			shown++;
		}
}

/* ---- directed checks: what neither reference can show ---- */

/* Run hex at CODE_AT from a fresh x87 state with FCW fcw and CR0 | cr0_set,
 * & ~cr0_clear; returns the exit. */
static struct engine_exit *directed_run(struct th *t, const char *hex, uint16_t fcw,
					uint64_t cr0_set, uint64_t cr0_clear)
{
	th_code(t, CODE_AT, hex);
	struct engine_regs r = { .rip = CODE_AT, .rsp = DATA_AT + 0x1f00, .rflags = 2,
				 .r15 = R15_VAL };
	th_set_regs(t, &r);
	struct soft_vcpu *v = soft_vcpu_of(t->vcpu);
	memset(&v->fpu, 0, sizeof(v->fpu));
	v->fpu.fcw = fcw;
	uint64_t cr0 = v->cr0;
	v->cr0 = (cr0 | cr0_set) & ~cr0_clear; /* EM, TS, MP, NE: nothing else depends on them */
	struct engine_exit *x = th_run(t);
	v->cr0 = cr0;
	return x;
}

static void expect_exc(struct th *t, struct engine_exit *x, unsigned vec, uint64_t rip,
		       const char *what)
{
	struct engine_regs g = th_regs(t);
	CHECK(x->reason == ENGINE_EXIT_INTERCEPT && x->intercept.cause == ENGINE_ICPT_EXCEPTION &&
	      x->intercept.vector == vec && g.rip == rip,
	      "%s: exit %s vector %u at rip %#" PRIx64 ", expected vector %u at %#" PRIx64 " (%s)",
	      what, engine_exit_reason_name(x->reason), x->intercept.vector, g.rip, vec, rip,
	      x->message);
}

static void directed(struct th *t)
{
	struct soft_vcpu *v = soft_vcpu_of(t->vcpu);
	const uint64_t MP = 2, EM = 4, TS = 8, NE = 0x20;
	struct engine_exit *x;

	/* #NM: CR0.EM or CR0.TS for an x87 instruction; FWAIT only with MP and TS. */
	x = directed_run(t, "d9 e8 f4", SOFT_FCW_RESET, TS, 0);
	expect_exc(t, x, 7, CODE_AT, "fld1 with CR0.TS");
	x = directed_run(t, "d9 e8 f4", SOFT_FCW_RESET, EM, 0);
	expect_exc(t, x, 7, CODE_AT, "fld1 with CR0.EM");
	x = directed_run(t, "9b f4", SOFT_FCW_RESET, TS | MP, 0);
	expect_exc(t, x, 7, CODE_AT, "fwait with CR0.TS and MP");
	x = directed_run(t, "9b f4", SOFT_FCW_RESET, TS, MP);
	CHECK(x->reason == ENGINE_EXIT_HLT, "fwait with CR0.TS alone: %s", x->message);

	/* An unmasked zero divide: no fault at the FDIV, ES and B set; #MF
	 * at the next waiting instruction (fld1 at +6), none at FNSTSW. */
	x = directed_run(t, "d9 ee d9 e8 de f1 df e0 d9 e8 f4", 0x37b, NE, 0);
	expect_exc(t, x, 16, CODE_AT + 8, "fld1 after an unmasked zero divide");
	CHECK((v->fpu.fsw & 0x8084) == 0x8084, "fsw %#x: B, ES, ZE expected", v->fpu.fsw);
	CHECK((th_regs(t).rax & 0xffff) == v->fpu.fsw, "fnstsw ax %#" PRIx64 " fsw %#x",
	      th_regs(t).rax & 0xffff, v->fpu.fsw);
	x = directed_run(t, "d9 ee d9 e8 de f1 9b f4", 0x37b, NE, 0);
	expect_exc(t, x, 16, CODE_AT + 6, "fwait after an unmasked zero divide");
	x = directed_run(t, "d9 ee d9 e8 de f1 db e2 d9 e8 f4", 0x37b, NE, 0);
	CHECK(x->reason == ENGINE_EXIT_HLT && !(v->fpu.fsw & 0x80ff),
	      "fnclex clears the pending exception: exit %s fsw %#x", x->message, v->fpu.fsw);
	x = directed_run(t, "d9 ee d9 e8 de f1 d9 e8 f4", 0x37b, 0, NE);
	CHECK(x->reason == ENGINE_EXIT_INTERNAL_ERROR && strstr(x->message, "CR0.NE"),
	      "a pending exception with CR0.NE clear: exit %s %s",
	      engine_exit_reason_name(x->reason), x->message);

	/* Reserved encodings (#UD), FISTTP (SSE3, not in CPUID: #UD), a
	 * transcendental (ends the run, named). */
	x = directed_run(t, "d9 d8 f4", SOFT_FCW_RESET, 0, 0);
	expect_exc(t, x, 6, CODE_AT, "d9 d8 (reserved)");
	x = directed_run(t, "41 db 0f f4", SOFT_FCW_RESET, 0, 0);
	expect_exc(t, x, 6, CODE_AT, "fisttp m32");
	x = directed_run(t, "d9 e8 d9 fe f4", SOFT_FCW_RESET, 0, 0);
	CHECK(x->reason == ENGINE_EXIT_INTERNAL_ERROR && strstr(x->message, "d9 fe") &&
	      strstr(x->message, "not implemented"), "fsin: exit %s %s",
	      engine_exit_reason_name(x->reason), x->message);

	/* A 10-byte store and a 28-byte environment crossing into an unmapped
	 * page fault before any byte moves, the x87 state unchanged. */
	static const char *const crossing[] = { "d9 e8 41 db 3f f4", "d9 e8 41 d9 37 f4" };
	for (unsigned k = 0; k < 2; k++) {
		uint64_t edge = TH_MEM - 4; /* the harness maps [0, TH_MEM) */
		uint64_t before = th_rd64(t, edge - 4);
		th_code(t, CODE_AT, crossing[k]);
		struct engine_regs r = { .rip = CODE_AT, .rsp = DATA_AT + 0x1f00, .rflags = 2,
					 .r15 = edge };
		th_set_regs(t, &r);
		memset(&v->fpu, 0, sizeof(v->fpu));
		v->fpu.fcw = SOFT_FCW_RESET;
		x = th_run(t);
		expect_exc(t, x, 14, CODE_AT + 2, k ? "fnstenv across into an unmapped page"
						    : "fstp m80 across into an unmapped page");
		CHECK(th_rd64(t, edge - 4) == before, "memory before the page end changed");
		CHECK(v->fpu.fsw == 0x3800 && v->fpu.ftw == 0x80 && v->fpu.fcw == SOFT_FCW_RESET,
		      "x87 state after the fault: fsw %#x ftw %#x fcw %#x", v->fpu.fsw, v->fpu.ftw,
		      v->fpu.fcw);
	}
	printf("directed x87 checks passed (#NM, #MF, #UD, not-implemented exit, faulting stores)\n");
}

int main(int argc, char **argv)
{
	unsigned long nseq = argc > 1 ? strtoul(argv[1], NULL, 0) : 30000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

	build_encs();
	probe_host();
	region = mmap(NULL, DATA_AT + DATA_LEN, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(region != MAP_FAILED, "mmap of the host run's code and data");
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sigfpe;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGFPE, &sa, NULL) == 0, "sigaction");

	uc_engine *uc = uc_setup();
	struct th t;
	th_init(&t);
	struct soft_intercepts ic = { .causes = SOFT_ICPT(ENGINE_ICPT_EXCEPTION), .exceptions = ~0u };
	CHECK(soft_vcpu_set_intercepts(t.vcpu, &ic) == 0, "intercepts");
	directed(&t);

	struct rng r = { .s = seed * 0x9e3779b97f4a7c15ull + 1 };
	static struct seq s;
	static uint8_t data[DATA_LEN];
	static struct x87s a, b, h;
	unsigned long nmasked = 0, mf = 0;
	for (unsigned long q = 0; q < nseq; q++) {
		bool masked = rndn(&r, 4) != 0;
		no_snan = masked && rndn(&r, 3) != 0;
		bool weird = !no_snan && rndn(&r, 3) == 0;
		fill_data(&r, data, weird);
		make_image(&r, data + IMG_AT, masked, weird);
		gen_seq(&s, &r, masked, data + IMG_AT);
		for (unsigned k = 0; k < (s.ncw < 8 ? s.ncw : 8); k++)
			memcpy(data + s.cw[k].at, &s.cw[k].cw, 2);
		for (unsigned k = 0; k < (s.nv80 < 16 ? s.nv80 : 16); k++)
			memcpy(data + s.v80[k].at, s.v80[k].v, 10);
		uint64_t rax = rnd(&r), rflags = (rnd(&r) & SOFT_ARITH) | 2, r14 = rndn(&r, 128);

		run_soft(&t, &s, data, rax, rflags, r14, &a);
		run_host(&s, data, rax, rflags, r14, &h);
		/* The host's own FIP, FDP and FOP are lost when this process is
		 * switched out on some hosts (AMD: Linux's FXSAVE-leak
		 * workaround loads others): run it again before calling a
		 * difference there one. */
		for (unsigned again = 0; again < 5 && !compare(&s, &a, &h, true, 0xffff) &&
					 (!strcmp(cmp_what, "fip") || !strcmp(cmp_what, "fdp") ||
					  !strcmp(cmp_what, "fop"));
		     again++)
			run_host(&s, data, rax, rflags, r14, &h);
		if (!compare(&s, &a, &h, true, 0xffff)) {
			fprintf(stderr, "MISMATCH with the host in sequence %lu (seed %" PRIu64 ")\n", q, seed);
			dump(&s, data + IMG_AT, &a, &h, "host");
			return 1;
		}
		if (a.exc == 16)
			mf++;
		if (s.masked)
			CHECK(a.exc < 0, "a masked sequence raised exception %d", a.exc);
		if (s.uc && !s.host_only) {
			nmasked++;
			run_uc(uc, &s, data, rax, rflags, r14, &b);
			if (!compare(&s, &a, &b, false, uc_fsw_mask(&s))) {
				fprintf(stderr, "MISMATCH with unicorn in sequence %lu (seed %" PRIu64 ")\n", q,
					seed);
				dump(&s, data + IMG_AT, &a, &b, "unicorn");
				return 1;
			}
		}
	}
	printf("%lu x87 sequences agree with the host, %lu of them (all exceptions masked) with "
	       "unicorn too (seed %" PRIu64 "); %lu raised #MF like the host; %u encodings; "
	       "host FOP %s, FDP %s\n", nseq, nmasked, seed, mf, nencs,
	       host_fop ? "compared" : "not kept by this host, not compared",
	       !host_fdp_mem ? "not kept by this host, not compared"
	       : host_fdp_reg_zero ? "compared where this host has not cleared it (it clears it after fld st(0))"
	       : "compared where this host has not cleared it");
	th_fini(&t);
	uc_close(uc);
	munmap(region, DATA_AT + DATA_LEN);
	return 0;
}
