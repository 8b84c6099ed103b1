/*
 * core/backend_kvm.c — the memory backends of the kvm engine.  There the
 * host's KVM owns the MMU, so a backend is a statement about which MMU
 * the host runs guests with, checked before the run and recorded with it:
 *
 *   ept         two-dimensional paging (Intel EPT / AMD NPT)
 *   kvm-shadow  KVM's own shadow MMU (kvm_intel ept=0 / kvm_amd npt=0)
 *
 * Each says what it needs of the engine (MV_CAP_HOST_TDP or
 * MV_CAP_HOST_SHADOW); the VMM refuses one that does not match the loaded
 * module with the engine's account of how to switch it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/backends.h"

struct kvm_backend_state {
	const char *name;
};

static int kvm_backend_create(const char *name, const char *options, void **state, char *err,
			      size_t err_len)
{
	struct kvm_backend_state *s;

	if (options && *options) {
		snprintf(err, err_len, "%s on the kvm engine takes no options (got '%s')", name, options);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->name = name;
	*state = s;
	return 0;
}

static int kvm_ept_create(const struct mv_hw *hw, const char *options, void **state, char *err,
			  size_t err_len)
{
	(void)hw;
	return kvm_backend_create("ept", options, state, err, err_len);
}

static int kvm_shadow_create(const struct mv_hw *hw, const char *options, void **state,
			     char *err, size_t err_len)
{
	(void)hw;
	return kvm_backend_create("kvm-shadow", options, state, err, err_len);
}

static void kvm_backend_destroy(void *state)
{
	free(state);
}

/* Nothing to program: the host's KVM builds its tables itself. */
static int kvm_backend_vm_init(void *state, struct mv_vm *vm)
{
	(void)state;
	(void)vm;
	return 0;
}

const struct mv_backend_ops kvm_ept_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "ept",
	.description = "the host KVM's two-dimensional paging (EPT/NPT): the hardware walks GPA->HPA",
	.engines = MV_ENGINE_KVM,
	.create = kvm_ept_create,
	.destroy = kvm_backend_destroy,
	.vm_init = kvm_backend_vm_init,
	.needs = MV_CAP_HOST_TDP,
};

const struct mv_backend_ops kvm_shadow_backend_ops = {
	.abi_version = MV_BACKEND_ABI_VERSION,
	.size = sizeof(struct mv_backend_ops),
	.name = "kvm-shadow",
	.description = "the host KVM's shadow MMU (kvm_intel ept=0 / kvm_amd npt=0)",
	.engines = MV_ENGINE_KVM,
	.create = kvm_shadow_create,
	.destroy = kvm_backend_destroy,
	.vm_init = kvm_backend_vm_init,
	.needs = MV_CAP_HOST_SHADOW,
};
