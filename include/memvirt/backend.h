/*
 * memvirt/backend.h — the memory-backend interface: one versioned ops
 * struct used by the in-tree backends (native, shadow, ept, softtlb, asid,
 * kvm-shadow) and by plugins loaded with `--backend path/to/plugin.so`.
 *
 * A backend reacts to the VMM's calls (VM set-up, VM switches, exits it
 * asked for) and programs the machine through the services table
 * `struct mv_hw` that the VMM hands it: machine memory, the vCPU's state,
 * intercepts, the MMU's paging mode, TLB flushes, events.  It never sees
 * engine internals, so a plugin built against these headers alone works
 * with any memvirt of the same ABI version.
 *
 * ABI rules: MV_BACKEND_ABI_VERSION changes whenever a struct here changes
 * incompatibly; the VMM refuses a plugin whose abi_version differs.  Both
 * structs carry their size so fields can be appended compatibly.
 * docs/plugin-abi.md is the written contract.
 */
#ifndef MEMVIRT_BACKEND_H
#define MEMVIRT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memvirt/engine.h"
#include "memvirt/event.h"
#include "memvirt/options.h"

#define MV_BACKEND_ABI_VERSION 1u

/* The symbol a plugin exports: `const struct mv_backend_ops *memvirt_backend(void);` */
#define MV_BACKEND_ENTRY_SYMBOL "memvirt_backend"

/* Not an engine, a bit of mv_backend_ops.engines: the backend virtualizes
 * the architected-TLB machine, so several VMs may be timeshared on it
 * (softtlb, asid).  MV_ENGINE_SOFT and MV_ENGINE_KVM are in engine.h. */
#define MV_BACKEND_ARCH_TLB (1u << 8)

/* One guest VM, owned by the VMM. */
struct mv_vm;

/* Services the VMM gives a backend; valid for the whole run. */
struct mv_hw {
	uint32_t size;                 /* sizeof(struct mv_hw) of the VMM */
	uint32_t engine;               /* MV_ENGINE_SOFT or MV_ENGINE_KVM */

	uint16_t (*vm_index)(struct mv_vm *vm);
	uint64_t (*vm_mem_size)(struct mv_vm *vm);
	/* The backend's own per-VM state pointer. */
	void *(*vm_state)(struct mv_vm *vm);
	void (*set_vm_state)(struct mv_vm *vm, void *state);

	/* Machine memory.  hpa_ptr: host pointer to [hpa, hpa+len), NULL when
	 * outside machine memory.  gpa_to_hpa: -EFAULT outside the VM's RAM.
	 * frame_alloc: one zeroed 4 KiB machine frame for the backend's own
	 * tables, charged to the VM (-ENOMEM when the pool is exhausted). */
	void *(*hpa_ptr)(struct mv_vm *vm, uint64_t hpa, uint64_t len);
	int (*gpa_to_hpa)(struct mv_vm *vm, uint64_t gpa, uint64_t *hpa);
	int (*frame_alloc)(struct mv_vm *vm, uint64_t *hpa);
	void (*frame_free)(struct mv_vm *vm, uint64_t hpa);

	/* The VM's vCPU. */
	int (*get_regs)(struct mv_vm *vm, struct engine_regs *regs);
	int (*set_regs)(struct mv_vm *vm, const struct engine_regs *regs);
	int (*get_sregs)(struct mv_vm *vm, struct engine_sregs *sregs);
	/* The guest-visible control registers, kept by the VMM when CR3
	 * accesses are intercepted (shadow paging). */
	int (*set_guest_cr3)(struct mv_vm *vm, uint64_t cr3);

	/* Soft engine only (-ENOTSUP on kvm).  Intercepts: a bitmask of
	 * (1 << enum engine_intercept) and a bitmap of exception vectors. */
	int (*set_intercepts)(struct mv_vm *vm, uint64_t causes, uint32_t exception_vectors);
	int (*set_paging)(struct mv_vm *vm, const struct mv_paging *paging);
	int (*flush_tlb)(struct mv_vm *vm, enum mv_flush_scope scope, uint64_t arg);
	/* Deliver an exception to the guest on the next run (a reflected fault). */
	int (*inject_exception)(struct mv_vm *vm, uint8_t vector, uint32_t error_code,
				uint64_t cr2);

	/* Post an event; the VMM fills in vm, vcpu and icount. */
	void (*post)(struct mv_vm *vm, struct mv_event *ev);

	/* Appended fields: read them only when `size` reaches them
	 * (size >= offsetof(struct mv_hw, field) + sizeof(field)).
	 * The run's machine layout, known before create(): how many VMs and
	 * the RAM of each (every VM has the same), so that a backend can
	 * refuse a configuration in create() with a message. */
	uint32_t vm_count;
	uint64_t vm_mem_bytes;

	/* Interpret a guest `mov cr3`: load the page-table pointer with the
	 * architectural TLB flush (none with CR4.PCIDE and bit 63 set, the
	 * new PCID's non-global entries with PCIDE, every non-global entry
	 * without).  For backends that intercept CR3 writes and let the
	 * guest's own tables stay in use.  Soft engine only. */
	int (*write_cr3)(struct mv_vm *vm, uint64_t cr3);
	/* Skip the intercepted instruction (`insn_len` bytes of RIP). */
	int (*skip_instruction)(struct mv_vm *vm, uint8_t insn_len);

	/* Run the VM's vCPU now, inside the exit being handled, for at most
	 * one retired instruction, and point *exit at the exit it stopped
	 * on: ENGINE_EXIT_QUANTUM when the instruction retired, otherwise
	 * whatever stopped it first (an intercepted fault...), which the
	 * caller then owns as if the run had returned it.  The VM's quantum
	 * restarts afterwards.  Used by shadow paging to let one guest write
	 * through a temporarily writable page-table page.  Soft engine only. */
	int (*single_step)(struct mv_vm *vm, struct engine_exit **exit);
	/* Drop the non-global TLB entries tagged `tag` (a PCID): the flush
	 * a guest MOV CR3 implies.  MV_FLUSH_TAG drops global ones too. */
	int (*flush_tlb_nonglobal)(struct mv_vm *vm, uint64_t tag);

	/* The architected-TLB machine (`--machine archtlb`, soft engine;
	 * docs/arch-tlb.md).  atlb_entries: the real TLB's entries, 0 on the
	 * page-table machine; atlb_asid_bits: the real ASID width.  The real
	 * TLB is read and written in the EntryHi/EntryLo format with the
	 * frame a machine address (HPA); atlb_probe returns an index or
	 * -ENOENT; atlb_flush drops every entry (all) or the non-global
	 * entries of one real ASID.  atlb_set_real_asid: the ASID the MMU
	 * matches while this VM runs (the guest-visible one is in the regs).
	 * All -ENOTSUP elsewhere. */
	uint32_t atlb_entries;
	uint32_t atlb_asid_bits;
	int (*atlb_get_regs)(struct mv_vm *vm, struct mv_atlb_regs *regs);
	int (*atlb_set_regs)(struct mv_vm *vm, const struct mv_atlb_regs *regs);
	int (*atlb_set_real_asid)(struct mv_vm *vm, uint32_t asid);
	int (*atlb_write)(struct mv_vm *vm, uint32_t index, uint64_t hi, uint64_t lo);
	int (*atlb_read)(struct mv_vm *vm, uint32_t index, uint64_t *hi, uint64_t *lo);
	int (*atlb_probe)(struct mv_vm *vm, uint64_t hi);
	int (*atlb_flush)(struct mv_vm *vm, bool all, uint32_t asid);

	/* Say why the error a hook is about to return happened (one line,
	 * copied): the VMM reports it as the run's failure instead of the
	 * bare errno. */
	void (*fail_reason)(struct mv_vm *vm, const char *reason);

	/* The architected-TLB machine, for a VMM that shares the real TLB
	 * among VMs (docs/arch-tlb.md).  atlb_write_free: write an entry
	 * where the real TLB's own replacement puts it (the lowest invalid
	 * index >= first, else a random one in [first, entries)), the index
	 * in *index.  atlb_set_vm_asid: a second real ASID the real TLB
	 * matches while this VM runs (on) or none (off), for the entries the
	 * VMM means for every address space of the VM, its guest-global ones
	 * (MIPS VZ matches root entries by GuestID the same way). */
	int (*atlb_write_free)(struct mv_vm *vm, uint64_t hi, uint64_t lo, uint32_t first,
			       uint32_t *index);
	int (*atlb_set_vm_asid)(struct mv_vm *vm, bool on, uint32_t asid);
};

/* What handle_exit says about an exit. */
enum mv_exit_action {
	MV_EXIT_NOT_MINE = 0,   /* the VMM handles it (or reports it) */
	MV_EXIT_HANDLED = 1,    /* done: run the guest again */
};

struct mv_backend_ops {
	uint32_t abi_version;      /* MV_BACKEND_ABI_VERSION */
	uint32_t size;             /* sizeof(struct mv_backend_ops) */
	const char *name;
	const char *description;   /* one line */
	uint32_t engines;          /* MV_ENGINE_* it runs on */

	/* Once per run, before any VM exists.  `options` is the --backend-opt
	 * text (may be NULL).  err gets a one-line message on failure. */
	int (*create)(const struct mv_hw *hw, const char *options, void **state,
		      char *err, size_t err_len);
	void (*destroy)(void *state);

	/* Each VM, after its RAM is loaded and its boot state set, before it
	 * first runs: set intercepts and paging, build tables. */
	int (*vm_init)(void *state, struct mv_vm *vm);
	/* Optional: the VM is gone. */
	void (*vm_fini)(void *state, struct mv_vm *vm);

	/* Optional: the physical CPU switches from `prev` (NULL at the first
	 * switch) to `next`. */
	int (*vm_switch)(void *state, struct mv_vm *prev, struct mv_vm *next);

	/* Optional: an exit of `vm`.  Returns enum mv_exit_action, or a
	 * negative errno (the run fails with the backend's error). */
	int (*handle_exit)(void *state, struct mv_vm *vm, struct engine_exit *exit);

	/* Optional: the backend's own statistics. */
	void (*stats)(void *state, engine_stat_fn fn, void *ctx);

	/* Appended fields: the VMM reads them only when `size` reaches them.
	 * The engine capabilities (MV_CAP_*, memvirt/engine.h) the backend
	 * needs; the VMM refuses to run it where they are missing, with the
	 * engine's account of how to get them.  0 in a plugin built before
	 * the field existed: MV_CAP_MMU for a soft-engine backend. */
	uint32_t needs;

	/* The --backend-opt keys (memvirt/options.h), for help, for `memvirt
	 * list backends` and for the configuration a run is filed under: with
	 * a table, `cache=8` and no options at all are one configuration.  The
	 * backend still parses its options itself in create(), normally with
	 * mv_options_parse() over the same table.  NULL: the backend takes no
	 * options, or free text it alone understands (compared as written). */
	const struct mv_option *options;
	uint32_t option_count;
};

/* The ops of ABI 1 before the appended fields: the smallest size a plugin
 * may give. */
#define MV_BACKEND_OPS_MIN_SIZE (offsetof(struct mv_backend_ops, stats) + sizeof(void (*)(void)))

#endif
