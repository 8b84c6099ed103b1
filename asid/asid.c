/*
 * asid/asid.c — Method 2 (asid.h): the ASID map table.
 *
 * Each VM has a virtual TLB of the size the guest discovers (`vtlb=N`, 64
 * by default); the real TLB (`--tlb arch=N`) is shared by every VM.  A
 * real entry is placed by the real TLB's own replacement among all its
 * entries (the lowest free one, else a random one: mv_hw.atlb_write_free)
 * and tagged with the real ASID the map table gives its (VM, guest ASID),
 * so a real TLB larger than one VM's virtual TLB holds several VMs'
 * entries at once, and a VM switch rewrites nothing.
 *
 * Guest-global entries (`globals=tagged`, the default) are written as
 * non-global real entries tagged with a real ASID of their own per VM,
 * which the real TLB also matches while that VM runs (atlb_set_vm_asid,
 * as MIPS VZ matches root entries by GuestID): they survive VM switches
 * and never match another VM.  `globals=drop` keeps them real-global and
 * drops them when their VM leaves the CPU (the first implementation, for
 * comparison).
 *
 * Tables: map[r] says which (VM, guest ASID) owns real ASID r (guest ASID
 * GLOBAL_GASID for a VM's global entries) and when it was last used (LRU
 * stamp); per VM, gmap[g] is the real ASID of guest ASID g or -1.  Per
 * real TLB entry, src[j] is the (VM, virtual index) it was derived from
 * and rasid[j] its real ASID.  Invariants: map and gmap agree; every
 * valid real entry is the translation of a valid virtual entry of src[j]'s
 * VM, tagged with a real ASID that VM owns (or, with globals=drop,
 * real-global and of the running VM).
 */
#include "asid/asid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memvirt/stats.h"
#include "softtlb/vtlb.h"

#define MAX_REAL_ASIDS (1u << 16)
#define GUEST_ASIDS (1u << 12)
/* The map table's key for a VM's guest-global entries. */
#define GLOBAL_GASID GUEST_ASIDS
#define NO_VM UINT16_MAX

struct asid_owner {
	uint16_t vm;        /* NO_VM: free */
	uint16_t gasid;     /* a guest ASID, or GLOBAL_GASID */
	uint64_t stamp;
};

struct asid_vm {
	struct softtlb_vtlb vtlb;
	int32_t gmap[GUEST_ASIDS + 1];   /* by guest ASID; [GLOBAL_GASID]: the globals' */
	uint32_t cur_gasid;
	uint32_t cur_real;
};

struct asid_src {
	uint16_t vm;        /* NO_VM: the real entry holds nothing of ours */
	bool global;        /* from a guest global entry */
	uint32_t vidx;
};

enum globals_policy { GLOBALS_TAGGED = 0, GLOBALS_DROP };

struct asid_state {
	const struct mv_hw *hw;
	uint32_t real_entries, real_asids, vtlb_entries;
	enum globals_policy globals;
	struct asid_owner *map;
	struct asid_src *src;
	uint32_t *rasid;
	struct mv_vm *vms[64];
	uint64_t clock;
	struct softtlb_emul_stats emul;
	uint64_t recycle_flushes, hidden_refills, reflected_refills;
	uint64_t real_writes, real_evictions, switches, global_drops;
};

static const char *const globals_names[] = {"tagged", "drop", NULL};

enum { OPT_VTLB, OPT_GLOBALS, OPT__COUNT };
static const struct mv_option asid_option_table[OPT__COUNT] = {
	[OPT_VTLB] = {.name = "vtlb", .type = MV_OPT_UINT, .min = 2, .max = 65536, .def = "64",
		      .help = "entries of each VM's virtual TLB, the size the guest discovers (the real TLB's is --tlb arch=N)"},
	[OPT_GLOBALS] = {.name = "globals", .type = MV_OPT_CHOICE, .choices = globals_names, .def = "tagged",
			 .help = "guest-global entries: tagged with a real ASID per VM and kept across VM switches, or real-global and dropped when their VM leaves the CPU"},
};

static int asid_create(const struct mv_hw *hw, const char *options, void **state, char *err,
		       size_t err_len)
{
	struct mv_opt_value v[OPT__COUNT];
	struct asid_state *s;

	if (hw->size < offsetof(struct mv_hw, atlb_set_vm_asid) + sizeof(hw->atlb_set_vm_asid) ||
	    !hw->atlb_entries) {
		snprintf(err, err_len, "asid virtualizes the architected-TLB machine: add --machine archtlb");
		return -EINVAL;
	}
	mv_options_defaults(asid_option_table, OPT__COUNT, v);
	if (mv_options_parse(asid_option_table, OPT__COUNT, options, v, "asid", err, err_len))
		return -EINVAL;
	if (hw->vm_count > 64) {
		snprintf(err, err_len, "asid supports at most 64 VMs");
		return -EINVAL;
	}
	if (v[OPT_GLOBALS].u == GLOBALS_TAGGED && hw->atlb_asid_bits < 1) {
		snprintf(err, err_len,
			 "asid: globals=tagged needs at least 2 real ASIDs (a VM's own ASID and its globals'); use --tlb asid-bits=1 or more, or globals=drop");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->hw = hw;
	s->vtlb_entries = (uint32_t)v[OPT_VTLB].u;
	s->globals = (enum globals_policy)v[OPT_GLOBALS].u;
	s->real_entries = hw->atlb_entries;
	s->real_asids = hw->atlb_asid_bits >= 16 ? MAX_REAL_ASIDS : 1u << hw->atlb_asid_bits;
	s->map = calloc(s->real_asids, sizeof(*s->map));
	s->src = calloc(s->real_entries, sizeof(*s->src));
	s->rasid = calloc(s->real_entries, sizeof(*s->rasid));
	if (!s->map || !s->src || !s->rasid) {
		free(s->map);
		free(s->src);
		free(s->rasid);
		free(s);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t r = 0; r < s->real_asids; r++)
		s->map[r].vm = NO_VM;
	for (uint32_t j = 0; j < s->real_entries; j++)
		s->src[j].vm = NO_VM;
	*state = s;
	return 0;
}

static void asid_destroy(void *state)
{
	struct asid_state *s = state;

	free(s->map);
	free(s->src);
	free(s->rasid);
	free(s);
}

static struct asid_vm *vm_of(struct asid_state *s, struct mv_vm *vm)
{
	return s->hw->vm_state(vm);
}

static void post(struct asid_state *s, struct mv_vm *vm, uint32_t type, uint32_t asid,
		 uint64_t detail)
{
	struct mv_event ev = {.type = type, .asid = asid, .detail = detail};

	s->hw->post(vm, &ev);
}

/* Drop the real copies of virtual entry vidx of VM vmi. */
static int real_forget(struct asid_state *s, struct mv_vm *vm, uint16_t vmi, uint32_t vidx)
{
	int rc = 0;

	for (uint32_t j = 0; j < s->real_entries && !rc; j++)
		if (s->src[j].vm == vmi && s->src[j].vidx == vidx) {
			s->src[j].vm = NO_VM;
			rc = s->hw->atlb_write(vm, j, 0, 0);
		}
	return rc;
}

/* The real ASID of (vm, gasid), gasid GLOBAL_GASID for its globals: a map
 * hit, a free one, or the least recently used one recycled (its entries
 * flushed). */
static int real_asid(struct asid_state *s, struct mv_vm *vm, uint32_t gasid, uint32_t *out)
{
	struct asid_vm *v = vm_of(s, vm);
	uint16_t vmi = s->hw->vm_index(vm);
	uint32_t r, best = 0;
	int rc;

	if (v->gmap[gasid] >= 0) {
		r = (uint32_t)v->gmap[gasid];
		s->map[r].stamp = ++s->clock;
		post(s, vm, MV_EV_ASID_MAP_HIT, r, gasid);
		*out = r;
		return 0;
	}
	for (r = 0; r < s->real_asids; r++) {
		if (s->map[r].vm == NO_VM)
			break;
		if (s->map[r].stamp < s->map[best].stamp)
			best = r;
	}
	if (r == s->real_asids) {
		struct asid_owner *o = &s->map[best];
		struct mv_vm *owner = s->vms[o->vm];

		r = best;
		vm_of(s, owner)->gmap[o->gasid] = -1;
		rc = s->hw->atlb_flush(vm, false, r);
		if (rc)
			return rc;
		for (uint32_t j = 0; j < s->real_entries; j++)
			if (s->src[j].vm != NO_VM && s->rasid[j] == r &&
			    !(s->src[j].global && s->globals == GLOBALS_DROP))
				s->src[j].vm = NO_VM;
		s->recycle_flushes++;
		post(s, vm, MV_EV_ASID_RECYCLE, r, o->vm);
		post(s, vm, MV_EV_TLB_FLUSH, r, MV_FLUSH_TAG);
	}
	s->map[r] = (struct asid_owner){.vm = vmi, .gasid = (uint16_t)gasid, .stamp = ++s->clock};
	v->gmap[gasid] = (int32_t)r;
	post(s, vm, MV_EV_ASID_ALLOC, r, gasid);
	*out = r;
	return 0;
}

/* Put virtual entry vidx of vm into the real TLB where its replacement
 * puts it, tagged with the real ASID of its guest ASID (or of the VM's
 * globals). */
static int real_put(struct asid_state *s, struct mv_vm *vm, uint32_t vidx)
{
	struct asid_vm *v = vm_of(s, vm);
	uint64_t hi = v->vtlb.hi[vidx], lo = v->vtlb.lo[vidx], rlo;
	bool global = lo & MV_ATLB_LO_G;
	uint32_t r = 0, j;
	int rc = 0;

	if (!global)
		rc = real_asid(s, vm, (uint32_t)(hi & MV_ATLB_HI_ASID), &r);
	else if (s->globals == GLOBALS_TAGGED)
		rc = real_asid(s, vm, GLOBAL_GASID, &r);
	rc = rc ? rc : softtlb_real_lo(s->hw, vm, lo, &rlo);
	if (rc)
		return rc;
	if (global && s->globals == GLOBALS_TAGGED)
		rlo &= ~MV_ATLB_LO_G;
	rc = s->hw->atlb_write_free(vm, (hi & MV_ATLB_HI_VPN) | r, rlo, 0, &j);
	if (rc)
		return rc;
	if (s->src[j].vm != NO_VM)
		s->real_evictions++;
	s->src[j] = (struct asid_src){.vm = s->hw->vm_index(vm), .vidx = vidx, .global = global};
	s->rasid[j] = r;
	s->real_writes++;
	return 0;
}

static int on_entry(void *ctx, struct mv_vm *vm, uint32_t vidx, uint64_t old_hi, uint64_t old_lo)
{
	struct asid_state *s = ctx;
	struct asid_vm *v = vm_of(s, vm);
	int rc;

	(void)old_hi;
	(void)old_lo;
	rc = real_forget(s, vm, s->hw->vm_index(vm), vidx);
	/* Entries of the current ASID (or global) go in at once, as the
	 * guest is about to use them; others wait for a hidden refill. */
	if (!rc && v->vtlb.lo[vidx] &&
	    ((v->vtlb.lo[vidx] & MV_ATLB_LO_G) ||
	     (v->vtlb.hi[vidx] & MV_ATLB_HI_ASID) == v->cur_gasid))
		rc = real_put(s, vm, vidx);
	return rc;
}

/* The guest dropped entries of its virtual TLB: their real copies go. */
static int on_flush(void *ctx, struct mv_vm *vm)
{
	struct asid_state *s = ctx;
	struct asid_vm *v = vm_of(s, vm);
	uint16_t vmi = s->hw->vm_index(vm);
	int rc = 0;

	for (uint32_t j = 0; j < s->real_entries && !rc; j++)
		if (s->src[j].vm == vmi && !v->vtlb.lo[s->src[j].vidx]) {
			s->src[j].vm = NO_VM;
			rc = s->hw->atlb_write(vm, j, 0, 0);
		}
	return rc;
}

static int on_flush_asid(void *ctx, struct mv_vm *vm, uint32_t gasid)
{
	(void)gasid;
	return on_flush(ctx, vm);
}

static int on_flush_all(void *ctx, struct mv_vm *vm, uint32_t wired)
{
	(void)wired;
	return on_flush(ctx, vm);
}

/* The real ASIDs the real TLB matches while vm runs: its current guest
 * ASID's, and with globals=tagged its globals'. */
static int load_asid(struct asid_state *s, struct mv_vm *vm)
{
	struct asid_vm *v = vm_of(s, vm);
	uint32_t rg = 0;
	int rc = 0;

	if (s->globals == GLOBALS_TAGGED)
		rc = real_asid(s, vm, GLOBAL_GASID, &rg);
	rc = rc ? rc : real_asid(s, vm, v->cur_gasid, &v->cur_real);
	/* Allocating the second may have recycled the first (with very few
	 * real ASIDs): take the globals' again, now a hit or a fresh one. */
	if (!rc && s->globals == GLOBALS_TAGGED && v->gmap[GLOBAL_GASID] < 0)
		rc = real_asid(s, vm, GLOBAL_GASID, &rg);
	rc = rc ? rc : s->hw->atlb_set_real_asid(vm, v->cur_real);
	return rc ? rc : s->hw->atlb_set_vm_asid(vm, s->globals == GLOBALS_TAGGED, rg);
}

static int on_set_asid(void *ctx, struct mv_vm *vm, uint32_t gasid)
{
	struct asid_state *s = ctx;

	vm_of(s, vm)->cur_gasid = gasid;
	return load_asid(s, vm);
}

static const struct softtlb_real real_ops = {
	.entry = on_entry,
	.flush_asid = on_flush_asid,
	.flush_all = on_flush_all,
	.set_asid = on_set_asid,
};

static int asid_vm_init(void *state, struct mv_vm *vm)
{
	struct asid_state *s = state;
	const struct mv_hw *hw = s->hw;
	struct mv_paging paging = {.mode = MV_PAGING_GUEST};
	struct asid_vm *v = calloc(1, sizeof(*v));
	struct mv_atlb_regs r;
	int rc;

	if (!v)
		return -ENOMEM;
	rc = softtlb_vtlb_init(&v->vtlb, s->vtlb_entries,
			       softtlb_stream(hw->vm_index(vm), SOFTTLB_STREAM_WRITE_RANDOM));
	if (rc) {
		free(v);
		return rc;
	}
	for (uint32_t g = 0; g <= GUEST_ASIDS; g++)
		v->gmap[g] = -1;
	hw->set_vm_state(vm, v);
	s->vms[hw->vm_index(vm)] = vm;
	/* The guest sees its virtual TLB's size and the full 12-bit ASID
	 * space whatever the real width: the map table absorbs the
	 * difference. */
	rc = hw->atlb_get_regs(vm, &r);
	if (!rc) {
		r.entries = s->vtlb_entries;
		r.asid_bits = 12;
		rc = hw->atlb_set_regs(vm, &r);
	}
	rc = rc ? rc : hw->set_paging(vm, &paging);
	rc = rc ? rc : load_asid(s, vm);
	return rc ? rc
		  : hw->set_intercepts(vm, (1ull << ENGINE_ICPT_TLB_WRITE) |
						   (1ull << ENGINE_ICPT_EXCEPTION),
				       1u << MV_ATLB_REFILL_VECTOR);
}

static void asid_vm_fini(void *state, struct mv_vm *vm)
{
	struct asid_vm *v = ((struct asid_state *)state)->hw->vm_state(vm);

	if (!v)
		return;
	softtlb_vtlb_fini(&v->vtlb);
	free(v);
}

static int refill(struct asid_state *s, struct mv_vm *vm, const struct engine_exit *ex)
{
	const struct mv_hw *hw = s->hw;
	struct asid_vm *v = vm_of(s, vm);
	uint64_t va = ex->intercept.info1;
	struct mv_event ev = {.gva = va, .asid = v->cur_gasid};
	int i = softtlb_vtlb_find(&v->vtlb, va, v->cur_gasid), rc;

	if (i < 0) {
		s->reflected_refills++;
		ev.type = MV_EV_REFLECTED_REFILL;
		hw->post(vm, &ev);
		rc = hw->inject_exception(vm, MV_ATLB_REFILL_VECTOR, ex->intercept.error_code, va);
		return rc ? rc : MV_EXIT_HANDLED;
	}
	s->hidden_refills++;
	ev.type = MV_EV_HIDDEN_REFILL;
	ev.gpa = v->vtlb.lo[i] & MV_ATLB_LO_PFN;
	hw->post(vm, &ev);
	/* The real ASIDs may have been recycled since the guest set its own. */
	rc = load_asid(s, vm);
	rc = rc ? rc : real_put(s, vm, (uint32_t)i);
	return rc ? rc : MV_EXIT_HANDLED;
}

static int asid_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *ex)
{
	struct asid_state *s = state;

	if (ex->reason != ENGINE_EXIT_INTERCEPT)
		return MV_EXIT_NOT_MINE;
	switch (ex->intercept.cause) {
	case ENGINE_ICPT_TLB_WRITE:
		return softtlb_emulate(s->hw, vm, &vm_of(s, vm)->vtlb, ex, &real_ops, s, &s->emul);
	case ENGINE_ICPT_EXCEPTION:
		if (ex->intercept.vector == MV_ATLB_REFILL_VECTOR)
			return refill(s, vm, ex);
		return MV_EXIT_NOT_MINE;
	default:
		return MV_EXIT_NOT_MINE;
	}
}

static int asid_vm_switch(void *state, struct mv_vm *prev, struct mv_vm *next)
{
	struct asid_state *s = state;
	int rc;

	if (!prev)
		return 0;
	/* Nothing is rewritten: the incoming VM's entries are still there
	 * under its real ASIDs.  The walk-derived TLB of the boot period
	 * carries no VM tag and is flushed (empty once walks are off).  With
	 * globals=drop the outgoing VM's real-global entries would match
	 * every VM and go (the incoming VM's come back by hidden refills). */
	rc = s->hw->flush_tlb(next, MV_FLUSH_ALL, 0);
	for (uint32_t j = 0; s->globals == GLOBALS_DROP && j < s->real_entries && !rc; j++)
		if (s->src[j].vm != NO_VM && s->src[j].global) {
			s->src[j].vm = NO_VM;
			s->global_drops++;
			rc = s->hw->atlb_write(next, j, 0, 0);
		}
	rc = rc ? rc : load_asid(s, next);
	if (rc)
		return rc;
	s->switches++;
	return 0;
}

/* What stats() reports besides the emulator's counts. */
struct asid_totals {
	uint64_t recycle_flushes, hidden_refills, reflected_refills, real_writes, real_evictions;
	uint64_t real_asids, global_drops, vtlb_entries, real_entries, rewrite_entries;
};

static const struct mv_stat_desc asid_stat_table[] = {
	MV_STAT("asid_recycle_flushes", struct asid_totals, recycle_flushes,
		"real ASIDs taken back from their owner, their entries flushed"),
	MV_STAT("asid_hidden_refills", struct asid_totals, hidden_refills, "real-TLB misses refilled from the virtual TLB"),
	MV_STAT("asid_reflected_refills", struct asid_totals, reflected_refills,
		"misses the virtual TLB cannot serve, reflected to the guest's refill handler"),
	MV_STAT("asid_real_writes", struct asid_totals, real_writes, "entries written into the real TLB"),
	MV_STAT("asid_real_evictions", struct asid_totals, real_evictions,
		"real entries of some VM displaced by the real TLB's replacement"),
	MV_STAT("asid_real_asids", struct asid_totals, real_asids, "real ASIDs of the machine (--tlb asid-bits=)"),
	MV_STAT("asid_switch_global_drops", struct asid_totals, global_drops,
		"real-global entries dropped at VM switches (globals=drop)"),
	MV_STAT("asid_vtlb_entries", struct asid_totals, vtlb_entries, "entries of each VM's virtual TLB (vtlb=)"),
	MV_STAT("asid_real_entries", struct asid_totals, real_entries, "entries of the real TLB (--tlb arch=)"),
	/* Priced by the cost model for both methods; Method 2 rewrites none. */
	MV_STAT("tlb_rewrite_entries", struct asid_totals, rewrite_entries,
		"entries rewritten into the real TLB at VM switches"),
};

static void asid_stats(void *state, engine_stat_fn fn, void *ctx)
{
	struct asid_state *s = state;
	struct asid_totals t = {
		.recycle_flushes = s->recycle_flushes, .hidden_refills = s->hidden_refills,
		.reflected_refills = s->reflected_refills, .real_writes = s->real_writes,
		.real_evictions = s->real_evictions, .real_asids = s->real_asids,
		.global_drops = s->global_drops, .vtlb_entries = s->vtlb_entries,
		.real_entries = s->real_entries, .rewrite_entries = 0,
	};

	softtlb_emul_stats_report("asid", &s->emul, fn, ctx);
	/* map hits, allocations and recycles are the event counters
	 * (asid_map_hits, asid_allocs, asid_recycles). */
	mv_stats_report(asid_stat_table, sizeof(asid_stat_table) / sizeof(asid_stat_table[0]), &t, fn, ctx);
}

const struct mv_backend_ops asid_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "asid",
	.description = "architected TLB, Method 2: real TLB entries tagged with real ASIDs through an ASID map table; VM switches rewrite nothing (--machine archtlb)",
	.engines = MV_ENGINE_SOFT | MV_BACKEND_ARCH_TLB,
	.create = asid_create,
	.destroy = asid_destroy,
	.vm_init = asid_vm_init,
	.vm_fini = asid_vm_fini,
	.vm_switch = asid_vm_switch,
	.handle_exit = asid_handle_exit,
	.stats = asid_stats,
	.needs = MV_CAP_MMU | MV_CAP_ARCH_TLB,
	.options = asid_option_table,
	.option_count = OPT__COUNT,
};
