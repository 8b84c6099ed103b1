/*
 * core/counters.c — the counter set (see counters.h).  Runs have a few
 * hundred counters at most, so a linear search is the simple right choice.
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
	memset(set, 0, sizeof(*set));
}

const struct ctr_entry *ctr_find(const struct ctr_set *set, int vm, const char *name)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].vm == vm && !strcmp(set->items[i].name, name))
			return &set->items[i];
	return NULL;
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
		struct ctr_entry *items = realloc(set->items, cap * sizeof(*items));

		if (!items)
			return NULL;
		set->items = items;
		set->cap = cap;
	}
	e = &set->items[set->count++];
	e->vm = vm;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->value = 0;
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
