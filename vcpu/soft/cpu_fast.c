/*
 * vcpu/soft/cpu_fast.c — handlers specialised per instruction form for
 * the forms compiled code runs most, and the choice of a decoded
 * instruction's handler and of where its block ends.
 *
 * A specialised handler is the generic executor's case for its form with
 * the decode-time facts (operand size, register or memory operand, ALU
 * kind) made constant: it must compute the same results, flags (lazy
 * state included), memory accesses in the same order and faults as
 * exec() in cpu_exec.c, since the counters and the guest's state must not
 * depend on which of the two ran.  Both use the helpers of cpu_ops.h.
 * Forms without a handler here run through soft_exec_generic().
 */
#include "vcpu/soft/cpu_ops.h"

bool soft_ends_block(const struct soft_dinsn *d)
{
	switch (d->op) {
	case SOFT_OP_CALL:
	case SOFT_OP_CALL_IND:
	case SOFT_OP_RET:
	case SOFT_OP_JMP:
	case SOFT_OP_JMP_IND:
	case SOFT_OP_JCC:
	/* A REP string instruction retires one count per iteration and
	 * watches stop_at itself. */
	case SOFT_OP_MOVS:
	case SOFT_OP_STOS:
	/* Setting IF makes a pending interrupt deliverable: stop_at moves. */
	case SOFT_OP_POPF:
	case SOFT_OP_INVALID:
		return true;
	default:
		/* System instructions change modes, translations and stop_at. */
		return d->op >= SOFT_OP_CLI;
	}
}

soft_exec_fn soft_select_handler(const struct soft_dinsn *d)
{
	(void)d;
	return soft_exec_generic;
}
