/*
 * vcpu/soft/cpu_regs.h — architectural MSR numbers and control-register
 * bits the soft CPU implements (SDM vol. 3, AMD APM vol. 2).  Internal to
 * vcpu/soft/.
 */
#ifndef MEMVIRT_VCPU_SOFT_CPU_REGS_H
#define MEMVIRT_VCPU_SOFT_CPU_REGS_H

#include "memvirt/pagetable.h"

#define MSR_TSC 0x10u
#define MSR_APIC_BASE 0x1bu
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_X2APIC_ID 0x802u
#define MSR_X2APIC_VERSION 0x803u
#define MSR_X2APIC_TPR 0x808u
#define MSR_X2APIC_EOI 0x80bu
#define MSR_X2APIC_SVR 0x80fu
#define MSR_X2APIC_ISR0 0x810u
#define MSR_X2APIC_IRR0 0x820u
#define MSR_X2APIC_LVT_TIMER 0x832u
#define MSR_X2APIC_INIT_COUNT 0x838u
#define MSR_X2APIC_CUR_COUNT 0x839u
#define MSR_X2APIC_DIV_CONF 0x83eu

#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

#endif
