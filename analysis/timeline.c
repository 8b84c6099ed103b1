/*
 * analysis/timeline.c — modelled cycles per instruction over guest time
 * (see timeline.h).
 */
#include "analysis/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct series_read {
	double *icount, *cycles;
	size_t n, cap;
	int error;
};

/* Rows come ordered by icount, one name at a time: cycles first (the
 * first call), then instructions matched to them by icount. */
static int read_point(void *ctx, int vm, uint64_t icount, double value)
{
	struct series_read *s = ctx;

	(void)vm;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		double *a = realloc(s->icount, ncap * sizeof(double));
		double *b = a ? realloc(s->cycles, ncap * sizeof(double)) : NULL;

		if (a)
			s->icount = a;
		if (b)
			s->cycles = b;
		if (!a || !b)
			return -ENOMEM;
		s->cap = ncap;
	}
	s->icount[s->n] = (double)icount;
	s->cycles[s->n++] = value;
	return 0;
}

static int load_run(struct rec_db *db, const struct an_run *r, struct an_timeline_run *out)
{
	struct series_read s = {0};
	int rc;

	rc = rec_run_timeseries_read(db, r->id, -1, "modelled_cycles", read_point, &s);
	if (rc || s.n == 0) {
		free(s.icount);
		free(s.cycles);
		return rc;
	}
	out->icount = s.icount;
	out->cpi = s.cycles;
	/* In place: each interval's cycles over its instructions. */
	for (size_t i = s.n; i-- > 0;) {
		double d_insn = s.icount[i] - (i ? s.icount[i - 1] : 0);
		double d_cyc = s.cycles[i] - (i ? s.cycles[i - 1] : 0);

		out->cpi[i] = d_insn > 0 ? d_cyc / d_insn : 0;
	}
	out->n = s.n;
	return 0;
}

int an_timeline_load(struct rec_db *db, const struct an_dataset *ds, struct an_timeline *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < ds->run_count; i++) {
		struct an_timeline_run tr = {.run = i};
		int rc;

		if (ds->runs[i].status != REC_STATUS_OK)
			continue;
		rc = load_run(db, &ds->runs[i], &tr);
		if (rc) {
			an_timeline_free(t);
			return rc;
		}
		if (!tr.n)
			continue;
		t->runs_with_series++;
		if (t->count < AN_TIMELINE_MAX_RUNS) {
			t->runs[t->count++] = tr;
		} else {
			free(tr.icount);
			free(tr.cpi);
		}
	}
	return 0;
}

void an_timeline_free(struct an_timeline *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->runs[i].icount);
		free(t->runs[i].cpi);
	}
	memset(t, 0, sizeof(*t));
}
