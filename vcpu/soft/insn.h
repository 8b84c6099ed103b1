/*
 * vcpu/soft/insn.h — the soft CPU's instruction forms and decoder.
 *
 * One table (soft_forms[] in insn_table.c) is the single source of truth
 * for the instructions the soft CPU implements: the decoder matches bytes
 * against it, the executor dispatches on the form's semantic op, the
 * objdump coverage test reads its mnemonics, and the unicorn oracle
 * generates random instances of every form marked for the oracle.
 *
 * Invariants: a form is identified by (encoding: legacy or VEX, map,
 * opcode, mandatory prefix or VEX.pp, modrm.reg extension, modrm.mod
 * class, exact modrm); the decoder takes the
 * first match in table order, so more specific forms come first.  The
 * decoded instruction (struct soft_dinsn) is position-independent except
 * for relative branch targets, which are stored as displacements.
 */
#ifndef MEMVIRT_VCPU_SOFT_INSN_H
#define MEMVIRT_VCPU_SOFT_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcpu/soft/sse_ops.h"

/* Opcode maps. */
enum soft_map { SOFT_MAP_1B = 0, SOFT_MAP_0F, SOFT_MAP_0F38, SOFT_MAP_0F3A };

/* Operand size rules. */
enum soft_size {
	SOFT_SZ_B = 0,  /* 8-bit */
	SOFT_SZ_V,      /* 16/32/64 from 66 and REX.W, default 32 */
	SOFT_SZ_D64,    /* 64 by default, 16 with 66 (push, pop, near indirect) */
	SOFT_SZ_F64,    /* always 64 (near branches, ret) */
	SOFT_SZ_W,      /* always 16 */
};

/* Operand patterns: which operands the form has and which is written. */
enum soft_opnds {
	SOFT_P_NONE = 0,
	SOFT_P_EG,      /* r/m dst, reg src */
	SOFT_P_GE,      /* reg dst, r/m src */
	SOFT_P_EI,      /* r/m dst, immediate src */
	SOFT_P_AI,      /* accumulator dst, immediate src */
	SOFT_P_E,       /* r/m only */
	SOFT_P_GEI,     /* reg dst, r/m src, immediate (imul 3-operand) */
	SOFT_P_O,       /* register in the opcode's low 3 bits */
	SOFT_P_OI,      /* opcode register, immediate */
	SOFT_P_AO,      /* accumulator and opcode register (xchg) */
	SOFT_P_I,       /* immediate only */
	SOFT_P_EGI,     /* r/m dst, reg src, imm8 count (shld/shrd) */
	SOFT_P_EGC,     /* r/m dst, reg src, count in CL (shld/shrd) */
	/* VEX forms: the third operand is the register VEX.vvvv names. */
	SOFT_P_GVE,     /* reg dst, vvvv src1, r/m src2 (andn) */
	SOFT_P_VE,      /* vvvv dst, r/m src (blsr, blsmsk, blsi) */
	SOFT_P_GEV,     /* reg dst, r/m src1, vvvv src2 (bextr) */
};

/* Immediate kinds. */
enum soft_imm {
	SOFT_I_NONE = 0,
	SOFT_I_B,       /* imm8 sign-extended to the operand size */
	SOFT_I_UB,      /* imm8 zero-extended */
	SOFT_I_W,       /* imm16 */
	SOFT_I_Z,       /* imm16 with 66, else imm32 sign-extended */
	SOFT_I_V,       /* full operand size (mov r64, imm64) */
	SOFT_I_REL8,
	SOFT_I_REL32,
};

/* modrm.mod constraint. */
enum soft_modc { SOFT_MOD_ANY = 0, SOFT_MOD_MEM, SOFT_MOD_REG };

/* Semantic operations. */
enum soft_op {
	SOFT_OP_INVALID = 0,
	SOFT_OP_ALU,        /* sub: enum soft_alu */
	SOFT_OP_TEST,
	SOFT_OP_MOV,
	SOFT_OP_MOVZX,      /* sub: source size in bytes */
	SOFT_OP_MOVSX,      /* sub: source size in bytes */
	SOFT_OP_LEA,
	SOFT_OP_INC, SOFT_OP_DEC, SOFT_OP_NEG, SOFT_OP_NOT,
	SOFT_OP_MUL, SOFT_OP_IMUL1, SOFT_OP_IMUL2, SOFT_OP_DIV, SOFT_OP_IDIV,
	SOFT_OP_SHIFT,      /* sub: enum soft_shift; count from the pattern */
	SOFT_OP_SHLD, SOFT_OP_SHRD,
	SOFT_OP_PUSH, SOFT_OP_POP, SOFT_OP_LEAVE,
	SOFT_OP_CALL, SOFT_OP_CALL_IND, SOFT_OP_RET, SOFT_OP_JMP, SOFT_OP_JMP_IND,
	SOFT_OP_JCC, SOFT_OP_SETCC, SOFT_OP_CMOV,   /* sub: condition 0..15 */
	SOFT_OP_NOP, SOFT_OP_XCHG, SOFT_OP_CMPXCHG, SOFT_OP_XADD,
	SOFT_OP_BT,         /* sub: enum soft_bt */
	SOFT_OP_BSF, SOFT_OP_BSR, SOFT_OP_TZCNT, SOFT_OP_LZCNT, SOFT_OP_POPCNT,
	SOFT_OP_BSWAP, SOFT_OP_CBW, SOFT_OP_CWD,
	SOFT_OP_MOVS, SOFT_OP_STOS,
	SOFT_OP_FLAGOP,     /* sub: enum soft_flagop (clc stc cmc cld std) */
	SOFT_OP_PUSHF, SOFT_OP_POPF, SOFT_OP_FENCE,
	SOFT_OP_SSE,        /* sub: enum soft_sse (sse_ops.h, cpu_sse.c) */
	SOFT_OP_JRCXZ,
	SOFT_OP_LAHF, SOFT_OP_SAHF,
	SOFT_OP_CMPS, SOFT_OP_SCAS,   /* REPE (F3) / REPNE (F2) in soft_dinsn.rep */
	SOFT_OP_CMPXCHG8B,  /* sub: operand bytes, 8 or 16 (CMPXCHG16B, REX.W) */
	SOFT_OP_BMI1,       /* sub: enum soft_bmi1 (VEX-encoded, CPUID.7.0:EBX.BMI1) */
	/* System instructions. */
	SOFT_OP_CLI, SOFT_OP_STI, SOFT_OP_HLT, SOFT_OP_IN, SOFT_OP_OUT,
	SOFT_OP_INT3, SOFT_OP_INT, SOFT_OP_UD2, SOFT_OP_CPUID, SOFT_OP_RDTSC,
	SOFT_OP_RDMSR, SOFT_OP_WRMSR, SOFT_OP_MOV_FROM_CR, SOFT_OP_MOV_TO_CR,
	SOFT_OP_INVLPG, SOFT_OP_LGDT, SOFT_OP_LIDT, SOFT_OP_LTR,
	SOFT_OP_IRETQ, SOFT_OP_SYSCALL, SOFT_OP_SYSRET, SOFT_OP_SWAPGS,
	SOFT_OP_VMMCALL, SOFT_OP_MOV_TO_SEG, SOFT_OP_MOV_FROM_SEG, SOFT_OP_LRET,
	SOFT_OP_X87,        /* sub: escape opcode & 7 (D8..DF), 8: FWAIT (cpu_x87.c) */
	SOFT_OP__COUNT
};

enum soft_alu { SOFT_ALU_ADD = 0, SOFT_ALU_OR, SOFT_ALU_ADC, SOFT_ALU_SBB,
		SOFT_ALU_AND, SOFT_ALU_SUB, SOFT_ALU_XOR, SOFT_ALU_CMP };
enum soft_shift { SOFT_SH_ROL = 0, SOFT_SH_ROR, SOFT_SH_RCL, SOFT_SH_RCR,
		  SOFT_SH_SHL, SOFT_SH_SHR, SOFT_SH_SAL, SOFT_SH_SAR };
/* Shift count source, in soft_form.count. */
enum soft_count { SOFT_CNT_NONE = 0, SOFT_CNT_1, SOFT_CNT_CL, SOFT_CNT_IMM };
enum soft_bt { SOFT_BT_BT = 0, SOFT_BT_BTS, SOFT_BT_BTR, SOFT_BT_BTC };
enum soft_flagop { SOFT_FL_CLC = 0, SOFT_FL_STC, SOFT_FL_CMC, SOFT_FL_CLD, SOFT_FL_STD };
/* BMI1's VEX-encoded instructions (its TZCNT is a legacy F3 0F BC form). */
enum soft_bmi1 { SOFT_BMI_ANDN = 0, SOFT_BMI_BLSR, SOFT_BMI_BLSMSK, SOFT_BMI_BLSI,
		 SOFT_BMI_BEXTR };

/* The SSE forms' subs, one per entry of sse_ops.h. */
#define SOFT_SSE_ENUM_H(id, mn, px, oc, msz, fl, insn) SOFT_SSE_##id,
#define SOFT_SSE_ENUM_C(id, mn, px, oc, ex, mc, on, im, msz, fl) SOFT_SSE_##id,
enum soft_sse { SOFT_SSE_OPS(SOFT_SSE_ENUM_H, SOFT_SSE_ENUM_C) SOFT_SSE__COUNT };
#undef SOFT_SSE_ENUM_H
#undef SOFT_SSE_ENUM_C
_Static_assert(SOFT_SSE__COUNT <= 256, "an SSE form's sub is a byte");

/* Form attributes. */
#define SOFT_A_MODRM   0x01u  /* has a modrm byte */
#define SOFT_A_LOCK    0x02u  /* LOCK allowed (with a memory destination) */
#define SOFT_A_SYS     0x04u  /* system instruction: directed tests, not the oracle */
#define SOFT_A_REP     0x08u  /* REP prefix meaningful (string ops) */
#define SOFT_A_BRANCH  0x10u  /* control transfer: the oracle uses fixed idioms */
#define SOFT_A_STACK   0x20u  /* uses RSP implicitly */
#define SOFT_A_X87     0x40u  /* x87 form (cpu_x87.c): its own oracle, oracle_x87.c */
#define SOFT_A_SSE     0x80u  /* SSE/SSE2 form (sse_ops.h): XMM operands, the exact mandatory prefix */
/* VEX-encoded (C4/C5): map is VEX.mmmmm's, pfx is VEX.pp (exactly), VEX.W
 * sizes the operands (32/64), VEX.L must be 0 (the "LZ" forms: BMI1),
 * VEX.vvvv names the third operand (SOFT_P_GVE/VE/GEV).  Only VEX forms
 * match VEX encodings and the other way round. */
#define SOFT_A_VEX     0x100u

/* RFLAGS bits. */
#define SOFT_CF 0x0001u
#define SOFT_PF 0x0004u
#define SOFT_AF 0x0010u
#define SOFT_ZF 0x0040u
#define SOFT_SF 0x0080u
#define SOFT_TF 0x0100u
#define SOFT_IF 0x0200u
#define SOFT_DF 0x0400u
#define SOFT_OF 0x0800u
#define SOFT_NT 0x4000u
#define SOFT_RF 0x10000u
#define SOFT_AC 0x40000u
#define SOFT_ID 0x200000u
#define SOFT_ARITH (SOFT_CF | SOFT_PF | SOFT_AF | SOFT_ZF | SOFT_SF | SOFT_OF)

struct soft_form {
	const char *mnem;     /* Intel mnemonic as `objdump -M intel` prints it */
	uint8_t map;          /* enum soft_map */
	uint8_t opc;          /* opcode byte; +r forms give the base (low 3 bits 0) */
	int8_t ext;           /* modrm.reg extension (/digit), -1: none */
	uint8_t pfx;          /* mandatory prefix 0x66/0xf3/0xf2, 0: none */
	uint8_t modc;         /* enum soft_modc */
	int16_t modrm;        /* exact modrm byte (0f 01 d9 vmmcall...), -1: any */
	uint8_t size;         /* enum soft_size */
	uint8_t opnds;        /* enum soft_opnds */
	uint8_t imm;          /* enum soft_imm */
	uint8_t op;           /* enum soft_op */
	uint8_t sub;          /* op-specific: alu kind, condition, shift kind... */
	uint8_t count;        /* enum soft_count (shifts) */
	uint16_t attr;        /* SOFT_A_* */
	uint8_t rexw;         /* 1: the form requires REX.W (sysretq, iretq, movsxd) */
	uint16_t fdef;        /* arithmetic RFLAGS bits the SDM defines after it */
};

extern const struct soft_form soft_forms[];
extern const unsigned soft_form_count;

/* Other spellings of a table mnemonic that objdump prints (cdqe for cbw
 * with REX.W, movabs for mov...), for the coverage test. */
struct soft_mnem_alias {
	const char *alias, *mnem;
};
extern const struct soft_mnem_alias soft_mnem_aliases[];
extern const unsigned soft_mnem_alias_count;

/* One decoded instruction, as kept in the predecode cache. */
struct soft_dinsn {
	uint16_t form;        /* index in soft_forms, for tests and reports */
	uint8_t op, sub;
	uint8_t opnds;        /* enum soft_opnds */
	uint8_t len;          /* bytes */
	uint8_t osize;        /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t reg;          /* modrm.reg or opcode register, with REX; 16+n: AH..BH */
	uint8_t rm;           /* register operand when !mem (same encoding) */
	uint8_t mem;          /* 1: the r/m operand is memory */
	uint8_t base, index;  /* 0..15, SOFT_NOREG for none, SOFT_RIPREL for rip */
	uint8_t scale;        /* shift count 0..3 */
	uint8_t seg;          /* 0, or SOFT_SEG_FS / SOFT_SEG_GS override */
	uint8_t rep;          /* 0, 0xf3 or 0xf2 */
	uint8_t lock;
	uint8_t count;        /* enum soft_count */
	uint8_t addr32;       /* 67 prefix */
	uint8_t modrm_reg;    /* raw modrm.reg (CR number, segment register) */
	uint8_t vreg;         /* VEX.vvvv's register 0..15 (VEX forms), else 0 */
	int32_t disp;
	uint64_t imm;         /* sign/zero-extended as the form says; branches: displacement */
};

#define SOFT_NOREG 0xff
#define SOFT_RIPREL 0xfe
#define SOFT_SEG_FS 1
#define SOFT_SEG_GS 2
#define SOFT_HIBYTE 16        /* reg/rm >= 16: AH, CH, DH, BH of register n-16 */

/* Longest x86 instruction. */
#define SOFT_INSN_MAX 15

/* Decode the instruction at bytes[0..avail).  Returns its length (> 0) with
 * *out filled, -EAGAIN when more bytes than avail are needed (the caller
 * fetches across the page and retries), or, for an encoding the table
 * does not hold:
 *   -E2BIG   longer than SOFT_INSN_MAX (#GP(0) on every x86-64);
 *   -EILSEQ  undefined on every x86-64 processor (#UD: see
 *            undefined_encoding() and the VEX rules in decode.c);
 *   -ENOSYS  an instruction some x86-64 processor runs that this CPU does
 *            not implement: the run ends with a report naming its bytes.
 * -EAGAIN only with fewer than SOFT_INSN_MAX bytes available: the first
 * SOFT_INSN_MAX bytes always decide.  Pure: no state, no side effects. */
int soft_decode(const uint8_t *bytes, size_t avail, struct soft_dinsn *out);

#endif
