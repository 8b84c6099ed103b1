/*
 * workloads/reference.h — the checksum each workload must print, computed
 * on the host in plain C, independently of any engine, backend or guest
 * kernel (docs/workloads.md defines the values).
 */
#ifndef MEMVIRT_WORKLOADS_REFERENCE_H
#define MEMVIRT_WORKLOADS_REFERENCE_H

#include <stdint.h>

#include "workloads/catalog.h"

/*
 * The checksum `workload` prints for `params_text` ("key=value ...", the
 * boot-info syntax; NULL or "" for the defaults) and `seed`.  Returns 0, or
 * -EINVAL (unknown workload, parameter or malformed text), -ERANGE (value
 * out of range), -ENOMEM (the working set does not fit in host memory).
 */
int wl_reference_checksum(const char *workload, const char *params_text,
			  uint64_t seed, uint64_t *checksum)
	__attribute__((warn_unused_result));

/* The same from parameter values already resolved (indexed like
 * wl->params, each within its range): what `memvirt run` calls, so that
 * parameters are parsed once. */
int wl_reference_values(const struct wl_desc *wl, const uint64_t values[WL_MAX_PARAMS], uint64_t seed,
			uint64_t *checksum) __attribute__((warn_unused_result));

#endif
