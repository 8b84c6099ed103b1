/*
 * vcpu/soft/cpu_x87.h — the soft CPU's x87 instructions (cpu_x87.c).
 * Internal to vcpu/soft/.  The forms are the "x87" block of soft_forms[]
 * (one row per escape opcode D8..DF, op SOFT_OP_X87, sub = opcode & 7, and
 * FWAIT with sub SOFT_X87_FWAIT); the executor decodes modrm itself.
 */
#ifndef MEMVIRT_VCPU_SOFT_CPU_X87_H
#define MEMVIRT_VCPU_SOFT_CPU_X87_H

#include "vcpu/soft/cpu.h"

/* soft_form.sub of FWAIT (9B); D8..DF use opcode & 7. */
#define SOFT_X87_FWAIT 8

/* Executes the x87 instruction d at v->rip, all but retiring it (the
 * caller advances RIP and the count): unwinds on an exception (#NM, #MF,
 * #UD, a page fault) or with an exit for an x87 instruction the soft CPU
 * does not implement, with no architectural state changed. */
void soft_exec_x87(struct soft_vcpu *v, const struct soft_dinsn *d);

#endif
