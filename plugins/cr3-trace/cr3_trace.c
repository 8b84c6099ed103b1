/*
 * plugins/cr3-trace/cr3_trace.c — an example memory-backend plugin, built
 * out of tree against the installed SDK (docs/plugin-abi.md has the exact
 * recipes, installed and uninstalled):
 *
 *   cc $(pkg-config --cflags memvirt) -std=c17 -shared -fPIC -o cr3-trace.so cr3_trace.c
 *   memvirt run --backend cr3-trace.so --workload ctxsw
 *
 * The guest's own page tables drive the MMU, as with `native`, but every
 * guest `mov cr3` traps to the VMM, which interprets it (the classic
 * trap-and-emulate of a privileged instruction: load the register with its
 * architectural TLB flush, skip the instruction) and posts an event with
 * the new page-table root.  It counts the address spaces it saw, so the
 * cost of merely virtualizing the PT pointer can be measured against
 * native.  Options: `roots=N` (how many distinct roots to remember, 1..4096,
 * default 256), described by a table the SDK's parser reads (memvirt/
 * options.h); statistics by a table too (memvirt/stats.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memvirt/backend.h>
#include <memvirt/options.h>
#include <memvirt/stats.h>

struct cr3_trace {
	const struct mv_hw *hw;
	unsigned max_roots;
	uint32_t root_count;
	uint64_t *roots;         /* distinct roots seen, up to max_roots */
	uint64_t writes;
	uint64_t roots_overflow; /* writes of a root when the table was full */
};

static const struct mv_option cr3_trace_options[] = {
	{.name = "roots", .type = MV_OPT_UINT, .min = 1, .max = 4096, .def = "256",
	 .help = "distinct page-table roots remembered"},
};

static int cr3_trace_create(const struct mv_hw *hw, const char *options, void **state,
			    char *err, size_t err_len)
{
	struct mv_opt_value v[1];
	struct cr3_trace *t;
	unsigned roots;

	if (hw->size < offsetof(struct mv_hw, skip_instruction) + sizeof(hw->skip_instruction) ||
	    !hw->write_cr3 || !hw->skip_instruction) {
		snprintf(err, err_len, "cr3-trace needs a memvirt whose services include write_cr3");
		return -EINVAL;
	}
	mv_options_defaults(cr3_trace_options, 1, v);
	if (mv_options_parse(cr3_trace_options, 1, options, v, "cr3-trace", err, err_len))
		return -EINVAL;
	roots = (unsigned)v[0].u;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->roots = calloc(roots, sizeof(*t->roots));
	if (!t->roots) {
		free(t);
		return -ENOMEM;
	}
	t->hw = hw;
	t->max_roots = roots;
	*state = t;
	return 0;
}

static void cr3_trace_destroy(void *state)
{
	struct cr3_trace *t = state;

	free(t->roots);
	free(t);
}

static int cr3_trace_vm_init(void *state, struct mv_vm *vm)
{
	struct cr3_trace *t = state;
	struct mv_paging paging = {.mode = MV_PAGING_GUEST};
	int rc = t->hw->set_paging(vm, &paging);

	if (rc)
		return rc;
	return t->hw->set_intercepts(vm, 1ull << ENGINE_ICPT_CR3_WRITE, 0);
}

static void remember_root(struct cr3_trace *t, uint64_t root)
{
	for (unsigned i = 0; i < t->root_count; i++)
		if (t->roots[i] == root)
			return;
	if (t->root_count == t->max_roots) {
		t->roots_overflow++;
		return;
	}
	t->roots[t->root_count++] = root;
}

static int cr3_trace_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *exit)
{
	struct cr3_trace *t = state;
	uint64_t cr3;
	struct mv_event ev = {.type = MV_EV_PLUGIN};
	int rc;

	if (exit->reason != ENGINE_EXIT_INTERCEPT || exit->intercept.cause != ENGINE_ICPT_CR3_WRITE)
		return MV_EXIT_NOT_MINE;
	cr3 = exit->intercept.info1;
	rc = t->hw->write_cr3(vm, cr3);
	if (rc)
		return rc;
	rc = t->hw->skip_instruction(vm, exit->intercept.insn_len);
	if (rc)
		return rc;
	t->writes++;
	remember_root(t, cr3 & 0x000ffffffffff000ull);
	ev.gpa = cr3 & 0x000ffffffffff000ull;
	ev.asid = (uint32_t)(cr3 & 0xfff);
	ev.detail = cr3 >> 63; /* the no-flush bit */
	t->hw->post(vm, &ev);
	return MV_EXIT_HANDLED;
}

static const struct mv_stat_desc cr3_trace_stat_table[] = {
	MV_STAT("cr3_trace_writes", struct cr3_trace, writes, "guest CR3 writes trapped and interpreted"),
	MV_STAT_OF("cr3_trace_roots", MV_STAT_U32, struct cr3_trace, root_count, "distinct page-table roots seen"),
	MV_STAT("cr3_trace_roots_overflow", struct cr3_trace, roots_overflow,
		"CR3 writes of a root not remembered because roots= were all taken"),
};

static void cr3_trace_stats(void *state, engine_stat_fn fn, void *ctx)
{
	mv_stats_report(cr3_trace_stat_table, sizeof(cr3_trace_stat_table) / sizeof(cr3_trace_stat_table[0]),
			state, fn, ctx);
}

static const struct mv_backend_ops cr3_trace_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "cr3-trace",
	.description = "native paging with the PT pointer virtualized: every guest mov cr3 traps and is interpreted",
	.engines = MV_ENGINE_SOFT,
	.create = cr3_trace_create,
	.destroy = cr3_trace_destroy,
	.vm_init = cr3_trace_vm_init,
	.handle_exit = cr3_trace_handle_exit,
	.stats = cr3_trace_stats,
	.needs = MV_CAP_MMU,
	.options = cr3_trace_options,
	.option_count = 1,
};

const struct mv_backend_ops *memvirt_backend(void);

const struct mv_backend_ops *memvirt_backend(void)
{
	return &cr3_trace_ops;
}
