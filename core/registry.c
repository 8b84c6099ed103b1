/*
 * core/registry.c — the table of engines (see registry.h).  An engine's
 * name is its ops' own; nothing else spells it.
 */
#include "core/registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vcpu/kvm/kvm.h"
#include "vcpu/soft/soft.h"

static const struct engine_ops *const engines[] = {
	&soft_engine_ops,
	&kvm_engine_ops,
};

size_t reg_engine_count(void)
{
	return sizeof(engines) / sizeof(engines[0]);
}

const char *reg_engine_name(size_t i)
{
	return i < reg_engine_count() ? engines[i]->name : NULL;
}

const struct engine_ops *reg_engine_ops(size_t i)
{
	return i < reg_engine_count() ? engines[i] : NULL;
}

int reg_engine_find(const char *name, const struct engine_ops **ops)
{
	for (size_t i = 0; i < reg_engine_count(); i++)
		if (!strcmp(engines[i]->name, name)) {
			*ops = engines[i];
			return 0;
		}
	return -ENOENT;
}

const char *reg_engine_names(void)
{
	static char names[128];

	if (!names[0]) {
		size_t off = 0;

		for (size_t i = 0; i < reg_engine_count(); i++)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "",
						engines[i]->name);
	}
	return names;
}
