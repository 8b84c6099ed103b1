/*
 * core/registry.h — the engines and in-tree memory backends memvirt
 * knows, by name, for the CLI and the VMM.
 */
#ifndef MEMVIRT_CORE_REGISTRY_H
#define MEMVIRT_CORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "vcpu/engine.h"

size_t reg_engine_count(void);
const char *reg_engine_name(size_t i);
/* NULL when that engine is not built into this binary. */
const struct engine_ops *reg_engine_ops(size_t i);
/* -ENOENT when no engine has that name; *ops may be NULL (not built). */
int reg_engine_find(const char *name, const struct engine_ops **ops);
/* "soft, kvm" — for error messages. */
const char *reg_engine_names(void);

#endif
