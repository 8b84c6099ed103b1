/* tests/plugin/wrong_abi.c — a plugin built for another ABI version. */
#include <memvirt/backend.h>

static int never_create(const struct mv_hw *hw, const char *o, void **s, char *e, size_t n)
{
	(void)hw; (void)o; (void)s; (void)e; (void)n;
	return -1;
}
static void never_destroy(void *s) { (void)s; }
static int never_vm_init(void *s, struct mv_vm *vm) { (void)s; (void)vm; return -1; }

static const struct mv_backend_ops ops = {
	.abi_version = 999,
	.size = sizeof(struct mv_backend_ops),
	.name = "future",
	.description = "from a future memvirt",
	.engines = MV_ENGINE_SOFT,
	.create = never_create,
	.destroy = never_destroy,
	.vm_init = never_vm_init,
};

const struct mv_backend_ops *memvirt_backend(void);
const struct mv_backend_ops *memvirt_backend(void)
{
	return &ops;
}
