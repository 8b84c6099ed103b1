/*
 * vcpu/soft/sse_ops.h — the one list of the SSE/SSE2 instruction forms
 * the soft CPU implements, as X-macros: insn_table.c turns each entry into
 * a row of soft_forms[] (decoder, coverage test, oracle), insn.h into an
 * enum soft_sse value (the form's sub), cpu_sse.c into its semantics.
 *
 * H(id, mnem, pfx, opc, msz, fl, "insn")
 *     "xmm, xmm/m" computed by the host's own instruction `insn` on the
 *     same operand values (the exact result, MXCSR flags included).
 * C(id, mnem, pfx, opc, ext, modc, opnds, imm, msz, fl)
 *     semantics written in cpu_sse.c (moves, conversions to and from
 *     general registers, immediates, MXCSR, FXSAVE...).
 *
 * pfx: mandatory prefix (0, 0x66, 0xf3, 0xf2); msz: bytes of a memory
 * operand; fl: SSE_AL (a 16-byte memory operand must be 16-aligned, else
 * #GP(0)), SSE_FP (floating point: MXCSR rounding, DAZ/FTZ, exception
 * flags, #XM), SSE_NOCHK (not an SSE-state instruction: no CR0/CR4
 * checks).  Within one opcode, prefixed forms come before unprefixed
 * ones (the decoder takes the first match).
 */
#ifndef MEMVIRT_VCPU_SOFT_SSE_OPS_H
#define MEMVIRT_VCPU_SOFT_SSE_OPS_H

#define SSE_AL 1u
#define SSE_FP 2u
#define SSE_NOCHK 4u

#define SOFT_SSE_OPS(H, C)                                                                   \
	/* Floating point arithmetic. */                                                      \
	H(ADDSS, "addss", 0xf3, 0x58, 4, SSE_FP, "addss")                                     \
	H(ADDSD, "addsd", 0xf2, 0x58, 8, SSE_FP, "addsd")                                     \
	H(ADDPD, "addpd", 0x66, 0x58, 16, SSE_FP | SSE_AL, "addpd")                           \
	H(ADDPS, "addps", 0, 0x58, 16, SSE_FP | SSE_AL, "addps")                              \
	H(MULSS, "mulss", 0xf3, 0x59, 4, SSE_FP, "mulss")                                     \
	H(MULSD, "mulsd", 0xf2, 0x59, 8, SSE_FP, "mulsd")                                     \
	H(MULPD, "mulpd", 0x66, 0x59, 16, SSE_FP | SSE_AL, "mulpd")                           \
	H(MULPS, "mulps", 0, 0x59, 16, SSE_FP | SSE_AL, "mulps")                              \
	H(SUBSS, "subss", 0xf3, 0x5c, 4, SSE_FP, "subss")                                     \
	H(SUBSD, "subsd", 0xf2, 0x5c, 8, SSE_FP, "subsd")                                     \
	H(SUBPD, "subpd", 0x66, 0x5c, 16, SSE_FP | SSE_AL, "subpd")                           \
	H(SUBPS, "subps", 0, 0x5c, 16, SSE_FP | SSE_AL, "subps")                              \
	H(MINSS, "minss", 0xf3, 0x5d, 4, SSE_FP, "minss")                                     \
	H(MINSD, "minsd", 0xf2, 0x5d, 8, SSE_FP, "minsd")                                     \
	H(MINPD, "minpd", 0x66, 0x5d, 16, SSE_FP | SSE_AL, "minpd")                           \
	H(MINPS, "minps", 0, 0x5d, 16, SSE_FP | SSE_AL, "minps")                              \
	H(DIVSS, "divss", 0xf3, 0x5e, 4, SSE_FP, "divss")                                     \
	H(DIVSD, "divsd", 0xf2, 0x5e, 8, SSE_FP, "divsd")                                     \
	H(DIVPD, "divpd", 0x66, 0x5e, 16, SSE_FP | SSE_AL, "divpd")                           \
	H(DIVPS, "divps", 0, 0x5e, 16, SSE_FP | SSE_AL, "divps")                              \
	H(MAXSS, "maxss", 0xf3, 0x5f, 4, SSE_FP, "maxss")                                     \
	H(MAXSD, "maxsd", 0xf2, 0x5f, 8, SSE_FP, "maxsd")                                     \
	H(MAXPD, "maxpd", 0x66, 0x5f, 16, SSE_FP | SSE_AL, "maxpd")                           \
	H(MAXPS, "maxps", 0, 0x5f, 16, SSE_FP | SSE_AL, "maxps")                              \
	H(SQRTSS, "sqrtss", 0xf3, 0x51, 4, SSE_FP, "sqrtss")                                  \
	H(SQRTSD, "sqrtsd", 0xf2, 0x51, 8, SSE_FP, "sqrtsd")                                  \
	H(SQRTPD, "sqrtpd", 0x66, 0x51, 16, SSE_FP | SSE_AL, "sqrtpd")                        \
	H(SQRTPS, "sqrtps", 0, 0x51, 16, SSE_FP | SSE_AL, "sqrtps")                           \
	/* Bitwise floating point. */                                                         \
	H(ANDPD, "andpd", 0x66, 0x54, 16, SSE_AL, "andpd")                                    \
	H(ANDPS, "andps", 0, 0x54, 16, SSE_AL, "andps")                                       \
	H(ANDNPD, "andnpd", 0x66, 0x55, 16, SSE_AL, "andnpd")                                 \
	H(ANDNPS, "andnps", 0, 0x55, 16, SSE_AL, "andnps")                                    \
	H(ORPD, "orpd", 0x66, 0x56, 16, SSE_AL, "orpd")                                       \
	H(ORPS, "orps", 0, 0x56, 16, SSE_AL, "orps")                                          \
	H(XORPD, "xorpd", 0x66, 0x57, 16, SSE_AL, "xorpd")                                    \
	H(XORPS, "xorps", 0, 0x57, 16, SSE_AL, "xorps")                                       \
	H(UNPCKLPD, "unpcklpd", 0x66, 0x14, 16, SSE_AL, "unpcklpd")                           \
	H(UNPCKLPS, "unpcklps", 0, 0x14, 16, SSE_AL, "unpcklps")                              \
	H(UNPCKHPD, "unpckhpd", 0x66, 0x15, 16, SSE_AL, "unpckhpd")                           \
	H(UNPCKHPS, "unpckhps", 0, 0x15, 16, SSE_AL, "unpckhps")                              \
	/* Conversions between floating-point and packed integer forms. */                    \
	H(CVTSS2SD, "cvtss2sd", 0xf3, 0x5a, 4, SSE_FP, "cvtss2sd")                            \
	H(CVTSD2SS, "cvtsd2ss", 0xf2, 0x5a, 8, SSE_FP, "cvtsd2ss")                            \
	H(CVTPD2PS, "cvtpd2ps", 0x66, 0x5a, 16, SSE_FP | SSE_AL, "cvtpd2ps")                  \
	H(CVTPS2PD, "cvtps2pd", 0, 0x5a, 8, SSE_FP, "cvtps2pd")                               \
	H(CVTTPS2DQ, "cvttps2dq", 0xf3, 0x5b, 16, SSE_FP | SSE_AL, "cvttps2dq")               \
	H(CVTPS2DQ, "cvtps2dq", 0x66, 0x5b, 16, SSE_FP | SSE_AL, "cvtps2dq")                  \
	H(CVTDQ2PS, "cvtdq2ps", 0, 0x5b, 16, SSE_FP | SSE_AL, "cvtdq2ps")                     \
	H(CVTDQ2PD, "cvtdq2pd", 0xf3, 0xe6, 8, SSE_FP, "cvtdq2pd")                            \
	H(CVTPD2DQ, "cvtpd2dq", 0xf2, 0xe6, 16, SSE_FP | SSE_AL, "cvtpd2dq")                  \
	H(CVTTPD2DQ, "cvttpd2dq", 0x66, 0xe6, 16, SSE_FP | SSE_AL, "cvttpd2dq")               \
	/* SSE2 integer. */                                                                   \
	H(PUNPCKLBW, "punpcklbw", 0x66, 0x60, 16, SSE_AL, "punpcklbw")                        \
	H(PUNPCKLWD, "punpcklwd", 0x66, 0x61, 16, SSE_AL, "punpcklwd")                        \
	H(PUNPCKLDQ, "punpckldq", 0x66, 0x62, 16, SSE_AL, "punpckldq")                        \
	H(PACKSSWB, "packsswb", 0x66, 0x63, 16, SSE_AL, "packsswb")                           \
	H(PCMPGTB, "pcmpgtb", 0x66, 0x64, 16, SSE_AL, "pcmpgtb")                              \
	H(PCMPGTW, "pcmpgtw", 0x66, 0x65, 16, SSE_AL, "pcmpgtw")                              \
	H(PCMPGTD, "pcmpgtd", 0x66, 0x66, 16, SSE_AL, "pcmpgtd")                              \
	H(PACKUSWB, "packuswb", 0x66, 0x67, 16, SSE_AL, "packuswb")                           \
	H(PUNPCKHBW, "punpckhbw", 0x66, 0x68, 16, SSE_AL, "punpckhbw")                        \
	H(PUNPCKHWD, "punpckhwd", 0x66, 0x69, 16, SSE_AL, "punpckhwd")                        \
	H(PUNPCKHDQ, "punpckhdq", 0x66, 0x6a, 16, SSE_AL, "punpckhdq")                        \
	H(PACKSSDW, "packssdw", 0x66, 0x6b, 16, SSE_AL, "packssdw")                           \
	H(PUNPCKLQDQ, "punpcklqdq", 0x66, 0x6c, 16, SSE_AL, "punpcklqdq")                     \
	H(PUNPCKHQDQ, "punpckhqdq", 0x66, 0x6d, 16, SSE_AL, "punpckhqdq")                     \
	H(PCMPEQB, "pcmpeqb", 0x66, 0x74, 16, SSE_AL, "pcmpeqb")                              \
	H(PCMPEQW, "pcmpeqw", 0x66, 0x75, 16, SSE_AL, "pcmpeqw")                              \
	H(PCMPEQD, "pcmpeqd", 0x66, 0x76, 16, SSE_AL, "pcmpeqd")                              \
	H(PSRLW, "psrlw", 0x66, 0xd1, 16, SSE_AL, "psrlw")                                    \
	H(PSRLD, "psrld", 0x66, 0xd2, 16, SSE_AL, "psrld")                                    \
	H(PSRLQ, "psrlq", 0x66, 0xd3, 16, SSE_AL, "psrlq")                                    \
	H(PADDQ, "paddq", 0x66, 0xd4, 16, SSE_AL, "paddq")                                    \
	H(PMULLW, "pmullw", 0x66, 0xd5, 16, SSE_AL, "pmullw")                                 \
	H(PSUBUSB, "psubusb", 0x66, 0xd8, 16, SSE_AL, "psubusb")                              \
	H(PSUBUSW, "psubusw", 0x66, 0xd9, 16, SSE_AL, "psubusw")                              \
	H(PMINUB, "pminub", 0x66, 0xda, 16, SSE_AL, "pminub")                                 \
	H(PAND, "pand", 0x66, 0xdb, 16, SSE_AL, "pand")                                       \
	H(PADDUSB, "paddusb", 0x66, 0xdc, 16, SSE_AL, "paddusb")                              \
	H(PADDUSW, "paddusw", 0x66, 0xdd, 16, SSE_AL, "paddusw")                              \
	H(PMAXUB, "pmaxub", 0x66, 0xde, 16, SSE_AL, "pmaxub")                                 \
	H(PANDN, "pandn", 0x66, 0xdf, 16, SSE_AL, "pandn")                                    \
	H(PAVGB, "pavgb", 0x66, 0xe0, 16, SSE_AL, "pavgb")                                    \
	H(PSRAW, "psraw", 0x66, 0xe1, 16, SSE_AL, "psraw")                                    \
	H(PSRAD, "psrad", 0x66, 0xe2, 16, SSE_AL, "psrad")                                    \
	H(PAVGW, "pavgw", 0x66, 0xe3, 16, SSE_AL, "pavgw")                                    \
	H(PMULHUW, "pmulhuw", 0x66, 0xe4, 16, SSE_AL, "pmulhuw")                              \
	H(PMULHW, "pmulhw", 0x66, 0xe5, 16, SSE_AL, "pmulhw")                                 \
	H(PSUBSB, "psubsb", 0x66, 0xe8, 16, SSE_AL, "psubsb")                                 \
	H(PSUBSW, "psubsw", 0x66, 0xe9, 16, SSE_AL, "psubsw")                                 \
	H(PMINSW, "pminsw", 0x66, 0xea, 16, SSE_AL, "pminsw")                                 \
	H(POR, "por", 0x66, 0xeb, 16, SSE_AL, "por")                                          \
	H(PADDSB, "paddsb", 0x66, 0xec, 16, SSE_AL, "paddsb")                                 \
	H(PADDSW, "paddsw", 0x66, 0xed, 16, SSE_AL, "paddsw")                                 \
	H(PMAXSW, "pmaxsw", 0x66, 0xee, 16, SSE_AL, "pmaxsw")                                 \
	H(PXOR, "pxor", 0x66, 0xef, 16, SSE_AL, "pxor")                                       \
	H(PSLLW, "psllw", 0x66, 0xf1, 16, SSE_AL, "psllw")                                    \
	H(PSLLD, "pslld", 0x66, 0xf2, 16, SSE_AL, "pslld")                                    \
	H(PSLLQ, "psllq", 0x66, 0xf3, 16, SSE_AL, "psllq")                                    \
	H(PMULUDQ, "pmuludq", 0x66, 0xf4, 16, SSE_AL, "pmuludq")                              \
	H(PMADDWD, "pmaddwd", 0x66, 0xf5, 16, SSE_AL, "pmaddwd")                              \
	H(PSADBW, "psadbw", 0x66, 0xf6, 16, SSE_AL, "psadbw")                                 \
	H(PSUBB, "psubb", 0x66, 0xf8, 16, SSE_AL, "psubb")                                    \
	H(PSUBW, "psubw", 0x66, 0xf9, 16, SSE_AL, "psubw")                                    \
	H(PSUBD, "psubd", 0x66, 0xfa, 16, SSE_AL, "psubd")                                    \
	H(PSUBQ, "psubq", 0x66, 0xfb, 16, SSE_AL, "psubq")                                    \
	H(PADDB, "paddb", 0x66, 0xfc, 16, SSE_AL, "paddb")                                    \
	H(PADDW, "paddw", 0x66, 0xfd, 16, SSE_AL, "paddw")                                    \
	H(PADDD, "paddd", 0x66, 0xfe, 16, SSE_AL, "paddd")                                    \
	/* Moves between XMM registers and memory. */                                         \
	C(MOVSS_LD, "movss", 0xf3, 0x10, -1, ANY, GE, NONE, 4, 0)                             \
	C(MOVSD_LD, "movsd", 0xf2, 0x10, -1, ANY, GE, NONE, 8, 0)                             \
	C(MOVUPD_LD, "movupd", 0x66, 0x10, -1, ANY, GE, NONE, 16, 0)                          \
	C(MOVUPS_LD, "movups", 0, 0x10, -1, ANY, GE, NONE, 16, 0)                             \
	C(MOVSS_ST, "movss", 0xf3, 0x11, -1, ANY, EG, NONE, 4, 0)                             \
	C(MOVSD_ST, "movsd", 0xf2, 0x11, -1, ANY, EG, NONE, 8, 0)                             \
	C(MOVUPD_ST, "movupd", 0x66, 0x11, -1, ANY, EG, NONE, 16, 0)                          \
	C(MOVUPS_ST, "movups", 0, 0x11, -1, ANY, EG, NONE, 16, 0)                             \
	C(MOVLPD_LD, "movlpd", 0x66, 0x12, -1, MEM, GE, NONE, 8, 0)                           \
	C(MOVLPS_LD, "movlps", 0, 0x12, -1, MEM, GE, NONE, 8, 0)                              \
	C(MOVHLPS, "movhlps", 0, 0x12, -1, REG, GE, NONE, 16, 0)                              \
	C(MOVLPD_ST, "movlpd", 0x66, 0x13, -1, MEM, EG, NONE, 8, 0)                           \
	C(MOVLPS_ST, "movlps", 0, 0x13, -1, MEM, EG, NONE, 8, 0)                              \
	C(MOVHPD_LD, "movhpd", 0x66, 0x16, -1, MEM, GE, NONE, 8, 0)                           \
	C(MOVHPS_LD, "movhps", 0, 0x16, -1, MEM, GE, NONE, 8, 0)                              \
	C(MOVLHPS, "movlhps", 0, 0x16, -1, REG, GE, NONE, 16, 0)                              \
	C(MOVHPD_ST, "movhpd", 0x66, 0x17, -1, MEM, EG, NONE, 8, 0)                           \
	C(MOVHPS_ST, "movhps", 0, 0x17, -1, MEM, EG, NONE, 8, 0)                              \
	C(MOVAPD_LD, "movapd", 0x66, 0x28, -1, ANY, GE, NONE, 16, SSE_AL)                     \
	C(MOVAPS_LD, "movaps", 0, 0x28, -1, ANY, GE, NONE, 16, SSE_AL)                        \
	C(MOVAPD_ST, "movapd", 0x66, 0x29, -1, ANY, EG, NONE, 16, SSE_AL)                     \
	C(MOVAPS_ST, "movaps", 0, 0x29, -1, ANY, EG, NONE, 16, SSE_AL)                        \
	C(MOVNTPD, "movntpd", 0x66, 0x2b, -1, MEM, EG, NONE, 16, SSE_AL)                      \
	C(MOVNTPS, "movntps", 0, 0x2b, -1, MEM, EG, NONE, 16, SSE_AL)                         \
	C(MOVDQU_LD, "movdqu", 0xf3, 0x6f, -1, ANY, GE, NONE, 16, 0)                          \
	C(MOVDQA_LD, "movdqa", 0x66, 0x6f, -1, ANY, GE, NONE, 16, SSE_AL)                     \
	C(MOVDQU_ST, "movdqu", 0xf3, 0x7f, -1, ANY, EG, NONE, 16, 0)                          \
	C(MOVDQA_ST, "movdqa", 0x66, 0x7f, -1, ANY, EG, NONE, 16, SSE_AL)                     \
	C(MOVNTDQ, "movntdq", 0x66, 0xe7, -1, MEM, EG, NONE, 16, SSE_AL)                      \
	C(MOVQ_LD, "movq", 0xf3, 0x7e, -1, ANY, GE, NONE, 8, 0)                               \
	C(MOVQ_ST, "movq", 0x66, 0xd6, -1, ANY, EG, NONE, 8, 0)                               \
	/* Between XMM and general registers. */                                              \
	C(MOVD_TOX, "movd", 0x66, 0x6e, -1, ANY, GE, NONE, 4, 0)                              \
	C(MOVD_FROMX, "movd", 0x66, 0x7e, -1, ANY, EG, NONE, 4, 0)                            \
	C(CVTSI2SS, "cvtsi2ss", 0xf3, 0x2a, -1, ANY, GE, NONE, 4, SSE_FP)                     \
	C(CVTSI2SD, "cvtsi2sd", 0xf2, 0x2a, -1, ANY, GE, NONE, 4, SSE_FP)                     \
	C(CVTTSS2SI, "cvttss2si", 0xf3, 0x2c, -1, ANY, GE, NONE, 4, SSE_FP)                   \
	C(CVTTSD2SI, "cvttsd2si", 0xf2, 0x2c, -1, ANY, GE, NONE, 8, SSE_FP)                   \
	C(CVTSS2SI, "cvtss2si", 0xf3, 0x2d, -1, ANY, GE, NONE, 4, SSE_FP)                     \
	C(CVTSD2SI, "cvtsd2si", 0xf2, 0x2d, -1, ANY, GE, NONE, 8, SSE_FP)                     \
	C(MOVMSKPD, "movmskpd", 0x66, 0x50, -1, REG, GE, NONE, 16, 0)                         \
	C(MOVMSKPS, "movmskps", 0, 0x50, -1, REG, GE, NONE, 16, 0)                            \
	C(PMOVMSKB, "pmovmskb", 0x66, 0xd7, -1, REG, GE, NONE, 16, 0)                         \
	C(PINSRW, "pinsrw", 0x66, 0xc4, -1, ANY, GEI, UB, 2, 0)                               \
	C(PEXTRW, "pextrw", 0x66, 0xc5, -1, REG, GEI, UB, 16, 0)                              \
	C(MOVNTI, "movnti", 0, 0xc3, -1, MEM, EG, NONE, 4, SSE_NOCHK)                         \
	/* Compares. */                                                                       \
	C(UCOMISD, "ucomisd", 0x66, 0x2e, -1, ANY, GE, NONE, 8, SSE_FP)                       \
	C(UCOMISS, "ucomiss", 0, 0x2e, -1, ANY, GE, NONE, 4, SSE_FP)                          \
	C(COMISD, "comisd", 0x66, 0x2f, -1, ANY, GE, NONE, 8, SSE_FP)                         \
	C(COMISS, "comiss", 0, 0x2f, -1, ANY, GE, NONE, 4, SSE_FP)                            \
	C(CMPSS, "cmpss", 0xf3, 0xc2, -1, ANY, GEI, UB, 4, SSE_FP)                            \
	C(CMPSD, "cmpsd", 0xf2, 0xc2, -1, ANY, GEI, UB, 8, SSE_FP)                            \
	C(CMPPD, "cmppd", 0x66, 0xc2, -1, ANY, GEI, UB, 16, SSE_FP | SSE_AL)                  \
	C(CMPPS, "cmpps", 0, 0xc2, -1, ANY, GEI, UB, 16, SSE_FP | SSE_AL)                     \
	/* Shuffles and shifts by an immediate. */                                            \
	C(PSHUFHW, "pshufhw", 0xf3, 0x70, -1, ANY, GEI, UB, 16, SSE_AL)                       \
	C(PSHUFLW, "pshuflw", 0xf2, 0x70, -1, ANY, GEI, UB, 16, SSE_AL)                       \
	C(PSHUFD, "pshufd", 0x66, 0x70, -1, ANY, GEI, UB, 16, SSE_AL)                         \
	C(SHUFPD, "shufpd", 0x66, 0xc6, -1, ANY, GEI, UB, 16, SSE_AL)                         \
	C(SHUFPS, "shufps", 0, 0xc6, -1, ANY, GEI, UB, 16, SSE_AL)                            \
	C(PSRLW_I, "psrlw", 0x66, 0x71, 2, REG, E, UB, 16, 0)                                 \
	C(PSRAW_I, "psraw", 0x66, 0x71, 4, REG, E, UB, 16, 0)                                 \
	C(PSLLW_I, "psllw", 0x66, 0x71, 6, REG, E, UB, 16, 0)                                 \
	C(PSRLD_I, "psrld", 0x66, 0x72, 2, REG, E, UB, 16, 0)                                 \
	C(PSRAD_I, "psrad", 0x66, 0x72, 4, REG, E, UB, 16, 0)                                 \
	C(PSLLD_I, "pslld", 0x66, 0x72, 6, REG, E, UB, 16, 0)                                 \
	C(PSRLQ_I, "psrlq", 0x66, 0x73, 2, REG, E, UB, 16, 0)                                 \
	C(PSRLDQ, "psrldq", 0x66, 0x73, 3, REG, E, UB, 16, 0)                                 \
	C(PSLLQ_I, "psllq", 0x66, 0x73, 6, REG, E, UB, 16, 0)                                 \
	C(PSLLDQ, "pslldq", 0x66, 0x73, 7, REG, E, UB, 16, 0)                                 \
	/* MXCSR and the whole state. */                                                      \
	C(FXSAVE, "fxsave", 0, 0xae, 0, MEM, E, NONE, 512, SSE_AL)                            \
	C(FXRSTOR, "fxrstor", 0, 0xae, 1, MEM, E, NONE, 512, SSE_AL)                          \
	C(LDMXCSR, "ldmxcsr", 0, 0xae, 2, MEM, E, NONE, 4, 0)                                 \
	C(STMXCSR, "stmxcsr", 0, 0xae, 3, MEM, E, NONE, 4, 0)

#endif
