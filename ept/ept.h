/*
 * ept/ept.h — the `ept` memory backend: nested paging passthrough.
 *
 * The VMM builds, per VM, GPA->HPA tables in AMD NPT format (npt.h) and
 * points the MMU's nCR3 at them with a per-VM ASID; the guest then runs
 * its own page tables without any exit (CR3 writes, page-table updates
 * and INVLPG are not intercepted) and the hardware does the
 * two-dimensional walk.  Tables are built eagerly at vm_init, or lazily
 * one nested page per nested page fault.  docs/ept.md is the user's guide.
 *
 * The backend uses only the services of memvirt/backend.h, as a plugin
 * would; it is in-tree so that `--backend ept` needs no path.
 */
#ifndef MEMVIRT_EPT_EPT_H
#define MEMVIRT_EPT_EPT_H

#include <stdbool.h>
#include <stddef.h>

#include "ept/npt.h"
#include "memvirt/backend.h"

extern const struct mv_backend_ops ept_backend_ops;

/* --backend-opt for ept: "populate=eager|lazy,npage=4k|2m|1g,tags=on|off". */
struct ept_options {
	bool lazy;              /* populate=lazy: map on nested faults */
	enum ept_npage npage;   /* nested page size */
	bool tags;              /* tags=on: one ASID per VM, no flush on switches */
};

/* The --backend-opt keys, in this order. */
enum { EPT_OPT_POPULATE, EPT_OPT_NPAGE, EPT_OPT_TAGS, EPT_OPT__COUNT };
extern const struct mv_option ept_option_table[EPT_OPT__COUNT];

/* Defaults: eager, 4k, tags on. */
void ept_options_default(struct ept_options *o);
/* Parse text (NULL or "" leaves the defaults) over *o.  -EINVAL with a
 * one-line message naming the bad item and what is accepted; *o is
 * unchanged then. */
int ept_options_parse(const char *text, struct ept_options *o, char *err, size_t err_len)
	__attribute__((warn_unused_result));

#endif
