/*
 * softtlb/vtlb.c — the virtual TLB and the command emulator (vtlb.h).
 * Semantics are the machine's (vcpu/soft/archtlb.c, docs/arch-tlb.md);
 * tests/softtlb checks that both give the guest the same answers.
 */
#include "softtlb/vtlb.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GP_VECTOR 13

uint64_t softtlb_stream(uint32_t vm, uint32_t purpose)
{
	uint64_t z = 0x5eed000000000000ull ^ ((uint64_t)purpose << 32) ^ vm;

	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 0x9e3779b97f4a7c15ull;
}

static const struct {
	const char *suffix;
	size_t offset;
} emul_stats[] = {
	{"commands", offsetof(struct softtlb_emul_stats, commands)},
	{"guest_writes", offsetof(struct softtlb_emul_stats, writes)},
	{"guest_probes", offsetof(struct softtlb_emul_stats, probes)},
	{"guest_reads", offsetof(struct softtlb_emul_stats, reads)},
	{"guest_flushes", offsetof(struct softtlb_emul_stats, flushes)},
	{"asid_writes", offsetof(struct softtlb_emul_stats, asid_writes)},
	{"gp_injected", offsetof(struct softtlb_emul_stats, gp)},
};

void softtlb_emul_stats_report(const char *prefix, const struct softtlb_emul_stats *st,
			       engine_stat_fn fn, void *ctx)
{
	for (size_t i = 0; i < sizeof(emul_stats) / sizeof(emul_stats[0]); i++) {
		char name[64];
		uint64_t v;

		snprintf(name, sizeof(name), "%s_%s", prefix, emul_stats[i].suffix);
		memcpy(&v, (const char *)st + emul_stats[i].offset, sizeof(v));
		fn(ctx, name, v);
	}
}

int softtlb_vtlb_init(struct softtlb_vtlb *t, uint32_t entries, uint64_t stream)
{
	t->entries = entries;
	t->hi = calloc(entries, sizeof(*t->hi));
	t->lo = calloc(entries, sizeof(*t->lo));
	t->rng = stream;
	if (!t->hi || !t->lo) {
		softtlb_vtlb_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void softtlb_vtlb_fini(struct softtlb_vtlb *t)
{
	free(t->hi);
	free(t->lo);
	t->hi = t->lo = NULL;
	t->entries = 0;
}

uint32_t softtlb_vtlb_valid(const struct softtlb_vtlb *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->entries; i++)
		n += t->lo[i] != 0;
	return n;
}

static bool matches(uint64_t hi, uint64_t lo, uint64_t va, uint32_t asid)
{
	return lo && ((lo & MV_ATLB_LO_G) || (hi & MV_ATLB_HI_ASID) == asid) &&
	       (va & ~(mv_atlb_page_bytes(lo) - 1)) == (hi & MV_ATLB_HI_VPN);
}

int softtlb_vtlb_find(const struct softtlb_vtlb *t, uint64_t va, uint32_t asid)
{
	for (uint32_t i = 0; i < t->entries; i++)
		if (matches(t->hi[i], t->lo[i], va, asid))
			return (int)i;
	return -1;
}

int softtlb_real_lo(const struct mv_hw *hw, struct mv_vm *vm, uint64_t lo, uint64_t *real_lo)
{
	uint64_t gpa = lo & MV_ATLB_LO_PFN, bytes = mv_atlb_page_bytes(lo), hpa, hpa_end;

	if (hw->gpa_to_hpa(vm, gpa, &hpa) || hw->gpa_to_hpa(vm, gpa + bytes - 1, &hpa_end) ||
	    hpa_end != hpa + bytes - 1)
		return -EFAULT;
	*real_lo = (lo & ~MV_ATLB_LO_PFN) | hpa;
	return 0;
}

static uint64_t rng_next(struct softtlb_vtlb *t)
{
	uint64_t x = t->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	return x;
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* A guest entry the machine accepts: page-aligned both sides, inside the
 * VM's RAM.  Invalid entries are always accepted. */
static bool entry_ok(const struct mv_hw *hw, struct mv_vm *vm, uint64_t hi, uint64_t lo)
{
	uint64_t bytes = mv_atlb_page_bytes(lo), real;

	if (!(lo & MV_ATLB_LO_V))
		return true;
	return canonical(hi & MV_ATLB_HI_VPN) && !((hi & MV_ATLB_HI_VPN) & (bytes - 1)) &&
	       !((lo & MV_ATLB_LO_PFN) & (bytes - 1)) && softtlb_real_lo(hw, vm, lo, &real) == 0;
}

static int write_entry(const struct mv_hw *hw, struct mv_vm *vm, struct softtlb_vtlb *t,
		       uint32_t idx, const struct mv_atlb_regs *r, const struct softtlb_real *real,
		       void *ctx, struct softtlb_emul_stats *st)
{
	uint64_t old_hi = t->hi[idx], old_lo = t->lo[idx];
	uint64_t lo = (r->entrylo & MV_ATLB_LO_V) ? r->entrylo : 0;
	struct mv_event ev = {.type = MV_EV_GUEST_TLB_WRITE, .gva = r->entryhi & MV_ATLB_HI_VPN,
			      .gpa = lo & MV_ATLB_LO_PFN,
			      .asid = (uint32_t)(r->entryhi & MV_ATLB_HI_ASID), .detail = idx};

	t->hi[idx] = r->entryhi;
	t->lo[idx] = lo;
	st->writes++;
	hw->post(vm, &ev);
	return real->entry(ctx, vm, idx, old_hi, old_lo);
}

int softtlb_emulate(const struct mv_hw *hw, struct mv_vm *vm, struct softtlb_vtlb *t,
		    const struct engine_exit *ex, const struct softtlb_real *real, void *ctx,
		    struct softtlb_emul_stats *st)
{
	uint64_t msr = ex->intercept.info1, val = ex->intercept.info2;
	struct mv_atlb_regs r;
	uint32_t amask, idx, wired;
	int rc, i;

	rc = hw->atlb_get_regs(vm, &r);
	if (rc)
		return rc;
	amask = (UINT32_C(1) << r.asid_bits) - 1;
	if (msr == MV_ATLB_MSR_ASID) {
		if (val & ~(uint64_t)amask)
			goto gp;
		st->asid_writes++;
		r.asid = (uint32_t)val;
		rc = hw->atlb_set_regs(vm, &r);
		rc = rc ? rc : real->set_asid(ctx, vm, r.asid);
		goto done;
	}
	if (msr != MV_ATLB_MSR_COMMAND)
		return MV_EXIT_NOT_MINE;
	st->commands++;
	idx = (uint32_t)(r.index & ~MV_ATLB_INDEX_P);
	wired = (uint32_t)r.wired;
	switch (val) {
	case MV_ATLB_CMD_WRITE_INDEXED:
		if (idx >= t->entries || !entry_ok(hw, vm, r.entryhi, r.entrylo))
			goto gp;
		rc = write_entry(hw, vm, t, idx, &r, real, ctx, st);
		break;
	case MV_ATLB_CMD_WRITE_RANDOM:
		if (wired >= t->entries || !entry_ok(hw, vm, r.entryhi, r.entrylo))
			goto gp;
		idx = wired + (uint32_t)(rng_next(t) % (t->entries - wired));
		r.index = idx;
		rc = hw->atlb_set_regs(vm, &r);
		rc = rc ? rc : write_entry(hw, vm, t, idx, &r, real, ctx, st);
		break;
	case MV_ATLB_CMD_PROBE:
		st->probes++;
		i = softtlb_vtlb_find(t, r.entryhi & MV_ATLB_HI_VPN,
				      (uint32_t)(r.entryhi & MV_ATLB_HI_ASID) & amask);
		r.index = i < 0 ? MV_ATLB_INDEX_P : (uint64_t)i;
		rc = hw->atlb_set_regs(vm, &r);
		break;
	case MV_ATLB_CMD_READ:
		if (idx >= t->entries)
			goto gp;
		st->reads++;
		r.entryhi = t->hi[idx];
		r.entrylo = t->lo[idx];
		if (!r.entrylo)
			r.entryhi &= MV_ATLB_HI_VPN | MV_ATLB_HI_ASID;
		rc = hw->atlb_set_regs(vm, &r);
		break;
	case MV_ATLB_CMD_FLUSH_ASID: {
		uint32_t gasid = (uint32_t)(r.entryhi & MV_ATLB_HI_ASID) & amask;

		st->flushes++;
		for (uint32_t k = 0; k < t->entries; k++)
			if (t->lo[k] && !(t->lo[k] & MV_ATLB_LO_G) &&
			    (t->hi[k] & MV_ATLB_HI_ASID) == gasid)
				t->lo[k] = 0;
		rc = real->flush_asid(ctx, vm, gasid);
		break;
	}
	case MV_ATLB_CMD_FLUSH_ALL:
		st->flushes++;
		for (uint32_t k = wired; k < t->entries; k++)
			t->lo[k] = 0;
		rc = real->flush_all(ctx, vm, wired);
		break;
	default:
		goto gp;
	}
done:
	if (rc)
		return rc;
	rc = hw->skip_instruction(vm, ex->intercept.insn_len);
	return rc ? rc : MV_EXIT_HANDLED;
gp:
	st->gp++;
	rc = hw->inject_exception(vm, GP_VECTOR, 0, 0);
	return rc ? rc : MV_EXIT_HANDLED;
}
