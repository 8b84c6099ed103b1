/*
 * memvirt/engine.h — the interface every execution engine implements.
 *
 * An engine runs guest code on a virtual CPU over a guest-physical memory
 * map and stops at exits, like KVM_RUN: create a VM, give it memory slots,
 * create a vCPU, load architectural state, run until something needs the
 * VMM, read the exit, complete it, run again.  Everything above this seam
 * (core/, the backends) is engine-independent.
 *
 * What an engine offers beyond that (a programmable MMU, an architected
 * TLB, counting instructions, the host KVM's paging mode) it says in
 * capabilities(); the hardware services the VMM hands memory backends
 * (memvirt/backend.h, struct mv_hw) are the optional hooks at the end of
 * struct engine_ops, NULL where the engine has no such hardware.  Backends
 * say what they need (mv_backend_ops.needs), so that no engine knows any
 * backend by name.
 *
 * Conventions: functions return 0 or a negative errno for host errors;
 * guest-caused stops (triple fault, bad state) are exits, never errors.
 * The exit record is owned by the vCPU (like the kvm_run page): the VMM
 * writes the data of an IN into it before the next run.
 */
#ifndef MEMVIRT_ENGINE_H
#define MEMVIRT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memvirt/archtlb.h"
#include "memvirt/event.h"

struct engine_vm;
struct engine_vcpu;

/* Engine identities, also the bits of mv_backend_ops.engines. */
#define MV_ENGINE_SOFT (1u << 0)
#define MV_ENGINE_KVM  (1u << 1)

/* What an engine offers (engine_ops.capabilities), and what a backend
 * needs (mv_backend_ops.needs). */
#define MV_CAP_MMU         (1u << 0)  /* the MMU is programmable: intercepts, paging modes, flushes */
#define MV_CAP_ARCH_TLB    (1u << 1)  /* the architected-TLB machine (docs/arch-tlb.md) */
#define MV_CAP_ICOUNT      (1u << 2)  /* counts retired instructions: quanta, limits, timesharing */
#define MV_CAP_HOST_TDP    (1u << 3)  /* the host's KVM runs guests with two-dimensional paging */
#define MV_CAP_HOST_SHADOW (1u << 4)  /* the host's KVM runs guests on its shadow MMU */

/* General-purpose state, same layout as struct kvm_regs. */
struct engine_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/* A segment register in its unpacked (cached descriptor) form. */
struct engine_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type;     /* descriptor type field, 4 bits */
	uint8_t present, dpl, db, s, l, g, avl;
};

struct engine_dtable {
	uint64_t base;
	uint16_t limit;
};

/* System state, same meaning as struct kvm_sregs (without the interrupt
 * bitmap). */
struct engine_sregs {
	struct engine_segment cs, ds, es, fs, gs, ss;
	struct engine_segment tr, ldt;
	struct engine_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t apic_base;
};

/* MSRs the boot protocol and the guest kernel use, read and written as
 * a set so that a VM switch can save and restore them. */
struct engine_msrs {
	uint64_t star, lstar, cstar, sfmask;
	uint64_t kernel_gs_base;
	uint64_t tsc;
};

enum engine_exit_reason {
	ENGINE_EXIT_NONE = 0,
	ENGINE_EXIT_IO,             /* IN/OUT to a port: see exit.io */
	ENGINE_EXIT_MMIO,           /* access to guest-physical memory with no slot */
	ENGINE_EXIT_HLT,            /* HLT with interrupts disabled or nothing pending */
	ENGINE_EXIT_SHUTDOWN,       /* triple fault */
	ENGINE_EXIT_FAIL_ENTRY,     /* the state loaded cannot run */
	ENGINE_EXIT_INTERNAL_ERROR, /* the engine could not emulate something */
	ENGINE_EXIT_INTERCEPT,      /* an intercept the VMM asked for (soft engine) */
	ENGINE_EXIT_QUANTUM,        /* the VMM's quantum of retired instructions ran out */
	ENGINE_EXIT_INSN_LIMIT,     /* the run's instruction budget ran out */
	ENGINE_EXIT__COUNT
};

/* Intercept causes modelled on AMD SVM's intercept vectors. */
enum engine_intercept {
	ENGINE_ICPT_CR3_READ = 0,
	ENGINE_ICPT_CR3_WRITE,
	ENGINE_ICPT_CR0_WRITE,
	ENGINE_ICPT_CR4_WRITE,
	ENGINE_ICPT_INVLPG,
	ENGINE_ICPT_EXCEPTION,      /* vector in exit.intercept.vector */
	ENGINE_ICPT_MSR_READ,
	ENGINE_ICPT_MSR_WRITE,
	ENGINE_ICPT_HLT,
	ENGINE_ICPT_IO,
	ENGINE_ICPT_CPUID,
	ENGINE_ICPT_VMMCALL,
	ENGINE_ICPT_NESTED_FAULT,   /* nested page fault: GPA unmapped in nCR3 */
	ENGINE_ICPT_TLB_WRITE,      /* architected-TLB command (softtlb issue) */
	ENGINE_ICPT__COUNT
};

struct engine_exit {
	enum engine_exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size;      /* 1, 2 or 4 bytes */
			bool is_write;     /* OUT */
			uint32_t data;     /* OUT: the value; IN: the VMM stores it here */
		} io;
		struct {
			uint64_t gpa;
			uint8_t size;
			bool is_write;
			uint64_t data;
		} mmio;
		struct {
			enum engine_intercept cause;
			uint8_t vector;       /* EXCEPTION */
			uint32_t error_code;  /* EXCEPTION, NESTED_FAULT */
			uint64_t info1;       /* CR value, INVLPG address, MSR index, CR2, GPA */
			uint64_t info2;       /* MSR value for a write, fault GVA */
			uint8_t insn_len;     /* to skip an emulated instruction */
		} intercept;
	};
	/* SHUTDOWN, FAIL_ENTRY, INTERNAL_ERROR: what happened, for the report. */
	char message[192];
};

/* Where an engine posts its events (the VMM's event bus); ctx is
 * engine_vm_config.post_ctx.  Hot path: called from the CPU loop. */
typedef void (*engine_post_fn)(void *ctx, const struct mv_event *ev);

/* What a VM is created with. */
struct engine_vm_config {
	engine_post_fn post;     /* may be NULL: the engine's events are dropped */
	void *post_ctx;
	uint16_t vm_index;       /* VM number in events */
	/* Engine-specific shared hardware, so that several VMs of one run are
	 * timeshared on one physical CPU with one TLB (soft: a struct
	 * soft_machine *).  NULL: the VM gets hardware of its own. */
	void *machine;
};

/* Statistics are reported as (name, value) pairs so that nothing above
 * the engine needs to know their list. */
typedef void (*engine_stat_fn)(void *ctx, const char *name, uint64_t value);

/* How the MMU translates while a VM runs (engines with MV_CAP_MMU). */
enum mv_paging_mode {
	/* The guest's own CR3 drives hardware walks; guest-physical addresses
	 * are relocated into the VM's machine memory.  The native baseline. */
	MV_PAGING_GUEST = 0,
	/* The hardware walks tables rooted at `root` (an HPA) whose entries
	 * hold HPAs: shadow paging.  The guest's CR3 is virtualized. */
	MV_PAGING_HOST,
	/* Two-dimensional walk: the guest's CR3 over nested tables rooted at
	 * `root` (nCR3, AMD NPT format), tagged with `asid`. */
	MV_PAGING_NESTED,
};

struct mv_paging {
	enum mv_paging_mode mode;
	uint64_t root;    /* HOST: real CR3 (HPA, with PCID bits); NESTED: nCR3 */
	uint32_t asid;    /* NESTED: TLB tag of the VM; 0 = untagged */
};

enum mv_flush_scope {
	MV_FLUSH_ALL = 0,     /* every entry, global ones too */
	MV_FLUSH_TAG,         /* entries tagged `arg` (PCID, or ASID in nested mode) */
	MV_FLUSH_ADDRESS,     /* the translation of virtual address `arg` */
};

/* The shared hardware of one run: one physical CPU, its TLB, machine
 * memory (see engine_ops.machine_create). */
struct engine_machine_config {
	uint8_t *mem;            /* machine memory, mem_size bytes, the caller's */
	uint64_t mem_size;
	const char *tlb;         /* the engine's TLB geometry text (--tlb), or NULL: its default */
};

struct engine_ops {
	const char *name;
	const char *description;
	uint32_t id;             /* MV_ENGINE_* */

	/* true when the engine can run on this machine; otherwise why not. */
	bool (*available)(char *why, size_t why_len);

	/* MV_CAP_* this engine offers here and now (the host's KVM may
	 * change between runs).  explain_missing: one line on how to get
	 * the capabilities in `missing` (a module parameter, another
	 * engine), for the refusal of a backend that needs them. */
	uint32_t (*capabilities)(void);
	void (*explain_missing)(uint32_t missing, char *why, size_t why_len);

	int (*vm_create)(const struct engine_vm_config *cfg, struct engine_vm **out);
	void (*vm_destroy)(struct engine_vm *vm);

	/* Map [gpa, gpa+size) to host memory `host`, page aligned, like
	 * KVM_SET_USER_MEMORY_REGION; slot numbers are the caller's. */
	int (*set_memory)(struct engine_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *host);

	int (*vcpu_create)(struct engine_vm *vm, struct engine_vcpu **out);

	int (*get_regs)(struct engine_vcpu *vcpu, struct engine_regs *regs);
	int (*set_regs)(struct engine_vcpu *vcpu, const struct engine_regs *regs);
	int (*get_sregs)(struct engine_vcpu *vcpu, struct engine_sregs *sregs);
	int (*set_sregs)(struct engine_vcpu *vcpu, const struct engine_sregs *sregs);
	int (*get_msrs)(struct engine_vcpu *vcpu, struct engine_msrs *msrs);
	int (*set_msrs)(struct engine_vcpu *vcpu, const struct engine_msrs *msrs);

	/* Run until an exit; the exit is then in *engine_ops.exit(vcpu). */
	int (*run)(struct engine_vcpu *vcpu);
	struct engine_exit *(*exit)(struct engine_vcpu *vcpu);

	/* Exit with ENGINE_EXIT_QUANTUM after `quantum` more retired
	 * instructions (0: never) and with ENGINE_EXIT_INSN_LIMIT once the
	 * vCPU has retired `limit` in all (0: no limit).  NULL where the
	 * engine cannot count instructions. */
	int (*set_limits)(struct engine_vcpu *vcpu, uint64_t quantum, uint64_t limit);

	/* Retired guest instructions so far (the soft engine's guest time);
	 * NULL where the engine cannot count them. */
	uint64_t (*instructions)(struct engine_vcpu *vcpu);

	/* Report every statistic of the VM and its vCPUs. */
	void (*stats)(struct engine_vm *vm, engine_stat_fn fn, void *ctx);

	/*
	 * Optional hardware, each hook NULL where the engine has none (the
	 * VMM then answers the backend's request with -ENOTSUP).
	 *
	 * The shared machine: created once per run over the caller's machine
	 * memory and handed to every vm_create (engine_vm_config.machine);
	 * -EINVAL with a message in err for a TLB text it refuses.
	 *
	 * tlb_canonical: the engine's TLB geometry text (--tlb; NULL: the
	 * default) checked and written in canonical form, every key spelled
	 * out, so that equal geometries compare equal; -EINVAL with a message
	 * in err.  NULL: the engine has no TLB model to configure.
	 */
	int (*tlb_canonical)(const char *text, char *buf, size_t len, char *err, size_t err_len);
	int (*machine_create)(const struct engine_machine_config *cfg, void **machine, char *err,
			      size_t err_len);
	void (*machine_destroy)(void *machine);
	/* Machine-wide statistics (the shared TLB...), reported once per run. */
	void (*machine_stats)(void *machine, engine_stat_fn fn, void *ctx);

	/* MV_CAP_MMU: the services of struct mv_hw with the same names.
	 * set_paging: phys_base/limit place the VM's RAM in machine memory
	 * for MV_PAGING_GUEST. */
	int (*set_intercepts)(struct engine_vcpu *vcpu, uint64_t causes, uint32_t vectors);
	int (*set_paging)(struct engine_vcpu *vcpu, const struct mv_paging *paging,
			  uint64_t phys_base, uint64_t phys_limit);
	int (*flush_tlb)(struct engine_vcpu *vcpu, enum mv_flush_scope scope, uint64_t arg);
	int (*inject_exception)(struct engine_vcpu *vcpu, uint8_t vector, uint32_t error_code,
				uint64_t cr2);
	int (*write_cr3)(struct engine_vcpu *vcpu, uint64_t cr3);
	int (*flush_tlb_nonglobal)(struct engine_vcpu *vcpu, uint64_t tag);

	/* Engines without MV_CAP_ICOUNT: make run() return -EINTR once
	 * `seconds` of wall time have passed, until disarmed. */
	int (*arm_timeout)(struct engine_vcpu *vcpu, double seconds);
	void (*disarm_timeout)(void);

	/* MV_CAP_ARCH_TLB: the machine's real TLB size and ASID width; put a
	 * vCPU on the architected-TLB machine; and struct mv_hw's atlb_*
	 * services. */
	void (*atlb_info)(void *machine, uint32_t *entries, uint32_t *asid_bits);
	int (*atlb_enable)(struct engine_vcpu *vcpu);
	int (*atlb_get_regs)(struct engine_vcpu *vcpu, struct mv_atlb_regs *regs);
	int (*atlb_set_regs)(struct engine_vcpu *vcpu, const struct mv_atlb_regs *regs);
	int (*atlb_set_real_asid)(struct engine_vcpu *vcpu, uint32_t asid);
	int (*atlb_write)(struct engine_vcpu *vcpu, uint32_t index, uint64_t hi, uint64_t lo);
	int (*atlb_read)(struct engine_vcpu *vcpu, uint32_t index, uint64_t *hi, uint64_t *lo);
	int (*atlb_probe)(struct engine_vcpu *vcpu, uint64_t hi);
	int (*atlb_flush)(struct engine_vcpu *vcpu, bool all, uint32_t asid);
	int (*atlb_write_free)(struct engine_vcpu *vcpu, uint64_t hi, uint64_t lo, uint32_t first,
			       uint32_t *index);
	int (*atlb_set_vm_asid)(struct engine_vcpu *vcpu, bool on, uint32_t asid);
};

/* Names of the enums above, for reports (vcpu/engine_names.c). */
const char *engine_exit_reason_name(enum engine_exit_reason reason);
const char *engine_intercept_name(enum engine_intercept cause);

#endif
