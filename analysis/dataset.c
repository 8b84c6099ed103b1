/*
 * analysis/dataset.c — runs into configurations with statistics (see
 * dataset.h).  Sizes are small (hundreds to thousands of runs), so
 * grouping is a plain quadratic scan that keeps the runs' order.
 */
#include "analysis/dataset.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load_ctx {
	struct rec_db *db;
	struct an_dataset *ds;
};

static int collect_counter(void *ctx, int vm, const char *name, double value)
{
	struct an_run *r = ctx;

	if (vm != -1)
		return 0;
	return ctr_set(&r->counters, -1, name, value);
}

static void config_field(struct rec_db *db, int64_t id, const char *path, char *buf, size_t len)
{
	if (rec_run_config_get(db, id, path, buf, len))
		buf[0] = '\0';
}

static uint64_t config_number(struct rec_db *db, int64_t id, const char *path)
{
	char buf[32];

	config_field(db, id, path, buf, sizeof(buf));
	return strtoull(buf, NULL, 10);
}

/* {"wss":1048576,"passes":2} -> "wss=1048576,passes=2" (sep ',') */
static void params_text(const char *json, char sep, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const char *p = json; *p && off + 1 < len; p++) {
		if (*p == '{' || *p == '}' || *p == '"' || *p == ' ')
			continue;
		buf[off++] = *p == ':' ? '=' : *p == ',' ? sep : *p;
	}
	buf[off] = '\0';
}

/* The identity of a run recorded before identities were stored: its
 * fields as written (no canonical forms to compare with), in the shape
 * of a stored identity. */
static int legacy_identity(struct an_run *r)
{
	char quantum[48] = "", params[512];

	params_text(r->params_json, ',', params, sizeof(params));
	if (r->vms > 1)
		snprintf(quantum, sizeof(quantum), "quantum=%" PRIu64 ";", r->quantum);
	if (snprintf(r->baseline_identity, sizeof(r->baseline_identity),
		     "engine=%s;machine=%s;workload=%s;param=%s;vms=%u;%smem=%" PRIu64 ";tlb=%s;costs=%s", r->engine,
		     r->machine, r->workload, params, r->vms, quantum, r->mem, r->tlb[0] ? r->tlb : "default",
		     r->costs) >= (int)sizeof(r->baseline_identity) ||
	    snprintf(r->identity, sizeof(r->identity), "engine=%s;machine=%s;backend=%s;backend-opt=%s;%s", r->engine,
		     r->machine, r->backend, r->backend_options,
		     r->baseline_identity + strlen("engine=;machine=;") + strlen(r->engine) + strlen(r->machine)) >=
		    (int)sizeof(r->identity))
		return -ENAMETOOLONG;
	return 0;
}

static int collect_run(void *vctx, const struct rec_run_row *row)
{
	struct load_ctx *ctx = vctx;
	struct an_dataset *ds = ctx->ds;
	struct an_run *r;
	int rc;

	if (ds->run_count == ds->run_cap) {
		size_t ncap = ds->run_cap ? ds->run_cap * 2 : 64;
		struct an_run *nr = realloc(ds->runs, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		ds->runs = nr;
		ds->run_cap = ncap;
	}
	r = &ds->runs[ds->run_count];
	memset(r, 0, sizeof(*r));
	ctr_init(&r->counters);
	r->id = row->id;
	r->sweep_id = row->sweep_id;
	r->status = row->status;
	r->config = -1;
	snprintf(r->engine, sizeof(r->engine), "%s", row->engine ? row->engine : "?");
	snprintf(r->backend, sizeof(r->backend), "%s", row->backend ? row->backend : "?");
	snprintf(r->workload, sizeof(r->workload), "%s", row->workload ? row->workload : "?");
	snprintf(r->params_json, sizeof(r->params_json), "%s", row->params_json ? row->params_json : "{}");
	snprintf(r->error, sizeof(r->error), "%s", row->error ? row->error : "");
	snprintf(r->command, sizeof(r->command), "%s", row->command ? row->command : "");
	snprintf(r->sweep_key, sizeof(r->sweep_key), "%s", row->sweep_key ? row->sweep_key : "");
	r->rep = row->rep;
	r->vms = row->vms;
	r->seed = row->seed;
	r->wall_ns = row->wall_ns;
	r->modelled_cycles = row->modelled_cycles;
	r->modelled = row->modelled_cycles >= 0;
	r->metric = r->modelled ? row->modelled_cycles : (double)row->wall_ns;
	config_field(ctx->db, row->id, "$.machine", r->machine, sizeof(r->machine));
	if (!r->machine[0])
		snprintf(r->machine, sizeof(r->machine), "pt");
	config_field(ctx->db, row->id, "$.backend_options", r->backend_options, sizeof(r->backend_options));
	config_field(ctx->db, row->id, "$.tlb", r->tlb, sizeof(r->tlb));
	config_field(ctx->db, row->id, "$.costs", r->costs, sizeof(r->costs));
	config_field(ctx->db, row->id, "$.backend_options_canonical", r->backend_options_canonical,
		     sizeof(r->backend_options_canonical));
	config_field(ctx->db, row->id, "$.tlb_canonical", r->tlb_canonical, sizeof(r->tlb_canonical));
	config_field(ctx->db, row->id, "$.costs_canonical", r->costs_canonical, sizeof(r->costs_canonical));
	snprintf(r->checksum_json, sizeof(r->checksum_json), "%s", row->checksum_json ? row->checksum_json : "");
	r->quantum = config_number(ctx->db, row->id, "$.quantum");
	r->mem = config_number(ctx->db, row->id, "$.mem");
	config_field(ctx->db, row->id, "$.identity", r->identity, sizeof(r->identity));
	config_field(ctx->db, row->id, "$.baseline_identity", r->baseline_identity, sizeof(r->baseline_identity));
	if (r->identity[0] && r->baseline_identity[0]) {
		/* A plugin is "backend=plugin:NAME@HASH": only the in-tree
		 * native backend is a baseline. */
		r->native = strstr(r->identity, ";backend=" AN_BASELINE_BACKEND ";") != NULL;
	} else {
		if (legacy_identity(r)) {
			ctr_free(&r->counters);
			return -ENAMETOOLONG;
		}
		r->native = !strcmp(r->backend, AN_BASELINE_BACKEND);
	}
	rc = rec_run_counters(ctx->db, row->id, collect_counter, r);
	if (rc) {
		ctr_free(&r->counters);
		return rc;
	}
	ds->run_count++;
	if (row->sweep_id) {
		bool seen = false;

		for (size_t i = 0; i < ds->sweep_count; i++)
			seen |= ds->sweeps[i] == row->sweep_id;
		if (!seen && ds->sweep_count < sizeof(ds->sweeps) / sizeof(ds->sweeps[0]))
			ds->sweeps[ds->sweep_count++] = row->sweep_id;
	}
	return 0;
}

bool an_param_value(const char *params_json, const char *name, double *out)
{
	char pat[96];
	const char *p;
	char *end;

	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(params_json, pat);
	if (!p)
		return false;
	*out = strtod(p + strlen(pat), &end);
	return end != p + strlen(pat);
}

bool an_fault_rate(const struct an_run *r, double *out)
{
	static const char *const faults[] = {
		"guest_page_faults", "shadow_faults_hidden", "nested_faults", "hidden_refills",
		"reflected_refills",
	};
	double insns = ctr_get(&r->counters, -1, "instructions", 0), n = 0;

	if (insns <= 0)
		return false;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		n += ctr_get(&r->counters, -1, faults[i], 0);
	*out = n * 1000.0 / insns;
	return true;
}

void an_config_run_ids(const struct an_dataset *ds, const struct an_config *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->run_count && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRId64, i ? "," : "", ds->runs[c->runs[i]].id);
}

/* Not-ok runs of a sweep point that has an ok run in the selection were
 * superseded (a --resume ran the point again): not failures any more. */
static void mark_superseded(struct an_dataset *ds)
{
	for (size_t i = 0; i < ds->run_count; i++) {
		struct an_run *r = &ds->runs[i];

		if (r->status == REC_STATUS_OK || !r->sweep_key[0])
			continue;
		for (size_t j = 0; j < ds->run_count; j++) {
			const struct an_run *o = &ds->runs[j];

			if (o->status == REC_STATUS_OK && o->sweep_id == r->sweep_id &&
			    !strcmp(o->sweep_key, r->sweep_key)) {
				r->superseded = true;
				r->superseded_by = o->id;
				break;
			}
		}
	}
}

static void add_dim(struct an_config *c, const char *prefix, const char *key, size_t key_len, const char *value,
		    size_t value_len)
{
	struct an_dim *d;
	char *end;

	if (c->dim_count == AN_MAX_DIMS)
		return;
	d = &c->dims[c->dim_count++];
	snprintf(d->key, sizeof(d->key), "%s%.*s", prefix, (int)key_len, key);
	snprintf(d->value, sizeof(d->value), "%.*s", (int)value_len, value);
	d->number = strtod(d->value, &end);
	d->numeric = d->value[0] && !*end;
}

/* "a=1,b=2:4" under a prefix; a "N:W" value (a TLB level) is two
 * settings, its entries and its ways. */
static void add_list(struct an_config *c, const char *prefix, const char *list, size_t len)
{
	const char *p = list, *stop = list + len;

	while (p < stop) {
		const char *comma = memchr(p, ',', (size_t)(stop - p));
		const char *item_end = comma ? comma : stop;
		const char *eq = memchr(p, '=', (size_t)(item_end - p));

		if (eq) {
			const char *colon = memchr(eq + 1, ':', (size_t)(item_end - eq - 1));

			bool level = !strcmp(prefix, "tlb.") && p[0] == 'l' && eq - p >= 2 && p[1] >= '0' && p[1] <= '9';

			if (level && !colon) {
				/* "l2=0": a level of 0 entries, no ways. */
				char key[64];

				snprintf(key, sizeof(key), "%.*s.entries", (int)(eq - p), p);
				add_dim(c, prefix, key, strlen(key), eq + 1, (size_t)(item_end - eq - 1));
			} else if (colon && level) {
				char key[64];

				snprintf(key, sizeof(key), "%.*s.entries", (int)(eq - p), p);
				add_dim(c, prefix, key, strlen(key), eq + 1, (size_t)(colon - eq - 1));
				snprintf(key, sizeof(key), "%.*s.ways", (int)(eq - p), p);
				add_dim(c, prefix, key, strlen(key), colon + 1, (size_t)(item_end - colon - 1));
			} else {
				add_dim(c, prefix, p, (size_t)(eq - p), eq + 1, (size_t)(item_end - eq - 1));
			}
		}
		p = item_end + 1;
	}
}

/* The identity's "key=value;..." as settings. */
static void parse_identity(struct an_config *c)
{
	const char *p = c->identity;

	c->dim_count = 0;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (eq) {
			size_t klen = (size_t)(eq - p), vlen = len - klen - 1;

			if (klen == 5 && !strncmp(p, "param", 5))
				add_list(c, "", eq + 1, vlen);
			else if (klen == 11 && !strncmp(p, "backend-opt", 11))
				add_list(c, "opt.", eq + 1, vlen);
			else if (klen == 5 && !strncmp(p, "costs", 5))
				add_list(c, "cost.", eq + 1, vlen);
			else if (klen == 3 && !strncmp(p, "tlb", 3) && memchr(eq + 1, '=', vlen))
				add_list(c, "tlb.", eq + 1, vlen);
			else
				add_dim(c, "", p, klen, eq + 1, vlen);
		}
		p += len + (semi ? 1 : 0);
	}
}

const struct an_dim *an_config_dim(const struct an_config *c, const char *key)
{
	for (size_t i = 0; i < c->dim_count; i++)
		if (!strcmp(c->dims[i].key, key))
			return &c->dims[i];
	return NULL;
}

static bool is_param(const struct an_config *c, const char *key)
{
	char pat[80];

	/* The workload's parameters are the settings parsed from param=. */
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	return strstr(c->params_json, pat) != NULL;
}

bool an_dim_constant(const struct an_dataset *ds, const char *key)
{
	bool per_backend = !strncmp(key, "opt.", 4);

	for (size_t a = 0; a < ds->config_count; a++)
		for (size_t b = a + 1; b < ds->config_count; b++) {
			const struct an_config *ca = &ds->configs[a], *cb = &ds->configs[b];
			const struct an_dim *da, *db;

			if (per_backend && strcmp(ca->backend, cb->backend))
				continue;
			da = an_config_dim(ca, key);
			db = an_config_dim(cb, key);
			if (!da != !db || (da && strcmp(da->value, db->value)))
				return false;
		}
	return true;
}

static void __attribute__((format(printf, 4, 5))) append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	*off += (size_t)vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
}

/* A workload parameter of some configuration: in labels with its
 * workload's parameters, never one of the other settings. */
static bool param_anywhere(const struct an_dataset *ds, const char *key)
{
	for (size_t k = 0; k < ds->config_count; k++)
		if (is_param(&ds->configs[k], key))
			return true;
	return false;
}

/* Labels name what sets configurations apart; ds->common what they share. */
static void make_labels(struct an_dataset *ds)
{
	static const char *const always[] = {"engine", "backend", "workload"};
	size_t coff = 0;

	ds->dim_key_count = 0;
	for (size_t k = 0; k < ds->config_count; k++)
		for (size_t i = 0; i < ds->configs[k].dim_count; i++) {
			const char *key = ds->configs[k].dims[i].key;
			bool seen = false;

			for (size_t j = 0; j < ds->dim_key_count; j++)
				seen |= !strcmp(ds->dim_keys[j], key);
			if (!seen && ds->dim_key_count < AN_MAX_DIM_KEYS)
				snprintf(ds->dim_keys[ds->dim_key_count++], sizeof(ds->dim_keys[0]), "%s", key);
		}
	ds->common[0] = '\0';
	for (size_t j = 0; j < ds->dim_key_count; j++) {
		const struct an_dim *d;
		bool skip = false;

		for (size_t a = 0; a < sizeof(always) / sizeof(always[0]); a++)
			skip |= !strcmp(ds->dim_keys[j], always[a]);
		if (skip || !ds->config_count || !an_dim_constant(ds, ds->dim_keys[j]))
			continue;
		d = an_config_dim(&ds->configs[0], ds->dim_keys[j]);
		/* Parameters are in every label already. */
		if (d && strncmp(d->key, "opt.", 4) && !is_param(&ds->configs[0], d->key))
			append(ds->common, sizeof(ds->common), &coff, "%s%s=%s", coff ? " " : "", d->key, d->value);
	}
	for (size_t k = 0; k < ds->config_count; k++) {
		struct an_config *c = &ds->configs[k];
		size_t off = 0, opts = 0;

		append(c->label, sizeof(c->label), &off, "%s/%s", c->engine, c->backend);
		for (size_t i = 0; i < c->dim_count; i++) {
			const struct an_dim *d = &c->dims[i];

			if (strncmp(d->key, "opt.", 4) || an_dim_constant(ds, d->key))
				continue;
			append(c->label, sizeof(c->label), &off, "%s%s=%s", opts++ ? "," : ":", d->key + 4, d->value);
		}
		append(c->label, sizeof(c->label), &off, " %s", c->workload);
		for (size_t i = 0; i < c->dim_count; i++)
			if (is_param(c, c->dims[i].key))
				append(c->label, sizeof(c->label), &off, " %s=%s", c->dims[i].key, c->dims[i].value);
		for (size_t j = 0; j < ds->dim_key_count; j++) {
			const char *key = ds->dim_keys[j];
			const struct an_dim *d = an_config_dim(c, key);
			bool skip = !strncmp(key, "opt.", 4) || param_anywhere(ds, key);

			for (size_t a = 0; a < sizeof(always) / sizeof(always[0]); a++)
				skip |= !strcmp(key, always[a]);
			if (skip || an_dim_constant(ds, key))
				continue;
			append(c->label, sizeof(c->label), &off, " %s=%s", key, d ? d->value : "-");
		}
	}
}

static int group(struct an_dataset *ds)
{
	mark_superseded(ds);
	for (size_t i = 0; i < ds->run_count; i++) {
		struct an_run *r = &ds->runs[i];
		struct an_config *c = NULL;
		size_t k;

		if (r->status != REC_STATUS_OK) {
			if (r->superseded)
				ds->superseded++;
			else
				ds->failed++;
			continue;
		}
		for (k = 0; k < ds->config_count; k++)
			if (!strcmp(ds->configs[k].identity, r->identity) && ds->configs[k].modelled == r->modelled) {
				c = &ds->configs[k];
				break;
			}
		if (!c) {
			struct an_config *nc = realloc(ds->configs, (ds->config_count + 1) * sizeof(*nc));

			if (!nc)
				return -ENOMEM;
			ds->configs = nc;
			k = ds->config_count++;
			c = &ds->configs[k];
			memset(c, 0, sizeof(*c));
			snprintf(c->identity, sizeof(c->identity), "%s", r->identity);
			snprintf(c->baseline_identity, sizeof(c->baseline_identity), "%s", r->baseline_identity);
			snprintf(c->engine, sizeof(c->engine), "%s", r->engine);
			snprintf(c->machine, sizeof(c->machine), "%s", r->machine);
			snprintf(c->backend, sizeof(c->backend), "%s", r->backend);
			snprintf(c->workload, sizeof(c->workload), "%s", r->workload);
			snprintf(c->params_json, sizeof(c->params_json), "%s", r->params_json);
			snprintf(c->backend_options, sizeof(c->backend_options), "%s", r->backend_options);
			snprintf(c->tlb, sizeof(c->tlb), "%s", r->tlb);
			snprintf(c->costs, sizeof(c->costs), "%s", r->costs);
			c->vms = r->vms;
			c->quantum = r->quantum;
			c->mem = r->mem;
			c->modelled = r->modelled;
			c->native = r->native;
			/* Modelled cycles are the soft engine's: deterministic. */
			c->deterministic = r->modelled;
			c->baseline = -1;
			c->overhead = NAN;
			c->overhead_low = c->overhead_high = NAN;
			parse_identity(c);
		}
		{
			size_t *nr = realloc(c->runs, (c->run_count + 1) * sizeof(*nr));

			if (!nr)
				return -ENOMEM;
			c->runs = nr;
			c->runs[c->run_count++] = i;
		}
	}
	return 0;
}

static int dim_value_cmp(const struct an_dim *a, const struct an_dim *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	if (a->numeric && b->numeric && a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return strcmp(a->value, b->value);
}

static bool backend_dim(const char *key)
{
	return !strcmp(key, "backend") || !strncmp(key, "opt.", 4);
}

/* Reading order: the settings in identity order (engine, machine,
 * workload, parameters by value, VMs, ...), then the native backend
 * first so a baseline heads its group, then the backend and its options. */
static int config_cmp(const void *pa, const void *pb)
{
	const struct an_config *a = pa, *b = pb;
	int k;

	for (int pass = 0; pass < 2; pass++) {
		const struct an_config *x = pass ? b : a, *y = pass ? a : b;

		for (size_t i = 0; i < x->dim_count; i++) {
			if (backend_dim(x->dims[i].key))
				continue;
			k = dim_value_cmp(&x->dims[i], an_config_dim(y, x->dims[i].key));
			if (k)
				return pass ? -k : k;
		}
	}
	if (a->native != b->native)
		return a->native ? -1 : 1;
	if ((k = strcmp(a->backend, b->backend)))
		return k;
	for (size_t i = 0; i < a->dim_count; i++)
		if (!strncmp(a->dims[i].key, "opt.", 4) &&
		    (k = dim_value_cmp(&a->dims[i], an_config_dim(b, a->dims[i].key))))
			return k;
	return strcmp(a->identity, b->identity);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The samples of a configuration: one per distinct seed (the mean of its
 * runs, which are all equal on a deterministic engine) or one per run. */
static int make_samples(const struct an_dataset *ds, struct an_config *c)
{
	c->samples = malloc(c->run_count * sizeof(*c->samples));
	if (!c->samples)
		return -ENOMEM;
	c->sample_count = 0;
	if (!c->deterministic) {
		for (size_t i = 0; i < c->run_count; i++)
			c->samples[c->sample_count++] = ds->runs[c->runs[i]].metric;
	} else {
		uint64_t *seeds = malloc(c->run_count * sizeof(*seeds));

		if (!seeds)
			return -ENOMEM;
		for (size_t i = 0; i < c->run_count; i++)
			seeds[i] = ds->runs[c->runs[i]].seed;
		qsort(seeds, c->run_count, sizeof(*seeds), cmp_u64);
		for (size_t i = 0; i < c->run_count; i++) {
			double sum = 0;
			size_t n = 0;

			if (i && seeds[i] == seeds[i - 1])
				continue;
			for (size_t j = 0; j < c->run_count; j++)
				if (ds->runs[c->runs[j]].seed == seeds[i]) {
					sum += ds->runs[c->runs[j]].metric;
					n++;
				}
			c->samples[c->sample_count++] = sum / (double)n;
		}
		free(seeds);
	}
	c->exact = true;
	for (size_t i = 1; i < c->sample_count; i++)
		c->exact &= c->samples[i] == c->samples[0];
	return 0;
}

static int compute(struct an_dataset *ds)
{
	if (ds->config_count)
		qsort(ds->configs, ds->config_count, sizeof(ds->configs[0]), config_cmp);
	make_labels(ds);
	for (size_t k = 0; k < ds->config_count; k++) {
		struct an_config *c = &ds->configs[k];

		for (size_t i = 0; i < c->run_count; i++)
			ds->runs[c->runs[i]].config = (ptrdiff_t)k;
		if (make_samples(ds, c))
			return -ENOMEM;
		if (c->deterministic)
			ds->deterministic_configs++;
		else
			ds->timed_configs++;
		c->has_stat = an_summarize(c->samples, c->sample_count, AN_CI_LEVEL, &c->stat) == 0;
		if (c->has_stat && c->exact) {
			/* Copies of one value: that value, with no interval. */
			c->stat.sd = 0;
			c->stat.ci_half = c->stat.ci_low = c->stat.ci_high = NAN;
		}
	}
	for (size_t k = 0; k < ds->config_count; k++) {
		struct an_config *c = &ds->configs[k];
		const struct an_config *bc;

		for (size_t b = 0; b < ds->config_count; b++) {
			bc = &ds->configs[b];
			if (bc->native && !strcmp(bc->baseline_identity, c->baseline_identity) &&
			    bc->modelled == c->modelled) {
				c->baseline = (ptrdiff_t)b;
				break;
			}
		}
		if (c->baseline < 0)
			continue;
		bc = &ds->configs[c->baseline];
		if ((size_t)c->baseline == k) {
			c->overhead = 0;
			continue;
		}
		if (bc->stat.mean > 0)
			c->overhead = c->stat.mean / bc->stat.mean - 1.0;
		c->exact_difference = c->exact && bc->exact;
		if (c->exact_difference || c->sample_count < 2 || bc->sample_count < 2)
			continue;
		c->has_welch = an_welch(c->samples, c->sample_count, bc->samples, bc->sample_count, &c->welch) == 0;
		if (c->has_welch && bc->stat.mean > 0) {
			c->overhead_low = c->welch.ci_low / bc->stat.mean;
			c->overhead_high = c->welch.ci_high / bc->stat.mean;
		}
	}
	return 0;
}

bool an_run_overhead(const struct an_dataset *ds, size_t run, double *overhead, int64_t *baseline_run)
{
	const struct an_run *r = &ds->runs[run];
	const struct an_config *c, *bc;

	*baseline_run = 0;
	if (r->config < 0)
		return false;
	c = &ds->configs[r->config];
	if (c->baseline < 0)
		return false;
	bc = &ds->configs[c->baseline];
	*baseline_run = bc->run_count ? ds->runs[bc->runs[0]].id : 0;
	for (size_t i = 0; i < bc->run_count; i++)
		if (ds->runs[bc->runs[i]].seed == r->seed) {
			*baseline_run = ds->runs[bc->runs[i]].id;
			break;
		}
	if (!(bc->stat.mean > 0))
		return false;
	*overhead = r->metric / bc->stat.mean - 1.0;
	return true;
}

int an_dataset_load(struct rec_db *db, const char *selector, struct an_dataset *ds, char *err,
		    size_t err_len)
{
	struct load_ctx ctx = {.db = db, .ds = ds};
	int rc;

	memset(ds, 0, sizeof(*ds));
	rc = rec_select_runs(db, selector, collect_run, &ctx, err, err_len);
	if (rc) {
		if (err && !err[0])
			snprintf(err, err_len, "%s",
				 rc == -ENOMEM ? "out of memory"
				 : rc == -ENAMETOOLONG ? "a run's configuration is too long to name"
							: rec_errmsg(db));
		return rc;
	}
	rc = group(ds);
	rc = rc ? rc : compute(ds);
	if (rc)
		snprintf(err, err_len, "out of memory");
	return rc;
}

void an_dataset_free(struct an_dataset *ds)
{
	for (size_t i = 0; i < ds->run_count; i++)
		ctr_free(&ds->runs[i].counters);
	for (size_t k = 0; k < ds->config_count; k++) {
		free(ds->configs[k].runs);
		free(ds->configs[k].samples);
	}
	free(ds->runs);
	free(ds->configs);
	memset(ds, 0, sizeof(*ds));
}
