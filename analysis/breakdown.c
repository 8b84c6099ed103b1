/*
 * analysis/breakdown.c — overhead by cause (see breakdown.h).
 */
#include "analysis/breakdown.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/palette.h"

#define CAUSE_PREFIX "modelled_cycles_"

static void find_causes(const struct an_dataset *ds, struct an_breakdown *b)
{
	for (size_t r = 0; r < ds->run_count; r++) {
		const struct ctr_set *ctr = &ds->runs[r].counters;

		if (ds->runs[r].config < 0)
			continue;
		for (size_t e = 0; e < ctr->count; e++) {
			const char *name = ctr->items[e].name;
			bool seen = false;

			if (ctr->items[e].vm != -1 || strncmp(name, CAUSE_PREFIX, strlen(CAUSE_PREFIX)))
				continue;
			name += strlen(CAUSE_PREFIX);
			for (size_t q = 0; q < b->cause_count; q++)
				seen |= !strcmp(b->cause_names[q], name);
			if (!seen && b->cause_count < AN_MAX_CAUSES)
				snprintf(b->cause_names[b->cause_count++], sizeof(b->cause_names[0]), "%s", name);
		}
	}
	for (size_t q = 0; q < b->cause_count; q++)
		b->causes[q] = b->cause_names[q];
	qsort(b->causes, b->cause_count, sizeof(b->causes[0]), an_cause_cmp);
}

/* The mean of a counter over the configuration's samples: each seed
 * once on a deterministic engine, each run otherwise. */
static double sample_mean(const struct an_dataset *ds, const struct an_config *c, const char *counter)
{
	double sum = 0;
	size_t samples = 0;

	for (size_t i = 0; i < c->run_count; i++) {
		const struct an_run *r = &ds->runs[c->runs[i]];
		size_t same = 0;
		bool first = true;

		if (c->deterministic) {
			for (size_t j = 0; j < c->run_count; j++)
				if (ds->runs[c->runs[j]].seed == r->seed) {
					first &= j >= i;
					same++;
				}
			if (first)
				samples++;
		} else {
			same = 1;
			samples++;
		}
		sum += ctr_get(&r->counters, -1, counter, 0) / (double)same;
	}
	return samples ? sum / (double)samples : NAN;
}

int an_breakdown_make(const struct an_dataset *ds, struct an_breakdown *b)
{
	size_t n;

	memset(b, 0, sizeof(*b));
	find_causes(ds, b);
	n = ds->config_count * (b->cause_count ? b->cause_count : 1);
	b->mean = malloc(n * sizeof(double));
	b->part = malloc(n * sizeof(double));
	if (!b->mean || !b->part) {
		an_breakdown_free(b);
		return -ENOMEM;
	}
	for (size_t k = 0; k < ds->config_count; k++)
		for (size_t q = 0; q < b->cause_count; q++) {
			char name[96];

			snprintf(name, sizeof(name), CAUSE_PREFIX "%s", b->causes[q]);
			b->mean[k * b->cause_count + q] =
				ds->configs[k].modelled ? sample_mean(ds, &ds->configs[k], name) : NAN;
		}
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		const struct an_config *bc = c->baseline >= 0 ? &ds->configs[c->baseline] : NULL;

		for (size_t q = 0; q < b->cause_count; q++) {
			double *part = &b->part[k * b->cause_count + q];

			*part = NAN;
			if (bc && c->modelled && bc->stat.mean > 0)
				*part = 100.0 *
					(b->mean[k * b->cause_count + q] - b->mean[(size_t)c->baseline * b->cause_count + q]) /
					bc->stat.mean;
		}
	}
	return 0;
}

void an_breakdown_free(struct an_breakdown *b)
{
	free(b->mean);
	free(b->part);
	b->mean = b->part = NULL;
}
