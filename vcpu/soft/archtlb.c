/*
 * vcpu/soft/archtlb.c — the architected-TLB machine's register interface
 * on the soft CPU (archtlb.h, docs/arch-tlb.md): MSR reads and writes, the
 * TLB commands executed against the MMU's software-managed entries, the
 * CPUID leaf, and the refill exception's side effects.  Also the VMM's
 * access to the real TLB in the same EntryHi/EntryLo format.
 *
 * Without a VMM (native backend) a command's frame is a guest-physical
 * address, relocated here by the vCPU's phys_base and checked against
 * phys_limit, exactly as the hardware walk relocates: the guest can never
 * name memory outside its VM.
 */
#include "vcpu/soft/archtlb_cpu.h"

#include <errno.h>
#include <string.h>

#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull

static struct soft_mmu *mmu_of(const struct soft_vcpu *v)
{
	return v->m->mmu;
}

static uint32_t asid_mask(uint32_t bits)
{
	return bits >= 32 ? UINT32_MAX : (UINT32_C(1) << bits) - 1;
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Decode EntryHi/EntryLo into an MMU entry whose page is `pa` (already
 * relocated by the caller).  false for a malformed entry. */
static bool decode(uint64_t hi, uint64_t lo, uint64_t pa, uint32_t amask,
		   struct soft_arch_entry *e)
{
	uint64_t bytes = (lo & MV_ATLB_LO_S) ? PAGE_2M : PAGE_4K;

	memset(e, 0, sizeof(*e));
	e->va = hi & MV_ATLB_HI_VPN;
	e->asid = (uint32_t)(hi & MV_ATLB_HI_ASID) & amask;
	if (!(lo & MV_ATLB_LO_V))
		return true;
	if (!canonical(e->va) || (e->va & (bytes - 1)) || (pa & (bytes - 1)))
		return false;
	e->valid = true;
	e->size = bytes == PAGE_2M ? SOFT_PAGE_2M : SOFT_PAGE_4K;
	e->hpa = pa;
	e->global = lo & MV_ATLB_LO_G;
	e->writable = lo & MV_ATLB_LO_W;
	e->user = lo & MV_ATLB_LO_U;
	e->exec = lo & MV_ATLB_LO_X;
	return true;
}

static void encode(const struct soft_arch_entry *e, uint64_t pa, uint64_t *hi, uint64_t *lo)
{
	*hi = e->va | e->asid;
	*lo = 0;
	if (!e->valid)
		return;
	*lo = (pa & MV_ATLB_LO_PFN) | MV_ATLB_LO_V | (e->writable ? MV_ATLB_LO_W : 0) |
	      (e->user ? MV_ATLB_LO_U : 0) | (e->exec ? MV_ATLB_LO_X : 0) |
	      (e->global ? MV_ATLB_LO_G : 0) | (e->size == SOFT_PAGE_2M ? MV_ATLB_LO_S : 0);
}

static uint64_t rng_next(struct soft_atlb *a)
{
	/* xorshift64: deterministic, never 0 once seeded non-zero. */
	uint64_t x = a->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	a->rng = x;
	return x;
}

/* The guest's entry at `index`, relocated; false -> #GP. */
static bool cmd_write(struct soft_vcpu *v, uint32_t index)
{
	struct soft_atlb *a = &v->atlb;
	uint64_t lo = a->entrylo, gpa = lo & MV_ATLB_LO_PFN;
	uint64_t bytes = (lo & MV_ATLB_LO_S) ? PAGE_2M : PAGE_4K;
	struct soft_arch_entry e;

	if (index >= a->entries)
		return false;
	if ((lo & MV_ATLB_LO_V) &&
	    (gpa >= v->mregs.phys_limit || bytes > v->mregs.phys_limit - gpa))
		return false;
	if (!decode(a->entryhi, lo, gpa + v->mregs.phys_base, asid_mask(a->asid_bits), &e))
		return false;
	if (soft_mmu_arch_write(mmu_of(v), index, &e) != 0)
		return false;
	v->fetch_vpage = SOFT_NEVER;
	return true;
}

static bool command(struct soft_vcpu *v, uint64_t cmd)
{
	struct soft_atlb *a = &v->atlb;
	struct soft_mmu *mmu = mmu_of(v);
	struct soft_arch_entry e;
	uint32_t amask = asid_mask(a->asid_bits);
	int i;

	switch (cmd) {
	case MV_ATLB_CMD_WRITE_INDEXED:
		return cmd_write(v, (uint32_t)(a->index & ~MV_ATLB_INDEX_P));
	case MV_ATLB_CMD_WRITE_RANDOM: {
		uint32_t idx;

		if (a->wired >= a->entries)
			return false;
		idx = (uint32_t)(a->wired + rng_next(a) % (a->entries - a->wired));
		if (!cmd_write(v, idx))
			return false;
		a->index = idx;
		return true;
	}
	case MV_ATLB_CMD_PROBE:
		i = soft_mmu_arch_probe(mmu, a->entryhi & MV_ATLB_HI_VPN,
					(uint32_t)(a->entryhi & MV_ATLB_HI_ASID) & amask);
		a->index = i < 0 ? MV_ATLB_INDEX_P : (uint64_t)i;
		return true;
	case MV_ATLB_CMD_READ:
		if ((a->index & ~MV_ATLB_INDEX_P) >= a->entries ||
		    soft_mmu_arch_read(mmu, (unsigned)(a->index & ~MV_ATLB_INDEX_P), &e))
			return false;
		encode(&e, e.valid ? e.hpa - v->mregs.phys_base : 0, &a->entryhi, &a->entrylo);
		return true;
	case MV_ATLB_CMD_FLUSH_ASID:
		soft_mmu_arch_flush_asid(mmu, (uint32_t)(a->entryhi & MV_ATLB_HI_ASID) & amask);
		v->fetch_vpage = SOFT_NEVER;
		return true;
	case MV_ATLB_CMD_FLUSH_ALL:
		v->fetch_vpage = SOFT_NEVER;
		return soft_atlb_flush_unwired(mmu, (uint32_t)a->wired) == 0;
	default:
		return false;
	}
}

int soft_atlb_flush_unwired(struct soft_mmu *mmu, uint32_t wired)
{
	struct soft_arch_entry keep[MV_ATLB_MAX_WIRED];
	int rc = 0;

	/* The wired entries survive (the code doing the flush runs through
	 * them): one flush of everything, then the wired ones written back. */
	if (wired > MV_ATLB_MAX_WIRED)
		return -EINVAL;
	for (uint32_t i = 0; i < wired; i++)
		if (soft_mmu_arch_read(mmu, i, &keep[i]))
			return -EINVAL;
	soft_mmu_arch_flush_all(mmu);
	for (uint32_t i = 0; i < wired && !rc; i++)
		if (keep[i].valid)
			rc = soft_mmu_arch_write(mmu, i, &keep[i]);
	return rc;
}

bool soft_atlb_msr_read(struct soft_vcpu *v, uint32_t msr, uint64_t *val)
{
	const struct soft_atlb *a = &v->atlb;

	if (!a->present)
		return false;
	switch (msr) {
	case MV_ATLB_MSR_INDEX: *val = a->index; return true;
	case MV_ATLB_MSR_ENTRYHI: *val = a->entryhi; return true;
	case MV_ATLB_MSR_ENTRYLO: *val = a->entrylo; return true;
	case MV_ATLB_MSR_ASID: *val = a->asid; return true;
	case MV_ATLB_MSR_WIRED: *val = a->wired; return true;
	case MV_ATLB_MSR_BADVADDR: *val = a->badvaddr; return true;
	case MV_ATLB_MSR_COMMAND: *val = 0; return true;
	case MV_ATLB_MSR_CTL: *val = a->ctl; return true;
	default: return false;
	}
}

bool soft_atlb_msr_write(struct soft_vcpu *v, uint32_t msr, uint64_t val)
{
	struct soft_atlb *a = &v->atlb;

	if (!a->present)
		return false;
	switch (msr) {
	case MV_ATLB_MSR_INDEX:
		if ((val & ~MV_ATLB_INDEX_P) >= a->entries || (val >> 32))
			return false;
		a->index = val;
		return true;
	case MV_ATLB_MSR_ENTRYHI:
		if (!canonical(val & MV_ATLB_HI_VPN) ||
		    ((val & MV_ATLB_HI_ASID) & ~(uint64_t)asid_mask(a->asid_bits)))
			return false;
		a->entryhi = val;
		return true;
	case MV_ATLB_MSR_ENTRYLO:
		if (val & ~MV_ATLB_LO_VALID_BITS)
			return false;
		a->entrylo = val;
		return true;
	case MV_ATLB_MSR_ASID:
		if (val & ~(uint64_t)asid_mask(a->asid_bits))
			return false;
		a->asid = (uint32_t)val;
		v->mregs.arch_asid = (uint32_t)val;
		soft_update_mmu(v);
		return true;
	case MV_ATLB_MSR_WIRED:
		if (val >= a->entries || val > MV_ATLB_MAX_WIRED)
			return false;
		a->wired = val;
		return true;
	case MV_ATLB_MSR_COMMAND:
		return command(v, val);
	case MV_ATLB_MSR_CTL:
		if ((val & ~MV_ATLB_CTL_E) || ((a->ctl & MV_ATLB_CTL_E) && !(val & MV_ATLB_CTL_E)))
			return false;
		if ((val & MV_ATLB_CTL_E) && !(a->ctl & MV_ATLB_CTL_E)) {
			/* What the walks cached must not outlive them. */
			v->mregs.arch_tlb = true;
			soft_update_mmu(v);
			soft_mmu_flush_all(mmu_of(v), false, SOFT_FLUSH_GLOBAL);
		}
		a->ctl = val;
		return true;
	default:
		return false;   /* BADVADDR is read-only */
	}
}

bool soft_atlb_write_exits(const struct soft_vcpu *v, uint32_t msr)
{
	return v->atlb.present && soft_intercepted(v, ENGINE_ICPT_TLB_WRITE) &&
	       (msr == MV_ATLB_MSR_COMMAND || msr == MV_ATLB_MSR_ASID);
}

void soft_atlb_cpuid(const struct soft_vcpu *v, uint32_t r[4])
{
	const struct soft_atlb *a = &v->atlb;

	memset(r, 0, 4 * sizeof(uint32_t));
	if (!a->present)
		return;
	r[0] = 1u | (v->mregs.arch_tlb ? 2u : 0u);
	r[1] = a->entries;
	r[2] = a->asid_bits;
	r[3] = 3u; /* 4 KiB and 2 MiB pages */
}

void soft_atlb_refill_exc(struct soft_vcpu *v, const struct soft_fault *f, enum soft_access acc)
{
	uint32_t ec = 0;

	if (acc == SOFT_ACCESS_WRITE)
		ec |= SOFT_PFEC_W;
	if (v->cpl == 3)
		ec |= SOFT_PFEC_U;
	if (acc == SOFT_ACCESS_FETCH)
		ec |= SOFT_PFEC_ID;
	v->exc_vec = MV_ATLB_REFILL_VECTOR;
	v->exc_has_err = true;
	v->exc_err = ec;
	v->exc_cr2 = f->addr;
}

void soft_atlb_delivered(struct soft_vcpu *v, uint64_t addr)
{
	struct soft_atlb *a = &v->atlb;

	v->cr2 = addr;
	a->badvaddr = addr;
	a->entryhi = (addr & MV_ATLB_HI_VPN) | a->asid;
}

/* ---- the VMM's side ---- */

int soft_atlb_enable(struct engine_vcpu *vcpu)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	struct soft_atlb *a = &v->atlb;
	uint32_t entries, bits;

	soft_atlb_real_info(vcpu, &entries, &bits);
	if (!entries)
		return -ENODEV;
	memset(a, 0, sizeof(*a));
	a->present = true;
	a->entries = entries;
	a->asid_bits = bits > MV_ATLB_MAX_ASID_BITS ? MV_ATLB_MAX_ASID_BITS : bits;
	a->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)v->vm->vm_index << 32);
	return 0;
}

bool soft_atlb_present(struct engine_vcpu *vcpu)
{
	return soft_vcpu_of(vcpu)->atlb.present;
}

void soft_atlb_get_regs(struct engine_vcpu *vcpu, struct soft_atlb_regs *r)
{
	const struct soft_vcpu *v = soft_vcpu_of(vcpu);
	const struct soft_atlb *a = &v->atlb;

	*r = (struct soft_atlb_regs){
		.index = a->index, .entryhi = a->entryhi, .entrylo = a->entrylo,
		.wired = a->wired, .badvaddr = a->badvaddr, .asid = a->asid,
		.asid_bits = a->asid_bits, .entries = a->entries,
		.walks_off = v->mregs.arch_tlb,
	};
}

int soft_atlb_set_regs(struct engine_vcpu *vcpu, const struct soft_atlb_regs *r)
{
	struct soft_atlb *a = &soft_vcpu_of(vcpu)->atlb;

	if (r->asid_bits > MV_ATLB_MAX_ASID_BITS || !r->entries)
		return -EINVAL;
	a->index = r->index;
	a->entryhi = r->entryhi;
	a->entrylo = r->entrylo;
	a->wired = r->wired;
	a->badvaddr = r->badvaddr;
	a->asid = r->asid;
	a->asid_bits = r->asid_bits;
	a->entries = r->entries;
	return 0;
}

void soft_atlb_set_real_asid(struct engine_vcpu *vcpu, uint32_t asid)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);

	v->mregs.arch_asid = asid;
	if (v->m->loaded == v)
		soft_update_mmu(v);
	v->fetch_vpage = SOFT_NEVER;
}

int soft_atlb_real_write(struct engine_vcpu *vcpu, uint32_t index, uint64_t hi, uint64_t lo)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	struct soft_mmu *mmu = mmu_of(v);
	struct soft_arch_entry e;

	if ((lo & ~MV_ATLB_LO_VALID_BITS) ||
	    !decode(hi, lo, lo & MV_ATLB_LO_PFN, UINT32_MAX, &e))
		return -EINVAL;
	v->fetch_vpage = SOFT_NEVER;
	return soft_mmu_arch_write(mmu, index, &e);
}

int soft_atlb_real_write_free(struct engine_vcpu *vcpu, uint64_t hi, uint64_t lo, uint32_t first,
			      uint32_t *index)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);
	struct soft_arch_entry e;
	unsigned i;
	int rc;

	if ((lo & ~MV_ATLB_LO_VALID_BITS) || !decode(hi, lo, lo & MV_ATLB_LO_PFN, UINT32_MAX, &e))
		return -EINVAL;
	v->fetch_vpage = SOFT_NEVER;
	rc = soft_mmu_arch_write_free(mmu_of(v), &e, first, &i);
	if (!rc)
		*index = i;
	return rc;
}

void soft_atlb_set_vm_asid(struct engine_vcpu *vcpu, bool on, uint32_t asid)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);

	v->mregs.arch_vm_asid_on = on;
	v->mregs.arch_vm_asid = asid;
	if (v->m->loaded == v)
		soft_update_mmu(v);
	v->fetch_vpage = SOFT_NEVER;
}

int soft_atlb_real_read(struct engine_vcpu *vcpu, uint32_t index, uint64_t *hi, uint64_t *lo)
{
	struct soft_arch_entry e;
	int rc = soft_mmu_arch_read(mmu_of(soft_vcpu_of(vcpu)), index, &e);

	if (rc)
		return rc;
	encode(&e, e.hpa, hi, lo);
	return 0;
}

int soft_atlb_real_probe(struct engine_vcpu *vcpu, uint64_t hi)
{
	return soft_mmu_arch_probe(mmu_of(soft_vcpu_of(vcpu)), hi & MV_ATLB_HI_VPN,
				   (uint32_t)(hi & MV_ATLB_HI_ASID));
}

void soft_atlb_real_flush(struct engine_vcpu *vcpu, bool all, uint32_t asid)
{
	struct soft_vcpu *v = soft_vcpu_of(vcpu);

	if (all)
		soft_mmu_arch_flush_all(mmu_of(v));
	else
		soft_mmu_arch_flush_asid(mmu_of(v), asid);
	v->fetch_vpage = SOFT_NEVER;
}

void soft_atlb_real_info(struct engine_vcpu *vcpu, uint32_t *entries, uint32_t *asid_bits)
{
	const struct soft_mmu *mmu = mmu_of(soft_vcpu_of(vcpu));

	*entries = mmu->cfg.arch_entries;
	*asid_bits = mmu->cfg.asid_bits;
}
