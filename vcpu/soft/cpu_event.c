/*
 * vcpu/soft/cpu_event.c — exception and interrupt delivery through the
 * 64-bit IDT: privilege changes through the TSS, error codes, CR2, the
 * double-fault rules and the triple fault that ends the VM, and the
 * injection the VMM asks for (SVM's EVENTINJ).
 *
 * Delivery uses non-unwinding memory accesses so that a fault while
 * delivering can be turned into #DF, and a fault while delivering #DF
 * into a shutdown.
 */
#include "vcpu/soft/cpu.h"
#include "vcpu/soft/archtlb_cpu.h"
#include "vcpu/soft/cpu_regs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- event delivery ---- */

static bool contributory(unsigned vec)
{
	return vec == 0 || (vec >= 10 && vec <= 13);
}

/* One delivery attempt; false with *f (memory fault) or *gp_err (a #GP /
 * #NP / #TS the delivery itself raised: *nvec, *nerr). */
static bool deliver_once(struct soft_vcpu *v, uint8_t vec, bool has_err, uint32_t err,
			 enum soft_event_kind kind, uint64_t ret_rip, struct soft_fault *f,
			 uint8_t *nvec, uint32_t *nerr)
{
	f->kind = SOFT_FAULT_NONE;
	if ((uint32_t)vec * 16 + 15 > v->idt.limit) {
		*nvec = 13;
		*nerr = (uint32_t)vec * 8 + 2;
		return false;
	}
	uint64_t lo, hi;
	uint64_t ga = v->idt.base + (uint64_t)vec * 16;
	if (!soft_try_read(v, ga, 8, &lo, f) || !soft_try_read(v, ga + 8, 8, &hi, f))
		return false;
	unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3, present = (lo >> 47) & 1;
	unsigned ist = (lo >> 32) & 7;
	uint16_t sel = (uint16_t)(lo >> 16);
	uint64_t target = (lo & 0xffff) | ((lo >> 32) & 0xffff0000) | (hi << 32);
	if (type != 0xe && type != 0xf) {
		*nvec = 13;
		*nerr = (uint32_t)vec * 8 + 2;
		return false;
	}
	if (kind == SOFT_EV_SOFTINT && dpl < v->cpl) {
		*nvec = 13;
		*nerr = (uint32_t)vec * 8 + 2;
		return false;
	}
	if (!present) {
		*nvec = 11;
		*nerr = (uint32_t)vec * 8 + 2;
		return false;
	}
	uint64_t cd;
	bool gp;
	if (!soft_read_desc(v, sel, &cd, NULL, f, &gp)) {
		if (gp) {
			*nvec = 13;
			*nerr = sel & ~3u;
		}
		return false;
	}
	struct engine_segment cs;
	soft_unpack_seg(&cs, sel, cd);
	if (!cs.s || !(cs.type & 8) || !cs.l || cs.dpl > v->cpl) {
		*nvec = 13;
		*nerr = sel & ~3u;
		return false;
	}
	if (!cs.present) {
		*nvec = 11;
		*nerr = sel & ~3u;
		return false;
	}
	unsigned ncpl = cs.dpl;
	uint64_t old_rsp = v->r[4], rsp = old_rsp;
	uint16_t old_ss = v->seg[SOFT_SS].selector;
	if (ist || ncpl < v->cpl) {
		uint64_t off = ist ? 36 + 8 * (uint64_t)(ist - 1) : 4 + 8 * (uint64_t)ncpl;
		if (off + 8 > (uint64_t)v->tr.limit + 1) {
			*nvec = 10;
			*nerr = v->tr.selector & ~3u;
			return false;
		}
		if (!soft_try_read(v, v->tr.base + off, 8, &rsp, f))
			return false;
	}
	rsp &= ~15ull;
	uint64_t flags = soft_flags(v);
	uint64_t frame[6];
	unsigned n = 0;
	if (has_err)
		frame[n++] = err;
	frame[n++] = ret_rip;
	frame[n++] = v->seg[SOFT_CS].selector;
	frame[n++] = flags;
	frame[n++] = old_rsp;
	frame[n++] = old_ss;
	/* Push SS, RSP, RFLAGS, CS, RIP[, error]: write from the top down. */
	for (unsigned i = n; i-- > 0;) {
		rsp -= 8;
		if (!soft_try_write(v, rsp, 8, frame[i], f))
			return false;
	}
	/* Committed: switch. */
	if (ncpl < v->cpl) {
		v->seg[SOFT_SS] = (struct engine_segment){ .selector = (uint16_t)ncpl };
	}
	cs.selector = (uint16_t)((sel & ~3u) | ncpl);
	v->seg[SOFT_CS] = cs;
	v->cpl = ncpl;
	v->r[4] = rsp;
	flags &= ~(uint64_t)(SOFT_TF | SOFT_NT | SOFT_RF | 0x20000);
	if (type == 0xe)
		flags &= ~(uint64_t)SOFT_IF;
	soft_set_flags(v, flags);
	v->rip = target;
	v->halted = false;
	v->fetch_vpage = SOFT_NEVER;
	return true;
}

static void shutdown(struct soft_vcpu *v, unsigned first, unsigned second, const struct soft_fault *f)
{
	v->shutdown = true;
	v->exit.reason = ENGINE_EXIT_SHUTDOWN;
	snprintf(v->exit.message, sizeof(v->exit.message),
		 "triple fault: %s (vector %u)%s while delivering %s (vector %u) at RIP 0x%" PRIx64
		 ", RSP 0x%" PRIx64 ", IDT base 0x%" PRIx64 " limit 0x%x, CR2 0x%" PRIx64,
		 soft_vec_name(second), second, f && f->kind == SOFT_FAULT_PF ? " (page fault)" : "",
		 soft_vec_name(first), first, v->rip, v->r[4], v->idt.base, v->idt.limit, v->cr2);
}

void soft_triple_fault(struct soft_vcpu *v, unsigned first, unsigned second)
{
	shutdown(v, first, second, NULL);
}

void soft_deliver_event(struct soft_vcpu *v, uint8_t vec, bool has_err, uint32_t err,
			uint64_t cr2, enum soft_event_kind kind, uint64_t ret_rip)
{
	/* An injected event (EVENTINJ) is not checked against the exception
	 * intercepts: the VMM is reflecting the exception it intercepted. */
	bool injected = v->inj_delivering;

	v->inj_delivering = false;
	for (;;) {
		if (!injected && kind == SOFT_EV_EXC && vec < 32 &&
		    soft_intercepted(v, ENGINE_ICPT_EXCEPTION) && ((v->icpt.exceptions >> vec) & 1)) {
			soft_intercept_exit(v, ENGINE_ICPT_EXCEPTION,
					    (vec == 14 || vec == MV_ATLB_REFILL_VECTOR) ? cr2 : 0,
					    v->rip, 0);
			v->exit.intercept.vector = vec;
			v->exit.intercept.error_code = has_err ? err : 0;
			return;
		}
		injected = false;
		if (kind == SOFT_EV_EXC) {
			v->n_exceptions++;
			if (vec == 14)
				v->cr2 = cr2;
			else if (vec == MV_ATLB_REFILL_VECTOR && v->atlb.present)
				soft_atlb_delivered(v, cr2);
		} else if (kind == SOFT_EV_EXTINT) {
			v->n_interrupts++;
		}
		struct soft_fault f;
		uint8_t nvec = 0;
		uint32_t nerr = 0;
		if (deliver_once(v, vec, has_err, err, kind, ret_rip, &f, &nvec, &nerr))
			return;
		uint64_t ncr2 = 0;
		if (f.kind == SOFT_FAULT_PF) {
			nvec = 14;
			nerr = f.error_code;
			ncr2 = f.addr;
			/* An intercepted #PF while delivering (shadow paging: the
			 * stack or IDT is not shadowed yet): the VMM sees it and
			 * the event is delivered again on the next run, like an
			 * NPF below (SVM's EXITINTINFO).  Not a software
			 * interrupt: its instruction runs again. */
			if (kind != SOFT_EV_SOFTINT && soft_intercepted(v, ENGINE_ICPT_EXCEPTION) &&
			    ((v->icpt.exceptions >> 14) & 1)) {
				v->inj_pending = true;
				v->inj_redeliver = true;
				v->inj_kind = kind;
				v->inj_vec = vec;
				v->inj_has_err = has_err;
				v->inj_err = err;
				v->inj_cr2 = cr2;
				soft_intercept_exit(v, ENGINE_ICPT_EXCEPTION, ncr2, v->rip, 0);
				v->exit.intercept.vector = 14;
				v->exit.intercept.error_code = nerr;
				return;
			}
		} else if (f.kind == SOFT_FAULT_REFILL && v->atlb.present) {
			/* Architected TLB: the frame's page missed; a refill that
			 * misses while delivering a refill is a double fault. */
			nvec = MV_ATLB_REFILL_VECTOR;
			nerr = SOFT_PFEC_W;
			ncr2 = f.addr;
			/* Intercepted (softtlb, asid: the real TLB lost an
			 * entry the guest has): as for #PF above, the VMM
			 * refills and the event is delivered again. */
			if (kind != SOFT_EV_SOFTINT && soft_intercepted(v, ENGINE_ICPT_EXCEPTION) &&
			    ((v->icpt.exceptions >> MV_ATLB_REFILL_VECTOR) & 1)) {
				v->inj_pending = true;
				v->inj_redeliver = true;
				v->inj_kind = kind;
				v->inj_vec = vec;
				v->inj_has_err = has_err;
				v->inj_err = err;
				v->inj_cr2 = cr2;
				soft_intercept_exit(v, ENGINE_ICPT_EXCEPTION, ncr2, v->rip, 0);
				v->exit.intercept.vector = MV_ATLB_REFILL_VECTOR;
				v->exit.intercept.error_code = nerr;
				return;
			}
			if (vec == MV_ATLB_REFILL_VECTOR)
				nvec = 8;
		} else if (f.kind != SOFT_FAULT_NONE) {
			/* Nested fault or no memory while delivering: the VMM
			 * sees it; the event is delivered again on the next run. */
			v->inj_pending = true;
			v->inj_redeliver = true;
			v->inj_kind = kind;
			v->inj_vec = vec;
			v->inj_has_err = has_err;
			v->inj_err = err;
			v->inj_cr2 = cr2;
			soft_fault_exit(v, &f, SOFT_ACCESS_WRITE, 8);
			return;
		}
		if (vec == 8) {
			shutdown(v, vec, nvec, &f);
			return;
		}
		if (nvec == 8) {
			v->n_double_faults++;
			vec = 8;
			has_err = true;
			err = 0;
			cr2 = 0;
			kind = SOFT_EV_EXC;
			ret_rip = v->rip;
			continue;
		}
		bool df = kind == SOFT_EV_EXC &&
			  ((contributory(vec) && contributory(nvec)) ||
			   (vec == 14 && (nvec == 14 || contributory(nvec))));
		if (df) {
			v->n_double_faults++;
			vec = 8;
			has_err = true;
			err = 0;
			cr2 = 0;
		} else {
			vec = nvec;
			has_err = true;
			err = nerr;
			cr2 = ncr2;
		}
		kind = SOFT_EV_EXC;
		ret_rip = v->rip;
	}
}

int soft_vcpu_inject(struct engine_vcpu *vcpu, uint8_t vector, bool has_error,
		     uint32_t error_code, uint64_t cr2)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	if (vector > 31)
		return -EINVAL;
	if (v->inj_pending && v->inj_redeliver) {
		/* The fault came while the pending event was being delivered
		 * (its stack or IDT faulted, the VMM reflects that fault): the
		 * CPU's rules for a fault during delivery decide, as in
		 * soft_deliver_event(). */
		unsigned first = v->inj_vec;
		bool exc = v->inj_kind == SOFT_EV_EXC;

		if (exc && first == 8 && (vector == 14 || contributory(vector))) {
			v->inj_shutdown = true;
			v->inj_shutdown_second = vector;
			return 0;
		}
		if (exc && ((contributory(first) && contributory(vector)) ||
			    (first == 14 && (vector == 14 || contributory(vector))))) {
			v->n_double_faults++;
			vector = 8;
			has_error = true;
			error_code = 0;
			cr2 = 0;
		} else if (v->inj_kind == SOFT_EV_EXTINT) {
			/* A benign first event: the exception goes first, the
			 * interrupt is raised again to come after it. */
			soft_vcpu_irq(vcpu, first);
		}
		v->inj_pending = false;
	}
	if (v->inj_pending)
		return -EBUSY;
	v->inj_redeliver = false;
	v->inj_pending = true;
	v->inj_kind = SOFT_EV_EXC;
	v->inj_vec = vector;
	v->inj_has_err = has_error;
	v->inj_err = error_code;
	v->inj_cr2 = cr2;
	return 0;
}
