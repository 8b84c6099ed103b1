/*
 * vcpu/soft/fpu.h — the soft CPU's x87 and SSE register state (SDM vol. 1
 * ch. 8 and 10).  Internal to vcpu/soft/.  SSE instructions live in
 * cpu_sse.c, x87 instructions in cpu_x87.c; FXSAVE/FXRSTOR move this state
 * to and from the 512-byte FXSAVE image (SDM vol. 2, FXSAVE, 64-bit
 * format).
 *
 * The x87 registers are kept by physical number R0..R7 as 80-bit
 * extended values (10 significant bytes, little-endian, 6 bytes of
 * padding kept zero); ST(i) is R[(TOP + i) & 7] with TOP = FSW bits 11..13.
 * The tag word is kept in the abridged form FXSAVE uses: bit i set when
 * R[i] is not empty.
 */
#ifndef MEMVIRT_VCPU_SOFT_FPU_H
#define MEMVIRT_VCPU_SOFT_FPU_H

#include <stdint.h>

#define SOFT_MXCSR_RESET 0x1f80u
#define SOFT_FCW_RESET 0x037fu      /* FNINIT: all exceptions masked, 64-bit precision, nearest */

struct soft_fpu {
	uint64_t xmm[16][2];        /* XMM0..15: [0] low quadword, [1] high */
	uint32_t mxcsr;
	uint16_t fcw, fsw;          /* x87 control and status words (TOP in fsw bits 11..13) */
	uint8_t ftw;                /* abridged tag: bit i set = R[i] valid */
	uint16_t fop;               /* last x87 opcode (11 bits) */
	uint64_t fip, fdp;          /* last x87 instruction and operand addresses */
	uint8_t st[8][16];          /* R0..R7: bytes 0..9 the 80-bit value, 10..15 zero */
};

#endif
