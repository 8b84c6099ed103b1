/*
 * tests/plugin/misbehave.c — a backend plugin that misbehaves in one
 * chosen way, for the hardening tests (tests/plugin/misbehave.sh).
 *
 * At run time by --backend-opt mode=...:
 *   loop-create   never returns from create
 *   loop-exit     never returns from its first intercepted exit
 *   err-no-nul    fails create with an err buffer filled to its end, no NUL
 *   crash-destroy dereferences a wild pointer in destroy
 *   exit          calls exit(0) in its first intercepted exit
 *   many-stats    reports 100000 statistics
 * At build time (-D): MISBEHAVE_KVM_ONLY (runs on the kvm engine only),
 * MISBEHAVE_NATIVE (calls itself "native"), MISBEHAVE_CTOR_CRASH (crashes
 * in a constructor, while memvirt loads it), MISBEHAVE_ENTRY_CRASH
 * (crashes in memvirt_backend()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memvirt/backend.h>

struct misbehave {
	const struct mv_hw *hw;
	char mode[32];
};

__attribute__((noinline)) int misbehave_poke(volatile int *p);
__attribute__((noinline)) int misbehave_poke(volatile int *p)
{
	return *p;
}

/* volatile: the loops must not be optimised into nothing (or into
 * undefined behaviour). */
static volatile int forever = 1;

static int misbehave_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			    size_t err_len)
{
	struct misbehave *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->hw = hw;
	if (options && !strncmp(options, "mode=", 5))
		snprintf(m->mode, sizeof(m->mode), "%s", options + 5);
	if (!strcmp(m->mode, "loop-create"))
		while (forever)
			;
	if (!strcmp(m->mode, "err-no-nul")) {
		memset(err, 'x', err_len);
		free(m);
		return -EINVAL;
	}
	*state = m;
	return 0;
}

static void misbehave_destroy(void *state)
{
	struct misbehave *m = state;

	if (!strcmp(m->mode, "crash-destroy"))
		misbehave_poke((volatile int *)(uintptr_t)16);
	free(m);
}

static int misbehave_vm_init(void *state, struct mv_vm *vm)
{
	struct misbehave *m = state;
	struct mv_paging paging = {.mode = MV_PAGING_GUEST};
	int rc = m->hw->set_paging(vm, &paging);

	return rc ? rc : m->hw->set_intercepts(vm, 1ull << ENGINE_ICPT_CR3_WRITE, 0);
}

static int misbehave_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *ex)
{
	struct misbehave *m = state;

	if (!strcmp(m->mode, "loop-exit"))
		while (forever)
			;
	if (!strcmp(m->mode, "exit"))
		exit(0);
	/* Otherwise do what the guest asked: load CR3, skip the mov. */
	{
		int rc = m->hw->write_cr3(vm, ex->intercept.info1);

		rc = rc ? rc : m->hw->skip_instruction(vm, ex->intercept.insn_len);
		return rc ? rc : MV_EXIT_HANDLED;
	}
}

static void misbehave_stats(void *state, engine_stat_fn fn, void *ctx)
{
	struct misbehave *m = state;

	if (strcmp(m->mode, "many-stats"))
		return;
	for (unsigned i = 0; i < 100000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "misbehave_%u", i);
		fn(ctx, name, i);
	}
}

static const struct mv_backend_ops ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
#ifdef MISBEHAVE_NATIVE
	.name = "native",
#else
	.name = "misbehave",
#endif
	.description = "misbehaves as told (test plugin)",
#ifdef MISBEHAVE_KVM_ONLY
	.engines = MV_ENGINE_KVM,
#else
	.engines = MV_ENGINE_SOFT,
#endif
	.create = misbehave_create,
	.destroy = misbehave_destroy,
	.vm_init = misbehave_vm_init,
	.handle_exit = misbehave_handle_exit,
	.stats = misbehave_stats,
};

#ifdef MISBEHAVE_CTOR_CRASH
__attribute__((constructor)) static void misbehave_ctor(void)
{
	misbehave_poke((volatile int *)(uintptr_t)16);
}
#endif

const struct mv_backend_ops *memvirt_backend(void);
const struct mv_backend_ops *memvirt_backend(void)
{
#ifdef MISBEHAVE_ENTRY_CRASH
	misbehave_poke((volatile int *)(uintptr_t)16);
#endif
	return &ops;
}
