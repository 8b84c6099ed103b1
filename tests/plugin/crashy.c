/*
 * tests/plugin/crashy.c — a backend plugin that dereferences a wild
 * pointer in its first intercepted exit, in a function with a name the
 * crash report must show.
 */
#include <errno.h>
#include <stdlib.h>

#include <memvirt/backend.h>

struct crashy {
	const struct mv_hw *hw;
};

static int crashy_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			 size_t err_len)
{
	struct crashy *c = calloc(1, sizeof(*c));

	(void)options;
	(void)err;
	(void)err_len;
	if (!c)
		return -ENOMEM;
	c->hw = hw;
	*state = c;
	return 0;
}

static void crashy_destroy(void *state)
{
	free(state);
}

static int crashy_vm_init(void *state, struct mv_vm *vm)
{
	struct crashy *c = state;
	struct mv_paging paging = {.mode = MV_PAGING_GUEST};
	int rc = c->hw->set_paging(vm, &paging);

	return rc ? rc : c->hw->set_intercepts(vm, 1ull << ENGINE_ICPT_CR3_WRITE, 0);
}

/* Not static and not inlined, so the backtrace names it. */
__attribute__((noinline)) int crashy_poke_wild_pointer(volatile int *p);
__attribute__((noinline)) int crashy_poke_wild_pointer(volatile int *p)
{
	return *p;
}

static int crashy_handle_exit(void *state, struct mv_vm *vm, struct engine_exit *exit)
{
	(void)state;
	(void)vm;
	(void)exit;
	return crashy_poke_wild_pointer((volatile int *)(uintptr_t)16);
}

static const struct mv_backend_ops ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "crashy",
	.description = "crashes on its first exit (test plugin)",
	.engines = MV_ENGINE_SOFT,
	.create = crashy_create,
	.destroy = crashy_destroy,
	.vm_init = crashy_vm_init,
	.handle_exit = crashy_handle_exit,
};

const struct mv_backend_ops *memvirt_backend(void);
const struct mv_backend_ops *memvirt_backend(void)
{
	return &ops;
}
