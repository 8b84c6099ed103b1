/*
 * core/hw.h — what the VMM needs from an engine beyond the engine
 * interface: the shared machine (one physical CPU, its TLB and machine
 * memory) and the MMU programming that memory backends ask for through
 * struct mv_hw.  One glue table per engine (hw_soft.c, hw_kvm.c); the
 * soft engine implements every hook, the kvm engine only the machine
 * (its MMU belongs to the host's KVM).  A NULL hook means "not on this
 * engine" and the service answers -ENOTSUP.
 */
#ifndef MEMVIRT_CORE_HW_H
#define MEMVIRT_CORE_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memvirt/backend.h"

struct hw_glue {
	uint32_t engine;     /* MV_ENGINE_* */
	/* machine: handed to engine_vm_config.machine (may stay NULL). */
	int (*machine_create)(uint8_t *pool, uint64_t pool_size, const char *tlb,
			      void **machine, char *err, size_t err_len);
	void (*machine_destroy)(void *machine);
	/* Machine-wide statistics (shared TLB...), reported once per run. */
	void (*machine_stats)(void *machine, engine_stat_fn fn, void *ctx);

	int (*set_intercepts)(struct engine_vcpu *vcpu, uint64_t causes, uint32_t vectors);
	/* phys_base/limit: the VM's RAM in machine memory, for MV_PAGING_GUEST. */
	int (*set_paging)(struct engine_vcpu *vcpu, const struct mv_paging *paging,
			  uint64_t phys_base, uint64_t phys_limit);
	int (*flush_tlb)(struct engine_vcpu *vcpu, enum mv_flush_scope scope, uint64_t arg);
	int (*inject_exception)(struct engine_vcpu *vcpu, uint8_t vector, uint32_t error_code,
				uint64_t cr2);
	int (*write_cr3)(struct engine_vcpu *vcpu, uint64_t cr3);
	/* Non-global entries of one PCID (struct mv_hw.flush_tlb_nonglobal). */
	int (*flush_tlb_nonglobal)(struct engine_vcpu *vcpu, uint64_t tag);

	/* Engines that cannot count instructions: make run() return -EINTR
	 * once `seconds` of wall time have passed, until disarmed. */
	int (*arm_timeout)(struct engine_vcpu *vcpu, double seconds);
	void (*disarm_timeout)(void);

	/* The architected-TLB machine (struct mv_hw's atlb_* services). */
	void (*atlb_info)(void *machine, uint32_t *entries, uint32_t *asid_bits);
	int (*atlb_enable)(struct engine_vcpu *vcpu);
	int (*atlb_get_regs)(struct engine_vcpu *vcpu, struct mv_atlb_regs *regs);
	int (*atlb_set_regs)(struct engine_vcpu *vcpu, const struct mv_atlb_regs *regs);
	int (*atlb_set_real_asid)(struct engine_vcpu *vcpu, uint32_t asid);
	int (*atlb_write)(struct engine_vcpu *vcpu, uint32_t index, uint64_t hi, uint64_t lo);
	int (*atlb_read)(struct engine_vcpu *vcpu, uint32_t index, uint64_t *hi, uint64_t *lo);
	int (*atlb_probe)(struct engine_vcpu *vcpu, uint64_t hi);
	int (*atlb_flush)(struct engine_vcpu *vcpu, bool all, uint32_t asid);
};

/* NULL for an engine without glue. */
const struct hw_glue *hw_glue_for(const char *engine_name);

#endif
