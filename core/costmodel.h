/*
 * core/costmodel.h — turns a run's counts into modelled cycles, so that
 * backends can be compared on the soft engine, where host time means
 * nothing.  Each entry is a counter name and the cycles one count costs;
 * the defaults and their sources are in docs/cost-model.md, and
 * `--costs name=cycles,...` overrides any of them.
 */
#ifndef MEMVIRT_CORE_COSTMODEL_H
#define MEMVIRT_CORE_COSTMODEL_H

#include <stddef.h>

#include "core/counters.h"

#define COST_MAX_ENTRIES 48

struct cost_entry {
	char counter[64];    /* the counter it prices (a run's counters, memvirt list costs) */
	double cycles;
	const char *cause;   /* the "reason for slowdown" it is reported under */
	const char *help;    /* what one count stands for */
};

struct cost_model {
	struct cost_entry entries[COST_MAX_ENTRIES];
	size_t count;
};

void cost_model_default(struct cost_model *m);
/* The causes of the default model, each once, in the table's order (the
 * order every report shows them in).  Returns how many; at most max. */
size_t cost_model_causes(const char **causes, size_t max);
/* "name=cycles,name=cycles": names must be entries of the model; -EINVAL
 * with a message otherwise. */
int cost_model_override(struct cost_model *m, const char *text, char *err, size_t err_len);
/* The entries that differ from the defaults, "name=cycles,...", in the
 * table's order (empty when none): the model's part of a configuration.
 * Returns the length it needed. */
size_t cost_model_canonical(const struct cost_model *m, char *buf, size_t len);
/* Modelled cycles of the run's totals (vm -1); also adds the counters
 * `modelled_cycles` and `modelled_cycles_<cause>` to ctr. */
double cost_model_apply(const struct cost_model *m, struct ctr_set *ctr);

#endif
