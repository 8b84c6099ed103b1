/*
 * workloads/catalog.h — the workloads the guest kernel runs and their
 * parameters: one table, compiled into both the guest kernel (to parse its
 * boot-info parameters) and the memvirt command (to list, validate and
 * document them).  Plain C data only, so it builds freestanding.
 *
 * Invariants: wl_catalog[i] describes workload i of enum wl_id, and its
 * params[] are in the order of that workload's WL_<NAME>_<PARAM> indexes
 * below (the guest's user programs read parameters by index).
 */
#ifndef MEMVIRT_WORKLOADS_CATALOG_H
#define MEMVIRT_WORKLOADS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define WL_MAX_PARAMS 8

/* errno values, spelled out because the guest has no <errno.h>; the host
 * side checks they match (reference.c). */
#define WL_EINVAL 22
#define WL_ERANGE 34

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

enum wl_id {
	WL_SCAN,
	WL_GUPS,
	WL_CHASE,
	WL_PTCHURN,
	WL_FORKCHURN,
	WL_CTXSW,
	WL_MIXED,
	WL_COUNT
};

/* Parameter indexes, per workload, in catalog order. */
enum { WL_SCAN_WSS, WL_SCAN_STRIDE, WL_SCAN_PASSES };
enum { WL_GUPS_WSS, WL_GUPS_UPDATES };
enum { WL_CHASE_WSS, WL_CHASE_STEPS };
enum { WL_PTCHURN_REGIONS, WL_PTCHURN_PAGES, WL_PTCHURN_ROUNDS };
enum { WL_FORKCHURN_CHILDREN, WL_FORKCHURN_PAGES };
enum { WL_CTXSW_PROCS, WL_CTXSW_ROUNDS, WL_CTXSW_WSS };
enum { WL_MIXED_PROCS, WL_MIXED_WSS, WL_MIXED_OPS };

extern const struct wl_desc wl_catalog[];
extern const unsigned wl_catalog_count;

/* NULL when there is no such workload / parameter. */
const struct wl_desc *wl_find(const char *name);
const struct wl_param *wl_find_param(const struct wl_desc *wl, const char *name);

/*
 * Parse "key=value key=value" (decimal values, separated by spaces) against
 * wl's parameters into values[] (indexed like wl->params), starting from the
 * defaults.  Returns 0, -WL_EINVAL (unknown key, malformed pair or value) or
 * -WL_ERANGE (value outside [min, max]).  On error *bad / *bad_len point at
 * the offending key=value text inside `text`.
 */
int wl_parse_params(const struct wl_desc *wl, const char *text,
		    uint64_t values[WL_MAX_PARAMS], const char **bad,
		    size_t *bad_len);

#endif
