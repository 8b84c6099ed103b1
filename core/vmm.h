/*
 * core/vmm.h — the VMM: builds the machine (one physical CPU, one pool of
 * machine memory), loads the guest kernel into each VM, boots it in long
 * mode, dispatches exits to the devices, the backend and the
 * privileged-instruction interpreters, and timeshares several VMs on the
 * CPU with a quantum of retired instructions.
 *
 * A run ends when every VM has written its exit port, or with a report
 * when a guest misbehaves (triple fault, wild access, endless loop): the
 * VMM itself never crashes because of a guest.
 */
#ifndef MEMVIRT_CORE_VMM_H
#define MEMVIRT_CORE_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/console.h"
#include "core/counters.h"
#include "core/progout.h"
#include "core/evbus.h"
#include "memvirt/backend.h"

#define VMM_MAX_VMS 16

struct vmm_config {
	const struct engine_ops *engine;
	const struct mv_backend_ops *backend;
	const char *backend_options;   /* may be NULL */
	const char *workload;          /* validated name */
	const char *params_text;       /* "k=v k=v", validated, decimal */
	/* A program run: the package (workloads/program_abi.h) each VM gets
	 * in its RAM past the kernel image, and how much of each of its
	 * output streams a VM keeps (what comes past it is counted). */
	const uint8_t *program;        /* NULL: a workload run */
	size_t program_len;
	size_t output_cap;
	FILE *program_out, *program_err; /* the program's stdout, stderr echoed as they come; may be NULL */
	uint64_t seed;
	unsigned vms;                  /* 1..VMM_MAX_VMS */
	uint64_t quantum;              /* retired instructions per VM turn (vms > 1) */
	double slice_s;                /* wall time per VM turn (vms > 1) where the engine counts no instructions */
	uint64_t mem_size;             /* guest RAM per VM, bytes */
	uint64_t insn_limit;           /* per VM; 0 = none (soft engine) */
	double timeout_s;              /* wall clock; 0 = none */
	double boot_timeout_s;         /* wall clock to the guest's boot handshake (its banner); 0 = none */
	const char *tlb;               /* soft engine --tlb text, may be NULL */
	bool arch_tlb;                 /* the architected-TLB machine (docs/arch-tlb.md) */
	const char *guest_path;        /* guest kernel ELF */
	struct ev_bus *bus;
	FILE *console;                 /* guest console echo, may be NULL */
	/* Counter snapshots: every snapshot_every instructions retired by
	 * all VMs together (0: none), snapshot() gets the whole-run totals so
	 * far (vm -1) at the first stop at or after each multiple, with the
	 * exact count.  The VMM stops the engine at each multiple without a
	 * VM exit or a turn's end: the run's results are those of a run
	 * without snapshots, but for the engine's own counts of its stops
	 * (soft.exit.quantum) and of the instruction-fetch lookups it makes
	 * on starting again (tlb_accesses, tlb_l1i_hits: hits on the page it
	 * was fetching from, so no TLB state changes).  At most VMM_MAX_SNAPSHOTS;
	 * the counter timeseries_snapshots_skipped says how many more there
	 * would have been. */
	uint64_t snapshot_every;
	void (*snapshot)(void *ctx, uint64_t icount, struct ctr_set *totals);
	void *snapshot_ctx;
};

#define VMM_MAX_SNAPSHOTS 100000

struct vmm_vm_result {
	bool exited;                   /* wrote its exit port */
	uint32_t exit_status;
	bool has_checksum;
	uint64_t checksum;
	/* A program run: how the program ended (from its console lines) and
	 * what it wrote to fd 1 and 2 (owned: vmm_result_free frees it). */
	struct console_program program;
	struct progout_stream out, err;
};

struct vmm_result {
	bool ok;                       /* every VM exited with status 0 and a checksum */
	int exit_code;                 /* when !ok: 1 run failed, 3 environment */
	char error[1024];              /* when !ok: one line */
	unsigned vms;
	struct vmm_vm_result vm[VMM_MAX_VMS];
	struct ctr_set counters;       /* every counter of the run; vm -1 = totals */
	/* The engine's statistics per VM just before the first instruction
	 * ran; counters hold what the run added to them.  The store keeps
	 * both for KVM's statistics (kvm_stats table). */
	struct ctr_set engine_before;
	uint64_t wall_ns;
};

/* Runs the configuration to the end.  Returns 0 when the run happened
 * (res->ok says whether it succeeded) or a negative errno when the VMM
 * could not even start it (res->error says why, res->exit_code is 3). */
int vmm_run(const struct vmm_config *cfg, struct vmm_result *res)
	__attribute__((warn_unused_result));
void vmm_result_free(struct vmm_result *res);

/* Default guest kernel path: $MEMVIRT_GUEST, else the build tree's image,
 * else the installed one; for a program run ($MEMVIRT_GUEST_LX, ...) the
 * Linux personality's image memvirt-guest-lx.elf.  Writes into buf. */
void vmm_default_guest_path(char *buf, size_t len, bool program);

#endif
