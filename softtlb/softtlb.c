/*
 * softtlb/softtlb.c — Method 1 (softtlb.h): full rewrite of the real TLB
 * at every VM switch.
 *
 * The TLB the guest sees (its virtual TLB, `vtlb=N` entries, 64 by
 * default: the size the guest discovers through CPUID) and the real TLB
 * (`--tlb arch=N`) are separate.  Real TLB layout: virtual entry i < real
 * size lives at real index i when it is there at all; virtual entries past
 * the real size (a virtual TLB larger than the real one) are brought in by
 * hidden refills at a random unwired real index.  A real TLB larger than
 * the virtual one keeps its upper entries unused: it holds one VM at a
 * time, which is the method.
 * src[j] remembers which virtual entry real entry j came from (-1: none),
 * so that a guest overwrite or flush drops exactly the real copies it
 * invalidates.  Invariant: every valid real entry is the translation of
 * a valid virtual entry of the VM that is running, so the guest never
 * sees a translation it did not write, nor another VM's.
 */
#include "softtlb/softtlb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memvirt/stats.h"
#include "softtlb/vtlb.h"

struct softtlb_vm {
	struct softtlb_vtlb vtlb;
	uint64_t rng;
};

struct softtlb_state {
	const struct mv_hw *hw;
	uint32_t real_entries;
	uint32_t vtlb_entries;
	int32_t *src;              /* per real entry: the virtual index, or -1 */
	struct mv_vm *running;
	struct softtlb_emul_stats emul;
	uint64_t hidden_refills, reflected_refills;
	uint64_t switches, rewrite_entries, real_writes;
};

enum { OPT_VTLB, OPT__COUNT };
static const struct mv_option softtlb_option_table[OPT__COUNT] = {
	[OPT_VTLB] = {.name = "vtlb", .type = MV_OPT_UINT, .min = 2, .max = 65536, .def = "64",
		      .help = "entries of each VM's virtual TLB, the size the guest discovers (the real TLB's is --tlb arch=N)"},
};

static int parse_options(struct softtlb_state *s, const char *options, char *err, size_t err_len)
{
	struct mv_opt_value v[OPT__COUNT];

	mv_options_defaults(softtlb_option_table, OPT__COUNT, v);
	if (mv_options_parse(softtlb_option_table, OPT__COUNT, options, v, "softtlb", err, err_len))
		return -EINVAL;
	s->vtlb_entries = (uint32_t)v[OPT_VTLB].u;
	return 0;
}

static int softtlb_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			  size_t err_len)
{
	struct softtlb_state *s;
	int rc;

	if (hw->size < offsetof(struct mv_hw, atlb_flush) + sizeof(hw->atlb_flush) ||
	    !hw->atlb_entries) {
		snprintf(err, err_len, "softtlb virtualizes the architected-TLB machine: add --machine archtlb");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->hw = hw;
	s->real_entries = hw->atlb_entries;
	rc = parse_options(s, options, err, err_len);
	if (!rc && !(s->src = malloc(s->real_entries * sizeof(*s->src)))) {
		snprintf(err, err_len, "out of memory");
		rc = -ENOMEM;
	}
	if (rc) {
		free(s);
		return rc;
	}
	for (uint32_t j = 0; j < s->real_entries; j++)
		s->src[j] = -1;
	*state = s;
	return 0;
}

static void softtlb_destroy(void *state)
{
	struct softtlb_state *s = state;

	free(s->src);
	free(s);
}

static int softtlb_vm_init(void *state, struct mv_vm *vm)
{
	struct softtlb_state *s = state;
	const struct mv_hw *hw = s->hw;
	struct mv_paging paging = {.mode = MV_PAGING_GUEST};
	struct mv_atlb_regs r;
	struct softtlb_vm *v = calloc(1, sizeof(*v));
	int rc;

	if (!v)
		return -ENOMEM;
	rc = softtlb_vtlb_init(&v->vtlb, s->vtlb_entries,
			       softtlb_stream(hw->vm_index(vm), SOFTTLB_STREAM_WRITE_RANDOM));
	if (rc) {
		free(v);
		return rc;
	}
	v->rng = softtlb_stream(hw->vm_index(vm), SOFTTLB_STREAM_REAL_PLACEMENT);
	hw->set_vm_state(vm, v);
	rc = hw->atlb_get_regs(vm, &r);
	if (!rc) {
		r.entries = s->vtlb_entries;
		rc = hw->atlb_set_regs(vm, &r);
	}
	/* Before the guest turns walks off it runs its boot page table,
	 * relocated like native. */
	rc = rc ? rc : hw->set_paging(vm, &paging);
	return rc ? rc
		  : hw->set_intercepts(vm, (1ull << ENGINE_ICPT_TLB_WRITE) |
						   (1ull << ENGINE_ICPT_EXCEPTION),
				       1u << MV_ATLB_REFILL_VECTOR);
}

static void softtlb_vm_fini(void *state, struct mv_vm *vm)
{
	struct softtlb_vm *v = ((struct softtlb_state *)state)->hw->vm_state(vm);

	if (!v)
		return;
	softtlb_vtlb_fini(&v->vtlb);
	free(v);
}

/* Write virtual entry vidx of the running VM at real index j. */
static int real_put(struct softtlb_state *s, struct mv_vm *vm, uint32_t j, uint32_t vidx)
{
	struct softtlb_vm *v = s->hw->vm_state(vm);
	uint64_t lo;
	int rc = softtlb_real_lo(s->hw, vm, v->vtlb.lo[vidx], &lo);

	rc = rc ? rc : s->hw->atlb_write(vm, j, v->vtlb.hi[vidx], lo);
	if (rc)
		return rc;
	s->src[j] = (int32_t)vidx;
	s->real_writes++;
	return 0;
}

static int real_drop(struct softtlb_state *s, struct mv_vm *vm, uint32_t j)
{
	s->src[j] = -1;
	return s->hw->atlb_write(vm, j, 0, 0);
}

static int on_entry(void *ctx, struct mv_vm *vm, uint32_t vidx, uint64_t old_hi, uint64_t old_lo)
{
	struct softtlb_state *s = ctx;
	struct softtlb_vm *v = s->hw->vm_state(vm);
	int rc = 0;

	(void)old_hi;
	(void)old_lo;
	for (uint32_t j = 0; j < s->real_entries && !rc; j++)
		if (s->src[j] == (int32_t)vidx)
			rc = real_drop(s, vm, j);
	if (!rc && v->vtlb.lo[vidx] && vidx < s->real_entries)
		rc = real_put(s, vm, vidx, vidx);
	return rc;
}

static int on_flush_asid(void *ctx, struct mv_vm *vm, uint32_t gasid)
{
	struct softtlb_state *s = ctx;
	int rc;

	struct mv_event ev = {.type = MV_EV_TLB_FLUSH, .asid = gasid, .detail = MV_FLUSH_TAG};

	/* Guest ASIDs are the real ones (the TLB holds one VM at a time). */
	rc = s->hw->atlb_flush(vm, false, gasid);
	s->hw->post(vm, &ev);
	for (uint32_t j = 0; j < s->real_entries; j++) {
		struct softtlb_vm *v = s->hw->vm_state(vm);

		if (s->src[j] >= 0 && !v->vtlb.lo[s->src[j]])
			s->src[j] = -1;
	}
	return rc;
}

/* Flush the real TLB and write back the running VM's entries with an
 * index below the real size; returns how many were written. */
static int rewrite(struct softtlb_state *s, struct mv_vm *vm, uint64_t *written)
{
	struct softtlb_vm *v = s->hw->vm_state(vm);
	uint32_t n = v->vtlb.entries < s->real_entries ? v->vtlb.entries : s->real_entries;
	int rc = s->hw->atlb_flush(vm, true, 0);

	*written = 0;
	for (uint32_t j = 0; j < s->real_entries; j++)
		s->src[j] = -1;
	for (uint32_t i = 0; i < n && !rc; i++)
		if (v->vtlb.lo[i]) {
			rc = real_put(s, vm, i, i);
			++*written;
		}
	return rc;
}

static int on_flush_all(void *ctx, struct mv_vm *vm, uint32_t wired)
{
	struct softtlb_state *s = ctx;
	struct mv_event ev = {.type = MV_EV_TLB_FLUSH, .detail = MV_FLUSH_ALL};
	uint64_t n;

	/* Everything goes, then the wired entries (all that is left valid
	 * in the virtual TLB) come back. */
	(void)wired;
	s->hw->post(vm, &ev);
	return rewrite(s, vm, &n);
}

static int on_set_asid(void *ctx, struct mv_vm *vm, uint32_t gasid)
{
	struct softtlb_state *s = ctx;

	return s->hw->atlb_set_real_asid(vm, gasid);
}

static const struct softtlb_real real_ops = {
	.entry = on_entry,
	.flush_asid = on_flush_asid,
	.flush_all = on_flush_all,
	.set_asid = on_set_asid,
};

/* A refill exception the VMM intercepted: hidden when the virtual TLB
 * has the translation, otherwise the guest's. */
static int refill(struct softtlb_state *s, struct mv_vm *vm, const struct engine_exit *ex)
{
	const struct mv_hw *hw = s->hw;
	struct softtlb_vm *v = hw->vm_state(vm);
	uint64_t va = ex->intercept.info1;
	struct mv_atlb_regs r;
	struct mv_event ev = {.gva = va};
	int rc = hw->atlb_get_regs(vm, &r), i;
	uint32_t j;

	if (rc)
		return rc;
	i = softtlb_vtlb_find(&v->vtlb, va, r.asid);
	ev.asid = r.asid;
	if (i < 0) {
		s->reflected_refills++;
		ev.type = MV_EV_REFLECTED_REFILL;
		hw->post(vm, &ev);
		rc = hw->inject_exception(vm, MV_ATLB_REFILL_VECTOR, ex->intercept.error_code, va);
		return rc ? rc : MV_EXIT_HANDLED;
	}
	/* Present in the virtual TLB: at its own index when it fits, else at
	 * a random unwired one. */
	if ((uint32_t)i < s->real_entries) {
		j = (uint32_t)i;
	} else {
		uint32_t wired = r.wired < s->real_entries ? (uint32_t)r.wired : 0;

		v->rng ^= v->rng << 13;
		v->rng ^= v->rng >> 7;
		v->rng ^= v->rng << 17;
		j = wired + (uint32_t)(v->rng % (s->real_entries - wired));
	}
	s->hidden_refills++;
	ev.type = MV_EV_HIDDEN_REFILL;
	ev.gpa = v->vtlb.lo[i] & MV_ATLB_LO_PFN;
	hw->post(vm, &ev);
	rc = real_put(s, vm, j, (uint32_t)i);
	return rc ? rc : MV_EXIT_HANDLED;
}

static int softtlb_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *ex)
{
	struct softtlb_state *s = state;
	struct softtlb_vm *v = s->hw->vm_state(vm);

	if (ex->reason != ENGINE_EXIT_INTERCEPT)
		return MV_EXIT_NOT_MINE;
	switch (ex->intercept.cause) {
	case ENGINE_ICPT_TLB_WRITE:
		return softtlb_emulate(s->hw, vm, &v->vtlb, ex, &real_ops, s, &s->emul);
	case ENGINE_ICPT_EXCEPTION:
		if (ex->intercept.vector == MV_ATLB_REFILL_VECTOR)
			return refill(s, vm, ex);
		return MV_EXIT_NOT_MINE;
	default:
		return MV_EXIT_NOT_MINE;
	}
}

static int softtlb_vm_switch(void *state, struct mv_vm *prev, struct mv_vm *next)
{
	struct softtlb_state *s = state;
	struct mv_event flush = {.type = MV_EV_TLB_FLUSH, .detail = MV_FLUSH_ALL};
	struct mv_event rw = {.type = MV_EV_TLB_REWRITE};
	uint64_t n;
	int rc;

	s->running = next;
	if (!prev)
		return 0;
	/* The walk-derived TLB (used before a guest turns walks off) holds
	 * no VM tag either: it goes too. */
	rc = s->hw->flush_tlb(next, MV_FLUSH_ALL, 0);
	rc = rc ? rc : rewrite(s, next, &n);
	if (rc)
		return rc;
	s->switches++;
	s->rewrite_entries += n;
	s->hw->post(next, &flush);
	rw.detail = n;
	s->hw->post(next, &rw);
	return 0;
}

static const struct mv_stat_desc softtlb_stat_table[] = {
	MV_STAT("softtlb_hidden_refills", struct softtlb_state, hidden_refills,
		"real-TLB misses refilled from the virtual TLB"),
	MV_STAT("softtlb_reflected_refills", struct softtlb_state, reflected_refills,
		"misses the virtual TLB cannot serve, reflected to the guest's refill handler"),
	MV_STAT("softtlb_real_writes", struct softtlb_state, real_writes, "entries written into the real TLB"),
	MV_STAT("softtlb_switch_rewrites", struct softtlb_state, switches, "VM switches that rewrote the real TLB"),
	MV_STAT("tlb_rewrite_entries", struct softtlb_state, rewrite_entries,
		"entries rewritten into the real TLB at VM switches"),
	MV_STAT_OF("softtlb_vtlb_entries", MV_STAT_U32, struct softtlb_state, vtlb_entries,
		   "entries of each VM's virtual TLB (vtlb=)"),
	MV_STAT_OF("softtlb_real_entries", MV_STAT_U32, struct softtlb_state, real_entries,
		   "entries of the real TLB (--tlb arch=)"),
};

static void softtlb_stats(void *state, engine_stat_fn fn, void *ctx)
{
	struct softtlb_state *s = state;

	softtlb_emul_stats_report("softtlb", &s->emul, fn, ctx);
	mv_stats_report(softtlb_stat_table, sizeof(softtlb_stat_table) / sizeof(softtlb_stat_table[0]), s,
			fn, ctx);
}

const struct mv_backend_ops softtlb_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "softtlb",
	.description = "architected TLB, Method 1: virtual TLB per VM, real TLB rewritten at every VM switch (--machine archtlb)",
	.engines = MV_ENGINE_SOFT | MV_BACKEND_ARCH_TLB,
	.create = softtlb_create,
	.destroy = softtlb_destroy,
	.vm_init = softtlb_vm_init,
	.vm_fini = softtlb_vm_fini,
	.vm_switch = softtlb_vm_switch,
	.handle_exit = softtlb_handle_exit,
	.stats = softtlb_stats,
	.options = softtlb_option_table,
	.option_count = OPT__COUNT,
	.needs = MV_CAP_MMU | MV_CAP_ARCH_TLB,
};
