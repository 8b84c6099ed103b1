/*
 * workloads/catalog.h — the workloads the guest kernel runs and their
 * parameters: one table, compiled into both the guest kernel (to parse its
 * boot-info parameters) and the memvirt command (to list, validate and
 * document them).  Plain C data only, so it builds freestanding.
 */
#ifndef MEMVIRT_WORKLOADS_CATALOG_H
#define MEMVIRT_WORKLOADS_CATALOG_H

#include <stdint.h>

#define WL_MAX_PARAMS 8

struct wl_param {
	const char *name;
	uint64_t def;            /* default value */
	uint64_t min, max;       /* accepted range, inclusive */
	const char *help;        /* one line, with the unit */
};

struct wl_desc {
	const char *name;
	const char *help;        /* one line */
	unsigned param_count;
	struct wl_param params[WL_MAX_PARAMS];
};

extern const struct wl_desc wl_catalog[];
extern const unsigned wl_catalog_count;

/* NULL when there is no such workload / parameter. */
const struct wl_desc *wl_find(const char *name);
const struct wl_param *wl_find_param(const struct wl_desc *wl, const char *name);

#endif
