/*
 * vcpu/soft/insn_table.c — the table of instruction forms the soft CPU
 * implements (see insn.h).  Adding an instruction means adding its forms
 * here and its semantics in cpu_exec.c (a VEX one: an FV row, see
 * SOFT_A_VEX; an SSE one: an entry of
 * sse_ops.h, which is its row here, and its case in cpu_sse.c); the
 * decoder, the objdump coverage test and the unicorn oracle follow from
 * this table.
 *
 * Order matters where forms overlap: exact-modrm and mandatory-prefix
 * forms (vmmcall, tzcnt, pause) come before the general form of the same
 * opcode, because the decoder takes the first match.
 *
 * fdef lists the arithmetic flags the SDM defines after the instruction
 * (unchanged counts as defined); the oracle compares only those.
 */
#include "vcpu/soft/insn.h"

#define ARITH_FL SOFT_ARITH
#define LOGIC_FL (SOFT_ARITH & ~SOFT_AF)
#define MUL_FL (SOFT_CF | SOFT_OF)
#define SH1_FL (SOFT_ARITH & ~SOFT_AF)
#define SHN_FL (SOFT_CF | SOFT_SF | SOFT_ZF | SOFT_PF)
#define ROT1_FL (SOFT_ARITH)
#define ROTN_FL (SOFT_ARITH & ~SOFT_OF)
#define BT_FL (SOFT_CF | SOFT_ZF)
#define A_M SOFT_A_MODRM
#define A_ML (SOFT_A_MODRM | SOFT_A_LOCK)
#define A_BR SOFT_A_BRANCH
#define A_SYS SOFT_A_SYS
#define A_MSYS (SOFT_A_MODRM | SOFT_A_SYS)

/* The general form: no mandatory prefix, any modrm.mod. */
#define F(mn, mp, oc, ex, sz, on, im, o, sb, at, fd)                           \
	{ .mnem = mn, .map = SOFT_MAP_##mp, .opc = oc, .ext = ex, .pfx = 0,     \
	  .modc = SOFT_MOD_ANY, .modrm = -1, .size = SOFT_SZ_##sz,              \
	  .opnds = SOFT_P_##on, .imm = SOFT_I_##im, .op = SOFT_OP_##o,          \
	  .sub = sb, .count = SOFT_CNT_NONE, .attr = at, .rexw = 0, .fdef = fd }
/* With a mandatory prefix, a modrm.mod class or an exact modrm byte. */
#define FX(mn, mp, oc, ex, px, mc, mr, sz, on, im, o, sb, at, fd)              \
	{ .mnem = mn, .map = SOFT_MAP_##mp, .opc = oc, .ext = ex, .pfx = px,    \
	  .modc = SOFT_MOD_##mc, .modrm = mr, .size = SOFT_SZ_##sz,             \
	  .opnds = SOFT_P_##on, .imm = SOFT_I_##im, .op = SOFT_OP_##o,          \
	  .sub = sb, .count = SOFT_CNT_NONE, .attr = at, .rexw = 0, .fdef = fd }
/* Shift/rotate group: opcode, /digit, count source. */
#define FS(mn, oc, ex, sz, im, cn, fd)                                         \
	{ .mnem = mn, .map = SOFT_MAP_1B, .opc = oc, .ext = ex, .pfx = 0,       \
	  .modc = SOFT_MOD_ANY, .modrm = -1, .size = SOFT_SZ_##sz,              \
	  .opnds = SOFT_P_E, .imm = SOFT_I_##im, .op = SOFT_OP_SHIFT,           \
	  .sub = ex, .count = SOFT_CNT_##cn, .attr = A_M, .rexw = 0, .fdef = fd }

/* A VEX-encoded general-purpose form (BMI1): VEX.pp px, VEX.W sizing the
 * operands, VEX.L 0 (see SOFT_A_VEX). */
#define FV(mn, mp, oc, ex, px, on, sb, fd)                                     \
	{ .mnem = mn, .map = SOFT_MAP_##mp, .opc = oc, .ext = ex, .pfx = px,    \
	  .modc = SOFT_MOD_ANY, .modrm = -1, .size = SOFT_SZ_V,                 \
	  .opnds = SOFT_P_##on, .imm = SOFT_I_NONE, .op = SOFT_OP_BMI1,         \
	  .sub = sb, .count = SOFT_CNT_NONE, .attr = A_M | SOFT_A_VEX, .rexw = 0, \
	  .fdef = fd }

/* The SSE forms of sse_ops.h: the host-computed "xmm, xmm/m" ones and
 * the rest.  The flags they leave are defined (unchanged, or all six
 * written by the COMIS forms). */
#define SSE_H(id, mn, px, oc, msz, fl, insn)                                    \
	{ .mnem = mn, .map = SOFT_MAP_0F, .opc = oc, .ext = -1, .pfx = px,      \
	  .modc = SOFT_MOD_ANY, .modrm = -1, .size = SOFT_SZ_V,                 \
	  .opnds = SOFT_P_GE, .imm = SOFT_I_NONE, .op = SOFT_OP_SSE,            \
	  .sub = SOFT_SSE_##id, .count = SOFT_CNT_NONE, .attr = A_M | SOFT_A_SSE, \
	  .rexw = 0, .fdef = ARITH_FL },
#define SSE_C(id, mn, px, oc, ex, mc, on, im, msz, fl)                          \
	{ .mnem = mn, .map = SOFT_MAP_0F, .opc = oc, .ext = ex, .pfx = px,      \
	  .modc = SOFT_MOD_##mc, .modrm = -1, .size = SOFT_SZ_V,                \
	  .opnds = SOFT_P_##on, .imm = SOFT_I_##im, .op = SOFT_OP_SSE,          \
	  .sub = SOFT_SSE_##id, .count = SOFT_CNT_NONE, .attr = A_M | SOFT_A_SSE, \
	  .rexw = 0, .fdef = ARITH_FL },

const struct soft_form soft_forms[] = {
	/* Forms with an exact modrm or a mandatory prefix first. */
	FX("vmmcall", 0F, 0x01, -1, 0, REG, 0xd9, F64, NONE, NONE, VMMCALL, 0, A_MSYS, ARITH_FL),
	FX("swapgs", 0F, 0x01, -1, 0, REG, 0xf8, F64, NONE, NONE, SWAPGS, 0, A_MSYS, ARITH_FL),
	FX("lgdt", 0F, 0x01, 2, 0, MEM, -1, F64, E, NONE, LGDT, 0, A_MSYS, ARITH_FL),
	FX("lidt", 0F, 0x01, 3, 0, MEM, -1, F64, E, NONE, LIDT, 0, A_MSYS, ARITH_FL),
	FX("invlpg", 0F, 0x01, 7, 0, MEM, -1, F64, E, NONE, INVLPG, 0, A_MSYS, ARITH_FL),
	FX("ltr", 0F, 0x00, 3, 0, ANY, -1, W, E, NONE, LTR, 0, A_MSYS, ARITH_FL),
	FX("lfence", 0F, 0xae, 5, 0, REG, -1, F64, NONE, NONE, FENCE, 0, A_M, ARITH_FL),
	FX("mfence", 0F, 0xae, 6, 0, REG, -1, F64, NONE, NONE, FENCE, 0, A_M, ARITH_FL),
	FX("sfence", 0F, 0xae, 7, 0, REG, -1, F64, NONE, NONE, FENCE, 0, A_M, ARITH_FL),
	FX("tzcnt", 0F, 0xbc, -1, 0xf3, ANY, -1, V, GE, NONE, TZCNT, 0, A_M, SOFT_CF | SOFT_ZF),
	FX("lzcnt", 0F, 0xbd, -1, 0xf3, ANY, -1, V, GE, NONE, LZCNT, 0, A_M, SOFT_CF | SOFT_ZF),
	FX("popcnt", 0F, 0xb8, -1, 0xf3, ANY, -1, V, GE, NONE, POPCNT, 0, A_M, ARITH_FL),
	FX("pause", 1B, 0x90, -1, 0xf3, ANY, -1, F64, NONE, NONE, NOP, 0, 0, ARITH_FL),

	F("add", 1B, 0x00, -1, B, EG, NONE, ALU, 0, A_ML, ARITH_FL),
	F("add", 1B, 0x01, -1, V, EG, NONE, ALU, 0, A_ML, ARITH_FL),
	F("add", 1B, 0x02, -1, B, GE, NONE, ALU, 0, A_M, ARITH_FL),
	F("add", 1B, 0x03, -1, V, GE, NONE, ALU, 0, A_M, ARITH_FL),
	F("add", 1B, 0x04, -1, B, AI, B, ALU, 0, 0, ARITH_FL),
	F("add", 1B, 0x05, -1, V, AI, Z, ALU, 0, 0, ARITH_FL),
	F("add", 1B, 0x80, 0, B, EI, B, ALU, 0, A_ML, ARITH_FL),
	F("add", 1B, 0x81, 0, V, EI, Z, ALU, 0, A_ML, ARITH_FL),
	F("add", 1B, 0x83, 0, V, EI, B, ALU, 0, A_ML, ARITH_FL),
	F("or", 1B, 0x08, -1, B, EG, NONE, ALU, 1, A_ML, LOGIC_FL),
	F("or", 1B, 0x09, -1, V, EG, NONE, ALU, 1, A_ML, LOGIC_FL),
	F("or", 1B, 0x0a, -1, B, GE, NONE, ALU, 1, A_M, LOGIC_FL),
	F("or", 1B, 0x0b, -1, V, GE, NONE, ALU, 1, A_M, LOGIC_FL),
	F("or", 1B, 0x0c, -1, B, AI, B, ALU, 1, 0, LOGIC_FL),
	F("or", 1B, 0x0d, -1, V, AI, Z, ALU, 1, 0, LOGIC_FL),
	F("or", 1B, 0x80, 1, B, EI, B, ALU, 1, A_ML, LOGIC_FL),
	F("or", 1B, 0x81, 1, V, EI, Z, ALU, 1, A_ML, LOGIC_FL),
	F("or", 1B, 0x83, 1, V, EI, B, ALU, 1, A_ML, LOGIC_FL),
	F("adc", 1B, 0x10, -1, B, EG, NONE, ALU, 2, A_ML, ARITH_FL),
	F("adc", 1B, 0x11, -1, V, EG, NONE, ALU, 2, A_ML, ARITH_FL),
	F("adc", 1B, 0x12, -1, B, GE, NONE, ALU, 2, A_M, ARITH_FL),
	F("adc", 1B, 0x13, -1, V, GE, NONE, ALU, 2, A_M, ARITH_FL),
	F("adc", 1B, 0x14, -1, B, AI, B, ALU, 2, 0, ARITH_FL),
	F("adc", 1B, 0x15, -1, V, AI, Z, ALU, 2, 0, ARITH_FL),
	F("adc", 1B, 0x80, 2, B, EI, B, ALU, 2, A_ML, ARITH_FL),
	F("adc", 1B, 0x81, 2, V, EI, Z, ALU, 2, A_ML, ARITH_FL),
	F("adc", 1B, 0x83, 2, V, EI, B, ALU, 2, A_ML, ARITH_FL),
	F("sbb", 1B, 0x18, -1, B, EG, NONE, ALU, 3, A_ML, ARITH_FL),
	F("sbb", 1B, 0x19, -1, V, EG, NONE, ALU, 3, A_ML, ARITH_FL),
	F("sbb", 1B, 0x1a, -1, B, GE, NONE, ALU, 3, A_M, ARITH_FL),
	F("sbb", 1B, 0x1b, -1, V, GE, NONE, ALU, 3, A_M, ARITH_FL),
	F("sbb", 1B, 0x1c, -1, B, AI, B, ALU, 3, 0, ARITH_FL),
	F("sbb", 1B, 0x1d, -1, V, AI, Z, ALU, 3, 0, ARITH_FL),
	F("sbb", 1B, 0x80, 3, B, EI, B, ALU, 3, A_ML, ARITH_FL),
	F("sbb", 1B, 0x81, 3, V, EI, Z, ALU, 3, A_ML, ARITH_FL),
	F("sbb", 1B, 0x83, 3, V, EI, B, ALU, 3, A_ML, ARITH_FL),
	F("and", 1B, 0x20, -1, B, EG, NONE, ALU, 4, A_ML, LOGIC_FL),
	F("and", 1B, 0x21, -1, V, EG, NONE, ALU, 4, A_ML, LOGIC_FL),
	F("and", 1B, 0x22, -1, B, GE, NONE, ALU, 4, A_M, LOGIC_FL),
	F("and", 1B, 0x23, -1, V, GE, NONE, ALU, 4, A_M, LOGIC_FL),
	F("and", 1B, 0x24, -1, B, AI, B, ALU, 4, 0, LOGIC_FL),
	F("and", 1B, 0x25, -1, V, AI, Z, ALU, 4, 0, LOGIC_FL),
	F("and", 1B, 0x80, 4, B, EI, B, ALU, 4, A_ML, LOGIC_FL),
	F("and", 1B, 0x81, 4, V, EI, Z, ALU, 4, A_ML, LOGIC_FL),
	F("and", 1B, 0x83, 4, V, EI, B, ALU, 4, A_ML, LOGIC_FL),
	F("sub", 1B, 0x28, -1, B, EG, NONE, ALU, 5, A_ML, ARITH_FL),
	F("sub", 1B, 0x29, -1, V, EG, NONE, ALU, 5, A_ML, ARITH_FL),
	F("sub", 1B, 0x2a, -1, B, GE, NONE, ALU, 5, A_M, ARITH_FL),
	F("sub", 1B, 0x2b, -1, V, GE, NONE, ALU, 5, A_M, ARITH_FL),
	F("sub", 1B, 0x2c, -1, B, AI, B, ALU, 5, 0, ARITH_FL),
	F("sub", 1B, 0x2d, -1, V, AI, Z, ALU, 5, 0, ARITH_FL),
	F("sub", 1B, 0x80, 5, B, EI, B, ALU, 5, A_ML, ARITH_FL),
	F("sub", 1B, 0x81, 5, V, EI, Z, ALU, 5, A_ML, ARITH_FL),
	F("sub", 1B, 0x83, 5, V, EI, B, ALU, 5, A_ML, ARITH_FL),
	F("xor", 1B, 0x30, -1, B, EG, NONE, ALU, 6, A_ML, LOGIC_FL),
	F("xor", 1B, 0x31, -1, V, EG, NONE, ALU, 6, A_ML, LOGIC_FL),
	F("xor", 1B, 0x32, -1, B, GE, NONE, ALU, 6, A_M, LOGIC_FL),
	F("xor", 1B, 0x33, -1, V, GE, NONE, ALU, 6, A_M, LOGIC_FL),
	F("xor", 1B, 0x34, -1, B, AI, B, ALU, 6, 0, LOGIC_FL),
	F("xor", 1B, 0x35, -1, V, AI, Z, ALU, 6, 0, LOGIC_FL),
	F("xor", 1B, 0x80, 6, B, EI, B, ALU, 6, A_ML, LOGIC_FL),
	F("xor", 1B, 0x81, 6, V, EI, Z, ALU, 6, A_ML, LOGIC_FL),
	F("xor", 1B, 0x83, 6, V, EI, B, ALU, 6, A_ML, LOGIC_FL),
	F("cmp", 1B, 0x38, -1, B, EG, NONE, ALU, 7, A_M, ARITH_FL),
	F("cmp", 1B, 0x39, -1, V, EG, NONE, ALU, 7, A_M, ARITH_FL),
	F("cmp", 1B, 0x3a, -1, B, GE, NONE, ALU, 7, A_M, ARITH_FL),
	F("cmp", 1B, 0x3b, -1, V, GE, NONE, ALU, 7, A_M, ARITH_FL),
	F("cmp", 1B, 0x3c, -1, B, AI, B, ALU, 7, 0, ARITH_FL),
	F("cmp", 1B, 0x3d, -1, V, AI, Z, ALU, 7, 0, ARITH_FL),
	F("cmp", 1B, 0x80, 7, B, EI, B, ALU, 7, A_M, ARITH_FL),
	F("cmp", 1B, 0x81, 7, V, EI, Z, ALU, 7, A_M, ARITH_FL),
	F("cmp", 1B, 0x83, 7, V, EI, B, ALU, 7, A_M, ARITH_FL),
	F("jo", 1B, 0x70, -1, F64, I, REL8, JCC, 0, A_BR, ARITH_FL),
	F("jo", 0F, 0x80, -1, F64, I, REL32, JCC, 0, A_BR, ARITH_FL),
	F("seto", 0F, 0x90, -1, B, E, NONE, SETCC, 0, A_M, ARITH_FL),
	F("cmovo", 0F, 0x40, -1, V, GE, NONE, CMOV, 0, A_M, ARITH_FL),
	F("jno", 1B, 0x71, -1, F64, I, REL8, JCC, 1, A_BR, ARITH_FL),
	F("jno", 0F, 0x81, -1, F64, I, REL32, JCC, 1, A_BR, ARITH_FL),
	F("setno", 0F, 0x91, -1, B, E, NONE, SETCC, 1, A_M, ARITH_FL),
	F("cmovno", 0F, 0x41, -1, V, GE, NONE, CMOV, 1, A_M, ARITH_FL),
	F("jb", 1B, 0x72, -1, F64, I, REL8, JCC, 2, A_BR, ARITH_FL),
	F("jb", 0F, 0x82, -1, F64, I, REL32, JCC, 2, A_BR, ARITH_FL),
	F("setb", 0F, 0x92, -1, B, E, NONE, SETCC, 2, A_M, ARITH_FL),
	F("cmovb", 0F, 0x42, -1, V, GE, NONE, CMOV, 2, A_M, ARITH_FL),
	F("jae", 1B, 0x73, -1, F64, I, REL8, JCC, 3, A_BR, ARITH_FL),
	F("jae", 0F, 0x83, -1, F64, I, REL32, JCC, 3, A_BR, ARITH_FL),
	F("setae", 0F, 0x93, -1, B, E, NONE, SETCC, 3, A_M, ARITH_FL),
	F("cmovae", 0F, 0x43, -1, V, GE, NONE, CMOV, 3, A_M, ARITH_FL),
	F("je", 1B, 0x74, -1, F64, I, REL8, JCC, 4, A_BR, ARITH_FL),
	F("je", 0F, 0x84, -1, F64, I, REL32, JCC, 4, A_BR, ARITH_FL),
	F("sete", 0F, 0x94, -1, B, E, NONE, SETCC, 4, A_M, ARITH_FL),
	F("cmove", 0F, 0x44, -1, V, GE, NONE, CMOV, 4, A_M, ARITH_FL),
	F("jne", 1B, 0x75, -1, F64, I, REL8, JCC, 5, A_BR, ARITH_FL),
	F("jne", 0F, 0x85, -1, F64, I, REL32, JCC, 5, A_BR, ARITH_FL),
	F("setne", 0F, 0x95, -1, B, E, NONE, SETCC, 5, A_M, ARITH_FL),
	F("cmovne", 0F, 0x45, -1, V, GE, NONE, CMOV, 5, A_M, ARITH_FL),
	F("jbe", 1B, 0x76, -1, F64, I, REL8, JCC, 6, A_BR, ARITH_FL),
	F("jbe", 0F, 0x86, -1, F64, I, REL32, JCC, 6, A_BR, ARITH_FL),
	F("setbe", 0F, 0x96, -1, B, E, NONE, SETCC, 6, A_M, ARITH_FL),
	F("cmovbe", 0F, 0x46, -1, V, GE, NONE, CMOV, 6, A_M, ARITH_FL),
	F("ja", 1B, 0x77, -1, F64, I, REL8, JCC, 7, A_BR, ARITH_FL),
	F("ja", 0F, 0x87, -1, F64, I, REL32, JCC, 7, A_BR, ARITH_FL),
	F("seta", 0F, 0x97, -1, B, E, NONE, SETCC, 7, A_M, ARITH_FL),
	F("cmova", 0F, 0x47, -1, V, GE, NONE, CMOV, 7, A_M, ARITH_FL),
	F("js", 1B, 0x78, -1, F64, I, REL8, JCC, 8, A_BR, ARITH_FL),
	F("js", 0F, 0x88, -1, F64, I, REL32, JCC, 8, A_BR, ARITH_FL),
	F("sets", 0F, 0x98, -1, B, E, NONE, SETCC, 8, A_M, ARITH_FL),
	F("cmovs", 0F, 0x48, -1, V, GE, NONE, CMOV, 8, A_M, ARITH_FL),
	F("jns", 1B, 0x79, -1, F64, I, REL8, JCC, 9, A_BR, ARITH_FL),
	F("jns", 0F, 0x89, -1, F64, I, REL32, JCC, 9, A_BR, ARITH_FL),
	F("setns", 0F, 0x99, -1, B, E, NONE, SETCC, 9, A_M, ARITH_FL),
	F("cmovns", 0F, 0x49, -1, V, GE, NONE, CMOV, 9, A_M, ARITH_FL),
	F("jp", 1B, 0x7a, -1, F64, I, REL8, JCC, 10, A_BR, ARITH_FL),
	F("jp", 0F, 0x8a, -1, F64, I, REL32, JCC, 10, A_BR, ARITH_FL),
	F("setp", 0F, 0x9a, -1, B, E, NONE, SETCC, 10, A_M, ARITH_FL),
	F("cmovp", 0F, 0x4a, -1, V, GE, NONE, CMOV, 10, A_M, ARITH_FL),
	F("jnp", 1B, 0x7b, -1, F64, I, REL8, JCC, 11, A_BR, ARITH_FL),
	F("jnp", 0F, 0x8b, -1, F64, I, REL32, JCC, 11, A_BR, ARITH_FL),
	F("setnp", 0F, 0x9b, -1, B, E, NONE, SETCC, 11, A_M, ARITH_FL),
	F("cmovnp", 0F, 0x4b, -1, V, GE, NONE, CMOV, 11, A_M, ARITH_FL),
	F("jl", 1B, 0x7c, -1, F64, I, REL8, JCC, 12, A_BR, ARITH_FL),
	F("jl", 0F, 0x8c, -1, F64, I, REL32, JCC, 12, A_BR, ARITH_FL),
	F("setl", 0F, 0x9c, -1, B, E, NONE, SETCC, 12, A_M, ARITH_FL),
	F("cmovl", 0F, 0x4c, -1, V, GE, NONE, CMOV, 12, A_M, ARITH_FL),
	F("jge", 1B, 0x7d, -1, F64, I, REL8, JCC, 13, A_BR, ARITH_FL),
	F("jge", 0F, 0x8d, -1, F64, I, REL32, JCC, 13, A_BR, ARITH_FL),
	F("setge", 0F, 0x9d, -1, B, E, NONE, SETCC, 13, A_M, ARITH_FL),
	F("cmovge", 0F, 0x4d, -1, V, GE, NONE, CMOV, 13, A_M, ARITH_FL),
	F("jle", 1B, 0x7e, -1, F64, I, REL8, JCC, 14, A_BR, ARITH_FL),
	F("jle", 0F, 0x8e, -1, F64, I, REL32, JCC, 14, A_BR, ARITH_FL),
	F("setle", 0F, 0x9e, -1, B, E, NONE, SETCC, 14, A_M, ARITH_FL),
	F("cmovle", 0F, 0x4e, -1, V, GE, NONE, CMOV, 14, A_M, ARITH_FL),
	F("jg", 1B, 0x7f, -1, F64, I, REL8, JCC, 15, A_BR, ARITH_FL),
	F("jg", 0F, 0x8f, -1, F64, I, REL32, JCC, 15, A_BR, ARITH_FL),
	F("setg", 0F, 0x9f, -1, B, E, NONE, SETCC, 15, A_M, ARITH_FL),
	F("cmovg", 0F, 0x4f, -1, V, GE, NONE, CMOV, 15, A_M, ARITH_FL),
	FS("rol", 0xd0, 0, B, NONE, 1, ROT1_FL),
	FS("rol", 0xd1, 0, V, NONE, 1, ROT1_FL),
	FS("rol", 0xd2, 0, B, NONE, CL, ROTN_FL),
	FS("rol", 0xd3, 0, V, NONE, CL, ROTN_FL),
	FS("rol", 0xc0, 0, B, UB, IMM, ROTN_FL),
	FS("rol", 0xc1, 0, V, UB, IMM, ROTN_FL),
	FS("ror", 0xd0, 1, B, NONE, 1, ROT1_FL),
	FS("ror", 0xd1, 1, V, NONE, 1, ROT1_FL),
	FS("ror", 0xd2, 1, B, NONE, CL, ROTN_FL),
	FS("ror", 0xd3, 1, V, NONE, CL, ROTN_FL),
	FS("ror", 0xc0, 1, B, UB, IMM, ROTN_FL),
	FS("ror", 0xc1, 1, V, UB, IMM, ROTN_FL),
	FS("rcl", 0xd0, 2, B, NONE, 1, ROT1_FL),
	FS("rcl", 0xd1, 2, V, NONE, 1, ROT1_FL),
	FS("rcl", 0xd2, 2, B, NONE, CL, ROTN_FL),
	FS("rcl", 0xd3, 2, V, NONE, CL, ROTN_FL),
	FS("rcl", 0xc0, 2, B, UB, IMM, ROTN_FL),
	FS("rcl", 0xc1, 2, V, UB, IMM, ROTN_FL),
	FS("rcr", 0xd0, 3, B, NONE, 1, ROT1_FL),
	FS("rcr", 0xd1, 3, V, NONE, 1, ROT1_FL),
	FS("rcr", 0xd2, 3, B, NONE, CL, ROTN_FL),
	FS("rcr", 0xd3, 3, V, NONE, CL, ROTN_FL),
	FS("rcr", 0xc0, 3, B, UB, IMM, ROTN_FL),
	FS("rcr", 0xc1, 3, V, UB, IMM, ROTN_FL),
	FS("shl", 0xd0, 4, B, NONE, 1, SH1_FL),
	FS("shl", 0xd1, 4, V, NONE, 1, SH1_FL),
	FS("shl", 0xd2, 4, B, NONE, CL, SHN_FL),
	FS("shl", 0xd3, 4, V, NONE, CL, SHN_FL),
	FS("shl", 0xc0, 4, B, UB, IMM, SHN_FL),
	FS("shl", 0xc1, 4, V, UB, IMM, SHN_FL),
	FS("shr", 0xd0, 5, B, NONE, 1, SH1_FL),
	FS("shr", 0xd1, 5, V, NONE, 1, SH1_FL),
	FS("shr", 0xd2, 5, B, NONE, CL, SHN_FL),
	FS("shr", 0xd3, 5, V, NONE, CL, SHN_FL),
	FS("shr", 0xc0, 5, B, UB, IMM, SHN_FL),
	FS("shr", 0xc1, 5, V, UB, IMM, SHN_FL),
	FS("sar", 0xd0, 7, B, NONE, 1, SH1_FL),
	FS("sar", 0xd1, 7, V, NONE, 1, SH1_FL),
	FS("sar", 0xd2, 7, B, NONE, CL, SHN_FL),
	FS("sar", 0xd3, 7, V, NONE, CL, SHN_FL),
	FS("sar", 0xc0, 7, B, UB, IMM, SHN_FL),
	FS("sar", 0xc1, 7, V, UB, IMM, SHN_FL),

	/* Moves. */
	F("mov", 1B, 0x88, -1, B, EG, NONE, MOV, 0, A_M, ARITH_FL),
	F("mov", 1B, 0x89, -1, V, EG, NONE, MOV, 0, A_M, ARITH_FL),
	F("mov", 1B, 0x8a, -1, B, GE, NONE, MOV, 0, A_M, ARITH_FL),
	F("mov", 1B, 0x8b, -1, V, GE, NONE, MOV, 0, A_M, ARITH_FL),
	F("mov", 1B, 0xb0, -1, B, OI, B, MOV, 0, 0, ARITH_FL),
	F("mov", 1B, 0xb8, -1, V, OI, V, MOV, 0, 0, ARITH_FL),
	F("mov", 1B, 0xc6, 0, B, EI, B, MOV, 0, A_M, ARITH_FL),
	F("mov", 1B, 0xc7, 0, V, EI, Z, MOV, 0, A_M, ARITH_FL),
	F("movzx", 0F, 0xb6, -1, V, GE, NONE, MOVZX, 1, A_M, ARITH_FL),
	F("movzx", 0F, 0xb7, -1, V, GE, NONE, MOVZX, 2, A_M, ARITH_FL),
	F("movsx", 0F, 0xbe, -1, V, GE, NONE, MOVSX, 1, A_M, ARITH_FL),
	F("movsx", 0F, 0xbf, -1, V, GE, NONE, MOVSX, 2, A_M, ARITH_FL),
	F("movsxd", 1B, 0x63, -1, V, GE, NONE, MOVSX, 4, A_M, ARITH_FL),
	FX("lea", 1B, 0x8d, -1, 0, MEM, -1, V, GE, NONE, LEA, 0, A_M, ARITH_FL),
	F("xchg", 1B, 0x86, -1, B, EG, NONE, XCHG, 0, A_ML, ARITH_FL),
	F("xchg", 1B, 0x87, -1, V, EG, NONE, XCHG, 0, A_ML, ARITH_FL),
	F("xchg", 1B, 0x90, -1, V, AO, NONE, XCHG, 0, 0, ARITH_FL),
	F("cmpxchg", 0F, 0xb0, -1, B, EG, NONE, CMPXCHG, 0, A_ML, ARITH_FL),
	F("cmpxchg", 0F, 0xb1, -1, V, EG, NONE, CMPXCHG, 0, A_ML, ARITH_FL),
	F("xadd", 0F, 0xc0, -1, B, EG, NONE, XADD, 0, A_ML, ARITH_FL),
	F("xadd", 0F, 0xc1, -1, V, EG, NONE, XADD, 0, A_ML, ARITH_FL),
	F("bswap", 0F, 0xc8, -1, V, O, NONE, BSWAP, 0, 0, ARITH_FL),
	F("cbw", 1B, 0x98, -1, V, NONE, NONE, CBW, 0, 0, ARITH_FL),
	F("cwd", 1B, 0x99, -1, V, NONE, NONE, CWD, 0, 0, ARITH_FL),

	/* Test, unary, multiply, divide. */
	F("test", 1B, 0x84, -1, B, EG, NONE, TEST, 0, A_M, LOGIC_FL),
	F("test", 1B, 0x85, -1, V, EG, NONE, TEST, 0, A_M, LOGIC_FL),
	F("test", 1B, 0xa8, -1, B, AI, B, TEST, 0, 0, LOGIC_FL),
	F("test", 1B, 0xa9, -1, V, AI, Z, TEST, 0, 0, LOGIC_FL),
	F("test", 1B, 0xf6, 0, B, EI, B, TEST, 0, A_M, LOGIC_FL),
	F("test", 1B, 0xf7, 0, V, EI, Z, TEST, 0, A_M, LOGIC_FL),
	F("not", 1B, 0xf6, 2, B, E, NONE, NOT, 0, A_ML, ARITH_FL),
	F("not", 1B, 0xf7, 2, V, E, NONE, NOT, 0, A_ML, ARITH_FL),
	F("neg", 1B, 0xf6, 3, B, E, NONE, NEG, 0, A_ML, ARITH_FL),
	F("neg", 1B, 0xf7, 3, V, E, NONE, NEG, 0, A_ML, ARITH_FL),
	F("mul", 1B, 0xf6, 4, B, E, NONE, MUL, 0, A_M, MUL_FL),
	F("mul", 1B, 0xf7, 4, V, E, NONE, MUL, 0, A_M, MUL_FL),
	F("imul", 1B, 0xf6, 5, B, E, NONE, IMUL1, 0, A_M, MUL_FL),
	F("imul", 1B, 0xf7, 5, V, E, NONE, IMUL1, 0, A_M, MUL_FL),
	F("div", 1B, 0xf6, 6, B, E, NONE, DIV, 0, A_M, 0),
	F("div", 1B, 0xf7, 6, V, E, NONE, DIV, 0, A_M, 0),
	F("idiv", 1B, 0xf6, 7, B, E, NONE, IDIV, 0, A_M, 0),
	F("idiv", 1B, 0xf7, 7, V, E, NONE, IDIV, 0, A_M, 0),
	F("imul", 0F, 0xaf, -1, V, GE, NONE, IMUL2, 0, A_M, MUL_FL),
	F("imul", 1B, 0x69, -1, V, GEI, Z, IMUL2, 0, A_M, MUL_FL),
	F("imul", 1B, 0x6b, -1, V, GEI, B, IMUL2, 0, A_M, MUL_FL),
	F("inc", 1B, 0xfe, 0, B, E, NONE, INC, 0, A_ML, ARITH_FL),
	F("inc", 1B, 0xff, 0, V, E, NONE, INC, 0, A_ML, ARITH_FL),
	F("dec", 1B, 0xfe, 1, B, E, NONE, DEC, 0, A_ML, ARITH_FL),
	F("dec", 1B, 0xff, 1, V, E, NONE, DEC, 0, A_ML, ARITH_FL),

	F("shld", 0F, 0xa4, -1, V, EGI, UB, SHLD, 0, A_M, SHN_FL),
	F("shld", 0F, 0xa5, -1, V, EGC, NONE, SHLD, 0, A_M, SHN_FL),
	F("shrd", 0F, 0xac, -1, V, EGI, UB, SHRD, 0, A_M, SHN_FL),
	F("shrd", 0F, 0xad, -1, V, EGC, NONE, SHRD, 0, A_M, SHN_FL),

	/* Bit operations. */
	F("bt", 0F, 0xa3, -1, V, EG, NONE, BT, SOFT_BT_BT, A_M, BT_FL),
	F("bts", 0F, 0xab, -1, V, EG, NONE, BT, SOFT_BT_BTS, A_ML, BT_FL),
	F("btr", 0F, 0xb3, -1, V, EG, NONE, BT, SOFT_BT_BTR, A_ML, BT_FL),
	F("btc", 0F, 0xbb, -1, V, EG, NONE, BT, SOFT_BT_BTC, A_ML, BT_FL),
	F("bt", 0F, 0xba, 4, V, EI, UB, BT, SOFT_BT_BT, A_M, BT_FL),
	F("bts", 0F, 0xba, 5, V, EI, UB, BT, SOFT_BT_BTS, A_ML, BT_FL),
	F("btr", 0F, 0xba, 6, V, EI, UB, BT, SOFT_BT_BTR, A_ML, BT_FL),
	F("btc", 0F, 0xba, 7, V, EI, UB, BT, SOFT_BT_BTC, A_ML, BT_FL),
	F("bsf", 0F, 0xbc, -1, V, GE, NONE, BSF, 0, A_M, SOFT_ZF),
	F("bsr", 0F, 0xbd, -1, V, GE, NONE, BSR, 0, A_M, SOFT_ZF),

	/* BMI1 (with TZCNT above), VEX.LZ.0F38.  Flags per the SDM: AF and
	 * PF are undefined after all five, SF after BEXTR as well. */
	FV("andn", 0F38, 0xf2, -1, 0, GVE, SOFT_BMI_ANDN, SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF),
	FV("blsr", 0F38, 0xf3, 1, 0, VE, SOFT_BMI_BLSR, SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF),
	FV("blsmsk", 0F38, 0xf3, 2, 0, VE, SOFT_BMI_BLSMSK, SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF),
	FV("blsi", 0F38, 0xf3, 3, 0, VE, SOFT_BMI_BLSI, SOFT_CF | SOFT_ZF | SOFT_SF | SOFT_OF),
	FV("bextr", 0F38, 0xf7, -1, 0, GEV, SOFT_BMI_BEXTR, SOFT_CF | SOFT_ZF | SOFT_OF),

	/* Stack. */
	F("push", 1B, 0x50, -1, D64, O, NONE, PUSH, 0, SOFT_A_STACK, ARITH_FL),
	F("pop", 1B, 0x58, -1, D64, O, NONE, POP, 0, SOFT_A_STACK, ARITH_FL),
	F("push", 1B, 0xff, 6, D64, E, NONE, PUSH, 0, A_M | SOFT_A_STACK, ARITH_FL),
	F("pop", 1B, 0x8f, 0, D64, E, NONE, POP, 0, A_M | SOFT_A_STACK, ARITH_FL),
	F("push", 1B, 0x6a, -1, D64, I, B, PUSH, 0, SOFT_A_STACK, ARITH_FL),
	F("push", 1B, 0x68, -1, D64, I, Z, PUSH, 0, SOFT_A_STACK, ARITH_FL),
	F("leave", 1B, 0xc9, -1, D64, NONE, NONE, LEAVE, 0, SOFT_A_STACK, ARITH_FL),
	F("pushf", 1B, 0x9c, -1, D64, NONE, NONE, PUSHF, 0, SOFT_A_STACK, ARITH_FL),
	F("popf", 1B, 0x9d, -1, D64, NONE, NONE, POPF, 0, SOFT_A_STACK, ARITH_FL),

	/* Control transfer. */
	F("call", 1B, 0xe8, -1, F64, I, REL32, CALL, 0, A_BR | SOFT_A_STACK, ARITH_FL),
	F("call", 1B, 0xff, 2, F64, E, NONE, CALL_IND, 0, A_M | A_BR | SOFT_A_STACK, ARITH_FL),
	F("jmp", 1B, 0xe9, -1, F64, I, REL32, JMP, 0, A_BR, ARITH_FL),
	F("jmp", 1B, 0xeb, -1, F64, I, REL8, JMP, 0, A_BR, ARITH_FL),
	F("jmp", 1B, 0xff, 4, F64, E, NONE, JMP_IND, 0, A_M | A_BR, ARITH_FL),
	F("ret", 1B, 0xc3, -1, F64, NONE, NONE, RET, 0, A_BR | SOFT_A_STACK, ARITH_FL),
	F("ret", 1B, 0xc2, -1, F64, I, W, RET, 0, A_BR | SOFT_A_STACK, ARITH_FL),

	/* Other non-system instructions. */
	F("nop", 0F, 0x1f, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("movs", 1B, 0xa4, -1, B, NONE, NONE, MOVS, 0, SOFT_A_REP, ARITH_FL),
	F("movs", 1B, 0xa5, -1, V, NONE, NONE, MOVS, 0, SOFT_A_REP, ARITH_FL),
	F("stos", 1B, 0xaa, -1, B, NONE, NONE, STOS, 0, SOFT_A_REP, ARITH_FL),
	F("stos", 1B, 0xab, -1, V, NONE, NONE, STOS, 0, SOFT_A_REP, ARITH_FL),
	F("clc", 1B, 0xf8, -1, V, NONE, NONE, FLAGOP, SOFT_FL_CLC, 0, ARITH_FL),
	F("stc", 1B, 0xf9, -1, V, NONE, NONE, FLAGOP, SOFT_FL_STC, 0, ARITH_FL),
	F("cmc", 1B, 0xf5, -1, V, NONE, NONE, FLAGOP, SOFT_FL_CMC, 0, ARITH_FL),
	F("cld", 1B, 0xfc, -1, V, NONE, NONE, FLAGOP, SOFT_FL_CLD, 0, ARITH_FL),
	F("std", 1B, 0xfd, -1, V, NONE, NONE, FLAGOP, SOFT_FL_STD, 0, ARITH_FL),

	F("cmps", 1B, 0xa6, -1, B, NONE, NONE, CMPS, 0, SOFT_A_REP, ARITH_FL),
	F("cmps", 1B, 0xa7, -1, V, NONE, NONE, CMPS, 0, SOFT_A_REP, ARITH_FL),
	F("scas", 1B, 0xae, -1, B, NONE, NONE, SCAS, 0, SOFT_A_REP, ARITH_FL),
	F("scas", 1B, 0xaf, -1, V, NONE, NONE, SCAS, 0, SOFT_A_REP, ARITH_FL),
	{ .mnem = "cmpxchg16b", .map = SOFT_MAP_0F, .opc = 0xc7, .ext = 1, .pfx = 0,
	  .modc = SOFT_MOD_MEM, .modrm = -1, .size = SOFT_SZ_V, .opnds = SOFT_P_E,
	  .imm = SOFT_I_NONE, .op = SOFT_OP_CMPXCHG8B, .sub = 16, .count = SOFT_CNT_NONE,
	  .attr = A_ML, .rexw = 1, .fdef = ARITH_FL },
	FX("cmpxchg8b", 0F, 0xc7, 1, 0, MEM, -1, F64, E, NONE, CMPXCHG8B, 8, A_ML, ARITH_FL),
	F("jrcxz", 1B, 0xe3, -1, F64, I, REL8, JRCXZ, 0, A_BR, ARITH_FL),
	F("lahf", 1B, 0x9f, -1, F64, NONE, NONE, LAHF, 0, 0, ARITH_FL),
	F("sahf", 1B, 0x9e, -1, F64, NONE, NONE, SAHF, 0, 0, ARITH_FL),
	/* Hints that are NOPs to this CPU (no cache model): CET's end-branch
	 * marker, the prefetches (no access, no fault, nothing counted). */
	FX("endbr64", 0F, 0x1e, -1, 0xf3, REG, 0xfa, V, NONE, NONE, NOP, 0, A_M, ARITH_FL),
	FX("prefetchnta", 0F, 0x18, 0, 0, MEM, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	FX("prefetcht0", 0F, 0x18, 1, 0, MEM, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	FX("prefetcht1", 0F, 0x18, 2, 0, MEM, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	FX("prefetcht2", 0F, 0x18, 3, 0, MEM, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	/* The rest of the hint-NOP space 0F 18..0F 1F (SDM vol. 2, NOP;
	 * MPX's and CLDEMOTE's encodings are NOPs to a CPU without them). */
	F("nop", 0F, 0x18, 4, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x18, 5, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x18, 6, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x18, 7, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x19, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x1a, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x1b, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x1c, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x1d, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),
	F("nop", 0F, 0x1e, -1, V, E, NONE, NOP, 0, A_M, ARITH_FL),

	/* SSE and SSE2 (sse_ops.h). */
	SOFT_SSE_OPS(SSE_H, SSE_C)

	/* System instructions. */
	F("cli", 1B, 0xfa, -1, V, NONE, NONE, CLI, 0, A_SYS, ARITH_FL),
	F("sti", 1B, 0xfb, -1, V, NONE, NONE, STI, 0, A_SYS, ARITH_FL),
	F("hlt", 1B, 0xf4, -1, V, NONE, NONE, HLT, 0, A_SYS, ARITH_FL),
	F("in", 1B, 0xe4, -1, B, I, UB, IN, 0, A_SYS, ARITH_FL),
	F("in", 1B, 0xe5, -1, V, I, UB, IN, 0, A_SYS, ARITH_FL),
	F("in", 1B, 0xec, -1, B, NONE, NONE, IN, 1, A_SYS, ARITH_FL),
	F("in", 1B, 0xed, -1, V, NONE, NONE, IN, 1, A_SYS, ARITH_FL),
	F("out", 1B, 0xe6, -1, B, I, UB, OUT, 0, A_SYS, ARITH_FL),
	F("out", 1B, 0xe7, -1, V, I, UB, OUT, 0, A_SYS, ARITH_FL),
	F("out", 1B, 0xee, -1, B, NONE, NONE, OUT, 1, A_SYS, ARITH_FL),
	F("out", 1B, 0xef, -1, V, NONE, NONE, OUT, 1, A_SYS, ARITH_FL),
	F("int3", 1B, 0xcc, -1, V, NONE, NONE, INT3, 0, A_SYS, ARITH_FL),
	F("int", 1B, 0xcd, -1, V, I, UB, INT, 0, A_SYS, ARITH_FL),
	F("ud2", 0F, 0x0b, -1, V, NONE, NONE, UD2, 0, A_SYS, ARITH_FL),
	F("cpuid", 0F, 0xa2, -1, V, NONE, NONE, CPUID, 0, A_SYS, ARITH_FL),
	F("rdtsc", 0F, 0x31, -1, V, NONE, NONE, RDTSC, 0, A_SYS, ARITH_FL),
	F("rdmsr", 0F, 0x32, -1, V, NONE, NONE, RDMSR, 0, A_SYS, ARITH_FL),
	F("wrmsr", 0F, 0x30, -1, V, NONE, NONE, WRMSR, 0, A_SYS, ARITH_FL),
	FX("mov", 0F, 0x20, -1, 0, ANY, -1, F64, E, NONE, MOV_FROM_CR, 0, A_MSYS, 0),
	FX("mov", 0F, 0x22, -1, 0, ANY, -1, F64, E, NONE, MOV_TO_CR, 0, A_MSYS, 0),
	FX("mov", 1B, 0x8e, -1, 0, ANY, -1, W, E, NONE, MOV_TO_SEG, 0, A_MSYS, ARITH_FL),
	FX("mov", 1B, 0x8c, -1, 0, ANY, -1, V, E, NONE, MOV_FROM_SEG, 0, A_MSYS, ARITH_FL),
	F("iret", 1B, 0xcf, -1, V, NONE, NONE, IRETQ, 0, A_SYS, ARITH_FL),
	F("syscall", 0F, 0x05, -1, F64, NONE, NONE, SYSCALL, 0, A_SYS, ARITH_FL),
	F("sysret", 0F, 0x07, -1, V, NONE, NONE, SYSRET, 0, A_SYS, ARITH_FL),
	F("retf", 1B, 0xcb, -1, V, NONE, NONE, LRET, 0, A_SYS, ARITH_FL),

	/* ---- x87 (cpu_x87.c): one row per escape opcode D8..DF, sub =
	 * opcode & 7, the executor decodes modrm itself; FWAIT.  The x87
	 * mnemonics objdump prints are aliases of these rows (below). ---- */
	F("fadd", 1B, 0xd8, -1, V, E, NONE, X87, 0, A_M | SOFT_A_X87, ARITH_FL),
	F("fld", 1B, 0xd9, -1, V, E, NONE, X87, 1, A_M | SOFT_A_X87, ARITH_FL),
	F("fiadd", 1B, 0xda, -1, V, E, NONE, X87, 2, A_M | SOFT_A_X87, ARITH_FL),
	F("fild", 1B, 0xdb, -1, V, E, NONE, X87, 3, A_M | SOFT_A_X87, ARITH_FL),
	F("fmul", 1B, 0xdc, -1, V, E, NONE, X87, 4, A_M | SOFT_A_X87, ARITH_FL),
	F("fst", 1B, 0xdd, -1, V, E, NONE, X87, 5, A_M | SOFT_A_X87, ARITH_FL),
	F("faddp", 1B, 0xde, -1, V, E, NONE, X87, 6, A_M | SOFT_A_X87, ARITH_FL),
	F("fistp", 1B, 0xdf, -1, V, E, NONE, X87, 7, A_M | SOFT_A_X87, ARITH_FL),
	F("fwait", 1B, 0x9b, -1, V, NONE, NONE, X87, 8, SOFT_A_X87, ARITH_FL),
	/* ---- end of x87 ---- */
};

const unsigned soft_form_count = sizeof(soft_forms) / sizeof(soft_forms[0]);

/* Spellings objdump uses for some forms (operand-size variants of one
 * opcode), for the coverage test. */
const struct soft_mnem_alias soft_mnem_aliases[] = {
	{ .alias = "cwde", .mnem = "cbw" },
	{ .alias = "cdqe", .mnem = "cbw" },
	{ .alias = "cdq", .mnem = "cwd" },
	{ .alias = "cqo", .mnem = "cwd" },
	{ .alias = "movabs", .mnem = "mov" },
	{ .alias = "iretq", .mnem = "iret" },
	{ .alias = "sysretq", .mnem = "sysret" },
	{ .alias = "movsb", .mnem = "movs" },
	{ .alias = "movsw", .mnem = "movs" },
	{ .alias = "movsd", .mnem = "movs" },
	{ .alias = "movsq", .mnem = "movs" },
	{ .alias = "stosb", .mnem = "stos" },
	{ .alias = "stosw", .mnem = "stos" },
	{ .alias = "stosd", .mnem = "stos" },
	{ .alias = "stosq", .mnem = "stos" },
	{ .alias = "cmpsb", .mnem = "cmps" },
	{ .alias = "cmpsw", .mnem = "cmps" },
	{ .alias = "cmpsd", .mnem = "cmps" },
	{ .alias = "cmpsq", .mnem = "cmps" },
	{ .alias = "scasb", .mnem = "scas" },
	{ .alias = "scasw", .mnem = "scas" },
	{ .alias = "scasd", .mnem = "scas" },
	{ .alias = "scasq", .mnem = "scas" },
	{ .alias = "pushfq", .mnem = "pushf" },
	{ .alias = "popfq", .mnem = "popf" },
	{ .alias = "sal", .mnem = "shl" },
	{ .alias = "lret", .mnem = "retf" },
	{ .alias = "lretq", .mnem = "retf" },
	{ .alias = "retfq", .mnem = "retf" },
	/* ---- x87 (cpu_x87.c): every x87 mnemonic it implements (not the
	 * transcendentals), spelled as a row of the x87 block. ---- */
	{ .alias = "fstp", .mnem = "fld" }, { .alias = "fist", .mnem = "fld" },
	{ .alias = "fxch", .mnem = "fld" }, { .alias = "fldz", .mnem = "fld" },
	{ .alias = "fld1", .mnem = "fld" }, { .alias = "fldpi", .mnem = "fld" },
	{ .alias = "fldl2e", .mnem = "fld" }, { .alias = "fldln2", .mnem = "fld" },
	{ .alias = "fldl2t", .mnem = "fld" }, { .alias = "fldlg2", .mnem = "fld" },
	{ .alias = "fchs", .mnem = "fld" }, { .alias = "fabs", .mnem = "fld" },
	{ .alias = "fsub", .mnem = "fld" }, { .alias = "fsubp", .mnem = "fld" },
	{ .alias = "fsubr", .mnem = "fld" }, { .alias = "fsubrp", .mnem = "fld" },
	{ .alias = "fisub", .mnem = "fld" }, { .alias = "fisubr", .mnem = "fld" },
	{ .alias = "fmulp", .mnem = "fld" }, { .alias = "fimul", .mnem = "fld" },
	{ .alias = "fdiv", .mnem = "fld" }, { .alias = "fdivp", .mnem = "fld" },
	{ .alias = "fdivr", .mnem = "fld" }, { .alias = "fdivrp", .mnem = "fld" },
	{ .alias = "fidiv", .mnem = "fld" }, { .alias = "fidivr", .mnem = "fld" },
	{ .alias = "fcom", .mnem = "fld" }, { .alias = "fcomp", .mnem = "fld" },
	{ .alias = "fcompp", .mnem = "fld" }, { .alias = "fucom", .mnem = "fld" },
	{ .alias = "fucomp", .mnem = "fld" }, { .alias = "fucompp", .mnem = "fld" },
	{ .alias = "fcomi", .mnem = "fld" }, { .alias = "fcomip", .mnem = "fld" },
	{ .alias = "fucomi", .mnem = "fld" }, { .alias = "fucomip", .mnem = "fld" },
	{ .alias = "ficom", .mnem = "fld" }, { .alias = "ficomp", .mnem = "fld" },
	{ .alias = "ftst", .mnem = "fld" }, { .alias = "fxam", .mnem = "fld" },
	{ .alias = "fnstsw", .mnem = "fld" }, { .alias = "fnstcw", .mnem = "fld" },
	{ .alias = "fldcw", .mnem = "fld" }, { .alias = "fninit", .mnem = "fld" },
	{ .alias = "fnclex", .mnem = "fld" }, { .alias = "fsqrt", .mnem = "fld" },
	{ .alias = "frndint", .mnem = "fld" }, { .alias = "fscale", .mnem = "fld" },
	{ .alias = "fprem", .mnem = "fld" }, { .alias = "fprem1", .mnem = "fld" },
	{ .alias = "fxtract", .mnem = "fld" }, { .alias = "ffree", .mnem = "fld" },
	{ .alias = "fincstp", .mnem = "fld" }, { .alias = "fdecstp", .mnem = "fld" },
	{ .alias = "fcmovb", .mnem = "fld" }, { .alias = "fcmove", .mnem = "fld" },
	{ .alias = "fcmovbe", .mnem = "fld" }, { .alias = "fcmovu", .mnem = "fld" },
	{ .alias = "fcmovnb", .mnem = "fld" }, { .alias = "fcmovne", .mnem = "fld" },
	{ .alias = "fcmovnbe", .mnem = "fld" }, { .alias = "fcmovnu", .mnem = "fld" },
	{ .alias = "fnstenv", .mnem = "fld" }, { .alias = "fldenv", .mnem = "fld" },
	{ .alias = "fnsave", .mnem = "fld" }, { .alias = "frstor", .mnem = "fld" },
	{ .alias = "fnop", .mnem = "fld" }, { .alias = "fbld", .mnem = "fld" },
	{ .alias = "fbstp", .mnem = "fld" }, { .alias = "finit", .mnem = "fld" },
	{ .alias = "fclex", .mnem = "fld" }, { .alias = "fstsw", .mnem = "fld" },
	{ .alias = "fstcw", .mnem = "fld" }, { .alias = "fstenv", .mnem = "fld" },
	{ .alias = "fsave", .mnem = "fld" },
	/* ---- end of x87 ---- */
	{ .alias = "fxsave64", .mnem = "fxsave" },
	{ .alias = "fxrstor64", .mnem = "fxrstor" },
	/* CMPPS/PD/SS/SD spelled with their predicate (imm8 0..7). */
#define CMP_ALIASES(sfx)                                                        \
	{ .alias = "cmpeq" sfx, .mnem = "cmp" sfx }, { .alias = "cmplt" sfx, .mnem = "cmp" sfx }, \
	{ .alias = "cmple" sfx, .mnem = "cmp" sfx }, { .alias = "cmpunord" sfx, .mnem = "cmp" sfx }, \
	{ .alias = "cmpneq" sfx, .mnem = "cmp" sfx }, { .alias = "cmpnlt" sfx, .mnem = "cmp" sfx }, \
	{ .alias = "cmpnle" sfx, .mnem = "cmp" sfx }, { .alias = "cmpord" sfx, .mnem = "cmp" sfx }
	CMP_ALIASES("ps"), CMP_ALIASES("pd"), CMP_ALIASES("ss"), CMP_ALIASES("sd"),
#undef CMP_ALIASES
};

const unsigned soft_mnem_alias_count = sizeof(soft_mnem_aliases) / sizeof(soft_mnem_aliases[0]);
