/*
 * analysis/series.c — overhead against swept settings (see series.h).
 */
#include "analysis/series.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 64

static const struct {
	const char *key, *unit;
} units[] = {
	{"wss", "bytes"}, {"stride", "bytes"}, {"mem", "bytes"}, {"quantum", "instructions"},
	{"vms", "VMs"}, {"pages", "pages"}, {"tlb.pwc", "entries"}, {"tlb.arch", "entries"},
	{"tlb.asid-bits", "bits"}, {"opt.asid-bits", "bits"}, {"opt.vtlb", "entries"},
	{"opt.cache", "shadow roots"}, {"opt.flood", "emulated writes"}, {AN_FAULT_RATE, "per 1000 guest instructions"},
};

const char *an_dim_unit(const char *key)
{
	size_t len = strlen(key);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i].key, key))
			return units[i].unit;
	if (len > 8 && !strcmp(key + len - 8, ".entries"))
		return "entries";
	if (len > 5 && !strcmp(key + len - 5, ".ways"))
		return "ways";
	if (!strncmp(key, "cost.", 5))
		return "cycles";
	return "";
}

static bool backend_dim(const char *key)
{
	return !strcmp(key, "backend") || !strncmp(key, "opt.", 4);
}

static bool is_param(const struct an_config *c, const char *key)
{
	char pat[80];

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	return strstr(c->params_json, pat) != NULL;
}

/* The settings a configuration shares with the others of its series:
 * every setting but x, the backend and its options (and with x the
 * fault rate, every workload parameter). */
static void context_key(const struct an_config *c, const char *x_key, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->dim_count && off < len; i++) {
		const struct an_dim *d = &c->dims[i];

		if (!strcmp(d->key, x_key) || backend_dim(d->key) ||
		    (!strcmp(x_key, AN_FAULT_RATE) && is_param(c, d->key)))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s=%s;", d->key, d->value);
	}
}

/* For people: the settings of the context that some configuration of
 * the selection does not share. */
static void context_text(const struct an_dataset *ds, const struct an_config *c, const char *x_key, char *buf,
			 size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s %s", c->engine, c->workload);

	for (size_t i = 0; i < c->dim_count && off < len; i++) {
		const struct an_dim *d = &c->dims[i];

		if (!strcmp(d->key, x_key) || backend_dim(d->key) || !strcmp(d->key, "engine") ||
		    !strcmp(d->key, "workload") || (!strcmp(x_key, AN_FAULT_RATE) && is_param(c, d->key)))
			continue;
		if (!is_param(c, d->key) && an_dim_constant(ds, d->key))
			continue;
		off += (size_t)snprintf(buf + off, len - off, " %s=%s", d->key, d->value);
	}
}

static void line_key(const struct an_config *c, const char *x_key, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s", c->backend);

	for (size_t i = 0; i < c->dim_count && off < len; i++)
		if (!strncmp(c->dims[i].key, "opt.", 4) && strcmp(c->dims[i].key, x_key))
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off == strlen(c->backend) ? ":" : ",",
						c->dims[i].key + 4, c->dims[i].value);
}

static bool config_x(const struct an_dataset *ds, const struct an_config *c, const char *x_key, double *x)
{
	const struct an_dim *d;
	double sum = 0;
	size_t n = 0;

	if (strcmp(x_key, AN_FAULT_RATE)) {
		d = an_config_dim(c, x_key);
		if (!d || !d->numeric)
			return false;
		*x = d->number;
		return true;
	}
	for (size_t i = 0; i < c->run_count; i++) {
		double v;

		if (an_fault_rate(&ds->runs[c->runs[i]], &v)) {
			sum += v;
			n++;
		}
	}
	if (!n)
		return false;
	*x = sum / (double)n;
	return true;
}

static bool wanted(const struct an_dataset *ds, size_t k)
{
	const struct an_config *c = &ds->configs[k];

	return c->baseline >= 0 && (size_t)c->baseline != k && isfinite(c->overhead);
}

static int point_cmp(const void *a, const void *b)
{
	const struct an_point *x = a, *y = b;

	return x->x < y->x ? -1 : x->x > y->x;
}

static bool power_of_two(double x)
{
	int e;

	return x > 0 && frexp(x, &e) == 0.5;
}

/* The fit of a line: distinct x (deterministic: the mean overhead of the
 * configurations at each x) or every run (timed). */
static int fit_line(const struct an_dataset *ds, const char *x_key, struct an_line *l)
{
	size_t cap = 0, n = 0, off = 0, *same;
	double *x, *y;

	for (size_t p = 0; p < l->point_count; p++)
		cap += ds->configs[l->points[p].config].run_count;
	x = malloc((cap + 1) * sizeof(*x));
	y = malloc((cap + 1) * sizeof(*y));
	same = malloc((cap + 1) * sizeof(*same));
	if (!x || !y || !same) {
		free(x);
		free(y);
		free(same);
		return -ENOMEM;
	}
	for (size_t p = 0; p < l->point_count; p++) {
		const struct an_config *c = &ds->configs[l->points[p].config];

		for (size_t i = 0; i < c->run_count && off < sizeof(l->run_ids); i++)
			off += (size_t)snprintf(l->run_ids + off, sizeof(l->run_ids) - off, "%s%" PRId64, off ? "," : "",
						ds->runs[c->runs[i]].id);
		if (l->deterministic) {
			/* Points are sorted by x: a repeated x (the fault rate of
			 * two configurations) is one point, the mean of theirs. */
			if (n && x[n - 1] == l->points[p].x) {
				y[n - 1] += l->points[p].y;
				same[n - 1]++;
			} else {
				x[n] = l->points[p].x;
				y[n] = l->points[p].y;
				same[n++] = 1;
			}
			continue;
		}
		for (size_t i = 0; i < c->run_count; i++) {
			const struct an_run *r = &ds->runs[c->runs[i]];
			double ov, rx;
			int64_t base;

			if (!an_run_overhead(ds, c->runs[i], &ov, &base))
				continue;
			if (!strcmp(x_key, AN_FAULT_RATE)) {
				if (!an_fault_rate(r, &rx))
					continue;
			} else {
				rx = l->points[p].x;
			}
			x[n] = rx;
			y[n++] = 100.0 * ov;
		}
	}
	if (l->deterministic)
		for (size_t i = 0; i < n; i++)
			y[i] /= (double)same[i];
	l->fit_n = n;
	l->has_fit = n >= 2 && an_linfit(x, y, n, &l->fit) == 0;
	free(x);
	free(y);
	free(same);
	return 0;
}

static int add_series(const struct an_dataset *ds, const char *x_key, const char *context, struct an_series *s)
{
	char key[1024], lk[768];
	double first_x = NAN;
	bool varies = false, log2 = true;
	double xmin = INFINITY, xmax = -INFINITY;

	memset(s, 0, sizeof(*s));
	snprintf(s->x_key, sizeof(s->x_key), "%s", x_key);
	for (size_t k = 0; k < ds->config_count; k++) {
		const struct an_config *c = &ds->configs[k];
		struct an_line *l = NULL;
		struct an_point *np;
		double x;

		if (!wanted(ds, k) || !config_x(ds, c, x_key, &x))
			continue;
		context_key(c, x_key, key, sizeof(key));
		if (strcmp(key, context))
			continue;
		if (isnan(first_x))
			first_x = x;
		varies |= x != first_x;
		log2 &= power_of_two(x);
		xmin = fmin(xmin, x);
		xmax = fmax(xmax, x);
		if (!s->context[0])
			context_text(ds, c, x_key, s->context, sizeof(s->context));
		line_key(c, x_key, lk, sizeof(lk));
		for (size_t i = 0; i < s->line_count; i++)
			if (!strcmp(s->lines[i].label, lk))
				l = &s->lines[i];
		if (!l) {
			struct an_line *nl = realloc(s->lines, (s->line_count + 1) * sizeof(*nl));

			if (!nl)
				return -ENOMEM;
			s->lines = nl;
			l = &s->lines[s->line_count++];
			memset(l, 0, sizeof(*l));
			snprintf(l->label, sizeof(l->label), "%s", lk);
			snprintf(l->backend, sizeof(l->backend), "%s", c->backend);
			l->deterministic = c->deterministic;
		}
		np = realloc(l->points, (l->point_count + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		l->points = np;
		l->points[l->point_count++] = (struct an_point){
			.x = x,
			.y = 100.0 * c->overhead,
			.y_low = 100.0 * c->overhead_low,
			.y_high = 100.0 * c->overhead_high,
			.config = k,
		};
		l->deterministic &= c->deterministic;
	}
	if (!varies)
		return 0;
	{
		const char *unit = an_dim_unit(x_key);

		if (!strcmp(x_key, AN_FAULT_RATE))
			snprintf(s->x_label, sizeof(s->x_label), "faults and TLB refills (%s)", unit);
		else
			snprintf(s->x_label, sizeof(s->x_label), "%s (%s%s)", x_key, unit[0] ? unit : "count",
				 log2 && xmax / xmin >= 4 ? ", log2 scale" : "");
		s->x_log2 = log2 && xmax / xmin >= 4 && strcmp(x_key, AN_FAULT_RATE);
		s->x_bytes = !strcmp(unit, "bytes");
	}
	/* A backend's options name its line only where it has two. */
	for (size_t i = 0; i < s->line_count; i++) {
		size_t same = 0;

		for (size_t j = 0; j < s->line_count; j++)
			same += !strcmp(s->lines[j].backend, s->lines[i].backend);
		if (same == 1)
			snprintf(s->lines[i].label, sizeof(s->lines[i].label), "%s", s->lines[i].backend);
	}
	for (size_t i = 0; i < s->line_count; i++) {
		struct an_line *l = &s->lines[i];

		qsort(l->points, l->point_count, sizeof(l->points[0]), point_cmp);
		if (fit_line(ds, x_key, l))
			return -ENOMEM;
	}
	return 1;
}

static void series_clear(struct an_series *s)
{
	for (size_t l = 0; l < s->line_count; l++)
		free(s->lines[l].points);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

void an_series_free(struct an_series *s, size_t count)
{
	for (size_t i = 0; s && i < count; i++)
		series_clear(&s[i]);
	free(s);
}

int an_series_find(const struct an_dataset *ds, struct an_series **out, size_t *count)
{
	struct an_series *all = calloc(MAX_SERIES, sizeof(*all));
	size_t n = 0;
	char key[1024];

	*out = NULL;
	*count = 0;
	if (!all)
		return -ENOMEM;
	/* Every numeric setting, then the fault rate; every context of each. */
	for (size_t j = 0; j <= ds->dim_key_count && n < MAX_SERIES; j++) {
		const char *x_key = j < ds->dim_key_count ? ds->dim_keys[j] : AN_FAULT_RATE;

		if (!strcmp(x_key, "backend") || !strcmp(x_key, "engine"))
			continue;
		for (size_t k = 0; k < ds->config_count && n < MAX_SERIES; k++) {
			double x;
			bool done = false;
			int rc;

			if (!wanted(ds, k) || !config_x(ds, &ds->configs[k], x_key, &x))
				continue;
			context_key(&ds->configs[k], x_key, key, sizeof(key));
			/* A context already made (an earlier configuration of it). */
			for (size_t e = 0; e < k && !done; e++) {
				char other[1024];
				double ex;

				if (!wanted(ds, e) || !config_x(ds, &ds->configs[e], x_key, &ex))
					continue;
				context_key(&ds->configs[e], x_key, other, sizeof(other));
				done = !strcmp(other, key);
			}
			if (done)
				continue;
			rc = add_series(ds, x_key, key, &all[n]);
			if (rc < 0) {
				an_series_free(all, n + 1);
				return rc;
			}
			if (rc > 0)
				n++;
			else
				series_clear(&all[n]);
		}
	}
	*out = all;
	*count = n;
	return 0;
}
