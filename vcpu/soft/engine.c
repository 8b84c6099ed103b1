/*
 * vcpu/soft/engine.c — the soft engine's ops (vcpu/engine.h) and the
 * machine and vCPU handles of soft.h.
 *
 * A VM without a machine of its own (engine_vm_config.machine == NULL)
 * creates a private machine at its first set_memory(), over the caller's
 * buffer; several VMs sharing a struct soft_machine carve their RAM out of
 * its memory.  Either way a VM has one RAM slot, relocated by phys_base
 * when nested paging is off.
 */
#include "vcpu/soft/cpu.h"
#include "vcpu/soft/archtlb.h"
#include "vcpu/soft/engine_hw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- machine ---- */

#define SOFT_HUGE (2ull << 20)

/* Guest accesses and page walks land anywhere in machine memory: host
 * TLB misses on 4 KiB host pages cost more than the model itself on a
 * large working set.  Ask for transparent huge pages over it (advice
 * only: memory still becomes resident as the guest touches it, in 2 MiB
 * pieces, and nothing changes where the host refuses). */
static void machine_advise_huge(uint8_t *mem, uint64_t size)
{
	uintptr_t start = ((uintptr_t)mem + SOFT_HUGE - 1) & ~(uintptr_t)(SOFT_HUGE - 1);
	uintptr_t end = ((uintptr_t)mem + size) & ~(uintptr_t)(SOFT_HUGE - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

static int machine_init(struct soft_machine *m, uint8_t *mem, uint64_t size,
			const struct soft_mmu_config *mcfg)
{
	machine_advise_huge(mem, size);
	m->mem = mem;
	m->mem_size = size;
	m->npages = size / SOFT_PAGE;
	m->code = calloc(m->npages, sizeof(*m->code));
	m->code_bits = calloc((m->npages + 63) / 64, sizeof(*m->code_bits));
	int r = m->code && m->code_bits ? soft_mmu_create(mcfg, mem, size, &m->mmu) : -ENOMEM;
	if (r) {
		free(m->code);
		free(m->code_bits);
		m->code = NULL;
		m->code_bits = NULL;
		return r;
	}
	return 0;
}

int soft_machine_create(const struct soft_machine_config *cfg, struct soft_machine **out)
{
	if (!cfg->mem_size || cfg->mem_size % SOFT_PAGE)
		return -EINVAL;
	struct soft_machine *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	uint8_t *mem = cfg->mem;
	if (!mem) {
		void *p = mmap(NULL, cfg->mem_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			free(m);
			return -ENOMEM;
		}
		mem = p;
		m->own_mem = true;
	}
	int r = machine_init(m, mem, cfg->mem_size, &cfg->mmu);
	if (r) {
		if (m->own_mem)
			munmap(mem, cfg->mem_size);
		free(m);
		return r;
	}
	*out = m;
	return 0;
}

void soft_machine_destroy(struct soft_machine *m)
{
	if (!m)
		return;
	/* The bitmap says where the code pages are: a large machine's
	 * pointer array is not read through. */
	for (uint64_t w = 0; m->code && m->code_bits && w < (m->npages + 63) / 64; w++) {
		for (uint64_t bits = m->code_bits[w]; bits; bits &= bits - 1) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits);
			free(m->code[i]->insns);
			free(m->code[i]);
		}
	}
	free(m->code);
	free(m->code_bits);
	soft_mmu_destroy(m->mmu);
	if (m->own_mem)
		munmap(m->mem, m->mem_size);
	free(m);
}

uint8_t *soft_machine_mem(struct soft_machine *m, uint64_t *size)
{
	if (size)
		*size = m->mem_size;
	return m->mem;
}

struct soft_mmu *soft_machine_mmu(struct soft_machine *m)
{
	return m->mmu;
}

void soft_machine_code_written(struct soft_machine *m, uint64_t hpa, uint64_t len)
{
	if (!len || hpa >= m->mem_size)
		return;
	uint64_t end = hpa + len > m->mem_size ? m->mem_size : hpa + len;
	for (uint64_t p = hpa / SOFT_PAGE; p <= (end - 1) / SOFT_PAGE; p++)
		soft_code_reset(m, p);
}

void soft_machine_stats(const struct soft_machine *m, engine_stat_fn fn, void *ctx)
{
	fn(ctx, "soft.predecode_decodes", m->decodes);
	fn(ctx, "soft.predecode_page_resets", m->code_resets);
	if (m->mmu)
		soft_mmu_stats(m->mmu, fn, ctx);
}

/* ---- engine ops ---- */

static bool soft_available(char *why, size_t why_len)
{
	(void)why;
	(void)why_len;
	return true; /* pure software: runs everywhere */
}

static int soft_vm_create(const struct engine_vm_config *cfg, struct engine_vm **out)
{
	struct soft_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->post = cfg->post;
	vm->post_ctx = cfg->post_ctx;
	vm->m = cfg->machine;
	vm->own_machine = cfg->machine == NULL;
	vm->vm_index = cfg->vm_index;
	*out = (struct engine_vm *)(void *)vm;
	return 0;
}

static void soft_vm_destroy(struct engine_vm *evm)
{
	struct soft_vm *vm = (struct soft_vm *)(void *)evm;
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		if (vm->m && vm->m->loaded == vm->vcpus[i])
			vm->m->loaded = NULL;
		free(vm->vcpus[i]);
	}
	if (vm->own_machine)
		soft_machine_destroy(vm->m);
	free(vm);
}

static int soft_set_memory(struct engine_vm *evm, uint32_t slot, uint64_t gpa, uint64_t size,
			   void *host)
{
	struct soft_vm *vm = (struct soft_vm *)(void *)evm;
	(void)slot;
	if (!size || size % SOFT_PAGE || gpa % SOFT_PAGE || !host)
		return -EINVAL;
	if (!vm->m) {
		if (gpa != 0)
			return -EINVAL; /* a private machine's memory is the VM's RAM from GPA 0 */
		struct soft_machine_config mc = { .mem_size = size, .mem = host };
		soft_mmu_config_default(&mc.mmu);
		int r = soft_machine_create(&mc, &vm->m);
		if (r)
			return r;
	}
	uint8_t *h = host;
	if (h < vm->m->mem || h + size > vm->m->mem + vm->m->mem_size || h + size < h)
		return -EINVAL; /* RAM must lie inside machine memory */
	vm->phys_base = (uint64_t)(h - vm->m->mem) - gpa;
	vm->phys_limit = gpa + size;
	vm->have_memory = true;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i]->m = vm->m;
		vm->vcpus[i]->mregs.phys_base = vm->phys_base;
		vm->vcpus[i]->mregs.phys_limit = vm->phys_limit;
	}
	return 0;
}

static int soft_vcpu_create(struct engine_vm *evm, struct engine_vcpu **out)
{
	struct soft_vm *vm = (struct soft_vm *)(void *)evm;
	if (vm->nvcpus >= sizeof(vm->vcpus) / sizeof(vm->vcpus[0]))
		return -ENOSPC;
	struct soft_vcpu *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->m = vm->m;
	v->index = (uint16_t)vm->nvcpus;
	soft_cpu_reset(v);
	v->mregs.phys_base = vm->phys_base;
	v->mregs.phys_limit = vm->phys_limit;
	vm->vcpus[vm->nvcpus++] = v;
	*out = (struct engine_vcpu *)(void *)v;
	return 0;
}

static int soft_get_regs(struct engine_vcpu *vcpu, struct engine_regs *regs)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	uint64_t *r = v->r;
	*regs = (struct engine_regs){
		.rax = r[0], .rcx = r[1], .rdx = r[2], .rbx = r[3], .rsp = r[4], .rbp = r[5],
		.rsi = r[6], .rdi = r[7], .r8 = r[8], .r9 = r[9], .r10 = r[10], .r11 = r[11],
		.r12 = r[12], .r13 = r[13], .r14 = r[14], .r15 = r[15],
		.rip = v->rip, .rflags = soft_flags(v),
	};
	return 0;
}

static int soft_set_regs(struct engine_vcpu *vcpu, const struct engine_regs *regs)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	uint64_t *r = v->r;
	r[0] = regs->rax; r[1] = regs->rcx; r[2] = regs->rdx; r[3] = regs->rbx;
	r[4] = regs->rsp; r[5] = regs->rbp; r[6] = regs->rsi; r[7] = regs->rdi;
	r[8] = regs->r8; r[9] = regs->r9; r[10] = regs->r10; r[11] = regs->r11;
	r[12] = regs->r12; r[13] = regs->r13; r[14] = regs->r14; r[15] = regs->r15;
	v->rip = regs->rip;
	soft_set_flags(v, regs->rflags);
	v->in_pending = false; /* the VMM took over the instruction stream */
	v->stop_at = 0;
	return 0;
}

static int soft_get_sregs(struct engine_vcpu *vcpu, struct engine_sregs *s)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	memset(s, 0, sizeof(*s));
	s->es = v->seg[SOFT_ES];
	s->cs = v->seg[SOFT_CS];
	s->ss = v->seg[SOFT_SS];
	s->ds = v->seg[SOFT_DS];
	s->fs = v->seg[SOFT_FS];
	s->gs = v->seg[SOFT_GS];
	s->tr = v->tr;
	s->ldt = v->ldt;
	s->gdt = v->gdt;
	s->idt = v->idt;
	s->cr0 = v->cr0;
	s->cr2 = v->cr2;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	s->cr8 = v->apic.tpr >> 4;
	s->efer = v->efer;
	s->apic_base = v->apic.base_msr;
	return 0;
}

static int soft_set_sregs(struct engine_vcpu *vcpu, const struct engine_sregs *s)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->seg[SOFT_ES] = s->es;
	v->seg[SOFT_CS] = s->cs;
	v->seg[SOFT_SS] = s->ss;
	v->seg[SOFT_DS] = s->ds;
	v->seg[SOFT_FS] = s->fs;
	v->seg[SOFT_GS] = s->gs;
	v->tr = s->tr;
	v->ldt = s->ldt;
	v->gdt = s->gdt;
	v->idt = s->idt;
	v->cr0 = s->cr0;
	v->cr2 = s->cr2;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->apic.tpr = (uint32_t)(s->cr8 & 0xf) << 4;
	v->efer = s->efer;
	if (s->apic_base)
		v->apic.base_msr = s->apic_base;
	v->cpl = s->cs.dpl;
	v->fetch_vpage = SOFT_NEVER;
	v->stop_at = 0;
	/* No TLB flush: the VMM/backend flushes what it means to. */
	return 0;
}

static int soft_get_msrs(struct engine_vcpu *vcpu, struct engine_msrs *m)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	*m = (struct engine_msrs){
		.star = v->star, .lstar = v->lstar, .cstar = v->cstar, .sfmask = v->sfmask,
		.kernel_gs_base = v->kernel_gs_base, .tsc = v->icount + v->tsc_offset,
	};
	return 0;
}

static int soft_set_msrs(struct engine_vcpu *vcpu, const struct engine_msrs *m)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->star = m->star;
	v->lstar = m->lstar;
	v->cstar = m->cstar;
	v->sfmask = m->sfmask;
	v->kernel_gs_base = m->kernel_gs_base;
	v->tsc_offset = m->tsc - v->icount;
	return 0;
}

/* The state must be 64-bit long mode with paging: anything else is a
 * failed entry, with the reason. */
static bool check_entry(struct soft_vcpu *v)
{
	const char *why = NULL;
	if (!v->m || !v->vm->have_memory)
		why = "no memory: set_memory() was not called";
	else if ((v->cr0 & 0x80000001ull) != 0x80000001ull)
		why = "CR0.PG and CR0.PE must be set (the soft CPU runs long mode only)";
	else if (!(v->cr4 & (1ull << 5)))
		why = "CR4.PAE must be set";
	else if ((v->efer & 0x500) != 0x500)
		why = "EFER.LME and EFER.LMA must be set";
	else if (!v->seg[SOFT_CS].l)
		why = "CS.L must be set (64-bit code segment)";
	if (!why)
		return true;
	memset(&v->exit, 0, sizeof(v->exit));
	v->exit.reason = ENGINE_EXIT_FAIL_ENTRY;
	snprintf(v->exit.message, sizeof(v->exit.message), "soft: cannot enter: %s (CR0 0x%" PRIx64
		 " CR4 0x%" PRIx64 " EFER 0x%" PRIx64 ")", why, v->cr0, v->cr4, v->efer);
	v->n_exits[ENGINE_EXIT_FAIL_ENTRY]++;
	return false;
}

static int soft_run(struct engine_vcpu *vcpu)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->m = v->vm->m;
	if (!check_entry(v))
		return 0;
	return soft_cpu_run(v);
}

static struct engine_exit *soft_exit(struct engine_vcpu *vcpu)
{
	return &soft_vcpu_of(vcpu)->exit;
}

static int soft_set_limits(struct engine_vcpu *vcpu, uint64_t quantum, uint64_t limit)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->quantum = quantum;
	v->quantum_end = quantum ? v->icount + quantum : SOFT_NEVER;
	v->limit = limit ? limit : SOFT_NEVER;
	v->stop_at = 0;
	return 0;
}

static uint64_t soft_instructions(struct engine_vcpu *vcpu)
{
	return soft_vcpu_of(vcpu)->icount;
}

static void soft_stats(struct engine_vm *evm, engine_stat_fn fn, void *ctx)
{
	struct soft_vm *vm = (struct soft_vm *)(void *)evm;
	uint64_t insns = 0, idle = 0, exc = 0, irq = 0, df = 0, ud = 0;
	uint64_t exits[ENGINE_EXIT__COUNT] = { 0 }, icpt[ENGINE_ICPT__COUNT] = { 0 };
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		const struct soft_vcpu *v = vm->vcpus[i];
		insns += v->icount;
		idle += v->idle;
		exc += v->n_exceptions;
		irq += v->n_interrupts;
		df += v->n_double_faults;
		ud += v->n_ud;
		for (unsigned k = 0; k < ENGINE_EXIT__COUNT; k++)
			exits[k] += v->n_exits[k];
		for (unsigned k = 0; k < ENGINE_ICPT__COUNT; k++)
			icpt[k] += v->n_intercepts[k];
	}
	fn(ctx, "soft.instructions", insns);
	fn(ctx, "soft.idle_instructions", idle);
	fn(ctx, "soft.exceptions", exc);
	fn(ctx, "soft.interrupts", irq);
	fn(ctx, "soft.double_faults", df);
	fn(ctx, "soft.undefined_opcodes", ud);
	char name[64];
	for (unsigned k = 1; k < ENGINE_EXIT__COUNT; k++) {
		snprintf(name, sizeof(name), "soft.exit.%s",
			 engine_exit_reason_name((enum engine_exit_reason)k));
		fn(ctx, name, exits[k]);
	}
	for (unsigned k = 0; k < ENGINE_ICPT__COUNT; k++) {
		snprintf(name, sizeof(name), "soft.intercept.%s",
			 engine_intercept_name((enum engine_intercept)k));
		fn(ctx, name, icpt[k]);
	}
	/* A shared machine's TLB and caches belong to no one VM: whoever
	 * created it (the VMM) reports them once, or they would count once
	 * per VM. */
	if (vm->m && vm->own_machine)
		soft_machine_stats(vm->m, fn, ctx);
}

static uint32_t soft_capabilities(void)
{
	return MV_CAP_MMU | MV_CAP_ARCH_TLB | MV_CAP_ICOUNT;
}

static void soft_explain_missing(uint32_t missing, char *why, size_t len)
{
	snprintf(why, len, "%s", missing & (MV_CAP_HOST_TDP | MV_CAP_HOST_SHADOW)
					 ? "the soft engine has no host KVM: use --engine kvm"
					 : "the soft engine has no such hardware");
}

const struct engine_ops soft_engine_ops = {
	.name = "soft",
	.description = "software x86-64 CPU with an exact MMU/TLB model (deterministic)",
	.id = MV_ENGINE_SOFT,
	.available = soft_available,
	.capabilities = soft_capabilities,
	.explain_missing = soft_explain_missing,
	.vm_create = soft_vm_create,
	.vm_destroy = soft_vm_destroy,
	.set_memory = soft_set_memory,
	.vcpu_create = soft_vcpu_create,
	.get_regs = soft_get_regs,
	.set_regs = soft_set_regs,
	.get_sregs = soft_get_sregs,
	.set_sregs = soft_set_sregs,
	.get_msrs = soft_get_msrs,
	.set_msrs = soft_set_msrs,
	.run = soft_run,
	.exit = soft_exit,
	.set_limits = soft_set_limits,
	.instructions = soft_instructions,
	.stats = soft_stats,
	.machine_create = soft_hw_machine_create,
	.tlb_canonical = soft_hw_tlb_canonical,
	.machine_destroy = soft_hw_machine_destroy,
	.machine_stats = soft_hw_machine_stats,
	.set_intercepts = soft_hw_set_intercepts,
	.set_paging = soft_hw_set_paging,
	.flush_tlb = soft_hw_flush_tlb,
	.inject_exception = soft_hw_inject_exception,
	.write_cr3 = soft_hw_write_cr3,
	.flush_tlb_nonglobal = soft_hw_flush_tlb_nonglobal,
	.atlb_info = soft_hw_atlb_info,
	.atlb_enable = soft_atlb_enable,
	.atlb_get_regs = soft_hw_atlb_get_regs,
	.atlb_set_regs = soft_hw_atlb_set_regs,
	.atlb_set_real_asid = soft_hw_atlb_set_real_asid,
	.atlb_write = soft_atlb_real_write,
	.atlb_read = soft_atlb_real_read,
	.atlb_probe = soft_atlb_real_probe,
	.atlb_flush = soft_hw_atlb_flush,
	.atlb_write_free = soft_atlb_real_write_free,
	.atlb_set_vm_asid = soft_hw_atlb_set_vm_asid,
};

/* ---- soft.h vCPU controls ---- */

int soft_vcpu_set_intercepts(struct engine_vcpu *vcpu, const struct soft_intercepts *icpt)
{
	if (icpt->msr_read_count > SOFT_MSR_RANGES || icpt->msr_write_count > SOFT_MSR_RANGES)
		return -EINVAL;
	soft_vcpu_of(vcpu)->icpt = *icpt;
	return 0;
}

void soft_vcpu_get_intercepts(struct engine_vcpu *vcpu, struct soft_intercepts *icpt)
{
	*icpt = soft_vcpu_of(vcpu)->icpt;
}

void soft_vcpu_set_nested(struct engine_vcpu *vcpu, bool npt, uint64_t ncr3, uint32_t asid)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->mregs.npt = npt;
	v->mregs.ncr3 = ncr3;
	v->mregs.vm_asid = asid;
	v->fetch_vpage = SOFT_NEVER;
}

void soft_vcpu_set_phys(struct engine_vcpu *vcpu, uint64_t phys_base, uint64_t phys_limit)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->mregs.phys_base = phys_base;
	v->mregs.phys_limit = phys_limit;
	v->fetch_vpage = SOFT_NEVER;
}

void soft_vcpu_set_arch_tlb(struct engine_vcpu *vcpu, bool on)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	v->mregs.arch_tlb = on;
	v->fetch_vpage = SOFT_NEVER;
}

void soft_vcpu_mmu_regs(struct engine_vcpu *vcpu, struct soft_mmu_regs *out)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	*out = v->mregs;
	out->cr0 = v->cr0;
	out->cr3 = v->cr3;
	out->cr4 = v->cr4;
	out->efer = v->efer;
}

struct soft_machine *soft_vcpu_machine(struct engine_vcpu *vcpu)
{
	return soft_vcpu_of(vcpu)->m;
}

struct soft_fpu *soft_vcpu_fpu(struct engine_vcpu *vcpu)
{
	return &soft_vcpu_of(vcpu)->fpu;
}

uint64_t soft_vcpu_idle_instructions(struct engine_vcpu *vcpu)
{
	return soft_vcpu_of(vcpu)->idle;
}
