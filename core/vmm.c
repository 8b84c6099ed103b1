/*
 * core/vmm.c — the VMM (see vmm.h): machine memory, VM construction and
 * boot, calls into the backend, results, and the run from start to end.
 * The services backends call are in vmm_hw.c, the exit dispatcher and
 * the VM scheduler in vmm_sched.c.
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
#include "core/vmm_internal.h"

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
#include "memvirt-config.h"
#include "workloads/bootinfo.h"

static const char *const hook_names[] = {
	[HOOK_CREATE] = "create", [HOOK_VM_INIT] = "vm_init", [HOOK_VM_SWITCH] = "vm_switch",
	[HOOK_HANDLE_EXIT] = "handle_exit", [HOOK_STATS] = "stats", [HOOK_VM_FINI] = "vm_fini",
	[HOOK_DESTROY] = "destroy",
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

int vmm_backend_call(struct vmm *m, struct hook_call *c)
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
void vmm_backend_failure(struct vmm *m, struct mv_vm *vm, char *buf, size_t len,
			    const char *what, int rc)
{
	if (!m->backend_crashed && vm && vm->backend_reason[0]) {
		snprintf(buf, len, "backend %s failed %s: %s", m->cfg->backend->name, what,
			 vm->backend_reason);
		return;
	}
	if (m->backend_crashed && m->crash.timed_out)
		snprintf(buf, len, "backend %s did not return from its %s hook within the run's %g s timeout (--timeout)",
			 m->cfg->backend->name, m->crash_hook, m->cfg->timeout_s);
	else if (m->backend_crashed)
		/* The backtrace may be long: it is cut to the room left. */
		snprintf(buf, len, "backend %s crashed in its %s hook: %.*s", m->cfg->backend->name,
			 m->crash_hook, (int)(len > 96 ? len - 96 : 0), m->crash.text);
	else
		snprintf(buf, len, "backend %s failed %s: %s", m->cfg->backend->name, what,
			 strerror(-rc));
}

void vmm_vm_fail(struct mv_vm *vm, const char *fmt, ...)
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
	struct engine_vm_config vc = {.post = vmm_post_engine_event, .post_ctx = cfg->bus,
				      .vm_index = (uint16_t)i, .machine = m->machine};
	struct engine_regs regs;
	struct engine_sregs sregs;
	struct boot_params bp;
	uint64_t bp_program_gpa = 0;
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
		rc = e->atlb_enable(vm->vcpu);
		if (rc)
			return fail_setup(res, 2, rc,
					  "the architected-TLB machine needs TLB entries (--tlb arch=N with N > 0)");
	}
	rc = elf_load(img, vm->ram, vm->mem_size, err, sizeof(err));
	if (rc)
		return fail_setup(res, 2, rc, "%s", err);
	progout_init(&vm->out, cfg->output_cap);
	progout_init(&vm->err, cfg->output_cap);
	if (cfg->program) {
		/* The package goes right past the image, BSS included: the
		 * kernel reserves those frames before it allocates any. */
		uint64_t gpa = (img->load_hi + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);

		if (gpa >= vm->mem_size || vm->mem_size - gpa < cfg->program_len)
			return fail_setup(res, 2, -E2BIG,
					  "the program package (%zu bytes: the program, its files and arguments) does not fit in "
					  "the %" PRIu64 " MiB of guest RAM past the kernel image (which ends at %#" PRIx64 "); raise --mem",
					  cfg->program_len, vm->mem_size >> 20, img->load_hi);
		memcpy(vm->ram + gpa, cfg->program, cfg->program_len);
		bp_program_gpa = gpa;
	}
	bp = (struct boot_params){
		.mem_size = vm->mem_size,
		.seed = vm->seed,
		.vm_index = i,
		.vm_count = cfg->vms,
		.workload = cfg->workload,
		.params_text = cfg->params_text,
		.entry = img->entry,
		.flags = (cfg->arch_tlb ? MV_BOOT_ARCH_TLB : 0) | (cfg->program ? MV_BOOT_PROGRAM : 0),
		.program_gpa = bp_program_gpa,
		.program_len = cfg->program ? cfg->program_len : 0,
		.timer_period = cfg->engine->capabilities() & MV_CAP_ICOUNT ? 0 : VMM_WALL_TIMER_PERIOD,
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

uint64_t vmm_total_icount(struct vmm *m)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < m->cfg->vms; i++)
		total += vmm_vm_icount(&m->vms[i]);
	return total;
}

/* The whole-run totals so far, as collect_results() makes them at the
 * end: instructions, events, the engine's statistics (less what they
 * were before the run), the machine's and the backend's. */
void vmm_snapshot(struct vmm *m, uint64_t icount)
{
	const struct ev_bus *bus = m->cfg->bus;
	struct ctr_set ctr;
	struct stat_ctx sc = {.ctr = &ctr, .before = m->engine_before};

	if (m->snapshots == VMM_MAX_SNAPSHOTS) {
		m->snapshots_skipped++;
		return;
	}
	ctr_init(&ctr);
	sc.error = ctr_set(&ctr, -1, "instructions", (double)icount);
	for (unsigned i = 0; i < m->cfg->vms && m->cfg->engine->stats; i++) {
		sc.vm = (int)i;
		m->cfg->engine->stats(m->vms[i].evm, collect_stat, &sc);
	}
	sc.before = NULL;
	for (uint32_t t = 0; t < MV_EV__COUNT; t++)
		if (bus->total[t])
			sc.error |= ctr_set(&ctr, -1, mv_event_describe(t)->counter, (double)bus->total[t]);
	sc.vm = -1;
	if (m->cfg->engine->machine_stats && m->machine)
		m->cfg->engine->machine_stats(m->machine, collect_stat, &sc);
	if (m->cfg->backend->stats && !m->backend_crashed)
		vmm_backend_call(m, &(struct hook_call){.hook = HOOK_STATS, .stat_fn = collect_stat, .stat_ctx = &sc});
	if (!sc.error) {
		m->snapshots++;
		m->cfg->snapshot(m->cfg->snapshot_ctx, icount, &ctr);
	}
	ctr_free(&ctr);
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
		uint64_t insns = vmm_vm_icount(vm);

		console_finish(&vm->console);
		res->vm[i].exited = vm->done && !vm->failed;
		res->vm[i].has_checksum = vm->console.has_checksum;
		res->vm[i].checksum = vm->console.checksum;
		res->vm[i].program = vm->console.program;
		/* The output moves to the result, which frees it. */
		res->vm[i].out = vm->out;
		res->vm[i].err = vm->err;
		memset(&vm->out, 0, sizeof(vm->out));
		memset(&vm->err, 0, sizeof(vm->err));
		total_insns += insns;
		rc |= ctr_set(&res->counters, (int)i, "instructions", (double)insns);
		if (vm->console.stats_error)
			rc |= vm->console.stats_error;
		if (res->ok && vm->failed) {
			res->ok = false;
			res->exit_code = 1;
			snprintf(res->error, sizeof(res->error), "%s", vm->failure);
		} else if (res->ok && m->cfg->program &&
			   console_program_failure(&vm->console.program, res->error, sizeof(res->error))) {
			/* How the program ended is the run's outcome. */
			if (m->cfg->vms > 1) {
				char why[sizeof(res->error)];

				snprintf(why, sizeof(why), "%s", res->error);
				snprintf(res->error, sizeof(res->error), "VM %u: %.*s", i, (int)sizeof(why) - 16, why);
			}
			res->ok = false;
			res->exit_code = 1;
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
	if (m->cfg->engine->machine_stats && m->machine) {
		sc.vm = -1;
		m->cfg->engine->machine_stats(m->machine, collect_stat, &sc);
	}
	if (m->cfg->backend->stats) {
		sc.vm = -1;
		vmm_backend_call(m, &(struct hook_call){.hook = HOOK_STATS, .stat_fn = collect_stat,
						    .stat_ctx = &sc});
		if (m->backend_crashed && res->ok) {
			res->ok = false;
			res->exit_code = 1;
			vmm_backend_failure(m, NULL, res->error, sizeof(res->error), "", -EFAULT);
		}
	}
	rc |= ctr_set(&res->counters, -1, "backend_frames_peak", (double)m->pool_peak);
	if (m->cfg->snapshot_every) {
		rc |= ctr_set(&res->counters, -1, "timeseries_snapshots", (double)m->snapshots);
		rc |= ctr_set(&res->counters, -1, "timeseries_snapshots_skipped", (double)m->snapshots_skipped);
	}
	rc |= sc.error;
	if (rc && res->ok) {
		res->ok = false;
		res->exit_code = 3;
		snprintf(res->error, sizeof(res->error), "out of memory collecting counters");
	}
	return 0;
}

/* ---- the run ---- */

void vmm_default_guest_path(char *buf, size_t len, bool program)
{
	const char *env = getenv(program ? "MEMVIRT_GUEST_LX" : "MEMVIRT_GUEST");
	const char *image = program ? "memvirt-guest-lx.elf" : "memvirt-guest.elf";
	char path[4096];

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	/* The build tree: next to the workload kernel, or in the folder of
	 * the Linux personality's sources (workloads/lx/). */
	for (int i = 0; i < (program ? 2 : 1); i++) {
		snprintf(path, sizeof(path), "%s/workloads/%s%s", MEMVIRT_BUILD_ROOT, i ? "lx/" : "", image);
		if (access(path, R_OK) == 0) {
			snprintf(buf, len, "%s", path);
			return;
		}
	}
	snprintf(buf, len, "%s/%s", MEMVIRT_DATADIR, image);
}

static void teardown(struct vmm *m)
{
	const struct engine_ops *e = m->cfg->engine;
	const struct mv_backend_ops *b = m->cfg->backend;

	for (unsigned i = 0; i < m->cfg->vms; i++) {
		struct mv_vm *vm = &m->vms[i];

		if (b->vm_fini && m->backend_state && vm->evm)
			vmm_backend_call(m, &(struct hook_call){.hook = HOOK_VM_FINI, .vm = vm});
		if (vm->evm)
			e->vm_destroy(vm->evm);
		progout_free(&vm->out);
		progout_free(&vm->err);
	}
	if (m->backend_state)
		vmm_backend_call(m, &(struct hook_call){.hook = HOOK_DESTROY});
	if (m->machine && e->machine_destroy)
		e->machine_destroy(m->machine);
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
	if (cfg->snapshot_every && (!cfg->engine->instructions || !cfg->engine->set_limits || !cfg->snapshot))
		return fail_setup(res, 2, -EINVAL, "engine %s cannot count guest instructions, so it cannot take "
				  "counter snapshots; drop --timeseries", cfg->engine->name);
	if (cfg->vms > 1 && !cfg->engine->instructions && (!cfg->engine->arm_timeout || !(cfg->slice_s > 0)))
		return fail_setup(res, 2, -EINVAL,
				  "engine %s can neither count guest instructions nor end a VM's turn by time, so it cannot timeshare VMs; use --vms 1",
				  cfg->engine->name);
	m = calloc(1, sizeof(*m));
	if (!m)
		return fail_setup(res, 3, -ENOMEM, "out of memory");
	m->cfg = cfg;
	m->counters = &res->counters;
	m->engine_before = &res->engine_before;
	m->snapshot_next = cfg->snapshot_every;
	clock_gettime(CLOCK_MONOTONIC, &m->start);
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
	vmm_init_services(m);
	rc = machine_memory(m, res);
	if (!rc && cfg->engine->machine_create) {
		struct engine_machine_config mc = {.mem = m->mem, .mem_size = m->mem_size, .tlb = cfg->tlb};

		rc = cfg->engine->machine_create(&mc, &m->machine, err, sizeof(err));
		if (rc)
			fail_setup(res, rc == -EINVAL ? 2 : 3, rc, "%s", err);
	}
	if (!rc && cfg->arch_tlb) {
		if (!cfg->engine->atlb_info || !cfg->engine->atlb_enable || !m->machine)
			rc = fail_setup(res, 2, -EINVAL,
					"engine %s has no architected-TLB machine; use --engine soft",
					cfg->engine->name);
		else if (cfg->vms > 1 && !(cfg->backend->engines & MV_BACKEND_ARCH_TLB))
			rc = fail_setup(res, 2, -EINVAL,
					"backend %s cannot timeshare VMs on the architected-TLB machine (its TLB is not virtualized); use softtlb or asid, or --vms 1",
					cfg->backend->name);
		else
			cfg->engine->atlb_info(m->machine, &m->hw.atlb_entries, &m->hw.atlb_asid_bits);
	}
	if (!rc) {
		rc = crash_guard_install();
		/* --timeout ends the run whatever the backend does: a hook that
		 * does not return by then is ended like a crash. */
		if (!rc && cfg->timeout_s > 0)
			rc = crash_guard_deadline(cfg->timeout_s);
		if (rc)
			fail_setup(res, 3, rc, "cannot install the crash guard: %s", strerror(-rc));
	}
	if (!rc) {
		/* The backend's message is foreign text: the last byte stays a
		 * NUL whatever it writes, and it is printed as one line. */
		memset(err, 0, sizeof(err));
		rc = vmm_backend_call(m, &(struct hook_call){.hook = HOOK_CREATE, .err = err,
							 .err_len = sizeof(err) - 1});
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		if (m->backend_crashed) {
			vmm_backend_failure(m, NULL, res->error, sizeof(res->error), "", rc);
			res->exit_code = 1;
		} else if (rc)
			fail_setup(res, rc == -EINVAL ? 2 : 3, rc, "backend %s: %s", cfg->backend->name,
				   err[0] ? err : strerror(-rc));
	}
	for (unsigned i = 0; !rc && i < cfg->vms; i++)
		rc = build_vm(m, i, &img, res);
	for (unsigned i = 0; !rc && i < cfg->vms; i++) {
		rc = vmm_backend_call(m, &(struct hook_call){.hook = HOOK_VM_INIT, .vm = &m->vms[i]});
		if (rc) {
			char what[64];

			snprintf(what, sizeof(what), "setting up VM %u", i);
			vmm_backend_failure(m, &m->vms[i], res->error, sizeof(res->error), what, rc);
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
		rc = vmm_schedule(m);
		if (cfg->engine->disarm_timeout)
			cfg->engine->disarm_timeout();
	}
	if (!rc)
		collect_results(m, res);
	teardown(m);
	/* A crash or a hang in destroy is the backend's failure too. */
	if (m->backend_crashed && !rc && res->ok) {
		res->ok = false;
		res->exit_code = 1;
		vmm_backend_failure(m, NULL, res->error, sizeof(res->error), "", -EFAULT);
	}
	{
		/* Disarming cannot fail in a way that matters now. */
		int disarmed = crash_guard_deadline(0);

		(void)disarmed;
	}
	free(m);
	return rc;
}

void vmm_result_free(struct vmm_result *res)
{
	for (unsigned i = 0; i < VMM_MAX_VMS; i++) {
		progout_free(&res->vm[i].out);
		progout_free(&res->vm[i].err);
	}
	ctr_free(&res->counters);
	ctr_free(&res->engine_before);
}
