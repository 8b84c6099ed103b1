/*
 * core/vmm.c — the VMM (see vmm.h): machine memory, VM construction and
 * boot, the exit dispatcher, devices, and the VM scheduler.
 *
 * Machine memory (HPA) is one anonymous mapping: VM i's RAM is the slice
 * [i * mem, (i + 1) * mem), and after the last VM comes the pool of frames
 * that backends take for their own tables (shadow tables, nested tables).
 *
 * The dispatcher is one switch on the exit reason, each reason to one
 * handler.  The backend sees an exit first when it is an intercept; every
 * guest misbehaviour ends that VM with a report and never the VMM.
 */
#include "core/vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/boot.h"
#include "core/console.h"
#include "core/crashguard.h"
#include "core/elfload.h"
#include "core/hw.h"
#include "memvirt-config.h"
#include "workloads/bootinfo.h"

#define FRAME_SIZE 4096ull
/* With one VM the engine still returns every POLL_QUANTUM instructions so
 * that the wall-clock timeout is checked; these returns are not exits. */
#define POLL_QUANTUM 20000000ull

struct mv_vm {
	struct vmm *vmm;
	unsigned index;
	uint64_t seed;
	struct engine_vm *evm;
	struct engine_vcpu *vcpu;
	uint8_t *ram;           /* host view of the VM's RAM */
	uint64_t ram_hpa;       /* where it lies in machine memory */
	uint64_t mem_size;
	void *backend_state;
	struct console console;
	bool done;              /* exited, or failed */
	bool failed;
	char failure[1024];
	uint64_t guest_cr3;     /* virtualized CR3 when the backend intercepts it */
	uint64_t frames_held;   /* backend frames charged to it */
	uint64_t turn_end;      /* instruction count at which its turn ends */
	char backend_reason[512]; /* what the backend said about its last error */
};

struct vmm {
	const struct vmm_config *cfg;
	const struct hw_glue *glue;
	struct mv_hw hw;
	void *backend_state;
	void *machine;
	uint8_t *mem;           /* machine memory */
	uint64_t mem_size;
	uint64_t pool_base;     /* first backend frame */
	uint64_t pool_frames;
	uint64_t *pool_free;    /* stack of free frame numbers */
	uint64_t pool_free_count;
	uint64_t pool_next;     /* frames never handed out start here */
	uint64_t pool_peak;
	struct mv_vm vms[VMM_MAX_VMS];
	struct ctr_set *counters;
	uint64_t vm_switches;
	struct timespec start;
	/* A backend hook crashed: the backend is not called again. */
	bool backend_crashed;
	struct crash_report crash;
	char crash_hook[32];
};

/*
 * Every call into the backend goes through backend_call(): a backend may
 * be a plugin, and a crash in it must end the run with a report naming
 * the function, not kill memvirt (docs/plugin-abi.md).
 */
enum backend_hook {
	HOOK_CREATE, HOOK_VM_INIT, HOOK_VM_SWITCH, HOOK_HANDLE_EXIT, HOOK_STATS, HOOK_VM_FINI,
	HOOK_DESTROY,
};

static const char *const hook_names[] = {
	[HOOK_CREATE] = "create", [HOOK_VM_INIT] = "vm_init", [HOOK_VM_SWITCH] = "vm_switch",
	[HOOK_HANDLE_EXIT] = "handle_exit", [HOOK_STATS] = "stats", [HOOK_VM_FINI] = "vm_fini",
	[HOOK_DESTROY] = "destroy",
};

struct hook_call {
	struct vmm *m;
	enum backend_hook hook;
	struct mv_vm *vm, *prev;
	struct engine_exit *exit;
	engine_stat_fn stat_fn;
	void *stat_ctx;
	char *err;
	size_t err_len;
};

static int hook_dispatch(void *ctx)
{
	struct hook_call *c = ctx;
	const struct mv_backend_ops *b = c->m->cfg->backend;
	void *st = c->m->backend_state;

	switch (c->hook) {
	case HOOK_CREATE:
		return b->create(&c->m->hw, c->m->cfg->backend_options, &c->m->backend_state, c->err,
				 c->err_len);
	case HOOK_VM_INIT:
		return b->vm_init(st, c->vm);
	case HOOK_VM_SWITCH:
		return b->vm_switch(st, c->prev, c->vm);
	case HOOK_HANDLE_EXIT:
		return b->handle_exit(st, c->vm, c->exit);
	case HOOK_STATS:
		b->stats(st, c->stat_fn, c->stat_ctx);
		return 0;
	case HOOK_VM_FINI:
		b->vm_fini(st, c->vm);
		return 0;
	case HOOK_DESTROY:
		b->destroy(st);
		return 0;
	}
	return -EINVAL;
}

static int backend_call(struct vmm *m, struct hook_call *c)
{
	bool crashed;
	int rc;

	struct crash_report later;

	/* After a crash only destroy is still tried, so that what the backend
	 * holds is released; should it crash too, the first report stands. */
	if (m->backend_crashed && c->hook != HOOK_DESTROY)
		return -EFAULT;
	c->m = m;
	rc = crash_guard_run(hook_dispatch, c, m->backend_crashed ? &later : &m->crash, &crashed);
	if (crashed && !m->backend_crashed) {
		m->backend_crashed = true;
		snprintf(m->crash_hook, sizeof(m->crash_hook), "%s", hook_names[c->hook]);
	}
	return rc;
}

/* The one-line account of a backend failure; vm (may be NULL) holds the
 * reason the backend gave, if any. */
static void backend_failure(struct vmm *m, struct mv_vm *vm, char *buf, size_t len,
			    const char *what, int rc)
{
	if (!m->backend_crashed && vm && vm->backend_reason[0]) {
		snprintf(buf, len, "backend %s failed %s: %s", m->cfg->backend->name, what,
			 vm->backend_reason);
		return;
	}
	if (m->backend_crashed)
		/* The backtrace may be long: it is cut to the room left. */
		snprintf(buf, len, "backend %s crashed in its %s hook: %.*s", m->cfg->backend->name,
			 m->crash_hook, (int)(len > 96 ? len - 96 : 0), m->crash.text);
	else
		snprintf(buf, len, "backend %s failed %s: %s", m->cfg->backend->name, what,
			 strerror(-rc));
}

static void vm_fail(struct mv_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vm_fail(struct mv_vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->failure, sizeof(vm->failure), fmt, ap);
	va_end(ap);
	vm->failed = true;
	vm->done = true;
}

/* ---- services for backends (struct mv_hw) ---- */

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

static int hw_set_intercepts(struct mv_vm *vm, uint64_t causes, uint32_t vectors)
{
	const struct hw_glue *g = vm->vmm->glue;

	return g->set_intercepts ? g->set_intercepts(vm->vcpu, causes, vectors) : -ENOTSUP;
}

static int hw_set_paging(struct mv_vm *vm, const struct mv_paging *paging)
{
	const struct hw_glue *g = vm->vmm->glue;

	return g->set_paging ? g->set_paging(vm->vcpu, paging, vm->ram_hpa, vm->mem_size)
			     : -ENOTSUP;
}

static int hw_flush_tlb(struct mv_vm *vm, enum mv_flush_scope scope, uint64_t arg)
{
	const struct hw_glue *g = vm->vmm->glue;

	return g->flush_tlb ? g->flush_tlb(vm->vcpu, scope, arg) : -ENOTSUP;
}

static int hw_inject_exception(struct mv_vm *vm, uint8_t vector, uint32_t error_code,
			       uint64_t cr2)
{
	const struct hw_glue *g = vm->vmm->glue;

	return g->inject_exception ? g->inject_exception(vm->vcpu, vector, error_code, cr2)
				   : -ENOTSUP;
}

static int hw_write_cr3(struct mv_vm *vm, uint64_t cr3)
{
	const struct hw_glue *g = vm->vmm->glue;

	return g->write_cr3 ? g->write_cr3(vm->vcpu, cr3) : -ENOTSUP;
}

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

static int hw_flush_tlb_nonglobal(struct mv_vm *vm, uint64_t tag)
{
	const struct hw_glue *g = vm->vmm->glue;

	return g->flush_tlb_nonglobal ? g->flush_tlb_nonglobal(vm->vcpu, tag) : -ENOTSUP;
}

/* One instruction with a quantum of 1; the turn's quantum then restarts
 * (the remaining part is not known here), so an emulated write lengthens
 * the VM's turn a little. */
static uint64_t vm_icount(struct mv_vm *vm);

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

	if (vm->vmm->glue->engine != MV_ENGINE_SOFT || !e->set_limits)
		return -ENOTSUP;
	rc = e->set_limits(vm->vcpu, 1, cfg->insn_limit);
	if (rc)
		return rc;
	do
		rc = e->run(vm->vcpu);
	while (rc == -EINTR);
	/* The rest of the VM's turn, not a new one: a VM that steps often
	 * must not get longer turns than the others. */
	quantum = vm->turn_end > vm_icount(vm) ? vm->turn_end - vm_icount(vm) : 1;
	rc2 = e->set_limits(vm->vcpu, quantum, cfg->insn_limit);
	if (rc)
		return rc;
	if (rc2)
		return rc2;
	*exit = e->exit(vm->vcpu);
	return 0;
}

static uint64_t vm_icount(struct mv_vm *vm)
{
	const struct engine_ops *e = vm->vmm->cfg->engine;

	return e->instructions ? e->instructions(vm->vcpu) : 0;
}

static void hw_post(struct mv_vm *vm, struct mv_event *ev)
{
	ev->vm = (uint16_t)vm->index;
	ev->vcpu = 0;
	ev->icount = vm_icount(vm);
	ev_post(vm->vmm->cfg->bus, ev);
}

static void post_simple(struct mv_vm *vm, uint32_t type, uint64_t detail)
{
	struct mv_event ev = {.type = type, .detail = detail};

	hw_post(vm, &ev);
}

/* The architected-TLB machine's services: -ENOTSUP on the page-table
 * machine and on engines without it. */
#define ATLB_GLUE(vm, fn) \
	((vm)->vmm->cfg->arch_tlb && (vm)->vmm->glue->fn ? (vm)->vmm->glue->fn : NULL)

static int hw_atlb_get_regs(struct mv_vm *vm, struct mv_atlb_regs *regs)
{
	return ATLB_GLUE(vm, atlb_get_regs) ? vm->vmm->glue->atlb_get_regs(vm->vcpu, regs) : -ENOTSUP;
}

static int hw_atlb_set_regs(struct mv_vm *vm, const struct mv_atlb_regs *regs)
{
	return ATLB_GLUE(vm, atlb_set_regs) ? vm->vmm->glue->atlb_set_regs(vm->vcpu, regs) : -ENOTSUP;
}

static int hw_atlb_set_real_asid(struct mv_vm *vm, uint32_t asid)
{
	return ATLB_GLUE(vm, atlb_set_real_asid) ? vm->vmm->glue->atlb_set_real_asid(vm->vcpu, asid)
						 : -ENOTSUP;
}

static int hw_atlb_write(struct mv_vm *vm, uint32_t index, uint64_t hi, uint64_t lo)
{
	return ATLB_GLUE(vm, atlb_write) ? vm->vmm->glue->atlb_write(vm->vcpu, index, hi, lo)
					 : -ENOTSUP;
}

static int hw_atlb_read(struct mv_vm *vm, uint32_t index, uint64_t *hi, uint64_t *lo)
{
	return ATLB_GLUE(vm, atlb_read) ? vm->vmm->glue->atlb_read(vm->vcpu, index, hi, lo)
					: -ENOTSUP;
}

static int hw_atlb_probe(struct mv_vm *vm, uint64_t hi)
{
	return ATLB_GLUE(vm, atlb_probe) ? vm->vmm->glue->atlb_probe(vm->vcpu, hi) : -ENOTSUP;
}

static int hw_atlb_flush(struct mv_vm *vm, bool all, uint32_t asid)
{
	return ATLB_GLUE(vm, atlb_flush) ? vm->vmm->glue->atlb_flush(vm->vcpu, all, asid) : -ENOTSUP;
}

static void init_services(struct vmm *m)
{
	m->hw = (struct mv_hw){
		.size = sizeof(struct mv_hw),
		.engine = m->glue->engine,
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
	};
}

/* ---- building the machine and the VMs ---- */

static int fail_setup(struct vmm_result *res, int code, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_setup(struct vmm_result *res, int code, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	res->ok = false;
	res->exit_code = code;
	return rc;
}

static int machine_memory(struct vmm *m, struct vmm_result *res)
{
	const struct vmm_config *cfg = m->cfg;
	uint64_t ram = cfg->mem_size * cfg->vms;
	/* Backend tables: an eighth of the RAM, at least 16 MiB. */
	uint64_t pool = ram / 8 > (16ull << 20) ? ram / 8 : (16ull << 20);

	m->mem_size = ram + pool;
	m->mem = mmap(NULL, m->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		return fail_setup(res, 3, -ENOMEM, "cannot map %" PRIu64 " MiB of machine memory: %s",
				  m->mem_size >> 20, strerror(errno));
	}
	m->pool_base = ram;
	m->pool_frames = pool / FRAME_SIZE;
	m->pool_free = malloc(m->pool_frames * sizeof(*m->pool_free));
	if (!m->pool_free)
		return fail_setup(res, 3, -ENOMEM, "out of memory");
	return 0;
}

static int build_vm(struct vmm *m, unsigned i, const struct elf_image *img,
		    struct vmm_result *res)
{
	const struct vmm_config *cfg = m->cfg;
	const struct engine_ops *e = cfg->engine;
	struct mv_vm *vm = &m->vms[i];
	struct engine_vm_config vc = {.bus = cfg->bus, .vm_index = (uint16_t)i, .machine = m->machine};
	struct engine_regs regs;
	struct engine_sregs sregs;
	struct boot_params bp;
	char err[256];
	int rc;

	vm->vmm = m;
	vm->index = i;
	vm->seed = cfg->seed + i;
	vm->mem_size = cfg->mem_size;
	vm->ram_hpa = (uint64_t)i * cfg->mem_size;
	vm->ram = m->mem + vm->ram_hpa;
	vm->guest_cr3 = UINT64_MAX;
	console_init(&vm->console, cfg->vms > 1 ? (int)i : -1, cfg->console, m->counters);
	vm->console.vm = (int)i;

	rc = e->vm_create(&vc, &vm->evm);
	if (rc)
		return fail_setup(res, 3, rc, "engine %s cannot create VM %u: %s", e->name, i,
				  strerror(-rc));
	rc = e->set_memory(vm->evm, 0, 0, vm->mem_size, vm->ram);
	if (rc)
		return fail_setup(res, 3, rc, "engine %s cannot map the RAM of VM %u: %s", e->name,
				  i, strerror(-rc));
	rc = e->vcpu_create(vm->evm, &vm->vcpu);
	if (rc)
		return fail_setup(res, 3, rc, "engine %s cannot create the vCPU of VM %u: %s",
				  e->name, i, strerror(-rc));
	if (cfg->arch_tlb) {
		rc = m->glue->atlb_enable(vm->vcpu);
		if (rc)
			return fail_setup(res, 2, rc,
					  "the architected-TLB machine needs TLB entries (--tlb arch=N with N > 0)");
	}
	rc = elf_load(img, vm->ram, vm->mem_size, err, sizeof(err));
	if (rc)
		return fail_setup(res, 2, rc, "%s", err);
	bp = (struct boot_params){
		.mem_size = vm->mem_size,
		.seed = vm->seed,
		.vm_index = i,
		.vm_count = cfg->vms,
		.workload = cfg->workload,
		.params_text = cfg->params_text,
		.entry = img->entry,
		.flags = cfg->arch_tlb ? MV_BOOT_ARCH_TLB : 0,
	};
	rc = boot_prepare(vm->ram, &bp, &regs, &sregs);
	if (rc)
		return fail_setup(res, 2, rc, "workload name or parameters too long for the boot-info block");
	rc = e->set_sregs(vm->vcpu, &sregs);
	rc = rc ? rc : e->set_regs(vm->vcpu, &regs);
	if (rc)
		return fail_setup(res, 3, rc, "engine %s refused the boot state of VM %u: %s", e->name,
				  i, strerror(-rc));
	return 0;
}

/* ---- the dispatcher ---- */

static void handle_io(struct mv_vm *vm, struct engine_exit *ex)
{
	uint16_t port = ex->io.port;

	post_simple(vm, MV_EV_IO, port);
	if (ex->io.is_write) {
		if (port == MV_PORT_CONSOLE) {
			console_put(&vm->console, (uint8_t)ex->io.data);
		} else if (port == MV_PORT_EXIT) {
			console_finish(&vm->console);
			vm->done = true;
			if (ex->io.data != 0) {
				char tail[512];

				console_tail(&vm->console, tail, sizeof(tail));
				vm_fail(vm, "VM %u exited with status %u (console: %s)", vm->index,
					ex->io.data, tail[0] ? tail : "empty");
			}
		}
		/* Writes to the other UART registers and unknown ports are
		 * accepted and ignored, like an ISA bus with nothing there. */
		return;
	}
	if (port == MV_PORT_CONSOLE + 5)
		ex->io.data = 0x60; /* line status: transmitter empty, ready */
	else if (port >= MV_PORT_CONSOLE && port < MV_PORT_CONSOLE + 8)
		ex->io.data = 0;
	else
		ex->io.data = 0xffffffffu >> (32 - 8 * ex->io.size); /* floating bus */
}

static void report_guest_state(struct mv_vm *vm, char *buf, size_t len)
{
	const struct engine_ops *e = vm->vmm->cfg->engine;
	struct engine_regs r;
	struct engine_sregs s;

	if (e->get_regs(vm->vcpu, &r) || e->get_sregs(vm->vcpu, &s)) {
		snprintf(buf, len, "state unavailable");
		return;
	}
	snprintf(buf, len,
		 "rip=%#" PRIx64 " rsp=%#" PRIx64 " cr2=%#" PRIx64 " cr3=%#" PRIx64 " cpl=%u icount=%" PRIu64,
		 r.rip, r.rsp, s.cr2, vm->guest_cr3 != UINT64_MAX ? vm->guest_cr3 : s.cr3,
		 s.cs.selector & 3, vm_icount(vm));
}

/* Returns true when the VM gives up the CPU (its turn ended or it is done). */
static bool dispatch(struct vmm *m, struct mv_vm *vm, struct engine_exit *ex)
{
	const struct mv_backend_ops *b = m->cfg->backend;
	char state[256], tail[512];
	int rc;

	if (ex->reason != ENGINE_EXIT_QUANTUM || m->cfg->vms > 1)
		post_simple(vm, MV_EV_VM_EXIT, ex->reason);
	switch (ex->reason) {
	case ENGINE_EXIT_IO:
		handle_io(vm, ex);
		return vm->done;
	case ENGINE_EXIT_INTERCEPT:
		if (b->handle_exit) {
			rc = backend_call(m, &(struct hook_call){.hook = HOOK_HANDLE_EXIT, .vm = vm,
								  .exit = ex});
			if (rc < 0) {
				char what[64], msg[sizeof(vm->failure)];

				snprintf(what, sizeof(what), "on a %s intercept",
					 engine_intercept_name(ex->intercept.cause));
				backend_failure(m, vm, msg, sizeof(msg), what, rc);
				vm_fail(vm, "%s", msg);
				return true;
			}
			if (rc == MV_EXIT_HANDLED)
				return false;
		}
		report_guest_state(vm, state, sizeof(state));
		vm_fail(vm, "VM %u: intercept %s (info %#" PRIx64 ") that backend %s does not handle; %s",
			vm->index, engine_intercept_name(ex->intercept.cause), ex->intercept.info1,
			b->name, state);
		return true;
	case ENGINE_EXIT_QUANTUM:
		return m->cfg->vms > 1;
	case ENGINE_EXIT_HLT:
		report_guest_state(vm, state, sizeof(state));
		console_tail(&vm->console, tail, sizeof(tail));
		vm_fail(vm, "VM %u halted with nothing to wake it (HLT with interrupts off); %s; console: %s",
			vm->index, state, tail[0] ? tail : "empty");
		return true;
	case ENGINE_EXIT_SHUTDOWN:
		report_guest_state(vm, state, sizeof(state));
		console_tail(&vm->console, tail, sizeof(tail));
		vm_fail(vm, "VM %u triple-faulted (%s); %s; console: %s", vm->index,
			ex->message[0] ? ex->message : "shutdown", state, tail[0] ? tail : "empty");
		return true;
	case ENGINE_EXIT_MMIO:
		report_guest_state(vm, state, sizeof(state));
		vm_fail(vm, "VM %u accessed guest-physical %#" PRIx64 " outside its RAM; %s", vm->index,
			ex->mmio.gpa, state);
		return true;
	case ENGINE_EXIT_INSN_LIMIT:
		report_guest_state(vm, state, sizeof(state));
		vm_fail(vm, "VM %u retired %" PRIu64 " instructions without finishing (endless loop? raise --insn-limit); %s",
			vm->index, m->cfg->insn_limit, state);
		return true;
	case ENGINE_EXIT_FAIL_ENTRY:
	case ENGINE_EXIT_INTERNAL_ERROR:
	case ENGINE_EXIT_NONE:
	case ENGINE_EXIT__COUNT:
		break;
	}
	report_guest_state(vm, state, sizeof(state));
	vm_fail(vm, "VM %u stopped: %s: %s; %s", vm->index, engine_exit_reason_name(ex->reason),
		ex->message[0] ? ex->message : "no detail", state);
	return true;
}

static double elapsed_s(const struct vmm *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - m->start.tv_sec) + (double)(now.tv_nsec - m->start.tv_nsec) / 1e9;
}

/* Sets the engine's limits for the VM's turn: the quantum (or, with one
 * VM, the polling interval for the timeout) and the instruction limit.
 * An engine that cannot count instructions gets a wall-clock timer. */
static int vm_turn_limits(struct vmm *m, struct mv_vm *vm)
{
	const struct engine_ops *e = m->cfg->engine;
	uint64_t quantum = m->cfg->vms > 1 ? m->cfg->quantum : POLL_QUANTUM;
	double left;

	if (e->instructions && e->set_limits) {
		vm->turn_end = vm_icount(vm) + quantum;
		return e->set_limits(vm->vcpu, quantum, m->cfg->insn_limit);
	}
	if (!m->glue->arm_timeout || m->cfg->timeout_s <= 0)
		return 0;
	left = m->cfg->timeout_s - elapsed_s(m);
	return m->glue->arm_timeout(vm->vcpu, left > 0 ? left : 0);
}

static unsigned next_runnable(const struct vmm *m, unsigned from)
{
	for (unsigned k = 1; k <= m->cfg->vms; k++) {
		unsigned i = (from + k) % m->cfg->vms;

		if (!m->vms[i].done)
			return i;
	}
	return UINT32_MAX;
}

static int schedule(struct vmm *m)
{
	const struct engine_ops *e = m->cfg->engine;
	const struct mv_backend_ops *b = m->cfg->backend;
	unsigned cur = 0, prev = UINT32_MAX;
	int rc;

	while (cur != UINT32_MAX) {
		struct mv_vm *vm = &m->vms[cur];
		bool yield = false;

		if (prev != cur) {
			if (b->vm_switch) {
				rc = backend_call(m, &(struct hook_call){
					.hook = HOOK_VM_SWITCH, .vm = vm,
					.prev = prev == UINT32_MAX ? NULL : &m->vms[prev]});
				if (rc) {
					char msg[sizeof(vm->failure)];

					backend_failure(m, vm, msg, sizeof(msg), "switching VMs", rc);
					vm_fail(vm, "%s", msg);
					cur = next_runnable(m, cur);
					continue;
				}
			}
			if (prev != UINT32_MAX) {
				post_simple(vm, MV_EV_VM_SWITCH, prev);
				m->vm_switches++;
			}
			prev = cur;
		}
		rc = vm_turn_limits(m, vm);
		if (rc) {
			vm_fail(vm, "engine %s cannot set the instruction quantum: %s", e->name,
				strerror(-rc));
			cur = next_runnable(m, cur);
			continue;
		}
		while (!yield) {
			rc = e->run(vm->vcpu);
			if (rc == -EINTR) {
				/* A timer signal interrupted the run: only the timeout uses it. */
			} else if (rc) {
				vm_fail(vm, "engine %s failed running VM %u: %s", e->name, cur, strerror(-rc));
				break;
			} else {
				yield = dispatch(m, vm, e->exit(vm->vcpu));
			}
			if (m->cfg->timeout_s > 0 && elapsed_s(m) > m->cfg->timeout_s) {
				for (unsigned i = 0; i < m->cfg->vms; i++)
					if (!m->vms[i].done)
						vm_fail(&m->vms[i], "VM %u still running after the %.0f s timeout (raise --timeout)",
							i, m->cfg->timeout_s);
				return 0;
			}
			if (vm->done)
				break;
		}
		cur = next_runnable(m, cur);
	}
	return 0;
}

/* ---- results ---- */

struct stat_ctx {
	struct ctr_set *ctr;
	int vm;
	int error;
	const struct ctr_set *before;  /* subtract these (per VM) when set */
};

static void collect_stat(void *ctx, const char *name, uint64_t value)
{
	struct stat_ctx *s = ctx;
	/* A gauge may go down during the run: the difference is signed. */
	double v = (double)value - (s->before ? ctr_get(s->before, s->vm, name, 0) : 0);

	if (ctr_add(s->ctr, s->vm, name, v))
		s->error = -ENOMEM;
	if (s->vm != -1 && ctr_add(s->ctr, -1, name, v))
		s->error = -ENOMEM;
}

static void snapshot_stat(void *ctx, const char *name, uint64_t value)
{
	struct stat_ctx *s = ctx;

	if (ctr_set(s->ctr, s->vm, name, (double)value))
		s->error = -ENOMEM;
}

static int collect_results(struct vmm *m, struct vmm_result *res)
{
	const struct ev_bus *bus = m->cfg->bus;
	struct stat_ctx sc = {.ctr = &res->counters};
	uint64_t total_insns = 0;
	int rc = 0;

	res->vms = m->cfg->vms;
	res->ok = true;
	for (unsigned i = 0; i < m->cfg->vms; i++) {
		struct mv_vm *vm = &m->vms[i];
		uint64_t insns = vm_icount(vm);

		console_finish(&vm->console);
		res->vm[i].exited = vm->done && !vm->failed;
		res->vm[i].has_checksum = vm->console.has_checksum;
		res->vm[i].checksum = vm->console.checksum;
		total_insns += insns;
		rc |= ctr_set(&res->counters, (int)i, "instructions", (double)insns);
		if (vm->console.stats_error)
			rc |= vm->console.stats_error;
		if (res->ok && vm->failed) {
			res->ok = false;
			res->exit_code = 1;
			snprintf(res->error, sizeof(res->error), "%s", vm->failure);
		} else if (res->ok && !vm->console.has_checksum) {
			res->ok = false;
			res->exit_code = 1;
			snprintf(res->error, sizeof(res->error),
				 "VM %u exited without printing a checksum line", i);
		}
		if (m->cfg->engine->stats) {
			sc.vm = (int)i;
			sc.before = &res->engine_before;
			m->cfg->engine->stats(vm->evm, collect_stat, &sc);
			sc.before = NULL;
		}
	}
	rc |= ctr_set(&res->counters, -1, "instructions", (double)total_insns);
	for (uint32_t t = 0; t < MV_EV__COUNT; t++) {
		const struct mv_event_desc *d = mv_event_describe(t);

		if (bus->total[t])
			rc |= ctr_set(&res->counters, -1, d->counter, (double)bus->total[t]);
		for (unsigned i = 0; i < m->cfg->vms; i++)
			if (bus->per_vm[i][t])
				rc |= ctr_set(&res->counters, (int)i, d->counter,
					      (double)bus->per_vm[i][t]);
	}
	if (m->glue->machine_stats && m->machine) {
		sc.vm = -1;
		m->glue->machine_stats(m->machine, collect_stat, &sc);
	}
	if (m->cfg->backend->stats) {
		sc.vm = -1;
		backend_call(m, &(struct hook_call){.hook = HOOK_STATS, .stat_fn = collect_stat,
						    .stat_ctx = &sc});
		if (m->backend_crashed && res->ok) {
			res->ok = false;
			res->exit_code = 1;
			backend_failure(m, NULL, res->error, sizeof(res->error), "", -EFAULT);
		}
	}
	rc |= ctr_set(&res->counters, -1, "backend_frames_peak", (double)m->pool_peak);
	rc |= sc.error;
	if (rc && res->ok) {
		res->ok = false;
		res->exit_code = 3;
		snprintf(res->error, sizeof(res->error), "out of memory collecting counters");
	}
	return 0;
}

/* ---- the run ---- */

void vmm_default_guest_path(char *buf, size_t len)
{
	const char *env = getenv("MEMVIRT_GUEST");
	char path[4096];

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	snprintf(path, sizeof(path), "%s/workloads/memvirt-guest.elf", MEMVIRT_BUILD_ROOT);
	if (access(path, R_OK) == 0) {
		snprintf(buf, len, "%s", path);
		return;
	}
	snprintf(buf, len, "%s/memvirt-guest.elf", MEMVIRT_DATADIR);
}

static void teardown(struct vmm *m)
{
	const struct engine_ops *e = m->cfg->engine;
	const struct mv_backend_ops *b = m->cfg->backend;

	for (unsigned i = 0; i < m->cfg->vms; i++) {
		struct mv_vm *vm = &m->vms[i];

		if (b->vm_fini && m->backend_state && vm->evm)
			backend_call(m, &(struct hook_call){.hook = HOOK_VM_FINI, .vm = vm});
		if (vm->evm)
			e->vm_destroy(vm->evm);
	}
	if (m->backend_state)
		backend_call(m, &(struct hook_call){.hook = HOOK_DESTROY});
	if (m->machine && m->glue->machine_destroy)
		m->glue->machine_destroy(m->machine);
	if (m->mem)
		munmap(m->mem, m->mem_size);
	free(m->pool_free);
}

int vmm_run(const struct vmm_config *cfg, struct vmm_result *res)
{
	struct vmm *m;
	struct elf_image img;
	char err[512];
	int rc;

	memset(res, 0, sizeof(*res));
	ctr_init(&res->counters);
	ctr_init(&res->engine_before);
	if (cfg->vms < 1 || cfg->vms > VMM_MAX_VMS)
		return fail_setup(res, 2, -EINVAL, "--vms must be 1..%d", VMM_MAX_VMS);
	if (cfg->vms > 1 && !cfg->engine->instructions)
		return fail_setup(res, 2, -EINVAL,
				  "engine %s cannot count guest instructions, so it cannot timeshare VMs with a quantum; use --vms 1",
				  cfg->engine->name);
	m = calloc(1, sizeof(*m));
	if (!m)
		return fail_setup(res, 3, -ENOMEM, "out of memory");
	m->cfg = cfg;
	m->counters = &res->counters;
	clock_gettime(CLOCK_MONOTONIC, &m->start);
	m->glue = hw_glue_for(cfg->engine->name);
	if (!m->glue) {
		free(m);
		return fail_setup(res, 3, -ENOTSUP, "engine %s has no VMM glue", cfg->engine->name);
	}
	if (!cfg->engine->available(err, sizeof(err))) {
		free(m);
		return fail_setup(res, 3, -ENODEV, "engine %s is unavailable: %s", cfg->engine->name, err);
	}
	rc = elf_open(cfg->guest_path, &img, err, sizeof(err));
	if (rc) {
		free(m);
		return fail_setup(res, rc == -ENOEXEC ? 2 : 3, rc, "%s%s", err,
				  rc == -ENOENT ? " (build memvirt first, or give --guest)" : "");
	}
	init_services(m);
	rc = machine_memory(m, res);
	if (!rc && m->glue->machine_create) {
		rc = m->glue->machine_create(m->mem, m->mem_size, cfg->tlb, &m->machine, err, sizeof(err));
		if (rc)
			fail_setup(res, rc == -EINVAL ? 2 : 3, rc, "%s", err);
	}
	if (!rc && cfg->arch_tlb) {
		if (!m->glue->atlb_info || !m->glue->atlb_enable || !m->machine)
			rc = fail_setup(res, 2, -EINVAL,
					"engine %s has no architected-TLB machine; use --engine soft",
					cfg->engine->name);
		else if (cfg->vms > 1 && !(cfg->backend->engines & MV_BACKEND_ARCH_TLB))
			rc = fail_setup(res, 2, -EINVAL,
					"backend %s cannot timeshare VMs on the architected-TLB machine (its TLB is not virtualized); use softtlb or asid, or --vms 1",
					cfg->backend->name);
		else
			m->glue->atlb_info(m->machine, &m->hw.atlb_entries, &m->hw.atlb_asid_bits);
	}
	if (!rc) {
		rc = crash_guard_install();
		if (rc)
			fail_setup(res, 3, rc, "cannot install the crash guard: %s", strerror(-rc));
	}
	if (!rc) {
		err[0] = '\0';
		rc = backend_call(m, &(struct hook_call){.hook = HOOK_CREATE, .err = err,
							 .err_len = sizeof(err)});
		if (m->backend_crashed) {
			backend_failure(m, NULL, res->error, sizeof(res->error), "", rc);
			res->exit_code = 1;
		} else if (rc)
			fail_setup(res, rc == -EINVAL ? 2 : 3, rc, "backend %s: %s", cfg->backend->name,
				   err[0] ? err : strerror(-rc));
	}
	for (unsigned i = 0; !rc && i < cfg->vms; i++)
		rc = build_vm(m, i, &img, res);
	for (unsigned i = 0; !rc && i < cfg->vms; i++) {
		rc = backend_call(m, &(struct hook_call){.hook = HOOK_VM_INIT, .vm = &m->vms[i]});
		if (rc) {
			char what[64];

			snprintf(what, sizeof(what), "setting up VM %u", i);
			backend_failure(m, &m->vms[i], res->error, sizeof(res->error), what, rc);
			res->exit_code = 1;
		}
	}
	elf_close(&img);
	for (unsigned i = 0; !rc && i < cfg->vms && cfg->engine->stats; i++) {
		struct stat_ctx sc = {.ctr = &res->engine_before, .vm = (int)i};

		cfg->engine->stats(m->vms[i].evm, snapshot_stat, &sc);
		if (sc.error)
			rc = fail_setup(res, 3, sc.error, "out of memory");
	}
	if (!rc) {
		rc = schedule(m);
		if (m->glue->disarm_timeout)
			m->glue->disarm_timeout();
	}
	if (!rc)
		collect_results(m, res);
	teardown(m);
	free(m);
	return rc;
}

void vmm_result_free(struct vmm_result *res)
{
	ctr_free(&res->counters);
	ctr_free(&res->engine_before);
}
