/*
 * core/backends.h — the memory backends: the in-tree table and the
 * plugin loader (`--backend path/to/plugin.so`).
 */
#ifndef MEMVIRT_CORE_BACKENDS_H
#define MEMVIRT_CORE_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memvirt/backend.h"

size_t be_count(void);
const struct mv_backend_ops *be_at(size_t i);
/* "native, shadow, ..." for messages. */
void be_names_text(char *buf, size_t len);
/* "soft, kvm" for the engines a backend runs on. */
void be_engines_text(const struct mv_backend_ops *ops, char *buf, size_t len);

/* A name from the table that runs on `engine` (MV_ENGINE_*), or a path containing '/' or ending in ".so" to a
 * plugin.  For a plugin, *dl is the dlopen handle to close with
 * be_unload() after the run.  Errors (message in err): -ENOENT unknown
 * name or missing file, -EINVAL not a memvirt plugin (missing entry symbol,
 * ABI version mismatch, malformed ops). */
int be_resolve(const char *name_or_path, uint32_t engine, const struct mv_backend_ops **ops,
	       void **dl, char *err, size_t err_len) __attribute__((warn_unused_result));
void be_unload(void *dl);

/* Is this --backend value a plugin path (a '/' in it, or ending in .so)? */
bool be_is_path(const char *name);
/* The path to dlopen for it: "x.so" is "./x.so", in the current folder. */
void be_plugin_path(const char *name, char *buf, size_t len);

/* The engine capabilities (MV_CAP_*) the backend needs. */
uint32_t be_needs(const struct mv_backend_ops *ops);

/* The backend's --backend-opt table (NULL when it has none, or a plugin
 * built before the field existed). */
const struct mv_option *be_option_table(const struct mv_backend_ops *ops, size_t *count);
/* The options in canonical form (every key, defaults spelled out) when the
 * backend has a table, else the text as given.  -EINVAL with one line in
 * err for text its table refuses. */
int be_options_canonical(const struct mv_backend_ops *ops, const char *text, char *buf, size_t len,
			 char *err, size_t err_len) __attribute__((warn_unused_result));

/* The in-tree backends. */
extern const struct mv_backend_ops native_backend_ops;
extern const struct mv_backend_ops shadow_backend_ops;
extern const struct mv_backend_ops ept_backend_ops;
extern const struct mv_backend_ops kvm_ept_backend_ops;
extern const struct mv_backend_ops kvm_shadow_backend_ops;
extern const struct mv_backend_ops softtlb_backend_ops;
extern const struct mv_backend_ops asid_backend_ops;

#endif
