/*
 * vcpu/soft/mmu.c — the soft engine's MMU and TLB model (see mmu.h for
 * the contract, mmu_internal.h for the TLB organisation).
 *
 * This file: the --tlb configuration, the MMU handle, the slow path of a
 * translation (L1 miss -> L2 -> walk -> fill), flushes, the architected-TLB
 * machine's software-managed entries, and the named counters.  The walker
 * is in walk.c, the TLB arrays in tlb.c.
 *
 * Counting rules: every translate is one tlb_accesses; it is an L1 hit or
 * an L1 miss of the instruction or data TLB; an L1 miss is an L2 hit or
 * miss when there is an L2; a hit whose cached rights do not allow the
 * access (or a write to an entry whose D is clear) counts as a hit and a
 * tlb_rewalks, and walks.  walks counts hardware walks (a 2-D walk is one).
 */
#include "vcpu/soft/mmu.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memvirt/options.h"
#include "vcpu/soft/miss.h"
#include "vcpu/soft/tlb.h"
#include "vcpu/soft/walk.h"
#include "memvirt/pagetable.h"


static const char *const ctr_names[SOFT_CTR__COUNT] = {
	[SOFT_CTR_TLB_ACCESSES] = "tlb_accesses",
	[SOFT_CTR_L1I_HITS] = "tlb_l1i_hits",
	[SOFT_CTR_L1I_MISSES] = "tlb_l1i_misses",
	[SOFT_CTR_L1D_HITS] = "tlb_l1d_hits",
	[SOFT_CTR_L1D_MISSES] = "tlb_l1d_misses",
	[SOFT_CTR_L2_HITS] = "tlb_l2_hits",
	[SOFT_CTR_L2_MISSES] = "tlb_l2_misses",
	[SOFT_CTR_REWALKS] = "tlb_rewalks",
	[SOFT_CTR_WALKS] = "walks",
	[SOFT_CTR_WALK_REFS] = "walk_refs",
	[SOFT_CTR_WALK_REFS_GUEST] = "walk_refs_guest",
	[SOFT_CTR_WALK_REFS_NESTED] = "walk_refs_nested",
	[SOFT_CTR_PWC_HITS] = "pwc_hits",
	[SOFT_CTR_PWC_MISSES] = "pwc_misses",
	[SOFT_CTR_AD_WRITEBACKS] = "ad_writebacks",
	[SOFT_CTR_FAULT_PF] = "faults_pf",
	[SOFT_CTR_FAULT_NPF] = "faults_npf",
	[SOFT_CTR_FAULT_REFILL] = "faults_refill",
	[SOFT_CTR_FAULT_PHYS] = "faults_phys",
	[SOFT_CTR_FLUSH_CR3] = "tlb_flush_cr3",
	[SOFT_CTR_FLUSH_INVLPG] = "tlb_flush_invlpg",
	[SOFT_CTR_FLUSH_PCID] = "tlb_flush_pcid",
	[SOFT_CTR_FLUSH_GLOBAL] = "tlb_flush_global",
	[SOFT_CTR_FLUSH_VMM] = "tlb_flush_vmm",
	[SOFT_CTR_ENTRIES_FLUSHED] = "tlb_entries_flushed",
	[SOFT_CTR_PWC_ENTRIES_FLUSHED] = "pwc_entries_flushed",
	[SOFT_CTR_UNPAGED] = "unpaged_accesses",
	[SOFT_CTR_ARCH_HITS] = "arch_tlb_hits",
	[SOFT_CTR_ARCH_MISSES] = "arch_tlb_misses",
	[SOFT_CTR_ARCH_WRITES] = "arch_tlb_writes",
	[SOFT_CTR_ARCH_FLUSHES] = "arch_tlb_flushes",
};
_Static_assert(sizeof(ctr_names) / sizeof(ctr_names[0]) == SOFT_CTR__COUNT,
	       "one name per counter");
_Static_assert(SOFT_CTR_FLUSH_CR3 + SOFT_FLUSH_INVLPG == SOFT_CTR_FLUSH_INVLPG &&
		       SOFT_CTR_FLUSH_CR3 + SOFT_FLUSH_VMM == SOFT_CTR_FLUSH_VMM &&
		       SOFT_FLUSH__COUNT == 5,
	       "flush counters follow enum soft_flush_cause");

/* ---- configuration ---------------------------------------------------- */

/* The --tlb keys, in canonical order; the defaults are soft_mmu_config_default's. */
static const char *const repl_names[] = {"lru", "random", NULL};
static const struct mv_option tlb_options[] = {
	{.name = "l1", .type = MV_OPT_PAIR, .min = 1, .max = 1u << 20, .min2 = 1, .max2 = 64,
	 .def = "64:4", .metavar = "ENTRIES:WAYS", .help = "entries:ways of each L1 TLB (instruction and data)"},
	{.name = "l2", .type = MV_OPT_PAIR, .min = 1, .max = 1u << 20, .min2 = 1, .max2 = 64,
	 .zero_ok = true, .def = "1024:8", .metavar = "ENTRIES:WAYS", .help = "entries:ways of the unified L2 TLB, 0 for none"},
	{.name = "repl", .type = MV_OPT_CHOICE, .choices = repl_names, .def = "lru",
	 .help = "replacement within a set"},
	{.name = "pwc", .type = MV_OPT_UINT, .min = 0, .max = 4096, .def = "16",
	 .help = "page-walk cache entries, 0 for none"},
	{.name = "asid-bits", .type = MV_OPT_UINT, .min = 0, .max = 32, .def = "12",
	 .help = "PCID/ASID tag bits kept in entries, 0 for untagged"},
	{.name = "seed", .type = MV_OPT_UINT, .min = 0, .max = UINT64_MAX, .def = "1", .metavar = "SEED",
	 .help = "seed of random replacement"},
	{.name = "arch", .type = MV_OPT_UINT, .min = 0, .max = 65536, .def = "64",
	 .help = "entries of the architected TLB (--machine archtlb; 0: none)"},
};
enum { TLB_L1, TLB_L2, TLB_REPL, TLB_PWC, TLB_ASID_BITS, TLB_SEED, TLB_ARCH, TLB__COUNT };
_Static_assert(sizeof(tlb_options) / sizeof(tlb_options[0]) == TLB__COUNT, "one entry per key");

const struct mv_option *soft_mmu_config_options(size_t *count)
{
	*count = TLB__COUNT;
	return tlb_options;
}

void soft_mmu_config_default(struct soft_mmu_config *cfg)
{
	*cfg = (struct soft_mmu_config){
		.l1_entries = 64,
		.l1_ways = 4,
		.repl = SOFT_TLB_LRU,
		.l2_entries = 1024,
		.l2_ways = 8,
		.pwc_entries = 16,
		.asid_bits = 12,
		.seed = 1,
		.arch_entries = 64,
	};
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static void config_to_values(const struct soft_mmu_config *c, struct mv_opt_value *v)
{
	memset(v, 0, TLB__COUNT * sizeof(*v));
	v[TLB_L1].u = c->l1_entries;
	v[TLB_L1].u2 = c->l1_ways;
	v[TLB_L2].u = c->l2_entries;
	v[TLB_L2].u2 = c->l2_entries ? c->l2_ways : 0;
	v[TLB_REPL].u = (uint64_t)c->repl;
	v[TLB_PWC].u = c->pwc_entries;
	v[TLB_ASID_BITS].u = c->asid_bits;
	v[TLB_SEED].u = c->seed;
	v[TLB_ARCH].u = c->arch_entries;
}

/* Sets must be a power of two for the set index; the table bounds the rest. */
static int check_geometry(const char *key, uint64_t entries, uint64_t ways, char *err, size_t err_len)
{
	if (!entries)
		return 0;
	if (!is_pow2(ways) || entries % ways || !is_pow2(entries / ways)) {
		snprintf(err, err_len,
			 "--tlb: %s=%" PRIu64 ":%" PRIu64 ": WAYS and the number of sets (ENTRIES / WAYS) must each be a power of two",
			 key, entries, ways);
		return -EINVAL;
	}
	return 0;
}

int soft_mmu_config_parse(const char *text, struct soft_mmu_config *cfg, char *err,
			  size_t err_len)
{
	struct mv_opt_value v[TLB__COUNT];
	struct soft_mmu_config c = *cfg;
	int rc;

	if (err_len)
		err[0] = 0;
	if (!text || !*text) {
		snprintf(err, err_len, "--tlb: empty text (give KEY=VALUE items, e.g. l1=64:4)");
		return -EINVAL;
	}
	config_to_values(cfg, v);
	rc = mv_options_parse(tlb_options, TLB__COUNT, text, v, "--tlb", err, err_len);
	if (rc)
		return rc;
	rc = check_geometry("l1", v[TLB_L1].u, v[TLB_L1].u2, err, err_len);
	if (!rc)
		rc = check_geometry("l2", v[TLB_L2].u, v[TLB_L2].u2, err, err_len);
	if (rc)
		return rc;
	c.l1_entries = (unsigned)v[TLB_L1].u;
	c.l1_ways = (unsigned)v[TLB_L1].u2;
	c.l2_entries = (unsigned)v[TLB_L2].u;
	if (c.l2_entries)
		c.l2_ways = (unsigned)v[TLB_L2].u2;
	c.repl = (enum soft_tlb_repl)v[TLB_REPL].u;
	c.pwc_entries = (unsigned)v[TLB_PWC].u;
	c.asid_bits = (unsigned)v[TLB_ASID_BITS].u;
	c.seed = v[TLB_SEED].u;
	c.arch_entries = (unsigned)v[TLB_ARCH].u;
	*cfg = c;
	return 0;
}

size_t soft_mmu_config_format(const struct soft_mmu_config *cfg, char *buf, size_t len)
{
	struct mv_opt_value v[TLB__COUNT];

	config_to_values(cfg, v);
	return mv_options_format(tlb_options, TLB__COUNT, v, buf, len);
}

static bool config_valid(const struct soft_mmu_config *c)
{
	if (c->l1_entries == 0 || !is_pow2(c->l1_ways) || c->l1_ways > 64 ||
	    c->l1_entries % c->l1_ways || !is_pow2(c->l1_entries / c->l1_ways))
		return false;
	if (c->l2_entries && (!is_pow2(c->l2_ways) || c->l2_ways > 64 || c->l2_entries % c->l2_ways ||
			      !is_pow2(c->l2_entries / c->l2_ways)))
		return false;
	return c->asid_bits <= 32 && c->repl <= SOFT_TLB_RANDOM && c->pwc_entries <= 4096 &&
	       c->arch_entries <= 65536;
}

/* ---- handle ----------------------------------------------------------- */

int soft_mmu_create(const struct soft_mmu_config *cfg, uint8_t *mem, uint64_t mem_size,
		    struct soft_mmu **out)
{
	struct soft_mmu *mmu;
	int rc;

	*out = NULL;
	if (!config_valid(cfg) || (!mem && mem_size))
		return -EINVAL;
	mmu = calloc(1, sizeof(*mmu));
	if (!mmu)
		return -ENOMEM;
	mmu->cfg = *cfg;
	mmu->mem = mem;
	mmu->mem_size = mem_size;
	mmu->rng = cfg->seed ? cfg->seed : UINT64_C(0x9E3779B97F4A7C15);
	rc = soft_tlb_init(&mmu->itlb, cfg->l1_entries, cfg->l1_ways);
	if (rc)
		goto err;
	rc = soft_tlb_init(&mmu->dtlb, cfg->l1_entries, cfg->l1_ways);
	if (rc)
		goto err;
	rc = soft_tlb_init(&mmu->l2, cfg->l2_entries, cfg->l2_ways);
	if (rc)
		goto err;
	rc = -ENOMEM;
	if (cfg->pwc_entries && (!(mmu->pwc = calloc(cfg->pwc_entries, sizeof(*mmu->pwc))) ||
				 !(mmu->pwc_key = calloc(cfg->pwc_entries, sizeof(*mmu->pwc_key))) ||
				 !(mmu->pwc_stamp = calloc(cfg->pwc_entries, sizeof(*mmu->pwc_stamp))) ||
				 soft_pwc_index_init(mmu)))
		goto err;
	if (cfg->arch_entries && !(mmu->arch = calloc(cfg->arch_entries, sizeof(*mmu->arch))))
		goto err;
	/* Paging off, no VM memory until the CPU installs its state. */
	soft_mmu_set_regs(mmu, &(struct soft_mmu_regs){ 0 });
	*out = mmu;
	return 0;
err:
	soft_mmu_destroy(mmu);
	return rc;
}

void soft_mmu_destroy(struct soft_mmu *mmu)
{
	if (!mmu)
		return;
	soft_tlb_free(&mmu->itlb);
	soft_tlb_free(&mmu->dtlb);
	soft_tlb_free(&mmu->l2);
	free(mmu->pwc);
	free(mmu->pwc_key);
	free(mmu->pwc_stamp);
	free(mmu->pwc_head);
	free(mmu->pwc_next);
	free(mmu->pwc_older);
	free(mmu->pwc_newer);
	free(mmu->pwc_free);
	free(mmu->arch);
	free(mmu);
}

void soft_mmu_set_regs(struct soft_mmu *mmu, const struct soft_mmu_regs *regs)
{
	const struct soft_mmu_regs *r = &mmu->regs;
	bool paging;

	mmu->regs = *regs;
	mmu->dtlb.gen++;
	mmu->tag_mask = mmu->cfg.asid_bits >= 32 ? UINT32_MAX
						 : (UINT32_C(1) << mmu->cfg.asid_bits) - 1;
	mmu->cur_pcid = (!r->arch_tlb && (r->cr4 & MV_CR4_PCIDE))
				? (uint16_t)((r->cr3 & 0xfff) & mmu->tag_mask)
				: 0;
	mmu->cur_asid = (r->arch_tlb ? r->arch_asid : r->vm_asid) & mmu->tag_mask;
	mmu->vm_asid_on = r->arch_tlb && r->arch_vm_asid_on;
	mmu->vm_asid_seen |= mmu->vm_asid_on;
	mmu->cur_vm_asid = r->arch_vm_asid & mmu->tag_mask;
	mmu->gpa_limit = r->phys_base <= mmu->mem_size ? mmu->mem_size - r->phys_base : 0;
	if (r->phys_limit < mmu->gpa_limit)
		mmu->gpa_limit = r->phys_limit;

	/* What a hit must have; see the SOFT_TLBF_* meanings. */
	paging = r->arch_tlb || (r->cr0 & MV_CR0_PG);
	for (unsigned user = 0; user < 2; user++) {
		uint16_t u = user ? SOFT_TLBF_U : 0;
		uint16_t w = (user || (r->cr0 & MV_CR0_WP) || r->arch_tlb) ? SOFT_TLBF_W : 0;
		mmu->need[SOFT_ACCESS_READ][user] = u;
		mmu->need[SOFT_ACCESS_WRITE][user] = u | w | SOFT_TLBF_D | SOFT_TLBF_NW;
		mmu->need[SOFT_ACCESS_FETCH][user] = u | SOFT_TLBF_X;
		if (!paging)
			for (unsigned a = 0; a < 3; a++)
				mmu->need[a][user] = SOFT_TLBF_NEVER;
	}
}

const struct soft_mmu_regs *soft_mmu_regs(const struct soft_mmu *mmu)
{
	return &mmu->regs;
}

/* ---- translation slow path --------------------------------------------- */

static bool count_fault(struct soft_mmu *mmu, const struct soft_fault *f)
{
	static const enum soft_mmu_ctr which[] = {
		[SOFT_FAULT_PF] = SOFT_CTR_FAULT_PF,
		[SOFT_FAULT_NPF] = SOFT_CTR_FAULT_NPF,
		[SOFT_FAULT_REFILL] = SOFT_CTR_FAULT_REFILL,
		[SOFT_FAULT_PHYS] = SOFT_CTR_FAULT_PHYS,
	};
	if (f->kind > SOFT_FAULT_NONE && f->kind <= SOFT_FAULT_PHYS)
		mmu->ctr[which[f->kind]]++;
	return false;
}

static uint64_t page_bytes(unsigned size)
{
	return UINT64_C(1) << SOFT_PAGE_SHIFT(size);
}

/* Paging off: va is a GPA, not cached. */
static bool translate_unpaged(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
			      bool commit, uint64_t *hpa, struct soft_fault *f)
{
	if (commit)
		mmu->ctr[SOFT_CTR_UNPAGED]++;
	if (mmu->regs.npt) {
		struct soft_walk_result nr;
		if (!soft_walk_nested(mmu, va, acc, false, va, commit, &nr, f))
			return false;
		*hpa = nr.out;
		return true;
	}
	if (!soft_walk_reloc(mmu, va, 1, hpa)) {
		*f = (struct soft_fault){ .kind = SOFT_FAULT_PHYS, .addr = va, .gva = va };
		return false;
	}
	return true;
}

static void drop_page(struct soft_mmu *mmu, uint64_t va)
{
	soft_tlb_invalidate_page(&mmu->itlb, va, mmu->cur_asid, mmu->cur_pcid);
	soft_tlb_invalidate_page(&mmu->dtlb, va, mmu->cur_asid, mmu->cur_pcid);
	soft_tlb_invalidate_page(&mmu->l2, va, mmu->cur_asid, mmu->cur_pcid);
}

static const struct soft_arch_entry *arch_find(const struct soft_mmu *mmu, uint64_t va,
					       uint32_t asid, unsigned *index)
{
	for (unsigned i = 0; i < mmu->cfg.arch_entries; i++) {
		const struct soft_arch_entry *a = &mmu->arch[i];
		if (a->valid && (a->global || a->asid == asid) &&
		    (va & ~(page_bytes(a->size) - 1)) == a->va) {
			*index = i;
			return a;
		}
	}
	return NULL;
}

/* A translation's lookup: the current ASID, or the running VM's second
 * ASID when a VMM set one (arch_vm_asid). */
static const struct soft_arch_entry *arch_find_current(const struct soft_mmu *mmu, uint64_t va,
						       unsigned *index)
{
	if (!mmu->vm_asid_on)
		return arch_find(mmu, va, mmu->cur_asid, index);
	for (unsigned i = 0; i < mmu->cfg.arch_entries; i++) {
		const struct soft_arch_entry *a = &mmu->arch[i];
		if (a->valid && (a->global || a->asid == mmu->cur_asid || a->asid == mmu->cur_vm_asid) &&
		    (va & ~(page_bytes(a->size) - 1)) == a->va) {
			*index = i;
			return a;
		}
	}
	return NULL;
}

/* The tag an L1 entry derived from arch entry a carries: its ASID, or the
 * current one for an entry that matches every address space (global, or
 * of the VM's second ASID). */
static uint32_t arch_l1_asid(const struct soft_mmu *mmu, const struct soft_arch_entry *a)
{
	return a->global || (mmu->vm_asid_on && a->asid == mmu->cur_vm_asid) ? mmu->cur_asid : a->asid;
}

static uint16_t arch_flags(const struct soft_arch_entry *a)
{
	return (uint16_t)(SOFT_TLBF_D | SOFT_TLBF_NW | (a->writable ? SOFT_TLBF_W : 0) |
			  (a->user ? SOFT_TLBF_U : 0) | (a->exec ? SOFT_TLBF_X : 0) |
			  (a->global ? SOFT_TLBF_G : 0));
}

static bool arch_protection_fault(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
				  bool user, struct soft_fault *f)
{
	uint32_t ec = SOFT_PFEC_P;

	if (acc == SOFT_ACCESS_WRITE)
		ec |= SOFT_PFEC_W;
	if (user)
		ec |= SOFT_PFEC_U;
	if (acc == SOFT_ACCESS_FETCH)
		ec |= SOFT_PFEC_ID;
	*f = (struct soft_fault){ .kind = SOFT_FAULT_PF, .error_code = ec, .addr = va, .gva = va };
	return count_fault(mmu, f);
}

/* Architected-TLB machine after an L1 miss (or an L1 hit without the
 * rights): the software-managed entries, never a walk. */
static bool translate_arch(struct soft_mmu *mmu, struct soft_tlb *l1, uint64_t va,
			   enum soft_access acc, bool user, uint64_t *hpa, struct soft_fault *f)
{
	unsigned idx;
	const struct soft_arch_entry *a = arch_find_current(mmu, va, &idx);
	uint16_t need = mmu->need[acc][user];

	if (!a) {
		mmu->ctr[SOFT_CTR_ARCH_MISSES]++;
		*f = (struct soft_fault){ .kind = SOFT_FAULT_REFILL, .addr = va, .gva = va };
		return count_fault(mmu, f);
	}
	mmu->ctr[SOFT_CTR_ARCH_HITS]++;
	if ((arch_flags(a) & need) != need)
		return arch_protection_fault(mmu, va, acc, user, f);
	soft_tlb_insert(l1, mmu, va, a->size, a->hpa, arch_l1_asid(mmu, a), mmu->cur_pcid, arch_flags(a));
	*hpa = a->hpa + (va & (page_bytes(a->size) - 1));
	return true;
}

bool soft_mmu_translate_slow(struct soft_mmu *mmu, uint64_t va, enum soft_access acc,
			     bool user, uint64_t *hpa, struct soft_fault *fault)
{
	const bool fetch = acc == SOFT_ACCESS_FETCH;
	struct soft_tlb *l1 = fetch ? &mmu->itlb : &mmu->dtlb;
	uint16_t need = mmu->need[acc][user];
	struct soft_tlb_entry *e;
	unsigned size;
	uint64_t page;
	uint16_t flags;

	*fault = (struct soft_fault){ 0 };
	if ((mmu->regs.cr0 & MV_CR0_PG) && !mmu->no_miss_fast &&
	    soft_miss_fast(mmu, va, acc, user, hpa))
		return true;
	mmu->ctr[SOFT_CTR_TLB_ACCESSES]++;
	if (!mmu->regs.arch_tlb && !(mmu->regs.cr0 & MV_CR0_PG)) {
		if (!translate_unpaged(mmu, va, acc, true, hpa, fault))
			return count_fault(mmu, fault);
		return true;
	}

	/* Where the fills after a miss go, chosen by the lookups' own scans
	 * of the sets; NULL: soft_tlb_insert() chooses. */
	struct soft_tlb_entry *l1_fill, *l2_fill = NULL;
	e = soft_tlb_find_fill(l1, mmu, va, &l1_fill);
	if (e) {
		mmu->ctr[fetch ? SOFT_CTR_L1I_HITS : SOFT_CTR_L1D_HITS]++;
		if ((e->flags & need) == need) {
			e->stamp = ++l1->clock;
			*hpa = va + e->addend;
			return true;
		}
		if (mmu->regs.arch_tlb)
			return arch_protection_fault(mmu, va, acc, user, fault);
		mmu->ctr[SOFT_CTR_REWALKS]++;
		drop_page(mmu, va);
		l1_fill = NULL;
		goto walk;
	}
	mmu->ctr[fetch ? SOFT_CTR_L1I_MISSES : SOFT_CTR_L1D_MISSES]++;
	if (mmu->regs.arch_tlb)
		return translate_arch(mmu, l1, va, acc, user, hpa, fault);

	if (mmu->l2.e) {
		e = soft_tlb_find_fill(&mmu->l2, mmu, va, &l2_fill);
		if (e) {
			mmu->ctr[SOFT_CTR_L2_HITS]++;
			if ((e->flags & need) == need) {
				unsigned s = (unsigned)(e->key >> 1) & 3;
				uint64_t base = (e->key & ~UINT64_C(0xfff)) + e->addend;
				e->stamp = ++mmu->l2.clock;
				/* A global entry of another PCID is filled with its
				 * own tags: soft_tlb_insert() looks for that entry. */
				if (l1_fill && s == SOFT_PAGE_4K && e->pcid == mmu->cur_pcid)
					soft_mmu_note_fill(mmu, l1, soft_tlb_fill_at(l1, l1_fill, va, base, e->asid,
										    e->pcid, e->flags));
				else
					soft_tlb_insert(l1, mmu, va, s, base, e->asid, e->pcid, e->flags);
				*hpa = va + e->addend;
				return true;
			}
			mmu->ctr[SOFT_CTR_REWALKS]++;
			drop_page(mmu, va);
			l1_fill = l2_fill = NULL;
		} else {
			mmu->ctr[SOFT_CTR_L2_MISSES]++;
		}
	}

walk:
	mmu->ctr[SOFT_CTR_WALKS]++;
	if (!soft_walk_full(mmu, va, acc, user, true, hpa, &size, &page, &flags, fault)) {
		/* SDM 4.10.4.2: a #PF invalidates the TLB entries for the page. */
		if (fault->kind == SOFT_FAULT_PF)
			drop_page(mmu, va);
		return count_fault(mmu, fault);
	}
	/* The access itself comes next: after a walk it is usually a host
	 * cache miss too, which the fills below can overlap. */
	if (*hpa < mmu->mem_size)
		__builtin_prefetch(mmu->mem + *hpa);
	/* The containment invariant: no entry spans memory outside the
	 * machine (nor, without nested paging, outside the VM). */
	assert(page < mmu->mem_size && page_bytes(size) <= mmu->mem_size - page);
	assert(mmu->regs.npt || (page >= mmu->regs.phys_base &&
				 page - mmu->regs.phys_base + page_bytes(size) <= mmu->gpa_limit));
	if (l1_fill && size == SOFT_PAGE_4K)
		soft_mmu_note_fill(mmu, l1, soft_tlb_fill_at(l1, l1_fill, va, page, mmu->cur_asid,
							      mmu->cur_pcid, flags));
	else
		soft_tlb_insert(l1, mmu, va, size, page, mmu->cur_asid, mmu->cur_pcid, flags);
	if (l2_fill && size == SOFT_PAGE_4K)
		soft_tlb_fill_at(&mmu->l2, l2_fill, va, page, mmu->cur_asid, mmu->cur_pcid, flags);
	else if (mmu->l2.e)
		soft_tlb_insert(&mmu->l2, mmu, va, size, page, mmu->cur_asid, mmu->cur_pcid, flags);
	return true;
}

bool soft_mmu_probe(struct soft_mmu *mmu, uint64_t va, enum soft_access acc, bool user,
		    uint64_t *hpa, struct soft_fault *fault)
{
	unsigned size, idx;
	uint64_t page;
	uint16_t flags;

	*fault = (struct soft_fault){ 0 };
	if (mmu->regs.arch_tlb) {
		const struct soft_arch_entry *a = arch_find_current(mmu, va, &idx);
		uint16_t need = mmu->need[acc][user];
		if (!a) {
			*fault = (struct soft_fault){ .kind = SOFT_FAULT_REFILL, .addr = va, .gva = va };
			return false;
		}
		if ((arch_flags(a) & need) != need) {
			*fault = (struct soft_fault){
				.kind = SOFT_FAULT_PF,
				.error_code = SOFT_PFEC_P | (acc == SOFT_ACCESS_WRITE ? SOFT_PFEC_W : 0) |
					      (user ? SOFT_PFEC_U : 0) |
					      (acc == SOFT_ACCESS_FETCH ? SOFT_PFEC_ID : 0),
				.addr = va,
				.gva = va,
			};
			return false;
		}
		*hpa = a->hpa + (va & (page_bytes(a->size) - 1));
		return true;
	}
	if (!(mmu->regs.cr0 & MV_CR0_PG))
		return translate_unpaged(mmu, va, acc, false, hpa, fault);
	return soft_walk_full(mmu, va, acc, user, false, hpa, &size, &page, &flags, fault);
}

/* ---- flushes ------------------------------------------------------------ */

static void flush(struct soft_mmu *mmu, const struct soft_tlb_filter *f,
		  enum soft_flush_cause cause)
{
	unsigned n = soft_tlb_flush(&mmu->itlb, f) + soft_tlb_flush(&mmu->dtlb, f) +
		     soft_tlb_flush(&mmu->l2, f);

	mmu->ctr[SOFT_CTR_ENTRIES_FLUSHED] += n;
	mmu->ctr[SOFT_CTR_PWC_ENTRIES_FLUSHED] += soft_pwc_flush(mmu, f);
	if ((unsigned)cause < SOFT_FLUSH__COUNT)
		mmu->ctr[SOFT_CTR_FLUSH_CR3 + cause]++;
}

void soft_mmu_invlpg(struct soft_mmu *mmu, uint64_t va)
{
	const struct soft_tlb_filter pwc = {
		.asid = mmu->cur_asid, .pcid = mmu->cur_pcid,
	};
	unsigned n = soft_tlb_invalidate_page(&mmu->itlb, va, mmu->cur_asid, mmu->cur_pcid) +
		     soft_tlb_invalidate_page(&mmu->dtlb, va, mmu->cur_asid, mmu->cur_pcid) +
		     soft_tlb_invalidate_page(&mmu->l2, va, mmu->cur_asid, mmu->cur_pcid);

	mmu->ctr[SOFT_CTR_ENTRIES_FLUSHED] += n;
	mmu->ctr[SOFT_CTR_PWC_ENTRIES_FLUSHED] += soft_pwc_flush(mmu, &pwc);
	mmu->ctr[SOFT_CTR_FLUSH_INVLPG]++;
}

void soft_mmu_flush_tag(struct soft_mmu *mmu, uint32_t tag, bool keep_global,
			enum soft_flush_cause cause)
{
	if (mmu->regs.npt)
		flush(mmu, &(struct soft_tlb_filter){ .asid = tag & mmu->tag_mask, .any_pcid = true,
						      .keep_global = keep_global },
		      cause);
	else
		soft_mmu_flush_pcid(mmu, tag, keep_global, cause);
}

void soft_mmu_flush_pcid(struct soft_mmu *mmu, uint32_t pcid, bool keep_global,
			 enum soft_flush_cause cause)
{
	flush(mmu, &(struct soft_tlb_filter){ .asid = mmu->cur_asid,
					      .pcid = (uint16_t)(pcid & 0xfff & mmu->tag_mask),
					      .keep_global = keep_global },
	      cause);
}

void soft_mmu_flush_asid(struct soft_mmu *mmu, uint32_t asid, enum soft_flush_cause cause)
{
	flush(mmu, &(struct soft_tlb_filter){ .asid = asid & mmu->tag_mask, .any_pcid = true },
	      cause);
}

void soft_mmu_flush_all(struct soft_mmu *mmu, bool keep_global, enum soft_flush_cause cause)
{
	flush(mmu, &(struct soft_tlb_filter){ .any_asid = true, .any_pcid = true,
					      .keep_global = keep_global },
	      cause);
}

/* ---- architected-TLB machine ------------------------------------------ */

/* Drop what the L1s derived from arch entry index: every L1 entry of
 * that page and size, whatever its tags (an entry derived from another
 * arch entry for the same page is refilled on its next miss). */
static void arch_drop_derived(struct soft_mmu *mmu, unsigned index)
{
	const struct soft_arch_entry *a = &mmu->arch[index];
	const struct soft_tlb_filter f = { .any_asid = true, .any_pcid = true,
					   .key = soft_tlb_key(a->va, a->size) };

	if (!a->valid)
		return;
	soft_tlb_flush(&mmu->itlb, &f);
	soft_tlb_flush(&mmu->dtlb, &f);
}

int soft_mmu_arch_write(struct soft_mmu *mmu, unsigned index, const struct soft_arch_entry *e)
{
	struct soft_arch_entry a = *e;

	if (!mmu->cfg.arch_entries)
		return -ENODEV;
	if (index >= mmu->cfg.arch_entries || (unsigned)a.size >= SOFT_PAGE__COUNT)
		return -EINVAL;
	if (a.valid) {
		uint64_t bytes = page_bytes(a.size);
		if ((a.va & (bytes - 1)) || (a.hpa & (bytes - 1)) || a.hpa >= mmu->mem_size ||
		    bytes > mmu->mem_size - a.hpa)
			return -EINVAL;
	}
	a.asid &= mmu->tag_mask;
	arch_drop_derived(mmu, index);
	mmu->arch[index] = a;
	mmu->ctr[SOFT_CTR_ARCH_WRITES]++;
	return 0;
}

int soft_mmu_arch_write_random(struct soft_mmu *mmu, const struct soft_arch_entry *e,
			       unsigned *index)
{
	unsigned i;
	int rc;

	if (!mmu->cfg.arch_entries)
		return -ENODEV;
	i = (unsigned)(soft_mmu_rand(mmu) % mmu->cfg.arch_entries);
	rc = soft_mmu_arch_write(mmu, i, e);
	if (!rc && index)
		*index = i;
	return rc;
}

int soft_mmu_arch_write_free(struct soft_mmu *mmu, const struct soft_arch_entry *e, unsigned first,
			     unsigned *index)
{
	unsigned i, n = mmu->cfg.arch_entries;

	if (!n)
		return -ENODEV;
	if (first >= n)
		return -EINVAL;
	for (i = first; i < n && mmu->arch[i].valid; i++)
		;
	if (i == n)
		i = first + (unsigned)(soft_mmu_rand(mmu) % (n - first));
	*index = i;
	return soft_mmu_arch_write(mmu, i, e);
}

int soft_mmu_arch_probe(const struct soft_mmu *mmu, uint64_t va, uint32_t asid)
{
	unsigned i;

	if (!arch_find(mmu, va, asid & mmu->tag_mask, &i))
		return -ENOENT;
	return (int)i;
}

int soft_mmu_arch_read(const struct soft_mmu *mmu, unsigned index, struct soft_arch_entry *e)
{
	if (index >= mmu->cfg.arch_entries)
		return -EINVAL;
	*e = mmu->arch[index];
	return 0;
}

void soft_mmu_arch_flush_asid(struct soft_mmu *mmu, uint32_t asid)
{
	asid &= mmu->tag_mask;
	/* An L1 entry derived from an entry of a VM's second ASID carries the
	 * current ASID of the time (arch_l1_asid): when that ASID is flushed
	 * (recycled by the VMM), such copies must go too, or the ASID's next
	 * owner would hit them. */
	if (mmu->vm_asid_seen) {
		const struct soft_tlb_filter f = {.asid = asid, .any_pcid = true};

		soft_tlb_flush(&mmu->itlb, &f);
		soft_tlb_flush(&mmu->dtlb, &f);
	}
	for (unsigned i = 0; i < mmu->cfg.arch_entries; i++) {
		struct soft_arch_entry *a = &mmu->arch[i];
		if (a->valid && !a->global && a->asid == asid) {
			arch_drop_derived(mmu, i);
			a->valid = false;
		}
	}
	mmu->ctr[SOFT_CTR_ARCH_FLUSHES]++;
}

void soft_mmu_arch_flush_all(struct soft_mmu *mmu)
{
	const struct soft_tlb_filter f = { .any_asid = true, .any_pcid = true };

	for (unsigned i = 0; i < mmu->cfg.arch_entries; i++)
		mmu->arch[i].valid = false;
	soft_tlb_flush(&mmu->itlb, &f);
	soft_tlb_flush(&mmu->dtlb, &f);
	mmu->ctr[SOFT_CTR_ARCH_FLUSHES]++;
}

/* ---- counters ------------------------------------------------------------ */

void soft_mmu_stats(const struct soft_mmu *mmu, engine_stat_fn fn, void *ctx)
{
	for (unsigned i = 0; i < SOFT_CTR__COUNT; i++)
		fn(ctx, ctr_names[i], mmu->ctr[i]);
}

int soft_mmu_stat(const struct soft_mmu *mmu, const char *name, uint64_t *value)
{
	for (unsigned i = 0; i < SOFT_CTR__COUNT; i++) {
		if (!strcmp(ctr_names[i], name)) {
			*value = mmu->ctr[i];
			return 0;
		}
	}
	return -ENOENT;
}

void soft_mmu_stats_reset(struct soft_mmu *mmu)
{
	memset(mmu->ctr, 0, sizeof(mmu->ctr));
}
