/*
 * vcpu/soft/archtlb_cpu.h — internal to the soft engine: the hooks the
 * CPU's files call for the architected-TLB machine (MSR dispatch, CPUID,
 * the refill exception).  archtlb.h is the interface others use.
 */
#ifndef MEMVIRT_VCPU_SOFT_ARCHTLB_CPU_H
#define MEMVIRT_VCPU_SOFT_ARCHTLB_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/soft/archtlb.h"
#include "vcpu/soft/cpu.h"

static inline bool soft_atlb_is_msr(uint32_t msr)
{
	return msr >= MV_ATLB_MSR_FIRST && msr <= MV_ATLB_MSR_LAST;
}

/* false: the access raises #GP (no such machine, bad value). */
bool soft_atlb_msr_read(struct soft_vcpu *v, uint32_t msr, uint64_t *val);
bool soft_atlb_msr_write(struct soft_vcpu *v, uint32_t msr, uint64_t val);
/* A WRMSR that must exit with ENGINE_ICPT_TLB_WRITE (COMMAND and ASID
 * writes while the VMM intercepts TLB writes). */
bool soft_atlb_write_exits(const struct soft_vcpu *v, uint32_t msr);
void soft_atlb_cpuid(const struct soft_vcpu *v, uint32_t r[4]);
/* Turn an MMU refill fault into the pending exception (vector, error
 * code, address) the run loop delivers. */
void soft_atlb_refill_exc(struct soft_vcpu *v, const struct soft_fault *f, enum soft_access acc);
/* The refill exception is being delivered: BadVAddr and EntryHi. */
void soft_atlb_delivered(struct soft_vcpu *v, uint64_t addr);

#endif
