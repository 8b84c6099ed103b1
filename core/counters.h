/*
 * core/counters.h — a run's named counters: (VM, name) → value, in the
 * order they were first set.  Engines, the event bus, the guest's own
 * `stat` lines and the cost model all end up here; the CLI prints them,
 * --json emits them and the store records them.  vm = -1 is the whole run.
 */
#ifndef MEMVIRT_CORE_COUNTERS_H
#define MEMVIRT_CORE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

struct ctr_entry {
	int vm;
	char name[64];
	double value;
};

struct ctr_set {
	struct ctr_entry *items;   /* in the order first set: readers may walk it */
	size_t count, cap;
	/* Open-addressing hash of (vm, name) to index + 1, 0 empty: a plugin
	 * may report 100000 statistics, and each is looked up per VM. */
	uint32_t *index;
	size_t index_cap;          /* a power of two, at least 2 * cap */
};

void ctr_init(struct ctr_set *set);
void ctr_free(struct ctr_set *set);
/* Set (replace) or add to a counter.  -ENOMEM on failure. */
int ctr_set(struct ctr_set *set, int vm, const char *name, double value)
	__attribute__((warn_unused_result));
int ctr_add(struct ctr_set *set, int vm, const char *name, double value)
	__attribute__((warn_unused_result));
/* NULL when absent. */
const struct ctr_entry *ctr_find(const struct ctr_set *set, int vm, const char *name);
double ctr_get(const struct ctr_set *set, int vm, const char *name, double fallback);

#endif
