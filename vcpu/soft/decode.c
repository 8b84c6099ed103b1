/*
 * vcpu/soft/decode.c — x86-64 instruction decoder driven by soft_forms[].
 *
 * Reads legacy prefixes, REX or a VEX prefix (C4/C5), the opcode (one byte,
 * 0f xx, 0f 38 xx, 0f 3a xx; a VEX prefix names the map), then finds the
 * first table form that matches encoding, opcode, mandatory prefix,
 * modrm.reg extension, mod class and exact modrm, and decodes modrm, SIB,
 * displacement and immediate as that form says.  The result is pure data:
 * the predecode cache stores it keyed by the instruction's machine address.
 *
 * Decoding is off the hot path (once per instruction per code page fill),
 * so the form lookup is a linear scan over the table.
 */
#include "vcpu/soft/insn.h"

#include <errno.h>
#include <string.h>

/* Legacy prefixes seen before the opcode. */
struct prefixes {
	uint8_t opsize, addr32, rep, lock, seg;
	uint8_t rex;
};

/* The bytes before `end` are needed.  Past SOFT_INSN_MAX the encoding is
 * too long (-E2BIG) however many bytes are available: -EAGAIN asks the
 * caller to fetch more and retry, into a buffer of SOFT_INSN_MAX bytes. */
static int need(size_t end, size_t avail)
{
	if (end > SOFT_INSN_MAX)
		return -E2BIG;
	return end > avail ? -EAGAIN : 0;
}

/* An encoding the table does not hold: undefined on every x86-64
 * processor (-EILSEQ, the guest gets #UD), or an instruction that some
 * x86-64 processor runs and this one does not implement (-ENOSYS, the
 * run ends with a report).  The line is drawn so that a guest never sees
 * #UD for an instruction real hardware could have run: only the
 * encodings the SDM (vol. 2, appendix A) marks invalid in 64-bit mode or
 * reserved in every processor are listed here (the UD0/UD1 opcodes, the
 * one-byte opcodes removed in 64-bit mode, reserved /digit extensions of
 * groups whose other members are all defined, and register operands of
 * memory-only forms); everything else is "not implemented here".  An
 * instruction the table holds but the CPU's mode or CPUID leaves undefined
 * (SSE with CR4.OSFXSR clear, VMMCALL without intercept) is #UD at
 * execution, as on hardware. */
static bool undefined_encoding(unsigned map, uint8_t opc, int modrm)
{
	unsigned reg = modrm >= 0 ? ((unsigned)modrm >> 3) & 7 : 8;
	bool regform = modrm >= 0 && ((unsigned)modrm >> 6) == 3;
	if (map == SOFT_MAP_1B) {
		static const uint8_t invalid64[] = {
			0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
			0x60, 0x61, 0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea,
		};
		for (size_t i = 0; i < sizeof(invalid64); i++)
			if (opc == invalid64[i])
				return true;
		switch (opc) {
		case 0x8d: return regform;                 /* LEA with a register source */
		case 0xfe: return reg >= 2;                /* INC/DEC Eb only */
		case 0xff: return reg == 7;
		case 0xc6:
		case 0xc7: return reg >= 1 && reg <= 6;    /* /7 is XABORT/XBEGIN (RTM) */
		default: return false;
		}
	}
	if (map == SOFT_MAP_0F) {
		switch (opc) {
		case 0x04: case 0x0a: case 0x0c: case 0x24: case 0x25: case 0x26: case 0x27: case 0x36: case 0x39:
		case 0x3b: case 0x3c: case 0x3d: case 0x3e: case 0x3f:
		case 0xb9: case 0xff:                      /* UD1, UD0 */
			return true;
		case 0xba: return reg <= 3;                /* BT group: /4../7 only */
		case 0x71:
		case 0x72: return reg != 2 && reg != 4 && reg != 6;
		case 0x73: return reg != 2 && reg != 3 && reg != 6 && reg != 7;
		default: return false;
		}
	}
	return false;
}

static int read_n(const uint8_t *b, size_t avail, size_t pos, unsigned n, uint64_t *v)
{
	int r = need(pos + n, avail);
	if (r)
		return r;
	uint64_t x = 0;
	for (unsigned i = 0; i < n; i++)
		x |= (uint64_t)b[pos + i] << (8 * i);
	*v = x;
	return 0;
}

static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - 8 * bytes;
	return (uint64_t)((int64_t)(v << sh) >> sh);
}

static unsigned operand_size(const struct soft_form *f, const struct prefixes *p)
{
	switch (f->size) {
	case SOFT_SZ_B:
		return 1;
	case SOFT_SZ_V:
		return (p->rex & 8) ? 8 : p->opsize ? 2 : 4;
	case SOFT_SZ_D64:
		return p->opsize ? 2 : 8;
	case SOFT_SZ_W:
		return 2;
	default:
		return 8;
	}
}

static unsigned imm_size(const struct soft_form *f, unsigned osize)
{
	switch (f->imm) {
	case SOFT_I_B:
	case SOFT_I_UB:
	case SOFT_I_REL8:
		return 1;
	case SOFT_I_W:
		return 2;
	case SOFT_I_Z:
		return osize == 2 ? 2 : 4;
	case SOFT_I_V:
		return osize;
	case SOFT_I_REL32:
		return 4;
	default:
		return 0;
	}
}

/* Byte registers 4..7 mean AH..BH unless any REX prefix is present. */
static uint8_t byte_reg(unsigned r, const struct prefixes *p)
{
	if (!p->rex && r >= 4 && r < 8)
		return (uint8_t)(SOFT_HIBYTE + r - 4);
	return (uint8_t)r;
}

/* A VEX prefix, as read: in 64-bit mode C4 and C5 always start one (LES
 * and LDS do not exist there).  Its R, X, B and W bits go into the
 * prefixes' REX byte, which the modrm decoding and operand size read. */
struct vex {
	bool present;
	uint8_t lead;         /* 0xc4 (three-byte) or 0xc5 (two-byte) */
	uint8_t pp;           /* implied prefix: 0, 0x66, 0xf3, 0xf2 */
	uint8_t l;            /* VEX.L */
	uint8_t vvvv;         /* the register it names (the field inverted) */
};

/* No form has this map: a VEX.mmmmm this table has no map for. */
#define MAP_NONE 0xffu

/* Whether a VEX form's pattern has a VEX.vvvv operand.  Where it does
 * not, the SDM requires vvvv = 1111b (#UD otherwise). */
static bool vex_uses_vvvv(const struct soft_form *f)
{
	return f->opnds == SOFT_P_GVE || f->opnds == SOFT_P_VE || f->opnds == SOFT_P_GEV;
}

/* A VEX encoding the table does not hold and that no processor runs
 * (#UD): the reserved /digits of group 17 (VEX.LZ.0F38 F3: BLSR /1,
 * BLSMSK /2, BLSI /3 are its only members; AMD's TBM instructions are
 * XOP-encoded, not VEX).  Everything else VEX may be AVX or a later
 * extension, "not implemented here". */
static bool vex_undefined(const struct vex *vx, unsigned map, uint8_t opc, int modrm)
{
	unsigned reg = modrm >= 0 ? ((unsigned)modrm >> 3) & 7 : 1;
	return map == SOFT_MAP_0F38 && opc == 0xf3 && vx->pp == 0 && (reg == 0 || reg >= 4);
}

static bool form_matches_opcode(const struct soft_form *f, unsigned map, uint8_t opc)
{
	if (f->map != map)
		return false;
	if (f->opnds == SOFT_P_O || f->opnds == SOFT_P_OI || f->opnds == SOFT_P_AO)
		return (opc & 0xf8) == f->opc;
	return opc == f->opc;
}

int soft_decode(const uint8_t *b, size_t avail, struct soft_dinsn *out)
{
	struct prefixes p = { 0 };
	size_t pos = 0;
	int rc;

	/* Legacy prefixes, any order, then at most one REX right before the
	 * opcode (a REX followed by a legacy prefix is ignored, as on hardware). */
	for (;;) {
		if ((rc = need(pos + 1, avail)))
			return rc;
		uint8_t c = b[pos];
		if (c == 0x66)
			p.opsize = 1;
		else if (c == 0x67)
			p.addr32 = 1;
		else if (c == 0xf2 || c == 0xf3)
			p.rep = c;
		else if (c == 0xf0)
			p.lock = 1;
		else if (c == 0x64)
			p.seg = SOFT_SEG_FS;
		else if (c == 0x65)
			p.seg = SOFT_SEG_GS;
		else if (c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e)
			; /* ES/CS/SS/DS overrides: no effect in 64-bit mode */
		else if ((c & 0xf0) == 0x40) {
			p.rex = c;
			pos++;
			if ((rc = need(pos + 1, avail)))
				return rc;
			if ((b[pos] & 0xf0) == 0x40)
				continue; /* a later REX replaces this one */
			uint8_t n = b[pos];
			if (n == 0x66 || n == 0x67 || n == 0xf2 || n == 0xf3 || n == 0xf0 ||
			    n == 0x64 || n == 0x65 || n == 0x26 || n == 0x2e || n == 0x36 || n == 0x3e) {
				p.rex = 0;
				continue;
			}
			break;
		} else
			break;
		pos++;
	}

	unsigned map = SOFT_MAP_1B;
	struct vex vx = { 0 };
	size_t vex_at = 0;    /* just past C4/C5, for the report */
	uint8_t opc = b[pos++];
	if (opc == 0xc4 || opc == 0xc5) {
		unsigned n = opc == 0xc4 ? 2 : 1;
		if ((rc = need(pos + n + 1, avail))) /* the VEX bytes and the opcode */
			return rc;
		vex_at = pos;
		uint8_t last = b[pos + n - 1];        /* W vvvv L pp (C5: R vvvv L pp) */
		unsigned rex = 0x40 | ((~(unsigned)b[pos] >> 5) & (opc == 0xc4 ? 7 : 4));
		unsigned mmmmm = 1;                   /* C5 implies the 0F map */
		if (opc == 0xc4) {
			rex |= (last >> 7) << 3;      /* W */
			mmmmm = b[pos] & 0x1f;
		}
		static const uint8_t pp[4] = { 0, 0x66, 0xf3, 0xf2 };
		vx.present = true;
		vx.lead = opc;
		vx.pp = pp[last & 3];
		vx.l = (last >> 2) & 1;
		vx.vvvv = (uint8_t)((~(unsigned)last >> 3) & 15);
		/* SDM vol. 2, 2.3.2-2.3.4: any VEX instruction with a LOCK, 66,
		 * F2, F3 or REX prefix before the VEX prefix is #UD, on every
		 * processor (one without AVX makes every VEX instruction #UD).
		 * A REX the decoder already ignores (a legacy prefix came after
		 * it) does not count. */
		if (p.lock || p.opsize || p.rep || p.rex)
			return -EILSEQ;
		p.rex = (uint8_t)rex;
		pos += n;
		opc = b[pos++];
		map = mmmmm == 1 ? SOFT_MAP_0F : mmmmm == 2 ? SOFT_MAP_0F38
		    : mmmmm == 3 ? SOFT_MAP_0F3A : MAP_NONE;
	} else if (opc == 0x0f) {
		if ((rc = need(pos + 1, avail)))
			return rc;
		opc = b[pos++];
		map = SOFT_MAP_0F;
		if (opc == 0x38 || opc == 0x3a) {
			if ((rc = need(pos + 1, avail)))
				return rc;
			map = opc == 0x38 ? SOFT_MAP_0F38 : SOFT_MAP_0F3A;
			opc = b[pos++];
		}
	}

	const struct soft_form *f = NULL;
	unsigned fi;
	int modrm = -1;
	for (fi = 0; fi < soft_form_count; fi++) {
		const struct soft_form *c = &soft_forms[fi];
		if (!form_matches_opcode(c, map, opc))
			continue;
		/* VEX forms match VEX encodings only, with exactly their VEX.pp. */
		if (!(c->attr & SOFT_A_VEX) != !vx.present)
			continue;
		if (vx.present && c->pfx != vx.pp)
			continue;
		if (!vx.present && c->pfx && p.rep != c->pfx && !(c->pfx == 0x66 && p.opsize))
			continue;
		/* An SSE form's prefix selects the instruction: a form without
		 * one takes no 66/F2/F3, a 66 form no F2/F3 (which would select
		 * another instruction, or an undefined one). */
		if ((c->attr & SOFT_A_SSE) && !c->pfx && (p.opsize || p.rep))
			continue;
		if ((c->attr & SOFT_A_SSE) && c->pfx == 0x66 && p.rep)
			continue;
		if (c->rexw && !(p.rex & 8))
			continue;
		if (c->attr & SOFT_A_MODRM) {
			if (modrm < 0) {
				if ((rc = need(pos + 1, avail)))
					return rc;
				modrm = b[pos];
			}
			unsigned mod = (unsigned)modrm >> 6;
			if (c->ext >= 0 && ((modrm >> 3) & 7) != c->ext)
				continue;
			if (c->modc == SOFT_MOD_MEM && mod == 3)
				continue;
			if (c->modc == SOFT_MOD_REG && mod != 3)
				continue;
			if (c->modrm >= 0 && modrm != c->modrm)
				continue;
		}
		f = c;
		break;
	}
	if (!f) {
		/* The listed groups are told apart by their modrm. */
		if (modrm < 0 && (map != SOFT_MAP_1B || opc == 0x8d || opc >= 0xc6) && map != MAP_NONE) {
			if ((rc = need(pos + 1, avail)))
				return rc;
			modrm = b[pos];
		}
		/* For the report: the bytes looked at (prefixes, opcode, modrm);
		 * of a VEX or EVEX instruction (C5, C4, 62: AVX, which 64-bit
		 * mode always decodes so) its prefix, opcode and modrm too. */
		size_t shown = pos + (modrm >= 0);
		if (vx.present)
			shown = vex_at + (vx.lead == 0xc5 ? 3 : 4);
		else if (map == SOFT_MAP_1B && opc == 0x62)
			shown = pos + 5;
		if (shown > avail)
			shown = avail;
		if (shown > SOFT_INSN_MAX)
			shown = SOFT_INSN_MAX;
		out->len = (uint8_t)shown;
		if (vx.present)
			return vex_undefined(&vx, map, opc, modrm) ? -EILSEQ : -ENOSYS;
		return undefined_encoding(map, opc, modrm) ? -EILSEQ : -ENOSYS;
	}
	/* The VEX rules of the form: the "LZ" forms (BMI1's) are #UD with
	 * VEX.L = 1 (their exception tables), and a vvvv the form does not
	 * use must be 1111b (SDM vol. 2, 2.3.6), else #UD. */
	if (vx.present && (vx.l || (!vex_uses_vvvv(f) && vx.vvvv != 0)))
		return -EILSEQ;
	/* A mandatory F3 prefix is part of the opcode, not a REP. */
	if (f->pfx == 0xf3 || f->pfx == 0xf2)
		p.rep = 0;
	/* LOCK only on the forms that allow it, with a memory destination. */
	if (p.lock && (!(f->attr & SOFT_A_LOCK) || modrm < 0 || ((unsigned)modrm >> 6) == 3))
		return -EILSEQ;

	memset(out, 0, sizeof(*out));
	out->form = (uint16_t)fi;
	out->op = f->op;
	out->sub = f->sub;
	out->opnds = f->opnds;
	out->count = f->count;
	out->osize = (uint8_t)operand_size(f, &p);
	if (f->attr & SOFT_A_SSE)
		out->osize = (p.rex & 8) ? 8 : 4; /* 66 is part of the opcode; REX.W sizes a GPR operand */
	out->seg = p.seg;
	out->rep = (f->attr & SOFT_A_REP) ? p.rep : 0;
	out->lock = p.lock;
	out->addr32 = p.addr32;
	out->base = out->index = SOFT_NOREG;
	out->vreg = vx.vvvv;

	bool rm_byte = out->osize == 1 ||
		       ((f->op == SOFT_OP_MOVZX || f->op == SOFT_OP_MOVSX) && f->sub == 1);

	if (f->attr & SOFT_A_MODRM) {
		pos++; /* the modrm byte */
		unsigned mod = (unsigned)modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
		out->modrm_reg = (uint8_t)(reg | ((p.rex & 4) << 1));
		unsigned greg = reg | ((p.rex & 4) << 1);
		out->reg = out->osize == 1 ? byte_reg(greg, &p) : (uint8_t)greg;
		bool force_reg = f->op == SOFT_OP_MOV_FROM_CR || f->op == SOFT_OP_MOV_TO_CR;
		if (mod == 3 || force_reg) {
			unsigned r = rm | ((p.rex & 1) << 3);
			out->rm = rm_byte ? byte_reg(r, &p) : (uint8_t)r;
			out->mem = 0;
		} else {
			out->mem = 1;
			uint64_t v;
			if (rm == 4) {
				if ((rc = need(pos + 1, avail)))
					return rc;
				uint8_t sib = b[pos++];
				unsigned idx = ((sib >> 3) & 7) | ((p.rex & 2) << 2);
				unsigned base = (sib & 7) | ((p.rex & 1) << 3);
				out->scale = sib >> 6;
				out->index = idx == 4 ? SOFT_NOREG : (uint8_t)idx;
				if ((sib & 7) == 5 && mod == 0) {
					out->base = SOFT_NOREG;
					mod = 2; /* disp32 follows */
				} else {
					out->base = (uint8_t)base;
				}
			} else if (rm == 5 && mod == 0) {
				out->base = SOFT_RIPREL;
				mod = 2;
			} else {
				out->base = (uint8_t)(rm | ((p.rex & 1) << 3));
			}
			if (mod == 1) {
				int r = read_n(b, avail, pos, 1, &v);
				if (r)
					return r;
				out->disp = (int32_t)(int8_t)v;
				pos += 1;
			} else if (mod == 2) {
				int r = read_n(b, avail, pos, 4, &v);
				if (r)
					return r;
				out->disp = (int32_t)(uint32_t)v;
				pos += 4;
			}
		}
	} else if (f->opnds == SOFT_P_O || f->opnds == SOFT_P_OI || f->opnds == SOFT_P_AO) {
		unsigned r = (opc & 7) | ((p.rex & 1) << 3);
		out->reg = out->osize == 1 ? byte_reg(r, &p) : (uint8_t)r;
	}

	unsigned isz = imm_size(f, out->osize);
	if (isz) {
		uint64_t v;
		int r = read_n(b, avail, pos, isz, &v);
		if (r)
			return r;
		pos += isz;
		if (f->imm == SOFT_I_UB || f->imm == SOFT_I_W)
			out->imm = v;
		else
			out->imm = sign_extend(v, isz);
	}
	if (pos > SOFT_INSN_MAX)
		return -E2BIG;
	out->len = (uint8_t)pos;
	return (int)pos;
}
