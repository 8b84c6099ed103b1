/*
 * core/hw_kvm.c — VMM glue for the kvm engine: nothing to program, since
 * the host's KVM owns the MMU (EPT/NPT or its shadow MMU); every MMU
 * service answers -ENOTSUP through the NULL hooks.
 */
#include "core/hw.h"

const struct hw_glue hw_kvm_glue = {
	.engine = MV_ENGINE_KVM,
};
