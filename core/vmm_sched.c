/*
 * core/vmm_sched.c — the exit dispatcher (one switch on the exit reason,
 * each reason to one handler; the backend sees an intercept first) and
 * the VM scheduler (round robin with a quantum of retired instructions,
 * the backend told of every switch).  Every guest misbehaviour ends that
 * VM with a report, never the VMM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/vmm_internal.h"
#include "workloads/bootinfo.h"
#include "workloads/program_abi.h"

/* A program's write to fd 1 or 2 (workloads/program_abi.h): the data is
 * copied at once, since the guest may reuse its buffer after the OUT. */
static void program_write(struct mv_vm *vm, uint32_t desc_gpa)
{
	const struct vmm_config *cfg = vm->vmm->cfg;
	struct mv_prog_write w;
	const uint8_t *data;
	char why[256];
	FILE *echo;

	if (!cfg->program) {
		/* Not a program run: nothing is there, like any unknown port. */
		return;
	}
	if (progout_read(vm->ram, vm->mem_size, desc_gpa, &w, &data, why, sizeof(why))) {
		vmm_vm_fail(vm, "VM %u: %s", vm->index, why);
		return;
	}
	if (progout_append(w.fd == 1 ? &vm->out : &vm->err, data, w.len)) {
		vmm_vm_fail(vm, "VM %u: out of memory keeping the program's output", vm->index);
		return;
	}
	echo = w.fd == 1 ? cfg->program_out : cfg->program_err;
	if (echo && w.len) {
		fwrite(data, 1, w.len, echo);
		fflush(echo);
	}
}

static void handle_io(struct mv_vm *vm, struct engine_exit *ex)
{
	uint16_t port = ex->io.port;

	vmm_post_simple(vm, MV_EV_IO, port);
	vm->last_io.any = true;
	vm->last_io.write = ex->io.is_write;
	vm->last_io.port = port;
	vm->last_io.size = ex->io.size;
	vm->last_io.data = ex->io.is_write ? ex->io.data : 0;
	if (ex->io.is_write) {
		if (port == MV_PORT_CONSOLE) {
			console_put(&vm->console, (uint8_t)ex->io.data);
		} else if (port == MV_PORT_PROG_WRITE && ex->io.size == 4) {
			program_write(vm, ex->io.data);
		} else if (port == MV_PORT_EXIT) {
			const struct console_program *pr = &vm->console.program;

			console_finish(&vm->console);
			vm->done = true;
			/* A program's end said on the console is the outcome; the
			 * kernel's exit status then only repeats it. */
			if (ex->io.data != 0 && !(vm->vmm->cfg->program && (pr->exited || pr->signalled || pr->error))) {
				char tail[512];

				console_tail(&vm->console, tail, sizeof(tail));
				vmm_vm_fail(vm, "VM %u exited with status %u (console: %s)", vm->index,
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
		 s.cs.selector & 3, vmm_vm_icount(vm));
}

static int vm_turn_limits(struct vmm *m, struct mv_vm *vm);

/* Returns true when the VM gives up the CPU (its turn ended or it is done). */
static bool dispatch(struct vmm *m, struct mv_vm *vm, struct engine_exit *ex)
{
	const struct mv_backend_ops *b = m->cfg->backend;
	char state[256], tail[512];
	int rc;

	if (ex->reason != ENGINE_EXIT_QUANTUM || m->cfg->vms > 1)
		vmm_post_simple(vm, MV_EV_VM_EXIT, ex->reason);
	switch (ex->reason) {
	case ENGINE_EXIT_IO:
		handle_io(vm, ex);
		return vm->done;
	case ENGINE_EXIT_INTERCEPT:
		if (b->handle_exit) {
			rc = vmm_backend_call(m, &(struct hook_call){.hook = HOOK_HANDLE_EXIT, .vm = vm,
								  .exit = ex});
			if (rc < 0) {
				char what[64], msg[sizeof(vm->failure)];

				snprintf(what, sizeof(what), "on a %s intercept",
					 engine_intercept_name(ex->intercept.cause));
				vmm_backend_failure(m, vm, msg, sizeof(msg), what, rc);
				vmm_vm_fail(vm, "%s", msg);
				return true;
			}
			if (rc == MV_EXIT_HANDLED)
				return false;
		}
		report_guest_state(vm, state, sizeof(state));
		vmm_vm_fail(vm, "VM %u: intercept %s (info %#" PRIx64 ") that backend %s does not handle; %s",
			vm->index, engine_intercept_name(ex->intercept.cause), ex->intercept.info1,
			b->name, state);
		return true;
	case ENGINE_EXIT_QUANTUM:
		if (m->cfg->vms > 1)
			return true;
		/* One VM: the quantum is only the polling interval (timeout,
		 * boot handshake).  Start the next one, or every later
		 * instruction would be a turn of its own. */
		rc = vm_turn_limits(m, vm);
		if (rc)
			vmm_vm_fail(vm, "engine %s cannot set the instruction quantum: %s",
				    m->cfg->engine->name, strerror(-rc));
		return rc != 0;
	case ENGINE_EXIT_HLT:
		report_guest_state(vm, state, sizeof(state));
		console_tail(&vm->console, tail, sizeof(tail));
		vmm_vm_fail(vm, "VM %u halted with nothing to wake it (HLT with interrupts off); %s; console: %s",
			vm->index, state, tail[0] ? tail : "empty");
		return true;
	case ENGINE_EXIT_SHUTDOWN:
		report_guest_state(vm, state, sizeof(state));
		console_tail(&vm->console, tail, sizeof(tail));
		vmm_vm_fail(vm, "VM %u triple-faulted (%s); %s; console: %s", vm->index,
			ex->message[0] ? ex->message : "shutdown", state, tail[0] ? tail : "empty");
		return true;
	case ENGINE_EXIT_MMIO:
		report_guest_state(vm, state, sizeof(state));
		vmm_vm_fail(vm, "VM %u accessed guest-physical %#" PRIx64 " outside its RAM; %s", vm->index,
			ex->mmio.gpa, state);
		return true;
	case ENGINE_EXIT_INSN_LIMIT:
		report_guest_state(vm, state, sizeof(state));
		vmm_vm_fail(vm, "VM %u retired %" PRIu64 " instructions without finishing (endless loop? raise --insn-limit); %s",
			vm->index, m->cfg->insn_limit, state);
		return true;
	case ENGINE_EXIT_FAIL_ENTRY:
	case ENGINE_EXIT_INTERNAL_ERROR:
	case ENGINE_EXIT_NONE:
	case ENGINE_EXIT__COUNT:
		break;
	}
	report_guest_state(vm, state, sizeof(state));
	vmm_vm_fail(vm, "VM %u stopped: %s: %s; %s", vm->index, engine_exit_reason_name(ex->reason),
		ex->message[0] ? ex->message : "no detail", state);
	return true;
}

static double elapsed_s(const struct vmm *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - m->start.tv_sec) + (double)(now.tv_nsec - m->start.tv_nsec) / 1e9;
}

/* With snapshots, the engine stops at the next multiple of
 * snapshot_every too: the turn's instructions, or fewer. */
static uint64_t snapshot_cut(struct vmm *m, struct mv_vm *vm, uint64_t left)
{
	uint64_t total;

	(void)vm;
	if (!m->cfg->snapshot_every)
		return left;
	total = vmm_total_icount(m);
	if (m->snapshot_next > total && m->snapshot_next - total < left)
		return m->snapshot_next - total;
	return left;
}

uint64_t vmm_turn_left(struct vmm *m, struct mv_vm *vm)
{
	uint64_t icount = vmm_vm_icount(vm);

	return snapshot_cut(m, vm, vm->turn_end > icount ? vm->turn_end - icount : 1);
}

/* Take the snapshots due; true when the exit was only the stop for one
 * (the engine stopped before the turn's end): the VM goes on with the
 * rest of its turn, as if it had not stopped. */
static bool snapshot_stop(struct vmm *m, struct mv_vm *vm, const struct engine_exit *ex)
{
	const struct engine_ops *e = m->cfg->engine;
	uint64_t total, icount;

	if (!m->cfg->snapshot_every)
		return false;
	total = vmm_total_icount(m);
	if (total >= m->snapshot_next) {
		vmm_snapshot(m, total);
		m->snapshot_next = (total / m->cfg->snapshot_every + 1) * m->cfg->snapshot_every;
	}
	icount = vmm_vm_icount(vm);
	if (ex->reason != ENGINE_EXIT_QUANTUM || icount >= vm->turn_end)
		return false;
	if (e->set_limits(vm->vcpu, vmm_turn_left(m, vm), m->cfg->insn_limit)) {
		vmm_vm_fail(vm, "engine %s cannot set the instruction quantum", e->name);
		return false;
	}
	return true;
}

static int arm_turn_timer(struct vmm *m, struct mv_vm *vm);

/* "out 0x3f8 byte 0x6d" */
static void last_io_text(const struct mv_vm *vm, char *buf, size_t len)
{
	static const char *const sizes[] = {"", "byte", "word", "", "dword"};

	if (!vm->last_io.any)
		snprintf(buf, len, "it did no port I/O at all");
	else if (vm->last_io.write)
		snprintf(buf, len, "its last I/O: out %#x %s %#x", vm->last_io.port,
			 vm->last_io.size <= 4 ? sizes[vm->last_io.size] : "", vm->last_io.data);
	else
		snprintf(buf, len, "its last I/O: in %#x %s", vm->last_io.port,
			 vm->last_io.size <= 4 ? sizes[vm->last_io.size] : "");
}

/* A guest that has not printed its banner within the bound will not: a
 * host that cannot run it (or a broken image) ends the run now, with
 * what the guest last did, rather than at --timeout. */
static void boot_overdue(struct vmm *m)
{
	if (!(m->cfg->boot_timeout_s > 0) || elapsed_s(m) <= m->cfg->boot_timeout_s)
		return;
	for (unsigned i = 0; i < m->cfg->vms; i++) {
		struct mv_vm *v = &m->vms[i];
		char io[128], state[256];

		if (v->done || v->console.booted)
			continue;
		last_io_text(v, io, sizeof(io));
		report_guest_state(v, state, sizeof(state));
		vmm_vm_fail(v, "VM %u did not reach its boot handshake (the guest's banner line) within %g s "
			       "(--boot-timeout); %s, %" PRIu64 " console bytes; %s",
			    i, m->cfg->boot_timeout_s, io, v->console.bytes, state);
	}
}

/* Sets the engine's limits for the VM's turn: the quantum (or, with one
 * VM, the polling interval for the timeout) and the instruction limit.
 * An engine that cannot count instructions gets a wall-clock timer. */
static int vm_turn_limits(struct vmm *m, struct mv_vm *vm)
{
	const struct engine_ops *e = m->cfg->engine;
	uint64_t quantum = m->cfg->vms > 1 ? m->cfg->quantum : POLL_QUANTUM;

	if (e->instructions && e->set_limits) {
		vm->turn_end = vmm_vm_icount(vm) + quantum;
		return e->set_limits(vm->vcpu, snapshot_cut(m, vm, quantum), m->cfg->insn_limit);
	}
	/* No instruction count: a VM's turn is a slice of wall time, ended by
	 * the engine's timer like the run's timeout. */
	if (m->cfg->vms > 1)
		vm->turn_deadline = elapsed_s(m) + m->cfg->slice_s;
	return arm_turn_timer(m, vm);
}

/* The engine's timer for what comes first: the turn's end (with several
 * VMs) or the run's timeout. */
static int arm_turn_timer(struct vmm *m, struct mv_vm *vm)
{
	const struct engine_ops *e = m->cfg->engine;
	double now = elapsed_s(m), left = m->cfg->timeout_s > 0 ? m->cfg->timeout_s - now : -1;

	if (!e->arm_timeout)
		return 0;
	if (m->cfg->vms > 1 && (left < 0 || vm->turn_deadline - now < left))
		left = vm->turn_deadline - now;
	if (m->cfg->boot_timeout_s > 0 && !vm->console.booted && (left < 0 || m->cfg->boot_timeout_s - now < left))
		left = m->cfg->boot_timeout_s - now;
	if (left < 0 && m->cfg->timeout_s <= 0 && !(m->cfg->boot_timeout_s > 0 && !vm->console.booted))
		return 0;
	return e->arm_timeout(vm->vcpu, left > 0 ? left : 0);
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

int vmm_schedule(struct vmm *m)
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
				rc = vmm_backend_call(m, &(struct hook_call){
					.hook = HOOK_VM_SWITCH, .vm = vm,
					.prev = prev == UINT32_MAX ? NULL : &m->vms[prev]});
				if (rc) {
					char msg[sizeof(vm->failure)];

					vmm_backend_failure(m, vm, msg, sizeof(msg), "switching VMs", rc);
					vmm_vm_fail(vm, "%s", msg);
					cur = next_runnable(m, cur);
					continue;
				}
			}
			if (prev != UINT32_MAX) {
				vmm_post_simple(vm, MV_EV_VM_SWITCH, prev);
				m->vm_switches++;
			}
			prev = cur;
		}
		rc = vm_turn_limits(m, vm);
		if (rc) {
			vmm_vm_fail(vm, "engine %s cannot set the instruction quantum: %s", e->name,
				strerror(-rc));
			cur = next_runnable(m, cur);
			continue;
		}
		while (!yield) {
			rc = e->run(vm->vcpu);
			if (rc == -EINTR) {
				/* The engine's timer: the turn's end, or the timeout
				 * (checked below); else the rest of the turn. */
				if (!e->instructions && m->cfg->vms > 1) {
					if (elapsed_s(m) >= vm->turn_deadline)
						yield = true;
					else if (arm_turn_timer(m, vm))
						vmm_vm_fail(vm, "engine %s cannot set the VM's turn", e->name);
				}
			} else if (rc) {
				vmm_vm_fail(vm, "engine %s failed running VM %u: %s", e->name, cur, strerror(-rc));
				break;
			} else {
				struct engine_exit *ex = e->exit(vm->vcpu);

				if (!snapshot_stop(m, vm, ex))
					yield = dispatch(m, vm, ex);
			}
			if (m->cfg->timeout_s > 0 && elapsed_s(m) > m->cfg->timeout_s) {
				for (unsigned i = 0; i < m->cfg->vms; i++)
					if (!m->vms[i].done) {
						char state[256];

						report_guest_state(&m->vms[i], state, sizeof(state));
						vmm_vm_fail(&m->vms[i],
							    "VM %u still running after the %.0f s timeout (raise --timeout); %s", i,
							    m->cfg->timeout_s, state);
					}
				return 0;
			}
			boot_overdue(m);
			if (vm->done)
				break;
		}
		cur = next_runnable(m, cur);
	}
	return 0;
}
