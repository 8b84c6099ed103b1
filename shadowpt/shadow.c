/*
 * shadowpt/shadow.c — the `shadow` backend: shadow page tables (GVA ->
 * HPA) built by the VMM from the guest's tables (GVA -> GPA) and its own
 * GPA -> HPA map, with the guest's CR3 virtualized.  docs/shadow.md tells
 * the whole story; the short version:
 *
 * - Guest CR3 writes and reads, INVLPG and #PF exit.  Each guest address
 *   space (CR3, with its PCID) has a shadow root in a per-VM cache of
 *   `cache=N` roots, evicted LRU; an evicted root's tree is zapped.
 * - Shadow entries are built lazily on hidden faults by walking the guest
 *   tables.  A #PF the guest tables explain is a true fault and is
 *   reflected with the error code and CR2 the hardware would have given.
 * - A shadow page (struct sp) shadows one guest table as reached through
 *   one path of one root (no sharing), so a shadow leaf carries the rights
 *   of the whole guest path: non-leaf shadow entries are P|W|U, the leaf
 *   has W only if every guest level allows it, U likewise, NX if any
 *   level has NX.  Guest large pages are shadowed with 4 KiB entries in
 *   "direct" shadow pages that have no guest table behind them.
 * - A guest page that holds a shadowed guest table is write-protected in
 *   every shadow leaf that maps it (reverse map per guest frame).  A guest
 *   write to it faults; sync=wp emulates it by letting the guest run one
 *   instruction with the page writable (hw->single_step), diffs the page
 *   against a snapshot and propagates each changed entry.  sync=oos lets a
 *   leaf table go out of sync instead (writable) and resyncs it on CR3
 *   writes and INVLPG.
 * - Accessed/dirty bits: a shadow leaf exists only while the guest leaf
 *   has A set (set when the leaf is built, as the hardware would), and is
 *   writable only while the guest leaf has D set (set on the first write,
 *   which faults because the leaf was built read-only).
 *
 * Invariants (checked after every change with check=1, see check_sp()):
 * each present shadow leaf of an in-sync table maps exactly the guest
 * translation composed with GPA -> HPA, with rights no wider than the
 * guest's and W only with the guest's D set and the frame not a shadowed
 * guest table; every shadow leaf maps inside the VM's RAM; every non-leaf
 * shadow entry points at a live shadow page of this VM.  Freed shadow
 * frames may still be referenced by the TLB's page-walk cache, so any
 * zap is followed by a full TLB flush before the guest runs again.
 */
#include "shadowpt/shadow_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int shadow_violation(struct svm *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->s->why, sizeof(v->s->why), fmt, ap);
	va_end(ap);
	/* The errno alone would say nothing: the VMM reports this reason. */
	v->s->hw->fail_reason(v->vm, v->s->why);
	return -ENOTRECOVERABLE;
}

/* ---- the guest's control state ---- */

static int refresh_cpu(struct svm *v)
{
	struct engine_sregs s;
	int rc = v->s->hw->get_sregs(v->vm, &s);

	if (rc)
		return rc;
	v->wp = (s.cr0 & MV_CR0_WP) != 0;
	v->nxe = (s.efer & MV_EFER_NXE) != 0;
	v->pcide = (s.cr4 & MV_CR4_PCIDE) != 0;
	if (!v->wp)
		return shadow_violation(v, "the guest cleared CR0.WP: write protection of its page tables (and dirty-bit tracking) would not hold, so shadow paging cannot run it");
	return 0;
}

int shadow_flush(struct svm *v, enum mv_flush_scope scope, uint64_t arg)
{
	int rc = v->s->hw->flush_tlb(v->vm, scope, arg);

	if (!rc)
		sh_post(v, MV_EV_TLB_FLUSH, scope == MV_FLUSH_ADDRESS ? arg : 0, 0, scope);
	return rc;
}

static int load_paging(struct svm *v)
{
	const struct slot *sl = &v->cache[v->cur];
	struct mv_paging pg = {
		.mode = MV_PAGING_HOST,
		.root = v->sp[sl->root].hpa | (v->pcide ? (v->cr3 & 0xfff) : 0),
	};

	return v->s->hw->set_paging(v->vm, &pg);
}

/* Make the shadow root of guest CR3 `cr3` current: from the cache, or a
 * fresh one in the least recently used slot. */
static int load_root(struct svm *v, uint64_t cr3, bool *hit)
{
	struct shadow *s = v->s;
	uint64_t key = v->pcide ? cr3 & (MV_PTE_ADDR | 0xfff) : cr3 & MV_PTE_ADDR;
	uint64_t gfn = (cr3 & MV_PTE_ADDR) / PAGE;
	uint32_t victim = 0;
	int rc;

	if (gfn >= v->nframes)
		return shadow_violation(v, "guest CR3 %#" PRIx64 " lies outside its %" PRIu64 " MiB of RAM",
				 cr3, v->mem_size >> 20);
	v->cr3 = cr3;
	for (uint32_t i = 0; i < s->cache_size; i++) {
		struct slot *sl = &v->cache[i];

		if (sl->used && sl->key == key) {
			sl->stamp = ++v->clock;
			sl->cr3 = cr3;
			v->cur = i;
			v->sp[sl->root].flood = 0;
			s->cache_hits++;
			*hit = true;
			return load_paging(v);
		}
		if (!sl->used || (v->cache[victim].used && sl->stamp < v->cache[victim].stamp))
			victim = i;
	}
	*hit = false;
	s->cache_misses++;
	if (v->cache[victim].used) {
		s->cache_evictions++;
		v->cache[victim].used = false;
		shadow_zap(v, v->cache[victim].root);
	}
	uint32_t root;

	rc = shadow_sp_alloc(v, 0, false, gfn, 0, MV_PT_RIGHT_W | MV_PT_RIGHT_U | MV_PT_RIGHT_X, &root);
	if (rc)
		return rc;
	v->sp[root].slot = victim;
	v->cache[victim] = (struct slot){.used = true, .key = key, .cr3 = cr3, .root = root,
					 .stamp = ++v->clock};
	v->cur = victim;
	return load_paging(v);
}

/* ---- exits ---- */

static int on_page_fault(struct svm *v, uint64_t va, uint32_t ec)
{
	const struct mv_hw *hw = v->s->hw;
	struct shadow_gaccess a = {
		.write = (ec & MV_PFEC_W) != 0,
		.fetch = (ec & MV_PFEC_ID) != 0,
		.user = (ec & MV_PFEC_U) != 0,
		.wp = v->wp,
		.nxe = v->nxe,
	};
	struct shadow_gwalk w;
	uint32_t leaf = NONE, idx;
	uint64_t spte;
	int rc;

	if (ec & MV_PFEC_RSVD)
		return shadow_violation(v, "reserved bit in a shadow entry for %#" PRIx64 " (error code %#x)", va, ec);
	shadow_gwalk(v->ram, v->mem_size, v->cr3, va, &a, &w);
	if (w.phys)
		return shadow_violation(v, "guest translation of %#" PRIx64 " reaches guest-physical %#" PRIx64 ", outside its RAM",
				 va, w.phys_gpa);
	if (w.fault) {
		/* A true fault: the hardware would have set the A bits of
		 * the upper levels it went through, then faulted. */
		shadow_gwalk_set_ad(v->ram, &w, false);
		rc = hw->inject_exception(v->vm, 14, w.error_code, va);
		if (rc)
			return rc;
		sh_post(v, MV_EV_TRUE_FAULT_REFLECTED, va, 0, w.error_code);
		return 0;
	}
	shadow_gwalk_set_ad(v->ram, &w, a.write);
	rc = shadow_build_path(v, va, &w, &leaf);
	if (rc)
		return rc;
	idx = (uint32_t)((va >> 12) & 511);
	spte = shadow_compute_leaf(v, leaf, idx);
	rc = shadow_set_leaf(v, leaf, idx, spte);
	if (rc)
		return rc;
	sh_post(v, MV_EV_SHADOW_FAULT_HIDDEN, va, w.gpa, ec);
	if (!a.write || (spte & MV_PTE_W))
		return 0;
	/* The guest may write (its walk passed) but the page holds one of
	 * its shadowed page tables. */
	if (shadow_oos_eligible(v, w.gpa / PAGE)) {
		shadow_unsync(v, w.gpa / PAGE);
		return shadow_set_leaf(v, leaf, idx, shadow_compute_leaf(v, leaf, idx));
	}
	if (v->nesting)
		return 0; /* inside a single step: the guest retries the write */
	return shadow_emulate_write(v, va, w.gpa, leaf, idx);
}

static int skip_insn(struct svm *v, uint8_t len)
{
	struct engine_regs r;
	int rc = v->s->hw->get_regs(v->vm, &r);

	if (rc)
		return rc;
	r.rip += len;
	return v->s->hw->set_regs(v->vm, &r);
}

static int on_cr3_write(struct svm *v, uint64_t val, uint8_t len)
{
	bool noflush = v->pcide && (val & MV_CR3_NOFLUSH);
	bool hit;
	int rc;

	val &= ~MV_CR3_NOFLUSH;
	if (val >> 52)
		return v->s->hw->inject_exception(v->vm, 13, 0, 0);
	/* The guest expects its table edits visible after a CR3 write. */
	rc = shadow_resync_all(v);
	if (rc)
		return rc;
	rc = v->s->hw->set_guest_cr3(v->vm, val);
	if (rc)
		return rc;
	rc = load_root(v, val, &hit);
	if (rc)
		return rc;
	sh_post(v, MV_EV_CR3_WRITE, 0, val & MV_PTE_ADDR, hit);
	/* SDM 4.10.4.1: the write invalidates the non-global entries of the
	 * PCID it loads (PCID 0 without PCIDs), unless bit 63 says not to.
	 * A VMM without flush_tlb_nonglobal flushes the tag with its global
	 * entries, a little more than the guest asked for. */
	if (!noflush) {
		uint64_t tag = v->pcide ? val & 0xfff : 0;
		const struct mv_hw *hw = v->s->hw;

		rc = HW_HAS(hw, flush_tlb_nonglobal) ? hw->flush_tlb_nonglobal(v->vm, tag)
						     : shadow_flush(v, MV_FLUSH_TAG, tag);
		if (rc)
			return rc;
	}
	return skip_insn(v, len);
}

/* Register numbers of mov from CR3 (x86 encoding) to engine_regs. */
static uint64_t *gpr(struct engine_regs *r, unsigned n)
{
	uint64_t *const map[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return n < 16 ? map[n] : NULL;
}

static int on_cr3_read(struct svm *v, unsigned reg, uint8_t len)
{
	struct engine_regs r;
	uint64_t *dst;
	int rc = v->s->hw->get_regs(v->vm, &r);

	if (rc)
		return rc;
	dst = gpr(&r, reg);
	if (!dst)
		return shadow_violation(v, "CR3 read into register %u", reg);
	*dst = v->cr3;
	r.rip += len;
	sh_post(v, MV_EV_CR3_READ, 0, v->cr3 & MV_PTE_ADDR, 0);
	return v->s->hw->set_regs(v->vm, &r);
}

static int on_invlpg(struct svm *v, uint64_t va, uint8_t len)
{
	int rc;

	sh_post(v, MV_EV_INVLPG, va, 0, 0);
	if (v->s->sync == SYNC_OOS) {
		/* Resync the leaf table that maps va in the loaded root. */
		uint32_t id = v->cache[v->cur].root;

		for (unsigned d = 0; id != NONE && d < 3; d++)
			id = v->sp[id].child[(va >> MV_PT_SHIFT(d)) & 511];
		if (id != NONE && !v->sp[id].direct && v->oos[v->sp[id].gfn]) {
			rc = shadow_resync(v, v->sp[id].gfn);
			if (rc)
				return rc;
		}
	}
	rc = v->s->hw->flush_tlb(v->vm, MV_FLUSH_ADDRESS, va);
	if (rc)
		return rc;
	return skip_insn(v, len);
}

int shadow_handle_intercept(struct svm *v, struct engine_exit *ex)
{
	int rc = refresh_cpu(v);

	if (rc)
		return rc;
	switch (ex->intercept.cause) {
	case ENGINE_ICPT_EXCEPTION:
		if (ex->intercept.vector != 14)
			return MV_EXIT_NOT_MINE;
		rc = on_page_fault(v, ex->intercept.info1, ex->intercept.error_code);
		break;
	case ENGINE_ICPT_CR3_WRITE:
		rc = on_cr3_write(v, ex->intercept.info1, ex->intercept.insn_len);
		break;
	case ENGINE_ICPT_CR3_READ:
		rc = on_cr3_read(v, (unsigned)ex->intercept.info2, ex->intercept.insn_len);
		break;
	case ENGINE_ICPT_INVLPG:
		rc = on_invlpg(v, ex->intercept.info1, ex->intercept.insn_len);
		break;
	default:
		return MV_EXIT_NOT_MINE;
	}
	return rc < 0 ? rc : MV_EXIT_HANDLED;
}

/* ---- backend ops ---- */

static const char *const sync_names[] = {"wp", "oos", NULL};

enum { OPT_CACHE, OPT_SYNC, OPT_CHECK, OPT_FLOOD, OPT__COUNT };
static const struct mv_option shadow_option_table[OPT__COUNT] = {
	[OPT_CACHE] = {.name = "cache", .type = MV_OPT_UINT, .min = 1, .max = 4096, .def = "8",
		       .help = "shadow roots cached per VM (one per guest CR3)"},
	[OPT_SYNC] = {.name = "sync", .type = MV_OPT_CHOICE, .choices = sync_names, .def = "wp",
		      .help = "write-protect guest page tables and emulate writes (wp), or let leaf tables go out of sync and resync (oos)"},
	[OPT_CHECK] = {.name = "check", .type = MV_OPT_BOOL, .def = "0",
		       .help = "check the shadow tables against the guest's after every exit (slow)"},
	[OPT_FLOOD] = {.name = "flood", .type = MV_OPT_UINT, .min = 0, .max = 1000000, .def = "8",
		       .help = "emulated writes to one guest table before its shadow is zapped, 0 for never"},
};

static int parse_options(struct shadow *s, const char *opt, char *err, size_t err_len)
{
	struct mv_opt_value v[OPT__COUNT];

	mv_options_defaults(shadow_option_table, OPT__COUNT, v);
	if (mv_options_parse(shadow_option_table, OPT__COUNT, opt, v, "shadow", err, err_len))
		return -EINVAL;
	s->cache_size = (unsigned)v[OPT_CACHE].u;
	s->sync = v[OPT_SYNC].u ? SYNC_OOS : SYNC_WP;
	s->oos = s->sync == SYNC_OOS;
	s->check = v[OPT_CHECK].u != 0;
	s->flood = (unsigned)v[OPT_FLOOD].u;
	return 0;
}

static int shadow_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			 size_t err_len)
{
	struct shadow *s;
	int rc;

	if (hw->engine != MV_ENGINE_SOFT) {
		snprintf(err, err_len, "shadow runs on the soft engine only");
		return -ENOTSUP;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->hw = hw;
	rc = parse_options(s, options, err, err_len);
	if (rc) {
		free(s);
		return rc;
	}
	*state = s;
	return 0;
}

static void shadow_destroy(void *state)
{
	free(state);
}

static void svm_free(struct svm *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; v->sp && i < v->nsp; i++)
		if (v->sp[i].live) {
			v->s->hw->frame_free(v->vm, v->sp[i].hpa);
			free(v->sp[i].child);
			v->s->pages_live--;
		}
	free(v->sp);
	free(v->gfn_head);
	free(v->rmap_head);
	free(v->rmap);
	free(v->oos);
	free(v->oos_list);
	free(v->cache);
	free(v);
}

static int shadow_vm_init(void *state, struct mv_vm *vm)
{
	struct shadow *s = state;
	const struct mv_hw *hw = s->hw;
	struct engine_sregs sregs;
	struct svm *v;
	uint64_t last;
	bool hit;
	int rc;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->s = s;
	v->vm = vm;
	v->mem_size = hw->vm_mem_size(vm) & ~(uint64_t)(PAGE - 1);
	v->nframes = v->mem_size / PAGE;
	v->free_sp = v->free_rmap = v->dirty_head = NONE;
	/* Guest RAM must be one run of machine memory (it is, in the VMM):
	 * the backend reads guest tables through one host pointer. */
	rc = hw->gpa_to_hpa(vm, 0, &v->ram_hpa);
	rc = rc ? rc : hw->gpa_to_hpa(vm, v->mem_size - 1, &last);
	if (!rc && last != v->ram_hpa + v->mem_size - 1)
		rc = -ENOTSUP;
	v->ram = rc ? NULL : hw->hpa_ptr(vm, v->ram_hpa, v->mem_size);
	if (!v->ram) {
		free(v);
		return rc ? rc : -EFAULT;
	}
	v->gfn_head = malloc(v->nframes * sizeof(*v->gfn_head));
	v->rmap_head = malloc(v->nframes * sizeof(*v->rmap_head));
	v->oos = calloc(v->nframes, 1);
	v->oos_list = malloc(v->nframes * sizeof(*v->oos_list));
	v->cache = calloc(s->cache_size, sizeof(*v->cache));
	if (!v->gfn_head || !v->rmap_head || !v->oos || !v->oos_list || !v->cache) {
		svm_free(v);
		return -ENOMEM;
	}
	memset(v->gfn_head, 0xff, v->nframes * sizeof(*v->gfn_head));
	memset(v->rmap_head, 0xff, v->nframes * sizeof(*v->rmap_head));
	hw->set_vm_state(vm, v);

	rc = hw->set_intercepts(vm,
				(UINT64_C(1) << ENGINE_ICPT_CR3_WRITE) | (UINT64_C(1) << ENGINE_ICPT_CR3_READ) |
				(UINT64_C(1) << ENGINE_ICPT_INVLPG) | (UINT64_C(1) << ENGINE_ICPT_EXCEPTION),
				1u << 14);
	rc = rc ? rc : hw->get_sregs(vm, &sregs);
	if (!rc) {
		v->wp = (sregs.cr0 & MV_CR0_WP) != 0;
		v->nxe = (sregs.efer & MV_EFER_NXE) != 0;
		v->pcide = (sregs.cr4 & MV_CR4_PCIDE) != 0;
		sregs.cr3 &= ~MV_CR3_NOFLUSH;
		rc = hw->set_guest_cr3(vm, sregs.cr3);
	}
	rc = rc ? rc : load_root(v, sregs.cr3, &hit);
	rc = shadow_finish(v, rc);
	if (rc) {
		hw->set_vm_state(vm, NULL);
		svm_free(v);
	}
	return rc;
}

static void shadow_vm_fini(void *state, struct mv_vm *vm)
{
	struct shadow *s = state;

	svm_free(s->hw->vm_state(vm));
	s->hw->set_vm_state(vm, NULL);
}

static int shadow_vm_switch(void *state, struct mv_vm *prev, struct mv_vm *next)
{
	struct shadow *s = state;
	struct svm *v = s->hw->vm_state(next);
	int rc;

	if (!v)
		return -EINVAL;
	/* The incoming VM's real CR3 is its own shadow root (it travels with
	 * its vCPU state); load it again so that the paging mode is right
	 * whatever ran before. */
	rc = refresh_cpu(v);
	rc = rc ? rc : load_paging(v);
	if (rc)
		return rc;
	/* TLB entries carry no VM tag in this mode: the previous VM's
	 * translations (and page-walk-cache entries) must go. */
	if (prev)
		rc = shadow_flush(v, MV_FLUSH_ALL, 0);
	return rc;
}

static int shadow_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *exit)
{
	struct shadow *s = state;
	struct svm *v = s->hw->vm_state(vm);

	if (!v || exit->reason != ENGINE_EXIT_INTERCEPT)
		return MV_EXIT_NOT_MINE;
	return shadow_finish(v, shadow_handle_intercept(v, exit));
}

static const struct mv_stat_desc shadow_stat_table[] = {
	MV_STAT_OF("shadow_cache_size", MV_STAT_U32, struct shadow, cache_size, "shadow roots cached per VM (cache=)"),
	MV_STAT("shadow_cache_hits", struct shadow, cache_hits, "guest CR3 writes that found their shadow root cached"),
	MV_STAT("shadow_cache_misses", struct shadow, cache_misses, "guest CR3 writes that built a new shadow root"),
	MV_STAT("shadow_cache_evictions", struct shadow, cache_evictions, "shadow roots evicted (LRU) and zapped"),
	MV_STAT("shadow_pages_live", struct shadow, pages_live, "shadow pages alive at the end"),
	MV_STAT("shadow_pages_peak", struct shadow, pages_peak, "most shadow pages alive at once"),
	MV_STAT_OF("shadow_sync_oos", MV_STAT_BOOL, struct shadow, oos, "1 with sync=oos"),
	MV_STAT("shadow_unsyncs", struct shadow, unsyncs, "guest leaf tables let out of sync (sync=oos)"),
	MV_STAT("shadow_pt_entries_emulated", struct shadow, emulated_entries, "shadow entries updated from emulated guest page-table writes"),
	MV_STAT("shadow_single_steps", struct shadow, single_steps, "guest instructions single-stepped through a writable page-table page"),
	MV_STAT("shadow_flood_zaps", struct shadow, flood_zaps, "shadow pages zapped for being written more than flood= times unused"),
	MV_STAT("shadow_path_rebuilds", struct shadow, path_rebuilds, "hidden faults whose shadow path had to be rebuilt"),
	MV_STAT("shadow_checks", struct shadow, checks, "invariant checks run (check=1)"),
};

static void shadow_stats(void *state, engine_stat_fn fn, void *ctx)
{
	mv_stats_report(shadow_stat_table, sizeof(shadow_stat_table) / sizeof(shadow_stat_table[0]), state,
			fn, ctx);
}

const struct mv_backend_ops shadow_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "shadow",
	.description = "shadow page tables with a virtualized CR3: lazy shadow faults, write-protected guest tables (sync=wp|oos), cache=N roots",
	.engines = MV_ENGINE_SOFT,
	.create = shadow_create,
	.destroy = shadow_destroy,
	.vm_init = shadow_vm_init,
	.vm_fini = shadow_vm_fini,
	.vm_switch = shadow_vm_switch,
	.handle_exit = shadow_handle_exit,
	.stats = shadow_stats,
	.options = shadow_option_table,
	.option_count = OPT__COUNT,
	.needs = MV_CAP_MMU | MV_CAP_ICOUNT,
};
