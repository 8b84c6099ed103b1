/*
 * vcpu/soft/cpu_apic.c — the local APIC, the x2APIC subset the guest uses:
 * its MSRs, the interrupt request and in-service bits, and the timer,
 * which counts retired instructions so that runs stay deterministic.
 */
#include "vcpu/soft/cpu.h"
#include "vcpu/soft/archtlb_cpu.h"
#include "vcpu/soft/cpu_regs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- local APIC (x2APIC subset) ---- */

void soft_apic_reset(struct soft_apic *a)
{
	memset(a, 0, sizeof(*a));
	a->base_msr = 0xfee00000ull | (1ull << 8) | APIC_BASE_EN;
	a->lvt_timer = 1u << 16; /* masked */
	a->svr = 0xff;
	a->deadline = SOFT_NEVER;
}

unsigned soft_apic_divisor(const struct soft_apic *a)
{
	unsigned v = (a->divide_cfg & 3) | ((a->divide_cfg >> 1) & 4);
	return v == 7 ? 1 : 2u << v;
}

static int highest(const uint64_t bits[4])
{
	for (int i = 3; i >= 0; i--)
		if (bits[i])
			return i * 64 + 63 - __builtin_clzll(bits[i]);
	return -1;
}

int soft_vcpu_irq(struct engine_vcpu *vcpu, uint8_t vector)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	if (vector < 16)
		return -EINVAL;
	v->apic.irr[vector / 64] |= 1ull << (vector % 64);
	v->stop_at = 0;
	return 0;
}

void soft_apic_timer_expire(struct soft_vcpu *v)
{
	struct soft_apic *a = &v->apic;
	while (a->deadline != SOFT_NEVER && v->icount >= a->deadline) {
		bool masked = (a->lvt_timer >> 16) & 1 || !(a->svr & 0x100);
		unsigned vec = a->lvt_timer & 0xff;
		if (!masked && vec >= 16)
			a->irr[vec / 64] |= 1ull << (vec % 64);
		if (((a->lvt_timer >> 17) & 3) == 1 && a->initial)
			a->deadline += (uint64_t)a->initial * soft_apic_divisor(a);
		else
			a->deadline = SOFT_NEVER;
	}
}

/* The highest pending vector that may be delivered now, or -1. */
int soft_apic_pending(const struct soft_vcpu *v)
{
	int irr = highest(v->apic.irr);
	if (irr < 0)
		return -1;
	int isr = highest(v->apic.isr);
	unsigned pri = (unsigned)irr >> 4;
	if (pri <= ((v->apic.tpr >> 4) & 0xf))
		return -1;
	if (isr >= 0 && pri <= ((unsigned)isr >> 4))
		return -1;
	return irr;
}

bool soft_apic_msr_read(struct soft_vcpu *v, uint32_t msr, uint64_t *val)
{
	struct soft_apic *a = &v->apic;
	switch (msr) {
	case MSR_X2APIC_ID: *val = 0; return true;
	case MSR_X2APIC_VERSION: *val = 0x50014; return true;
	case MSR_X2APIC_TPR: *val = a->tpr; return true;
	case MSR_X2APIC_SVR: *val = a->svr; return true;
	case MSR_X2APIC_LVT_TIMER: *val = a->lvt_timer; return true;
	case MSR_X2APIC_INIT_COUNT: *val = a->initial; return true;
	case MSR_X2APIC_DIV_CONF: *val = a->divide_cfg; return true;
	case MSR_X2APIC_CUR_COUNT:
		*val = a->deadline == SOFT_NEVER || v->icount >= a->deadline ? 0
			: (a->deadline - v->icount) / soft_apic_divisor(a);
		return true;
	default:
		if (msr >= MSR_X2APIC_ISR0 && msr < MSR_X2APIC_ISR0 + 8) {
			unsigned i = msr - MSR_X2APIC_ISR0;
			*val = (uint32_t)(a->isr[i / 2] >> (32 * (i & 1)));
			return true;
		}
		if (msr >= MSR_X2APIC_IRR0 && msr < MSR_X2APIC_IRR0 + 8) {
			unsigned i = msr - MSR_X2APIC_IRR0;
			*val = (uint32_t)(a->irr[i / 2] >> (32 * (i & 1)));
			return true;
		}
		return false;
	}
}

bool soft_apic_msr_write(struct soft_vcpu *v, uint32_t msr, uint64_t val)
{
	struct soft_apic *a = &v->apic;
	switch (msr) {
	case MSR_X2APIC_TPR: a->tpr = (uint32_t)val & 0xff; break;
	case MSR_X2APIC_SVR: a->svr = (uint32_t)val & 0x1ff; break;
	case MSR_X2APIC_EOI: {
		int isr = highest(a->isr);
		if (isr >= 0)
			a->isr[isr / 64] &= ~(1ull << (isr % 64));
		break;
	}
	case MSR_X2APIC_LVT_TIMER:
		if (((val >> 17) & 3) == 2)
			return false; /* TSC-deadline mode is not modelled */
		a->lvt_timer = (uint32_t)val & 0x700ff;
		break;
	case MSR_X2APIC_INIT_COUNT:
		a->initial = (uint32_t)val;
		a->deadline = a->initial ? v->icount + (uint64_t)a->initial * soft_apic_divisor(a)
					 : SOFT_NEVER;
		break;
	case MSR_X2APIC_DIV_CONF: a->divide_cfg = (uint32_t)val & 0xb; break;
	default: return false;
	}
	v->stop_at = 0;
	return true;
}
