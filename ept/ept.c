/*
 * ept/ept.c — the `ept` backend (see ept.h).
 *
 * Per VM: one nested table (struct ept_npt) built from frames of the
 * VMM's pool, the VM's ASID (index + 1 with tags on, so that 0 stays the
 * untagged, non-nested tag; 0 for every VM with tags off).
 *
 * Invariants:
 * - A nested leaf maps a page of the VM's own RAM only: the RAM size and
 *   its machine address are multiples of the nested page size (checked
 *   at create() from the machine layout, and again at vm_init from the
 *   VM itself), so no nested page reaches outside the VM.
 * - With tags off every VM runs with ASID 0, so the TLB cannot tell VMs
 *   apart: every VM switch flushes it entirely.  With tags on nothing is
 *   flushed at a switch; each VM's combined GVA->HPA entries stay.
 * - Eager tables map all of RAM before the VM first runs, so a nested
 *   fault there is a bug and is left to the VMM to report.  Lazy tables
 *   gain one nested page per nested fault on RAM; a fault outside RAM or
 *   on a present page (a protection fault: never, with RWX entries) is
 *   the VMM's to report too.
 */
#include "ept/ept.h"

#include "memvirt/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ept_state;

struct ept_vm {
	struct ept_state *s;
	struct mv_vm *vm;
	struct ept_npt npt;
	uint32_t asid;
	uint64_t faults_fixed;
};

struct ept_state {
	const struct mv_hw *hw;
	struct ept_options opt;
	uint64_t switch_flushes;
	uint64_t tagged_switches;
	/* Totals of VMs already gone, so that stats() sees every VM. */
	uint64_t gone_tables, gone_leaves[EPT_NPAGE__COUNT], gone_faults;
	struct ept_vm *vms[64];   /* by VM index, for stats(); NULL when none */
};

/* ---- options ------------------------------------------------------------ */

static const char *const npage_names[EPT_NPAGE__COUNT + 1] = {
	[EPT_NPAGE_4K] = "4k", [EPT_NPAGE_2M] = "2m", [EPT_NPAGE_1G] = "1g", NULL,
};
static const char *const populate_names[] = {"eager", "lazy", NULL};
static const char *const onoff_names[] = {"off", "on", NULL};

const struct mv_option ept_option_table[EPT_OPT__COUNT] = {
	[EPT_OPT_POPULATE] = {.name = "populate", .type = MV_OPT_CHOICE, .choices = populate_names,
			      .def = "eager", .help = "build the nested tables before the VM runs, or on nested faults"},
	[EPT_OPT_NPAGE] = {.name = "npage", .type = MV_OPT_CHOICE, .choices = npage_names, .def = "4k",
			   .help = "nested page size"},
	[EPT_OPT_TAGS] = {.name = "tags", .type = MV_OPT_CHOICE, .choices = onoff_names, .def = "on",
			  .help = "an ASID per VM (on) or a TLB flush at every VM switch (off)"},
};

void ept_options_default(struct ept_options *o)
{
	*o = (struct ept_options){.lazy = false, .npage = EPT_NPAGE_4K, .tags = true};
}

int ept_options_parse(const char *text, struct ept_options *o, char *err, size_t err_len)
{
	struct mv_opt_value v[EPT_OPT__COUNT];

	v[EPT_OPT_POPULATE] = (struct mv_opt_value){.u = o->lazy};
	v[EPT_OPT_NPAGE] = (struct mv_opt_value){.u = (uint64_t)o->npage};
	v[EPT_OPT_TAGS] = (struct mv_opt_value){.u = o->tags};
	if (mv_options_parse(ept_option_table, EPT_OPT__COUNT, text, v, "ept", err, err_len))
		return -EINVAL;
	o->lazy = v[EPT_OPT_POPULATE].u == 1;
	o->npage = (enum ept_npage)v[EPT_OPT_NPAGE].u;
	o->tags = v[EPT_OPT_TAGS].u == 1;
	return 0;
}

/* ---- frames for the nested tables, from the VMM's pool ------------------- */

static int frame_alloc(void *ctx, uint64_t *addr)
{
	struct ept_vm *v = ctx;

	return v->s->hw->frame_alloc(v->vm, addr);
}

static void frame_free(void *ctx, uint64_t addr)
{
	struct ept_vm *v = ctx;

	v->s->hw->frame_free(v->vm, addr);
}

static void *frame_ptr(void *ctx, uint64_t addr)
{
	struct ept_vm *v = ctx;

	return v->s->hw->hpa_ptr(v->vm, addr, 4096);
}

/* ---- the backend ----------------------------------------------------------- */

static const char *size_text(enum ept_npage s)
{
	static const char *const t[EPT_NPAGE__COUNT] = {
		[EPT_NPAGE_4K] = "4 KiB", [EPT_NPAGE_2M] = "2 MiB", [EPT_NPAGE_1G] = "1 GiB",
	};
	return t[s];
}

static bool hw_has_layout(const struct mv_hw *hw)
{
	return hw->size >= offsetof(struct mv_hw, vm_mem_bytes) + sizeof(hw->vm_mem_bytes);
}

static int ept_create(const struct mv_hw *hw, const char *options, void **state, char *err,
		      size_t err_len)
{
	struct ept_state *s;
	struct ept_options o;
	int rc;

	ept_options_default(&o);
	rc = ept_options_parse(options, &o, err, err_len);
	if (rc)
		return rc;
	if (hw_has_layout(hw)) {
		uint64_t bytes = ept_npage_bytes(o.npage);

		if (hw->vm_mem_bytes % bytes) {
			snprintf(err, err_len,
				 "npage=%s needs each VM's RAM to be a multiple of %s so that no nested page reaches outside it, and this run gives each VM %" PRIu64
				 " MiB (use --mem %s, or a smaller npage)",
				 npage_names[o.npage], size_text(o.npage), hw->vm_mem_bytes >> 20,
				 o.npage == EPT_NPAGE_1G ? "1G, 2G, ..." : "a multiple of 2M");
			return -EINVAL;
		}
		if (hw->vm_count > sizeof(s->vms) / sizeof(s->vms[0])) {
			snprintf(err, err_len, "ept supports at most %zu VMs, this run has %u",
				 sizeof(s->vms) / sizeof(s->vms[0]), hw->vm_count);
			return -EINVAL;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->hw = hw;
	s->opt = o;
	*state = s;
	return 0;
}

static void ept_destroy(void *state)
{
	free(state);
}

/* The machine page behind the nested page at gpa, checked to be one
 * contiguous, aligned piece of the VM's RAM. */
static int backing(const struct mv_hw *hw, struct mv_vm *vm, uint64_t gpa, uint64_t bytes,
		   uint64_t *hpa)
{
	uint64_t last;
	int rc;

	rc = hw->gpa_to_hpa(vm, gpa, hpa);
	rc = rc ? rc : hw->gpa_to_hpa(vm, gpa + bytes - 1, &last);
	if (rc)
		return rc;
	if (last != *hpa + bytes - 1 || (*hpa & (bytes - 1)))
		return -EINVAL;
	return 0;
}

static int ept_vm_init(void *state, struct mv_vm *vm)
{
	struct ept_state *s = state;
	const struct mv_hw *hw = s->hw;
	uint64_t bytes = ept_npage_bytes(s->opt.npage), mem = hw->vm_mem_size(vm), hpa;
	uint16_t index = hw->vm_index(vm);
	struct ept_vm *v;
	struct mv_paging paging;
	int rc;

	if (index >= sizeof(s->vms) / sizeof(s->vms[0]) || mem == 0 || mem % bytes)
		return -EINVAL;
	rc = backing(hw, vm, 0, bytes, &hpa);
	if (rc)
		return rc;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->s = s;
	v->vm = vm;
	v->asid = s->opt.tags ? (uint32_t)index + 1 : 0;
	rc = ept_npt_init(&v->npt, &(struct ept_npt_mem){.ctx = v, .alloc = frame_alloc,
							 .free = frame_free, .ptr = frame_ptr});
	if (rc) {
		free(v);
		return rc;
	}
	for (uint64_t gpa = 0; !s->opt.lazy && !rc && gpa < mem; gpa += bytes) {
		rc = backing(hw, vm, gpa, bytes, &hpa);
		rc = rc ? rc : ept_npt_map(&v->npt, gpa, hpa, s->opt.npage);
	}
	paging = (struct mv_paging){.mode = MV_PAGING_NESTED, .root = v->npt.root, .asid = v->asid};
	rc = rc ? rc : hw->set_paging(vm, &paging);
	if (rc) {
		ept_npt_destroy(&v->npt);
		free(v);
		return rc;
	}
	hw->set_vm_state(vm, v);
	s->vms[index] = v;
	return 0;
}

static void ept_vm_fini(void *state, struct mv_vm *vm)
{
	struct ept_state *s = state;
	struct ept_vm *v = s->hw->vm_state(vm);

	if (!v)
		return;
	s->gone_tables += v->npt.tables;
	for (unsigned k = 0; k < EPT_NPAGE__COUNT; k++)
		s->gone_leaves[k] += v->npt.leaves[k];
	s->gone_faults += v->faults_fixed;
	s->vms[s->hw->vm_index(vm)] = NULL;
	ept_npt_destroy(&v->npt);
	s->hw->set_vm_state(vm, NULL);
	free(v);
}

static int ept_vm_switch(void *state, struct mv_vm *prev, struct mv_vm *next)
{
	struct ept_state *s = state;
	struct mv_event ev = {.type = MV_EV_TLB_FLUSH, .detail = MV_FLUSH_ALL};
	int rc;

	if (!prev)
		return 0;
	if (s->opt.tags) {
		/* Each VM's entries carry its ASID: nothing to do. */
		s->tagged_switches++;
		return 0;
	}
	rc = s->hw->flush_tlb(next, MV_FLUSH_ALL, 0);
	if (rc)
		return rc;
	s->switch_flushes++;
	s->hw->post(next, &ev);
	return 0;
}

static int ept_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *ex)
{
	struct ept_state *s = state;
	const struct mv_hw *hw = s->hw;
	struct ept_vm *v = hw->vm_state(vm);
	uint64_t bytes = ept_npage_bytes(s->opt.npage), gpa, hpa;
	struct mv_event ev;
	int rc;

	if (ex->reason != ENGINE_EXIT_INTERCEPT || ex->intercept.cause != ENGINE_ICPT_NESTED_FAULT ||
	    !v || !s->opt.lazy)
		return MV_EXIT_NOT_MINE;
	/* Only "not present" faults on RAM are ours (error code bit 0 clear). */
	gpa = ex->intercept.info1 & ~(bytes - 1);
	if ((ex->intercept.error_code & 1u) || gpa >= hw->vm_mem_size(vm))
		return MV_EXIT_NOT_MINE;
	rc = backing(hw, vm, gpa, bytes, &hpa);
	if (rc)
		return rc;
	rc = ept_npt_map(&v->npt, gpa, hpa, s->opt.npage);
	if (rc)
		return rc;
	v->faults_fixed++;
	ev = (struct mv_event){
		.type = MV_EV_NESTED_FAULT,
		.gva = ex->intercept.info2,
		.gpa = ex->intercept.info1,
		.hpa = hpa + (ex->intercept.info1 - gpa),
		.asid = v->asid,
		.detail = ex->intercept.error_code,
	};
	hw->post(vm, &ev);
	/* A walk that faulted cached nothing: no flush is needed. */
	return MV_EXIT_HANDLED;
}

/* The run's totals, over the VMs alive and gone, as they are reported. */
struct ept_totals {
	uint64_t tables, leaves_4k, leaves_2m, leaves_1g, faults;
	uint64_t switch_flushes, tagged_switches, npage_kib, tags, lazy;
};

static const struct mv_stat_desc ept_stat_table[] = {
	MV_STAT("ept_table_frames", struct ept_totals, tables, "frames of nested tables built"),
	MV_STAT("ept_leaves_4k", struct ept_totals, leaves_4k, "nested 4 KiB leaves"),
	MV_STAT("ept_leaves_2m", struct ept_totals, leaves_2m, "nested 2 MiB leaves"),
	MV_STAT("ept_leaves_1g", struct ept_totals, leaves_1g, "nested 1 GiB leaves"),
	MV_STAT("ept_nested_faults_fixed", struct ept_totals, faults, "nested faults that mapped a page (populate=lazy)"),
	MV_STAT("ept_switch_flushes", struct ept_totals, switch_flushes, "full TLB flushes at VM switches (tags=off)"),
	MV_STAT("ept_tagged_switches", struct ept_totals, tagged_switches, "VM switches that kept the TLB (tags=on)"),
	MV_STAT("ept_npage_kib", struct ept_totals, npage_kib, "nested page size, KiB (npage=)"),
	MV_STAT("ept_tags", struct ept_totals, tags, "1 with tags=on"),
	MV_STAT("ept_lazy", struct ept_totals, lazy, "1 with populate=lazy"),
};

static void ept_stats(void *state, engine_stat_fn fn, void *ctx)
{
	struct ept_state *s = state;
	struct ept_totals t = {
		.tables = s->gone_tables,
		.leaves_4k = s->gone_leaves[EPT_NPAGE_4K],
		.leaves_2m = s->gone_leaves[EPT_NPAGE_2M],
		.leaves_1g = s->gone_leaves[EPT_NPAGE_1G],
		.faults = s->gone_faults,
		.switch_flushes = s->switch_flushes,
		.tagged_switches = s->tagged_switches,
		.npage_kib = ept_npage_bytes(s->opt.npage) >> 10,
		.tags = s->opt.tags,
		.lazy = s->opt.lazy,
	};

	for (size_t i = 0; i < sizeof(s->vms) / sizeof(s->vms[0]); i++) {
		const struct ept_vm *v = s->vms[i];

		if (!v)
			continue;
		t.tables += v->npt.tables;
		t.faults += v->faults_fixed;
		t.leaves_4k += v->npt.leaves[EPT_NPAGE_4K];
		t.leaves_2m += v->npt.leaves[EPT_NPAGE_2M];
		t.leaves_1g += v->npt.leaves[EPT_NPAGE_1G];
	}
	mv_stats_report(ept_stat_table, sizeof(ept_stat_table) / sizeof(ept_stat_table[0]), &t, fn, ctx);
}

const struct mv_backend_ops ept_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "ept",
	.description = "nested paging: per-VM GPA->HPA tables (AMD NPT format) with ASID tags; the guest runs its own page tables without exits, the MMU does the 2-D walk",
	.engines = MV_ENGINE_SOFT,
	.create = ept_create,
	.destroy = ept_destroy,
	.vm_init = ept_vm_init,
	.vm_fini = ept_vm_fini,
	.vm_switch = ept_vm_switch,
	.handle_exit = ept_handle_exit,
	.stats = ept_stats,
	.options = ept_option_table,
	.option_count = EPT_OPT__COUNT,
	.needs = MV_CAP_MMU,
};
