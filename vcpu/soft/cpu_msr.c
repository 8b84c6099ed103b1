/*
 * vcpu/soft/cpu_msr.c — RDMSR/WRMSR and CPUID: the MSRs the boot protocol
 * and the guest use, and the CPUID leaves that say what this CPU
 * implements (and no more).
 */
#include "vcpu/soft/cpu.h"
#include "vcpu/soft/archtlb_cpu.h"
#include "vcpu/soft/cpu_regs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "memvirt/pagetable.h"

/* ---- MSRs ---- */

bool soft_msr_read(struct soft_vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_TSC: *val = v->icount + v->tsc_offset; return true;
	case MSR_APIC_BASE: *val = v->apic.base_msr; return true;
	case MSR_EFER: *val = v->efer; return true;
	case MSR_STAR: *val = v->star; return true;
	case MSR_LSTAR: *val = v->lstar; return true;
	case MSR_CSTAR: *val = v->cstar; return true;
	case MSR_SFMASK: *val = v->sfmask; return true;
	case MSR_FS_BASE: *val = v->seg[SOFT_FS].base; return true;
	case MSR_GS_BASE: *val = v->seg[SOFT_GS].base; return true;
	case MSR_KERNEL_GS_BASE: *val = v->kernel_gs_base; return true;
	default:
		if (soft_atlb_is_msr(msr))
			return soft_atlb_msr_read(v, msr, val);
		if (msr >= 0x800 && msr <= 0x8ff) {
			if (!(v->apic.base_msr & APIC_BASE_EXTD))
				return false;
			return soft_apic_msr_read(v, msr, val);
		}
		return false;
	}
}

bool soft_msr_write(struct soft_vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_TSC: v->tsc_offset = val - v->icount; return true;
	case MSR_APIC_BASE:
		if (val & ~(0xfffff000ull | (1ull << 8) | APIC_BASE_EN | APIC_BASE_EXTD))
			return false;
		v->apic.base_msr = val;
		return true;
	case MSR_EFER:
		if ((val & ~(MV_EFER_SCE | MV_EFER_LME | MV_EFER_LMA | MV_EFER_NXE)) ||
		    !(val & MV_EFER_LME))
			return false; /* long mode only */
		v->efer = val | MV_EFER_LMA;
		soft_update_mmu(v);
		return true;
	case MSR_STAR: v->star = val; return true;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if ((uint64_t)((int64_t)(val << 16) >> 16) != val)
			return false;
		if (msr == MSR_LSTAR) v->lstar = val;
		else if (msr == MSR_CSTAR) v->cstar = val;
		else if (msr == MSR_FS_BASE) v->seg[SOFT_FS].base = val;
		else if (msr == MSR_GS_BASE) v->seg[SOFT_GS].base = val;
		else v->kernel_gs_base = val;
		return true;
	case MSR_SFMASK: v->sfmask = val & 0xffffffff; return true;
	default:
		if (soft_atlb_is_msr(msr))
			return soft_atlb_msr_write(v, msr, val);
		if (msr >= 0x800 && msr <= 0x8ff) {
			if (!(v->apic.base_msr & APIC_BASE_EXTD))
				return false;
			return soft_apic_msr_write(v, msr, val);
		}
		return false;
	}
}

/* ---- CPUID ---- */

void soft_cpuid(struct soft_vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	(void)sub;
	memset(r, 0, 4 * sizeof(uint32_t));
	switch (leaf) {
	case 0:
		r[0] = 7;
		memcpy(&r[1], "Memv", 4); /* EBX EDX ECX spell "MemvirtSoft!" */
		memcpy(&r[3], "irtS", 4);
		memcpy(&r[2], "oft!", 4);
		break;
	case 1:
		r[0] = 0x000306a0; /* family 6 */
		r[2] = (1u << 13) | (1u << 17) | (1u << 21) | (1u << 23) | (1u << 31); /* CX16 PCID x2APIC POPCNT hypervisor */
		r[3] = (1u << 0) | /* FPU */
		       (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) |
		       (1u << 13) | (1u << 15) | /* PSE TSC MSR PAE CX8 APIC PGE CMOV */
		       (1u << 24) | (1u << 25) | (1u << 26); /* FXSR SSE SSE2 (cpu_sse.c) */
		/* No SSE3, SSSE3, SSE4, AVX, XSAVE/OSXSAVE: glibc's ifuncs then
		 * pick their sse2 variants; leaf 7 has no ERMS/FSRM, so neither
		 * do they pick the rep-movsb ones. */
		break;
	case 7:
		if (sub == 0)
			r[1] = 1u << 3; /* BMI1: ANDN BEXTR BLSI BLSMSK BLSR TZCNT, all of it */
		break;
	case 0x40000000:
		r[0] = MV_ATLB_CPUID_LEAF;
		memcpy(&r[1], "memv", 4); /* "memvirt soft" */
		memcpy(&r[2], "irt ", 4);
		memcpy(&r[3], "soft", 4);
		break;
	case 0x40000001:
		/* EAX bit 0: this vCPU is an architected-TLB machine. */
		r[0] = v->mregs.arch_tlb ? 1 : 0;
		break;
	case MV_ATLB_CPUID_LEAF:
		soft_atlb_cpuid(v, r);
		break;
	case 0x80000000:
		r[0] = 0x80000008;
		break;
	case 0x80000001:
		r[2] = (1u << 0) | (1u << 5); /* LAHF/SAHF in 64-bit mode, LZCNT */
		r[3] = (1u << 11) | (1u << 20) | (1u << 26) | (1u << 29); /* SYSCALL NX 1G-pages LM */
		break;
	case 0x80000008:
		r[0] = 0x3000 | SOFT_MMU_MAXPHYADDR; /* 48-bit linear addresses */
		break;
	default:
		break;
	}
}
