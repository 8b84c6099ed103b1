/*
 * vcpu/soft/engine_hw.h — the soft engine's optional hardware hooks of
 * struct engine_ops (engine_hw.c), for soft_engine_ops in engine.c.
 * Internal to vcpu/soft/: everything above sees them through the ops.
 */
#ifndef MEMVIRT_VCPU_SOFT_ENGINE_HW_H
#define MEMVIRT_VCPU_SOFT_ENGINE_HW_H

#include "vcpu/engine.h"

int soft_hw_machine_create(const struct engine_machine_config *cfg, void **machine, char *err,
			   size_t err_len);
void soft_hw_machine_destroy(void *machine);
int soft_hw_tlb_canonical(const char *text, char *buf, size_t len, char *err, size_t err_len);
void soft_hw_machine_stats(void *machine, engine_stat_fn fn, void *ctx);
int soft_hw_set_intercepts(struct engine_vcpu *vcpu, uint64_t causes, uint32_t vectors);
int soft_hw_set_paging(struct engine_vcpu *vcpu, const struct mv_paging *paging, uint64_t phys_base,
		       uint64_t phys_limit);
int soft_hw_flush_tlb(struct engine_vcpu *vcpu, enum mv_flush_scope scope, uint64_t arg);
int soft_hw_inject_exception(struct engine_vcpu *vcpu, uint8_t vector, uint32_t error_code,
			     uint64_t cr2);
int soft_hw_write_cr3(struct engine_vcpu *vcpu, uint64_t cr3);
int soft_hw_flush_tlb_nonglobal(struct engine_vcpu *vcpu, uint64_t tag);
void soft_hw_atlb_info(void *machine, uint32_t *entries, uint32_t *asid_bits);
int soft_hw_atlb_get_regs(struct engine_vcpu *vcpu, struct mv_atlb_regs *regs);
int soft_hw_atlb_set_regs(struct engine_vcpu *vcpu, const struct mv_atlb_regs *regs);
int soft_hw_atlb_set_real_asid(struct engine_vcpu *vcpu, uint32_t asid);
int soft_hw_atlb_flush(struct engine_vcpu *vcpu, bool all, uint32_t asid);
int soft_hw_atlb_set_vm_asid(struct engine_vcpu *vcpu, bool on, uint32_t asid);

#endif
