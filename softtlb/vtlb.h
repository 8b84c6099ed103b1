/*
 * softtlb/vtlb.h — a guest VM's virtual TLB and the emulation of the
 * architected-TLB machine's TLB commands (docs/arch-tlb.md), shared by the
 * two ways of virtualizing that machine: softtlb (Method 1: full rewrite
 * at every VM switch) and asid (Method 2: an ASID map table).
 *
 * The virtual TLB is what the guest believes its TLB holds: entries in
 * the guest's EntryHi/EntryLo format, the frame a guest-physical address.
 * The emulator applies an intercepted command to it exactly as the
 * machine would (index, write random over [Wired, size), probe, read,
 * flush one ASID, flush everything unwired), answers #GP where the machine
 * would, and tells the backend what changed through struct softtlb_real,
 * so that each method keeps its real TLB consistent its own way.
 *
 * Invariant: lo[i] == 0 exactly when entry i is invalid.
 */
#ifndef MEMVIRT_SOFTTLB_VTLB_H
#define MEMVIRT_SOFTTLB_VTLB_H

#include <stdbool.h>
#include <stdint.h>

#include "memvirt/archtlb.h"
#include "memvirt/backend.h"

/* The interface's constants are memvirt/archtlb.h's (MV_ATLB_*). */

struct softtlb_vtlb {
	uint32_t entries;
	uint64_t *hi, *lo;
	uint64_t rng;          /* write random's generator, per VM, deterministic */
};

/* What a method does to the real TLB when the virtual one changes.
 * Every hook returns 0 or a negative errno (the run fails). */
struct softtlb_real {
	/* Entry vidx changed from (old_hi, old_lo) to the vTLB's current
	 * contents (possibly invalid). */
	int (*entry)(void *ctx, struct mv_vm *vm, uint32_t vidx, uint64_t old_hi, uint64_t old_lo);
	/* The guest dropped its non-global entries of guest ASID gasid. */
	int (*flush_asid)(void *ctx, struct mv_vm *vm, uint32_t gasid);
	/* The guest dropped every entry at an index >= wired. */
	int (*flush_all)(void *ctx, struct mv_vm *vm, uint32_t wired);
	/* The guest's current ASID became gasid. */
	int (*set_asid)(void *ctx, struct mv_vm *vm, uint32_t gasid);
};

/* entries > 0; `stream` names write random's generator: each (VM,
 * stream) pair draws its own sequence (softtlb_stream()), so that no two
 * VMs pick the same indexes.  -ENOMEM. */
int softtlb_vtlb_init(struct softtlb_vtlb *t, uint32_t entries, uint64_t stream);

/* The seed of a random stream, distinct for every (vm, purpose): the
 * splitmix64 finaliser of both, never 0 (xorshift's fixed point). */
uint64_t softtlb_stream(uint32_t vm, uint32_t purpose);
enum { SOFTTLB_STREAM_WRITE_RANDOM = 1, SOFTTLB_STREAM_REAL_PLACEMENT = 2 };
void softtlb_vtlb_fini(struct softtlb_vtlb *t);
uint32_t softtlb_vtlb_valid(const struct softtlb_vtlb *t);


/* The index of the valid entry mapping va for guest ASID asid (or a
 * global one), or -1. */
int softtlb_vtlb_find(const struct softtlb_vtlb *t, uint64_t va, uint32_t asid);

/* The real EntryLo of a guest EntryLo: the frame translated GPA -> HPA.
 * -EFAULT when the page is not inside the VM's RAM. */
int softtlb_real_lo(const struct mv_hw *hw, struct mv_vm *vm, uint64_t lo, uint64_t *real_lo);

/* Counts kept by the emulator. */
struct softtlb_emul_stats {
	uint64_t commands;     /* COMMAND writes emulated */
	uint64_t writes;       /* entries written by the guest (indexed, random) */
	uint64_t probes, reads, flushes, asid_writes, gp;
};

/* Report them as PREFIX_commands, PREFIX_guest_writes, ... (one table for
 * both methods, so that their names cannot drift apart). */
void softtlb_emul_stats_report(const char *prefix, const struct softtlb_emul_stats *st,
			       engine_stat_fn fn, void *ctx);

/* Emulate an ENGINE_ICPT_TLB_WRITE exit (a COMMAND or ASID write) on
 * vm's virtual TLB: the registers are read and written through hw, the
 * instruction is skipped, or #GP is injected where the machine would
 * raise it; MV_EV_GUEST_TLB_WRITE is posted per entry written.  Returns
 * MV_EXIT_HANDLED or a negative errno. */
int softtlb_emulate(const struct mv_hw *hw, struct mv_vm *vm, struct softtlb_vtlb *t,
		    const struct engine_exit *ex, const struct softtlb_real *real, void *ctx,
		    struct softtlb_emul_stats *st);

#endif
