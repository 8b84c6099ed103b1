/*
 * core/vmm_hw.c — the services the VMM hands memory backends (struct
 * mv_hw, memvirt/backend.h): the VM's memory and machine frames, its
 * vCPU's state, events, and the engine's hardware hooks on the VM's
 * vCPU (-ENOTSUP where the engine has no such hardware).
 */
#include <errno.h>
#include <string.h>

#include "core/vmm_internal.h"

static uint16_t hw_vm_index(struct mv_vm *vm) { return (uint16_t)vm->index; }
static uint64_t hw_vm_mem_size(struct mv_vm *vm) { return vm->mem_size; }
static void *hw_vm_state(struct mv_vm *vm) { return vm->backend_state; }
static void hw_set_vm_state(struct mv_vm *vm, void *state) { vm->backend_state = state; }

static void *hw_hpa_ptr(struct mv_vm *vm, uint64_t hpa, uint64_t len)
{
	struct vmm *m = vm->vmm;

	if (hpa > m->mem_size || len > m->mem_size - hpa)
		return NULL;
	return m->mem + hpa;
}

static int hw_gpa_to_hpa(struct mv_vm *vm, uint64_t gpa, uint64_t *hpa)
{
	if (gpa >= vm->mem_size)
		return -EFAULT;
	*hpa = vm->ram_hpa + gpa;
	return 0;
}

static int hw_frame_alloc(struct mv_vm *vm, uint64_t *hpa)
{
	struct vmm *m = vm->vmm;
	uint64_t frame;

	if (m->pool_free_count)
		frame = m->pool_free[--m->pool_free_count];
	else if (m->pool_next < m->pool_frames)
		frame = m->pool_next++;
	else
		return -ENOMEM;
	*hpa = m->pool_base + frame * FRAME_SIZE;
	memset(m->mem + *hpa, 0, FRAME_SIZE);
	vm->frames_held++;
	if (m->pool_next - m->pool_free_count > m->pool_peak)
		m->pool_peak = m->pool_next - m->pool_free_count;
	return 0;
}

static void hw_frame_free(struct mv_vm *vm, uint64_t hpa)
{
	struct vmm *m = vm->vmm;

	if (hpa < m->pool_base || (hpa - m->pool_base) % FRAME_SIZE ||
	    (hpa - m->pool_base) / FRAME_SIZE >= m->pool_next)
		return; /* not a pool frame: a backend bug, ignored rather than corrupting the pool */
	m->pool_free[m->pool_free_count++] = (hpa - m->pool_base) / FRAME_SIZE;
	vm->frames_held--;
}

static int hw_get_regs(struct mv_vm *vm, struct engine_regs *regs)
{
	return vm->vmm->cfg->engine->get_regs(vm->vcpu, regs);
}

static int hw_set_regs(struct mv_vm *vm, const struct engine_regs *regs)
{
	return vm->vmm->cfg->engine->set_regs(vm->vcpu, regs);
}

static int hw_get_sregs(struct mv_vm *vm, struct engine_sregs *sregs)
{
	int rc = vm->vmm->cfg->engine->get_sregs(vm->vcpu, sregs);

	/* With CR3 virtualized the guest's view is the VMM's copy. */
	if (!rc && vm->guest_cr3 != UINT64_MAX)
		sregs->cr3 = vm->guest_cr3;
	return rc;
}

static int hw_set_guest_cr3(struct mv_vm *vm, uint64_t cr3)
{
	vm->guest_cr3 = cr3;
	return 0;
}

/*
 * A service that is the engine hook of the same name, on the VM's vCPU:
 * -ENOTSUP where the engine has no such hardware.
 */
#define HW_FORWARD(name, params, args)                                   \
	static int hw_##name params                                      \
	{                                                                \
		const struct engine_ops *e = vm->vmm->cfg->engine;       \
                                                                         \
		return e->name ? e->name args : -ENOTSUP;                \
	}

HW_FORWARD(set_intercepts, (struct mv_vm *vm, uint64_t causes, uint32_t vectors),
	   (vm->vcpu, causes, vectors))
HW_FORWARD(set_paging, (struct mv_vm *vm, const struct mv_paging *paging),
	   (vm->vcpu, paging, vm->ram_hpa, vm->mem_size))
HW_FORWARD(flush_tlb, (struct mv_vm *vm, enum mv_flush_scope scope, uint64_t arg),
	   (vm->vcpu, scope, arg))
HW_FORWARD(inject_exception, (struct mv_vm *vm, uint8_t vector, uint32_t error_code, uint64_t cr2),
	   (vm->vcpu, vector, error_code, cr2))
HW_FORWARD(write_cr3, (struct mv_vm *vm, uint64_t cr3), (vm->vcpu, cr3))
HW_FORWARD(flush_tlb_nonglobal, (struct mv_vm *vm, uint64_t tag), (vm->vcpu, tag))

static int hw_skip_instruction(struct mv_vm *vm, uint8_t insn_len)
{
	const struct engine_ops *e = vm->vmm->cfg->engine;
	struct engine_regs r;
	int rc = e->get_regs(vm->vcpu, &r);

	if (rc)
		return rc;
	r.rip += insn_len;
	return e->set_regs(vm->vcpu, &r);
}

/* One instruction with a quantum of 1; the turn's quantum then restarts
 * (the remaining part is not known here), so an emulated write lengthens
 * the VM's turn a little. */

static void hw_fail_reason(struct mv_vm *vm, const char *reason)
{
	snprintf(vm->backend_reason, sizeof(vm->backend_reason), "%s", reason);
}

static int hw_single_step(struct mv_vm *vm, struct engine_exit **exit)
{
	const struct vmm_config *cfg = vm->vmm->cfg;
	const struct engine_ops *e = cfg->engine;
	uint64_t quantum;
	int rc, rc2;

	if (!e->set_limits || !(e->capabilities() & MV_CAP_ICOUNT))
		return -ENOTSUP;
	rc = e->set_limits(vm->vcpu, 1, cfg->insn_limit);
	if (rc)
		return rc;
	do
		rc = e->run(vm->vcpu);
	while (rc == -EINTR);
	/* The rest of the VM's turn, not a new one: a VM that steps often
	 * must not get longer turns than the others. */
	quantum = vmm_turn_left(vm->vmm, vm);
	rc2 = e->set_limits(vm->vcpu, quantum, cfg->insn_limit);
	if (rc)
		return rc;
	if (rc2)
		return rc2;
	*exit = e->exit(vm->vcpu);
	return 0;
}

uint64_t vmm_vm_icount(struct mv_vm *vm)
{
	const struct engine_ops *e = vm->vmm->cfg->engine;

	return e->instructions ? e->instructions(vm->vcpu) : 0;
}

static void hw_post(struct mv_vm *vm, struct mv_event *ev)
{
	ev->vm = (uint16_t)vm->index;
	ev->vcpu = 0;
	ev->icount = vmm_vm_icount(vm);
	ev_post(vm->vmm->cfg->bus, ev);
}

/* The engines' events: engine_vm_config.post with the bus as context. */
void vmm_post_engine_event(void *bus, const struct mv_event *ev)
{
	ev_post(bus, ev);
}

void vmm_post_simple(struct mv_vm *vm, uint32_t type, uint64_t detail)
{
	struct mv_event ev = {.type = type, .detail = detail};

	hw_post(vm, &ev);
}

/* The architected-TLB machine's services: -ENOTSUP on the page-table
 * machine and on engines without it. */
#define HW_ATLB(name, params, args)                                      \
	static int hw_atlb_##name params                                 \
	{                                                                \
		const struct engine_ops *e = vm->vmm->cfg->engine;       \
                                                                         \
		if (!vm->vmm->cfg->arch_tlb || !e->atlb_##name)          \
			return -ENOTSUP;                                 \
		return e->atlb_##name args;                              \
	}

HW_ATLB(get_regs, (struct mv_vm *vm, struct mv_atlb_regs *regs), (vm->vcpu, regs))
HW_ATLB(set_regs, (struct mv_vm *vm, const struct mv_atlb_regs *regs), (vm->vcpu, regs))
HW_ATLB(set_real_asid, (struct mv_vm *vm, uint32_t asid), (vm->vcpu, asid))
HW_ATLB(write, (struct mv_vm *vm, uint32_t index, uint64_t hi, uint64_t lo), (vm->vcpu, index, hi, lo))
HW_ATLB(read, (struct mv_vm *vm, uint32_t index, uint64_t *hi, uint64_t *lo), (vm->vcpu, index, hi, lo))
HW_ATLB(probe, (struct mv_vm *vm, uint64_t hi), (vm->vcpu, hi))
HW_ATLB(flush, (struct mv_vm *vm, bool all, uint32_t asid), (vm->vcpu, all, asid))
HW_ATLB(write_free, (struct mv_vm *vm, uint64_t hi, uint64_t lo, uint32_t first, uint32_t *index),
	(vm->vcpu, hi, lo, first, index))
HW_ATLB(set_vm_asid, (struct mv_vm *vm, bool on, uint32_t asid), (vm->vcpu, on, asid))

void vmm_init_services(struct vmm *m)
{
	m->hw = (struct mv_hw){
		.size = sizeof(struct mv_hw),
		.engine = m->cfg->engine->id,
		.vm_index = hw_vm_index,
		.vm_mem_size = hw_vm_mem_size,
		.vm_state = hw_vm_state,
		.set_vm_state = hw_set_vm_state,
		.hpa_ptr = hw_hpa_ptr,
		.gpa_to_hpa = hw_gpa_to_hpa,
		.frame_alloc = hw_frame_alloc,
		.frame_free = hw_frame_free,
		.get_regs = hw_get_regs,
		.set_regs = hw_set_regs,
		.get_sregs = hw_get_sregs,
		.set_guest_cr3 = hw_set_guest_cr3,
		.set_intercepts = hw_set_intercepts,
		.set_paging = hw_set_paging,
		.flush_tlb = hw_flush_tlb,
		.inject_exception = hw_inject_exception,
		.post = hw_post,
		.write_cr3 = hw_write_cr3,
		.skip_instruction = hw_skip_instruction,
		.single_step = hw_single_step,
		.flush_tlb_nonglobal = hw_flush_tlb_nonglobal,
		.fail_reason = hw_fail_reason,
		.vm_count = m->cfg->vms,
		.vm_mem_bytes = m->cfg->mem_size,
		.atlb_get_regs = hw_atlb_get_regs,
		.atlb_set_regs = hw_atlb_set_regs,
		.atlb_set_real_asid = hw_atlb_set_real_asid,
		.atlb_write = hw_atlb_write,
		.atlb_read = hw_atlb_read,
		.atlb_probe = hw_atlb_probe,
		.atlb_flush = hw_atlb_flush,
		.atlb_write_free = hw_atlb_write_free,
		.atlb_set_vm_asid = hw_atlb_set_vm_asid,
	};
}
