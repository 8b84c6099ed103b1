/*
 * vcpu/soft/cpu_sys.c — the soft CPU's system side: faults that leave the
 * CPU, SVM-like intercepts, segment descriptors, the system instructions,
 * and the asynchronous checks of the run loop (timer, quantum, limit,
 * interrupts, HLT).  Event delivery is in cpu_event.c, the x2APIC in
 * cpu_apic.c, MSRs and CPUID in cpu_msr.c.
 *
 * Exceptions raised inside an instruction unwind to the run loop
 * (longjmp) with RIP at the faulting instruction; delivery itself uses
 * non-unwinding memory accesses so that a fault while delivering can be
 * turned into #DF, and a fault while delivering #DF into a shutdown.
 */
#include "vcpu/soft/cpu.h"
#include "vcpu/soft/archtlb_cpu.h"
#include "vcpu/soft/cpu_regs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "memvirt/pagetable.h"

static const char *const vec_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *soft_vec_name(unsigned v)
{
	if (v < 32 && vec_names[v])
		return vec_names[v];
	return "interrupt";
}

_Noreturn void soft_exit_unwind(struct soft_vcpu *v)
{
	longjmp(v->unwind, SOFT_UNWIND_EXIT);
}

_Noreturn void soft_raise(struct soft_vcpu *v, uint8_t vec, bool has_err, uint32_t err)
{
	v->exc_vec = vec;
	v->exc_has_err = has_err;
	v->exc_err = err;
	v->exc_cr2 = 0;
	longjmp(v->unwind, SOFT_UNWIND_EXC);
}

void soft_fault_exit(struct soft_vcpu *v, const struct soft_fault *f, enum soft_access acc,
		       unsigned size)
{
	switch (f->kind) {
	case SOFT_FAULT_NPF:
		soft_intercept_exit(v, ENGINE_ICPT_NESTED_FAULT, f->addr, f->gva, 0);
		v->exit.intercept.error_code = f->error_code;
		break;
	case SOFT_FAULT_PHYS:
		/* No device of memvirt is memory-mapped (the timer is the x2APIC):
		 * the access is reported, not completed. */
		v->exit.reason = ENGINE_EXIT_MMIO;
		v->exit.mmio.gpa = f->addr;
		v->exit.mmio.size = (uint8_t)size;
		v->exit.mmio.is_write = acc == SOFT_ACCESS_WRITE;
		snprintf(v->exit.message, sizeof(v->exit.message),
			 "soft: %s of %u bytes at GVA 0x%" PRIx64 " reaches no memory (address 0x%" PRIx64
			 ") at RIP 0x%" PRIx64, acc == SOFT_ACCESS_WRITE ? "write" : "read", size,
			 f->gva, f->addr, v->rip);
		break;
	case SOFT_FAULT_REFILL:
		v->exit.reason = ENGINE_EXIT_INTERNAL_ERROR;
		snprintf(v->exit.message, sizeof(v->exit.message),
			 "soft: architected-TLB refill fault at GVA 0x%" PRIx64
			 " (RIP 0x%" PRIx64 "): refill delivery is not implemented in the CPU yet",
			 f->addr, v->rip);
		break;
	default:
		v->exit.reason = ENGINE_EXIT_INTERNAL_ERROR;
		snprintf(v->exit.message, sizeof(v->exit.message),
			 "soft: MMU returned fault kind %d at RIP 0x%" PRIx64, (int)f->kind, v->rip);
	}
}

_Noreturn void soft_raise_fault(struct soft_vcpu *v, const struct soft_fault *f,
				 enum soft_access acc, uint64_t va, unsigned size)
{
	(void)va;
	if (f->kind == SOFT_FAULT_PF) {
		v->exc_vec = 14;
		v->exc_has_err = true;
		v->exc_err = f->error_code;
		v->exc_cr2 = f->addr;
		longjmp(v->unwind, SOFT_UNWIND_EXC);
	}
	if (f->kind == SOFT_FAULT_REFILL && v->atlb.present) {
		soft_atlb_refill_exc(v, f, acc);
		longjmp(v->unwind, SOFT_UNWIND_EXC);
	}
	soft_fault_exit(v, f, acc, size);
	soft_exit_unwind(v);
}

/* Engine events the VMM cannot see (the guest's own INVLPGs, timer
 * interrupts the APIC delivers) go to the VMM's callback. */
static void post(struct soft_vcpu *v, uint32_t type, uint64_t gva, uint64_t detail)
{
	if (!v->vm || !v->vm->post)
		return;
	struct mv_event ev = { .type = type, .vm = v->vm->vm_index, .vcpu = v->index,
			       .icount = v->icount, .gva = gva, .detail = detail };
	v->vm->post(v->vm->post_ctx, &ev);
}

/* ---- intercepts ---- */

bool soft_intercepted(const struct soft_vcpu *v, enum engine_intercept cause)
{
	return (v->icpt.causes >> cause) & 1;
}

void soft_intercept_exit(struct soft_vcpu *v, enum engine_intercept cause, uint64_t info1,
			 uint64_t info2, uint8_t len)
{
	v->exit.reason = ENGINE_EXIT_INTERCEPT;
	v->exit.intercept.cause = cause;
	v->exit.intercept.info1 = info1;
	v->exit.intercept.info2 = info2;
	v->exit.intercept.insn_len = len;
	v->exit.intercept.vector = 0;
	v->exit.intercept.error_code = 0;
	v->n_intercepts[cause]++;
}

static bool msr_intercepted(const struct soft_vcpu *v, uint32_t msr, bool write)
{
	if (!soft_intercepted(v, write ? ENGINE_ICPT_MSR_WRITE : ENGINE_ICPT_MSR_READ))
		return false;
	unsigned n = write ? v->icpt.msr_write_count : v->icpt.msr_read_count;
	const struct soft_msr_range *r = write ? v->icpt.msr_write : v->icpt.msr_read;
	if (n == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (msr >= r[i].first && msr <= r[i].last)
			return true;
	return false;
}

/* ---- MMU registers ---- */

void soft_update_mmu(struct soft_vcpu *v)
{
	v->mregs.cr0 = v->cr0;
	v->mregs.cr3 = v->cr3;
	v->mregs.cr4 = v->cr4;
	v->mregs.efer = v->efer;
	soft_mmu_set_regs(v->m->mmu, &v->mregs);
	v->m->loaded = v;
	v->fetch_vpage = SOFT_NEVER;
}

void soft_load_mmu(struct soft_vcpu *v)
{
	/* Another vCPU of the machine ran last (or the VMM changed ours). */
	soft_update_mmu(v);
}

/* ---- descriptors ---- */

bool soft_read_desc(struct soft_vcpu *v, uint16_t sel, uint64_t *lo, uint64_t *hi,
		      struct soft_fault *f, bool *gp)
{
	*gp = false;
	if ((sel & 4) || (uint32_t)(sel | 7) > v->gdt.limit) {
		*gp = true;
		return false;
	}
	uint64_t a = v->gdt.base + (sel & ~7u);
	if (!soft_try_read(v, a, 8, lo, f))
		return false;
	if (hi && !soft_try_read(v, a + 8, 8, hi, f))
		return false;
	return true;
}

void soft_unpack_seg(struct engine_segment *s, uint16_t sel, uint64_t d)
{
	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	s->limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	if (s->g)
		s->limit = (s->limit << 12) | 0xfff;
}

/* Load a segment register from the GDT; unwinds with #GP/#NP/#PF. */
void soft_load_seg(struct soft_vcpu *v, unsigned sr, uint16_t sel, unsigned cpl)
{
	struct engine_segment s = { 0 };
	if ((sel & ~3u) == 0) {
		if (sr == SOFT_CS || (sr == SOFT_SS && cpl == 3))
			soft_raise(v, 13, true, 0);
		s.selector = sel;
		if (sr == SOFT_FS || sr == SOFT_GS)
			s.base = 0;
		v->seg[sr] = s;
		return;
	}
	uint64_t d;
	struct soft_fault f;
	bool gp;
	if (!soft_read_desc(v, sel, &d, NULL, &f, &gp)) {
		if (gp)
			soft_raise(v, 13, true, sel & ~3u);
		soft_raise_fault(v, &f, SOFT_ACCESS_READ, v->gdt.base + (sel & ~7u), 8);
	}
	soft_unpack_seg(&s, sel, d);
	if (!s.s)
		soft_raise(v, 13, true, sel & ~3u);
	if (sr == SOFT_CS && (!(s.type & 8) || !s.l))
		soft_raise(v, 13, true, sel & ~3u);
	if (sr == SOFT_SS && ((s.type & 0xa) != 2 || s.dpl != cpl || (sel & 3) != cpl))
		soft_raise(v, 13, true, sel & ~3u);
	if (!s.present)
		soft_raise(v, sr == SOFT_SS ? 12 : 11, true, sel & ~3u);
	v->seg[sr] = s;
}

/* ---- system instructions ---- */

static inline void retire(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	v->rip += d->len;
	v->icount++;
}

static void gp0(struct soft_vcpu *v)
{
	soft_raise(v, 13, true, 0);
}

static uint64_t sys_ea(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	uint64_t a = (uint64_t)(int64_t)d->disp;
	if (d->base == SOFT_RIPREL)
		a += v->rip + d->len;
	else if (d->base != SOFT_NOREG)
		a += v->r[d->base];
	if (d->index != SOFT_NOREG)
		a += v->r[d->index] << d->scale;
	if (d->addr32)
		a = (uint32_t)a;
	if (d->seg)
		a += v->seg[d->seg == SOFT_SEG_FS ? SOFT_FS : SOFT_GS].base;
	return a;
}

static uint64_t gpr_rd(const struct soft_vcpu *v, unsigned r, unsigned sz)
{
	uint64_t x = v->r[r];
	return sz == 8 ? x : x & ((1ull << (sz * 8)) - 1);
}

static void gpr_wr(struct soft_vcpu *v, unsigned r, unsigned sz, uint64_t x)
{
	if (sz == 8)
		v->r[r] = x;
	else if (sz == 4)
		v->r[r] = (uint32_t)x;
	else if (sz == 2)
		v->r[r] = (v->r[r] & ~0xffffull) | (x & 0xffff);
	else
		v->r[r] = (v->r[r] & ~0xffull) | (x & 0xff);
}

static bool mov_to_cr(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned cr = d->modrm_reg;
	uint64_t val = v->r[d->rm];
	switch (cr) {
	case 0:
		if (soft_intercepted(v, ENGINE_ICPT_CR0_WRITE)) {
			soft_intercept_exit(v, ENGINE_ICPT_CR0_WRITE, val, 0, d->len);
			return true;
		}
		if ((val >> 32) || !(val & MV_CR0_PG) || !(val & MV_CR0_PE))
			gp0(v); /* long mode only: paging stays on */
		v->cr0 = val | 0x10; /* ET is fixed */
		soft_update_mmu(v);
		break;
	case 2:
		v->cr2 = val;
		break;
	case 3: {
		if (soft_intercepted(v, ENGINE_ICPT_CR3_WRITE)) {
			soft_intercept_exit(v, ENGINE_ICPT_CR3_WRITE, val, 0, d->len);
			return true;
		}
		bool pcide = (v->cr4 & MV_CR4_PCIDE) != 0;
		bool noflush = pcide && (val >> 63);
		val &= ~(1ull << 63);
		if (val >> 52)
			gp0(v);
		v->cr3 = val;
		soft_update_mmu(v);
		/* SDM 4.10.4.1: the write invalidates the non-global entries of
		 * the PCID it loads (PCID 0 when PCIDs are off). */
		if (!noflush)
			soft_mmu_flush_pcid(v->m->mmu, pcide ? (uint32_t)(val & 0xfff) : 0, true,
					    SOFT_FLUSH_CR3);
		break;
	}
	case 4: {
		if (soft_intercepted(v, ENGINE_ICPT_CR4_WRITE)) {
			soft_intercept_exit(v, ENGINE_ICPT_CR4_WRITE, val, 0, d->len);
			return true;
		}
		uint64_t ok = 0x3fffffull & ~(1ull << 15) & ~(1ull << 19);
		if ((val & ~ok) || !(val & MV_CR4_PAE))
			gp0(v);
		if ((val & MV_CR4_PCIDE) && !(v->cr4 & MV_CR4_PCIDE) && (v->cr3 & 0xfff))
			gp0(v);
		uint64_t changed = v->cr4 ^ val;
		v->cr4 = val;
		soft_update_mmu(v);
		if (changed & (MV_CR4_PGE | MV_CR4_PCIDE))
			soft_mmu_flush_all(v->m->mmu, false, SOFT_FLUSH_GLOBAL);
		break;
	}
	case 8:
		if (val >> 4)
			gp0(v);
		v->apic.tpr = (uint32_t)(val << 4);
		v->stop_at = 0;
		break;
	default:
		soft_raise(v, 6, false, 0);
	}
	return false;
}

static bool mov_from_cr(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	uint64_t val;
	switch (d->modrm_reg) {
	case 0: val = v->cr0; break;
	case 2: val = v->cr2; break;
	case 3:
		if (soft_intercepted(v, ENGINE_ICPT_CR3_READ)) {
			soft_intercept_exit(v, ENGINE_ICPT_CR3_READ, v->cr3, 0, d->len);
			v->exit.intercept.info2 = d->rm; /* the destination register */
			return true;
		}
		val = v->cr3;
		break;
	case 4: val = v->cr4; break;
	case 8: val = v->apic.tpr >> 4; break;
	default: soft_raise(v, 6, false, 0);
	}
	v->r[d->rm] = val;
	return false;
}

static void do_iret(struct soft_vcpu *v)
{
	uint64_t sp = v->r[4];
	uint64_t rip = soft_read(v, sp, 8, false);
	uint64_t cs = soft_read(v, sp + 8, 8, false) & 0xffff;
	uint64_t fl = soft_read(v, sp + 16, 8, false);
	uint64_t rsp = soft_read(v, sp + 24, 8, false);
	uint64_t ss = soft_read(v, sp + 32, 8, false) & 0xffff;
	unsigned ncpl = cs & 3;
	if (ncpl < v->cpl)
		soft_raise(v, 13, true, (uint32_t)cs & ~3u);
	if ((uint64_t)((int64_t)(rip << 16) >> 16) != rip)
		gp0(v);
	soft_load_seg(v, SOFT_CS, (uint16_t)cs, ncpl);
	if (ncpl != 0 || (ss & ~3u))
		soft_load_seg(v, SOFT_SS, (uint16_t)ss, ncpl);
	else
		v->seg[SOFT_SS] = (struct engine_segment){ .selector = (uint16_t)ss };
	uint64_t old = soft_flags(v);
	uint64_t mask = SOFT_ARITH | SOFT_TF | SOFT_DF | SOFT_NT | SOFT_AC | SOFT_ID | SOFT_RF;
	unsigned iopl = (unsigned)(old >> 12) & 3;
	if (v->cpl == 0)
		mask |= 0x3000;
	if (v->cpl <= iopl)
		mask |= SOFT_IF;
	uint64_t nf = (old & ~mask) | (fl & mask) | 2;
	soft_set_flags(v, nf);
	v->cpl = ncpl;
	v->rip = rip;
	v->r[4] = rsp;
	v->fetch_vpage = SOFT_NEVER;
	v->stop_at = 0;
}

static void do_ltr(struct soft_vcpu *v, uint16_t sel)
{
	uint64_t lo, hi;
	struct soft_fault f;
	bool gp;
	if ((sel & ~3u) == 0)
		gp0(v);
	if (!soft_read_desc(v, sel, &lo, &hi, &f, &gp)) {
		if (gp)
			soft_raise(v, 13, true, sel & ~3u);
		soft_raise_fault(v, &f, SOFT_ACCESS_READ, v->gdt.base + (sel & ~7u), 16);
	}
	struct engine_segment s;
	soft_unpack_seg(&s, sel, lo);
	if (s.s || s.type != 9)
		soft_raise(v, 13, true, sel & ~3u);
	if (!s.present)
		soft_raise(v, 11, true, sel & ~3u);
	s.base |= (hi & 0xffffffff) << 32;
	/* Mark the descriptor busy, as hardware does. */
	soft_write(v, v->gdt.base + (sel & ~7u) + 5, 1, ((lo >> 40) & 0xff) | 2, true);
	s.type = 11;
	v->tr = s;
}

bool soft_exec_sys(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned cpl = v->cpl;
	uint64_t fl = v->rflags; /* IF and IOPL are never lazy */
	unsigned iopl = (unsigned)(fl >> 12) & 3;

	switch (d->op) {
	case SOFT_OP_CLI:
	case SOFT_OP_STI:
		if (cpl > iopl)
			gp0(v);
		if (d->op == SOFT_OP_CLI) {
			v->rflags &= ~(uint64_t)SOFT_IF;
		} else if (!(v->rflags & SOFT_IF)) {
			v->rflags |= SOFT_IF;
			v->sti_until = v->icount + 2; /* the next instruction runs first */
			v->stop_at = 0;
		}
		break;
	case SOFT_OP_HLT:
		if (cpl)
			gp0(v);
		if (soft_intercepted(v, ENGINE_ICPT_HLT)) {
			soft_intercept_exit(v, ENGINE_ICPT_HLT, 0, 0, d->len);
			return true;
		}
		retire(v, d);
		v->halted = true;
		v->stop_at = 0;
		return false;
	case SOFT_OP_IN:
	case SOFT_OP_OUT: {
		if (cpl > iopl)
			gp0(v);
		unsigned sz = d->osize == 8 ? 4 : d->osize;
		uint16_t port = d->sub ? (uint16_t)v->r[2] : (uint16_t)d->imm;
		v->exit.reason = ENGINE_EXIT_IO;
		v->exit.io.port = port;
		v->exit.io.size = (uint8_t)sz;
		v->exit.io.is_write = d->op == SOFT_OP_OUT;
		if (d->op == SOFT_OP_OUT) {
			v->exit.io.data = (uint32_t)gpr_rd(v, 0, sz);
			retire(v, d);
		} else {
			v->exit.io.data = 0;
			v->in_pending = true;
			v->in_size = (uint8_t)sz;
			v->in_next_rip = v->rip + d->len;
		}
		return true;
	}
	case SOFT_OP_INT3:
	case SOFT_OP_INT: {
		uint8_t vec = d->op == SOFT_OP_INT3 ? 3 : (uint8_t)d->imm;
		if (vec < 32 && soft_intercepted(v, ENGINE_ICPT_EXCEPTION) &&
		    ((v->icpt.exceptions >> vec) & 1)) {
			soft_intercept_exit(v, ENGINE_ICPT_EXCEPTION, 0, v->rip, d->len);
			v->exit.intercept.vector = vec;
			return true;
		}
		uint64_t ret = v->rip + d->len;
		v->icount++;
		soft_deliver_event(v, vec, false, 0, 0, SOFT_EV_SOFTINT, ret);
		return v->exit.reason != ENGINE_EXIT_NONE;
	}
	case SOFT_OP_UD2:
		soft_raise(v, 6, false, 0);
	case SOFT_OP_CPUID: {
		if (soft_intercepted(v, ENGINE_ICPT_CPUID)) {
			soft_intercept_exit(v, ENGINE_ICPT_CPUID, (uint32_t)v->r[0], (uint32_t)v->r[1],
					    d->len);
			return true;
		}
		uint32_t r[4];
		soft_cpuid(v, (uint32_t)v->r[0], (uint32_t)v->r[1], r);
		v->r[0] = r[0];
		v->r[3] = r[1];
		v->r[1] = r[2];
		v->r[2] = r[3];
		break;
	}
	case SOFT_OP_RDTSC: {
		uint64_t t = v->icount + v->tsc_offset;
		v->r[0] = (uint32_t)t;
		v->r[2] = t >> 32;
		break;
	}
	case SOFT_OP_RDMSR:
	case SOFT_OP_WRMSR: {
		if (cpl)
			gp0(v);
		uint32_t msr = (uint32_t)v->r[1];
		bool wr = d->op == SOFT_OP_WRMSR;
		uint64_t val = ((v->r[2] & 0xffffffff) << 32) | (v->r[0] & 0xffffffff);
		if (msr_intercepted(v, msr, wr)) {
			soft_intercept_exit(v, wr ? ENGINE_ICPT_MSR_WRITE : ENGINE_ICPT_MSR_READ, msr,
					    wr ? val : 0, d->len);
			return true;
		}
		if (wr && soft_atlb_write_exits(v, msr)) {
			soft_intercept_exit(v, ENGINE_ICPT_TLB_WRITE, msr, val, d->len);
			return true;
		}
		if (wr) {
			if (!soft_msr_write(v, msr, val))
				gp0(v);
		} else {
			if (!soft_msr_read(v, msr, &val))
				gp0(v);
			v->r[0] = (uint32_t)val;
			v->r[2] = val >> 32;
		}
		break;
	}
	case SOFT_OP_MOV_TO_CR:
		if (cpl)
			gp0(v);
		if (mov_to_cr(v, d))
			return true;
		break;
	case SOFT_OP_MOV_FROM_CR:
		if (cpl)
			gp0(v);
		if (mov_from_cr(v, d))
			return true;
		break;
	case SOFT_OP_INVLPG: {
		if (cpl)
			gp0(v);
		uint64_t a = sys_ea(v, d);
		if (soft_intercepted(v, ENGINE_ICPT_INVLPG)) {
			soft_intercept_exit(v, ENGINE_ICPT_INVLPG, a, 0, d->len);
			return true;
		}
		soft_mmu_invlpg(v->m->mmu, a);
		v->fetch_vpage = SOFT_NEVER;
		post(v, MV_EV_INVLPG, a, 0);
		break;
	}
	case SOFT_OP_LGDT:
	case SOFT_OP_LIDT: {
		if (cpl)
			gp0(v);
		uint64_t a = sys_ea(v, d);
		uint16_t limit = (uint16_t)soft_read(v, a, 2, false);
		uint64_t base = soft_read(v, a + 2, 8, false);
		struct engine_dtable *t = d->op == SOFT_OP_LGDT ? &v->gdt : &v->idt;
		t->base = base;
		t->limit = limit;
		break;
	}
	case SOFT_OP_LTR: {
		if (cpl)
			gp0(v);
		uint16_t sel = d->mem ? (uint16_t)soft_read(v, sys_ea(v, d), 2, false)
				      : (uint16_t)v->r[d->rm];
		do_ltr(v, sel);
		break;
	}
	case SOFT_OP_MOV_TO_SEG: {
		unsigned sr = d->modrm_reg & 7;
		if (sr == SOFT_CS || sr >= SOFT_NSEG)
			soft_raise(v, 6, false, 0);
		uint16_t sel = d->mem ? (uint16_t)soft_read(v, sys_ea(v, d), 2, false)
				      : (uint16_t)v->r[d->rm];
		soft_load_seg(v, sr, sel, cpl);
		if (sr == SOFT_SS) {
			v->sti_until = v->icount + 2; /* MOV SS shadow */
			v->stop_at = 0;
		}
		break;
	}
	case SOFT_OP_MOV_FROM_SEG: {
		unsigned sr = d->modrm_reg & 7;
		if (sr >= SOFT_NSEG)
			soft_raise(v, 6, false, 0);
		uint16_t sel = v->seg[sr].selector;
		if (d->mem)
			soft_write(v, sys_ea(v, d), 2, sel, false);
		else
			gpr_wr(v, d->rm, d->osize, sel);
		break;
	}
	case SOFT_OP_IRETQ:
		if (d->osize != 8)
			soft_raise(v, 6, false, 0); /* only the 64-bit IRETQ is modelled */
		do_iret(v);
		v->icount++;
		return false;
	case SOFT_OP_LRET: {
		/* Far return to the same privilege level (reloading CS after
		 * LGDT); returns to another level are not modelled: #GP. */
		unsigned sz = d->osize == 8 ? 8 : 4;
		uint64_t sp = v->r[4];
		uint64_t rip = soft_read(v, sp, sz, false);
		uint16_t cs = (uint16_t)soft_read(v, sp + sz, sz, false);
		if ((cs & 3) != cpl)
			soft_raise(v, 13, true, cs & ~3u);
		soft_load_seg(v, SOFT_CS, cs, cpl);
		v->r[4] = sp + 2 * sz;
		v->rip = rip;
		v->icount++;
		v->fetch_vpage = SOFT_NEVER;
		return false;
	}
	case SOFT_OP_SYSCALL: {
		if (!(v->efer & MV_EFER_SCE))
			soft_raise(v, 6, false, 0);
		uint64_t f = soft_flags(v);
		v->r[1] = v->rip + d->len;
		v->r[11] = f & ~(uint64_t)SOFT_RF;
		uint16_t sel = (uint16_t)(v->star >> 32) & 0xfffc;
		v->seg[SOFT_CS] = (struct engine_segment){ .selector = sel, .type = 0xb, .present = 1,
			.s = 1, .l = 1, .g = 1, .limit = 0xffffffff };
		v->seg[SOFT_SS] = (struct engine_segment){ .selector = (uint16_t)(sel + 8), .type = 3,
			.present = 1, .s = 1, .db = 1, .g = 1, .limit = 0xffffffff };
		v->cpl = 0;
		soft_set_flags(v, (f & ~v->sfmask & ~(uint64_t)SOFT_RF) | 2);
		v->rip = v->lstar;
		v->icount++;
		v->fetch_vpage = SOFT_NEVER;
		return false;
	}
	case SOFT_OP_SYSRET: {
		if (!(v->efer & MV_EFER_SCE))
			soft_raise(v, 6, false, 0);
		if (cpl)
			gp0(v);
		if (d->osize != 8)
			soft_raise(v, 6, false, 0); /* only SYSRETQ (to 64-bit code) */
		uint64_t rip = v->r[1];
		if ((uint64_t)((int64_t)(rip << 16) >> 16) != rip)
			gp0(v);
		uint16_t base = (uint16_t)(v->star >> 48);
		v->seg[SOFT_CS] = (struct engine_segment){ .selector = (uint16_t)((base + 16) | 3),
			.type = 0xb, .present = 1, .s = 1, .l = 1, .g = 1, .dpl = 3,
			.limit = 0xffffffff };
		v->seg[SOFT_SS] = (struct engine_segment){ .selector = (uint16_t)((base + 8) | 3),
			.type = 3, .present = 1, .s = 1, .db = 1, .g = 1, .dpl = 3,
			.limit = 0xffffffff };
		v->cpl = 3;
		uint64_t old = v->rflags;
		soft_set_flags(v, (v->r[11] & 0x3c7fd7) | 2);
		if ((v->rflags & SOFT_IF) && !(old & SOFT_IF))
			v->stop_at = 0;
		v->rip = rip;
		v->icount++;
		v->fetch_vpage = SOFT_NEVER;
		return false;
	}
	case SOFT_OP_SWAPGS: {
		if (cpl)
			gp0(v);
		uint64_t t = v->seg[SOFT_GS].base;
		v->seg[SOFT_GS].base = v->kernel_gs_base;
		v->kernel_gs_base = t;
		break;
	}
	case SOFT_OP_VMMCALL:
		if (soft_intercepted(v, ENGINE_ICPT_VMMCALL)) {
			soft_intercept_exit(v, ENGINE_ICPT_VMMCALL, v->r[0], 0, d->len);
			return true;
		}
		soft_raise(v, 6, false, 0);
	default:
		v->n_ud++;
		soft_raise(v, 6, false, 0);
	}
	retire(v, d);
	return false;
}

/* ---- asynchronous checks ---- */

void soft_recompute_stop(struct soft_vcpu *v)
{
	uint64_t s = v->limit;
	if (v->quantum_end < s)
		s = v->quantum_end;
	if (v->apic.deadline < s)
		s = v->apic.deadline;
	if (v->icount < v->sti_until && v->sti_until < s)
		s = v->sti_until;
	v->stop_at = s;
}

bool soft_async(struct soft_vcpu *v)
{
	for (;;) {
		soft_apic_timer_expire(v);
		if (v->icount >= v->limit) {
			v->exit.reason = ENGINE_EXIT_INSN_LIMIT;
			return true;
		}
		if (v->icount >= v->quantum_end) {
			v->quantum_end = v->quantum ? v->icount + v->quantum : SOFT_NEVER;
			v->exit.reason = ENGINE_EXIT_QUANTUM;
			return true;
		}
		if ((v->rflags & SOFT_IF) && v->icount >= v->sti_until) {
			int vec = soft_apic_pending(v);
			if (vec >= 0) {
				v->apic.irr[vec / 64] &= ~(1ull << (vec % 64));
				v->apic.isr[vec / 64] |= 1ull << (vec % 64);
				soft_deliver_event(v, (uint8_t)vec, false, 0, 0, SOFT_EV_EXTINT, v->rip);
				if (v->exit.reason != ENGINE_EXIT_NONE)
					return true;
				if ((unsigned)vec == (v->apic.lvt_timer & 0xff))
					post(v, MV_EV_TIMER_INTERRUPT, 0, (unsigned)vec);
				continue;
			}
		}
		if (v->halted) {
			bool wakes = (v->rflags & SOFT_IF) && v->apic.deadline != SOFT_NEVER &&
				     !((v->apic.lvt_timer >> 16) & 1) && (v->apic.svr & 0x100);
			if (!wakes) {
				/* Nothing will wake it: the VMM decides (RIP is past HLT). */
				v->halted = false;
				v->exit.reason = ENGINE_EXIT_HLT;
				return true;
			}
			uint64_t to = v->apic.deadline;
			if (v->quantum_end < to)
				to = v->quantum_end;
			if (v->limit < to)
				to = v->limit;
			if (to > v->icount) {
				v->idle += to - v->icount;
				v->icount = to;
			}
			continue;
		}
		soft_recompute_stop(v);
		return false;
	}
}
