/*
 * core/backend_native.c — the `native` backend: no VMM interposition on
 * memory.  The guest's own page tables drive the hardware walk; its
 * guest-physical addresses are relocated into its slice of machine memory
 * at no cost, as if it owned the machine.  The baseline every overhead is
 * measured against.
 *
 * With several VMs timeshared, the hardware TLB carries no VM tag in this
 * mode, so a switch to another VM must flush it — exactly what a machine
 * without VMM support for tags would have to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/backends.h"
#include "memvirt/stats.h"

struct native_state {
	const struct mv_hw *hw;
	uint64_t switch_flushes;
};

static int native_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			 size_t err_len)
{
	struct native_state *s;

	if (options && *options) {
		snprintf(err, err_len, "native takes no options (got '%s')", options);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->hw = hw;
	*state = s;
	return 0;
}

static void native_destroy(void *state)
{
	free(state);
}

static int native_vm_init(void *state, struct mv_vm *vm)
{
	struct native_state *s = state;
	struct mv_paging paging = {.mode = MV_PAGING_GUEST};

	return s->hw->set_paging(vm, &paging);
}

static int native_vm_switch(void *state, struct mv_vm *prev, struct mv_vm *next)
{
	struct native_state *s = state;
	struct mv_event ev = {.type = MV_EV_TLB_FLUSH, .detail = MV_FLUSH_ALL};
	int rc;

	if (!prev)
		return 0;
	rc = s->hw->flush_tlb(next, MV_FLUSH_ALL, 0);
	if (rc)
		return rc;
	s->switch_flushes++;
	s->hw->post(next, &ev);
	return 0;
}

static const struct mv_stat_desc native_stat_table[] = {
	MV_STAT("native_switch_flushes", struct native_state, switch_flushes,
		"full TLB flushes at VM switches (the untagged TLB cannot keep two VMs apart)"),
};

static void native_stats(void *state, engine_stat_fn fn, void *ctx)
{
	mv_stats_report(native_stat_table, sizeof(native_stat_table) / sizeof(native_stat_table[0]), state, fn,
			ctx);
}

const struct mv_backend_ops native_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "native",
	.description = "no memory interposition: the guest's own page tables drive the MMU (the baseline)",
	.engines = MV_ENGINE_SOFT,
	.create = native_create,
	.destroy = native_destroy,
	.vm_init = native_vm_init,
	.vm_switch = native_vm_switch,
	.stats = native_stats,
	.needs = MV_CAP_MMU,
};
