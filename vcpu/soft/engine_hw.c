/*
 * vcpu/soft/engine_hw.c — the soft engine's optional hardware hooks of
 * struct engine_ops (memvirt/engine.h): the shared machine, and the MMU
 * programming and architected-TLB services that the VMM hands memory
 * backends, on top of vcpu/soft/soft.h and archtlb.h.
 */
#include "vcpu/soft/engine_hw.h"

#include <errno.h>
#include <stdio.h>

#include "vcpu/soft/archtlb.h"
#include "vcpu/soft/soft.h"
#include "memvirt/pagetable.h"

int soft_hw_machine_create(const struct engine_machine_config *mc, void **machine, char *err,
			   size_t err_len)
{
	struct soft_machine_config cfg = {.mem_size = mc->mem_size, .mem = mc->mem};
	struct soft_machine *m;
	int rc;

	soft_mmu_config_default(&cfg.mmu);
	if (mc->tlb) {
		rc = soft_mmu_config_parse(mc->tlb, &cfg.mmu, err, err_len);
		if (rc)
			return -EINVAL;
	}
	rc = soft_machine_create(&cfg, &m);
	if (rc) {
		snprintf(err, err_len, "cannot create the soft machine: error %d", rc);
		return rc == -EINVAL ? -EINVAL : -ENOMEM;
	}
	*machine = m;
	return 0;
}

int soft_hw_tlb_canonical(const char *text, char *buf, size_t len, char *err, size_t err_len)
{
	struct soft_mmu_config cfg;

	soft_mmu_config_default(&cfg);
	if (text && soft_mmu_config_parse(text, &cfg, err, err_len))
		return -EINVAL;
	soft_mmu_config_format(&cfg, buf, len);
	return 0;
}

void soft_hw_machine_destroy(void *machine)
{
	soft_machine_destroy(machine);
}

void soft_hw_machine_stats(void *machine, engine_stat_fn fn, void *ctx)
{
	soft_machine_stats(machine, fn, ctx);
}

int soft_hw_set_intercepts(struct engine_vcpu *vcpu, uint64_t causes, uint32_t vectors)
{
	struct soft_intercepts icpt;

	soft_vcpu_get_intercepts(vcpu, &icpt);
	icpt.causes = (uint32_t)causes;
	icpt.exceptions = vectors;
	return soft_vcpu_set_intercepts(vcpu, &icpt);
}

int soft_hw_set_paging(struct engine_vcpu *vcpu, const struct mv_paging *p,
				uint64_t phys_base, uint64_t phys_limit)
{
	uint64_t mem_size;
	struct engine_sregs s;
	int rc;

	switch (p->mode) {
	case MV_PAGING_GUEST:
		soft_vcpu_set_nested(vcpu, false, 0, 0);
		soft_vcpu_set_phys(vcpu, phys_base, phys_limit);
		return 0;
	case MV_PAGING_HOST:
		/* Shadow tables hold HPAs: no relocation, the whole machine. */
		soft_machine_mem(soft_vcpu_machine(vcpu), &mem_size);
		soft_vcpu_set_nested(vcpu, false, 0, 0);
		soft_vcpu_set_phys(vcpu, 0, mem_size);
		rc = soft_engine_ops.get_sregs(vcpu, &s);
		if (rc)
			return rc;
		s.cr3 = p->root;
		return soft_engine_ops.set_sregs(vcpu, &s);
	case MV_PAGING_NESTED:
		soft_vcpu_set_nested(vcpu, true, p->root, p->asid);
		return 0;
	}
	return -EINVAL;
}

int soft_hw_flush_tlb(struct engine_vcpu *vcpu, enum mv_flush_scope scope, uint64_t arg)
{
	struct soft_mmu *mmu = soft_machine_mmu(soft_vcpu_machine(vcpu));

	switch (scope) {
	case MV_FLUSH_ALL:
		soft_mmu_flush_all(mmu, false, SOFT_FLUSH_VMM);
		return 0;
	case MV_FLUSH_TAG:
		soft_mmu_flush_tag(mmu, (uint32_t)arg, false, SOFT_FLUSH_VMM);
		return 0;
	case MV_FLUSH_ADDRESS:
		soft_mmu_invlpg(mmu, arg);
		return 0;
	}
	return -EINVAL;
}

int soft_hw_inject_exception(struct engine_vcpu *vcpu, uint8_t vector, uint32_t error_code,
			    uint64_t cr2)
{
	/* Vectors that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC,
	 * and the architected-TLB machine's refill exception. */
	bool has_error = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
			 (vector == MV_ATLB_REFILL_VECTOR && soft_atlb_present(vcpu));

	return soft_vcpu_inject(vcpu, vector, has_error, error_code, cr2);
}


int soft_hw_write_cr3(struct engine_vcpu *vcpu, uint64_t cr3)
{
	struct soft_mmu *mmu = soft_machine_mmu(soft_vcpu_machine(vcpu));
	struct engine_sregs s;
	bool pcide;
	int rc;

	rc = soft_engine_ops.get_sregs(vcpu, &s);
	if (rc)
		return rc;
	pcide = s.cr4 & MV_CR4_PCIDE;
	s.cr3 = cr3 & ~MV_CR3_NOFLUSH;
	rc = soft_engine_ops.set_sregs(vcpu, &s);
	if (rc)
		return rc;
	/* The flush a MOV CR3 implies (mmu.h's table); set_sregs flushes nothing. */
	if (!pcide)
		soft_mmu_flush_pcid(mmu, 0, true, SOFT_FLUSH_CR3);
	else if (!(cr3 & MV_CR3_NOFLUSH))
		soft_mmu_flush_pcid(mmu, (uint32_t)(cr3 & 0xfff), true, SOFT_FLUSH_CR3);
	return 0;
}

int soft_hw_flush_tlb_nonglobal(struct engine_vcpu *vcpu, uint64_t tag)
{
	/* Exactly the flush of a guest MOV CR3 (mmu.h's table). */
	soft_mmu_flush_pcid(soft_machine_mmu(soft_vcpu_machine(vcpu)), (uint32_t)tag, true,
			    SOFT_FLUSH_CR3);
	return 0;
}

/* ---- the architected-TLB machine (vcpu/soft/archtlb.h) ---- */

void soft_hw_atlb_info(void *machine, uint32_t *entries, uint32_t *asid_bits)
{
	const struct soft_mmu *mmu = soft_machine_mmu(machine);

	*entries = mmu->cfg.arch_entries;
	*asid_bits = mmu->cfg.asid_bits;
}

int soft_hw_atlb_get_regs(struct engine_vcpu *vcpu, struct mv_atlb_regs *r)
{
	struct soft_atlb_regs s;

	if (!soft_atlb_present(vcpu))
		return -ENOTSUP;
	soft_atlb_get_regs(vcpu, &s);
	*r = (struct mv_atlb_regs){
		.index = s.index, .entryhi = s.entryhi, .entrylo = s.entrylo, .wired = s.wired,
		.badvaddr = s.badvaddr, .asid = s.asid, .asid_bits = s.asid_bits,
		.entries = s.entries, .walks_off = s.walks_off,
	};
	return 0;
}

int soft_hw_atlb_set_regs(struct engine_vcpu *vcpu, const struct mv_atlb_regs *r)
{
	const struct soft_atlb_regs s = {
		.index = r->index, .entryhi = r->entryhi, .entrylo = r->entrylo, .wired = r->wired,
		.badvaddr = r->badvaddr, .asid = r->asid, .asid_bits = r->asid_bits,
		.entries = r->entries,
	};

	if (!soft_atlb_present(vcpu))
		return -ENOTSUP;
	return soft_atlb_set_regs(vcpu, &s);
}

int soft_hw_atlb_set_real_asid(struct engine_vcpu *vcpu, uint32_t asid)
{
	if (!soft_atlb_present(vcpu))
		return -ENOTSUP;
	soft_atlb_set_real_asid(vcpu, asid);
	return 0;
}

int soft_hw_atlb_set_vm_asid(struct engine_vcpu *vcpu, bool on, uint32_t asid)
{
	if (!soft_atlb_present(vcpu))
		return -ENOTSUP;
	soft_atlb_set_vm_asid(vcpu, on, asid);
	return 0;
}

int soft_hw_atlb_flush(struct engine_vcpu *vcpu, bool all, uint32_t asid)
{
	if (!soft_atlb_present(vcpu))
		return -ENOTSUP;
	soft_atlb_real_flush(vcpu, all, asid);
	return 0;
}
