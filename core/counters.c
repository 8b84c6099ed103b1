/*
 * core/counters.c — the counter set (see counters.h): an array in
 * first-set order with a hash index beside it.
 */
#include "core/counters.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctr_init(struct ctr_set *set)
{
	memset(set, 0, sizeof(*set));
}

void ctr_free(struct ctr_set *set)
{
	free(set->items);
	free(set->index);
	memset(set, 0, sizeof(*set));
}

static size_t hash(int vm, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uint32_t)vm;

	/* A name is kept in its room (cut to sizeof(name) - 1): it is
	 * looked up by what is kept. */
	for (size_t i = 0; name[i] && i < sizeof(((struct ctr_entry *)0)->name) - 1; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

/* The slot of (vm, name): its entry's, or the empty one it would take. */
static size_t slot(const struct ctr_set *set, int vm, const char *name)
{
	size_t mask = set->index_cap - 1, i = hash(vm, name) & mask;

	while (set->index[i]) {
		const struct ctr_entry *e = &set->items[set->index[i] - 1];

		if (e->vm == vm && !strncmp(e->name, name, sizeof(e->name) - 1))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int reindex(struct ctr_set *set, size_t cap)
{
	uint32_t *index = calloc(cap, sizeof(*index));

	if (!index)
		return -ENOMEM;
	free(set->index);
	set->index = index;
	set->index_cap = cap;
	for (size_t k = 0; k < set->count; k++)
		set->index[slot(set, set->items[k].vm, set->items[k].name)] = (uint32_t)(k + 1);
	return 0;
}

const struct ctr_entry *ctr_find(const struct ctr_set *set, int vm, const char *name)
{
	size_t i;

	if (!set->index_cap)
		return NULL;
	i = slot(set, vm, name);
	return set->index[i] ? &set->items[set->index[i] - 1] : NULL;
}

double ctr_get(const struct ctr_set *set, int vm, const char *name, double fallback)
{
	const struct ctr_entry *e = ctr_find(set, vm, name);

	return e ? e->value : fallback;
}

static struct ctr_entry *lookup_or_add(struct ctr_set *set, int vm, const char *name)
{
	struct ctr_entry *e = (struct ctr_entry *)ctr_find(set, vm, name);

	if (e)
		return e;
	if (set->count == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		struct ctr_entry *items;

		if (cap > UINT32_MAX / 4)
			return NULL;
		items = realloc(set->items, cap * sizeof(*items));
		if (!items)
			return NULL;
		set->items = items;
		set->cap = cap;
	}
	if (set->index_cap < 2 * set->cap && reindex(set, 4 * set->cap))
		return NULL;
	e = &set->items[set->count++];
	e->vm = vm;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->value = 0;
	/* The name as stored (cut to its room) is the key. */
	set->index[slot(set, vm, e->name)] = (uint32_t)set->count;
	return e;
}

int ctr_set(struct ctr_set *set, int vm, const char *name, double value)
{
	struct ctr_entry *e = lookup_or_add(set, vm, name);

	if (!e)
		return -ENOMEM;
	e->value = value;
	return 0;
}

int ctr_add(struct ctr_set *set, int vm, const char *name, double value)
{
	struct ctr_entry *e = lookup_or_add(set, vm, name);

	if (!e)
		return -ENOMEM;
	e->value += value;
	return 0;
}
