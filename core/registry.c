/*
 * core/registry.c — the table of engines (see registry.h).
 */
#include "core/registry.h"

#include <errno.h>
#include <string.h>

#include "vcpu/kvm/kvm.h"
#include "vcpu/soft/soft.h"

struct engine_entry {
	const char *name;
	const struct engine_ops *ops;
};

static const struct engine_entry engines[] = {
	{"soft", &soft_engine_ops},
	{"kvm", &kvm_engine_ops},
};

size_t reg_engine_count(void)
{
	return sizeof(engines) / sizeof(engines[0]);
}

const char *reg_engine_name(size_t i)
{
	return i < reg_engine_count() ? engines[i].name : NULL;
}

const struct engine_ops *reg_engine_ops(size_t i)
{
	return i < reg_engine_count() ? engines[i].ops : NULL;
}

int reg_engine_find(const char *name, const struct engine_ops **ops)
{
	for (size_t i = 0; i < reg_engine_count(); i++)
		if (!strcmp(engines[i].name, name)) {
			*ops = engines[i].ops;
			return 0;
		}
	return -ENOENT;
}

const char *reg_engine_names(void)
{
	return "soft, kvm";
}
