/*
 * tests/sweep/loop_plugin.c — a backend plugin whose create() never
 * returns: `memvirt run --backend loop-plugin.so` loops before its guest
 * ever runs, where no check of the run's own --timeout can see it.  That
 * is the run the sweep runner must not wait for forever, nor leave behind
 * when the sweep itself dies.
 *
 * With --backend-opt deaf it first blocks every signal it can, so that
 * only SIGKILL ends it: whatever memvirt run does about its own timeout
 * (a timer signal, a polite SIGTERM), the run cannot stop by itself.
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <memvirt/backend.h>

static int loop_plugin_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			      size_t err_len)
{
	(void)hw;
	(void)state;
	(void)err;
	(void)err_len;
	if (options && strstr(options, "deaf")) {
		sigset_t all;

		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
	}
	/* Idle rather than spin: stuck is stuck to the runner either way, and
	 * the tests run beside others on machines with few CPUs. */
	for (;;) {
		struct timespec second = {1, 0};

		nanosleep(&second, NULL);
	}
	return 0;
}

static void loop_plugin_destroy(void *state)
{
	(void)state;
}

static int loop_plugin_vm_init(void *state, struct mv_vm *vm)
{
	(void)state;
	(void)vm;
	return 0;
}

static const struct mv_backend_ops ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "loop",
	.description = "never returns from create (test plugin)",
	.engines = MV_ENGINE_SOFT,
	.create = loop_plugin_create,
	.destroy = loop_plugin_destroy,
	.vm_init = loop_plugin_vm_init,
};

const struct mv_backend_ops *memvirt_backend(void);
const struct mv_backend_ops *memvirt_backend(void)
{
	return &ops;
}
