/*
 * core/vmm_internal.h — what the VMM's own files share (vmm.c: building
 * the machine and the VMs, results, the run; vmm_hw.c: the services of
 * struct mv_hw; vmm_sched.c: the exit dispatcher and the VM scheduler).
 * Nothing outside core/vmm*.c includes it.
 */
#ifndef MEMVIRT_CORE_VMM_INTERNAL_H
#define MEMVIRT_CORE_VMM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/console.h"
#include "core/crashguard.h"
#include "core/progout.h"
#include "core/vmm.h"

#define FRAME_SIZE 4096ull
/* With one VM the engine still returns every POLL_QUANTUM instructions so
 * that the wall-clock timeout is checked; these returns are not exits. */
#define POLL_QUANTUM 20000000ull

/* The guest's scheduler tick where its APIC timer counts time, not
 * instructions (the kvm engine: KVM's APIC bus runs at 1 GHz): 10 ms, a
 * usual kernel's HZ=100.  The soft engine's timer counts retired
 * instructions, and there the kernel's default (100000) stays. */
#define VMM_WALL_TIMER_PERIOD 10000000ull

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
	struct progout_stream out, err; /* a program's stdout and stderr (vmm_config.program) */
	bool done;              /* exited, or failed */
	bool failed;
	char failure[1024];
	uint64_t guest_cr3;     /* virtualized CR3 when the backend intercepts it */
	uint64_t frames_held;   /* backend frames charged to it */
	uint64_t turn_end;      /* instruction count at which its turn ends */
	double turn_deadline;   /* engines that count no instructions: when its turn ends (s since start) */
	struct {                /* the guest's last port access, for reports */
		bool any, write;
		uint16_t port;
		uint8_t size;
		uint32_t data;
	} last_io;
	char backend_reason[512]; /* what the backend said about its last error */
};

struct vmm {
	const struct vmm_config *cfg;
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
	const struct ctr_set *engine_before;   /* engine statistics before the first instruction */
	uint64_t vm_switches;
	uint64_t snapshot_next;                /* total instructions of the next snapshot */
	uint64_t snapshots, snapshots_skipped;
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

/* vmm.c */
int vmm_backend_call(struct vmm *m, struct hook_call *c);
void vmm_backend_failure(struct vmm *m, struct mv_vm *vm, char *buf, size_t len, const char *what,
			 int rc);
void vmm_vm_fail(struct mv_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* vmm_hw.c */
void vmm_init_services(struct vmm *m);
uint64_t vmm_vm_icount(struct mv_vm *vm);
void vmm_post_simple(struct mv_vm *vm, uint32_t type, uint64_t detail);
void vmm_post_engine_event(void *bus, const struct mv_event *ev);

/* vmm_sched.c */
int vmm_schedule(struct vmm *m);
/* The instructions the engine may run before it stops again: the rest
 * of the VM's turn, or fewer up to the next snapshot. */
uint64_t vmm_turn_left(struct vmm *m, struct mv_vm *vm);
/* Instructions retired by every VM so far. */
uint64_t vmm_total_icount(struct vmm *m);
/* Hand the configuration's snapshot callback the totals so far. */
void vmm_snapshot(struct vmm *m, uint64_t icount);

#endif
