/*
 * analysis/dataset.c — runs into configurations with statistics (see
 * dataset.h).  Sizes are small (hundreds of runs), so grouping is a plain
 * quadratic scan that keeps the runs' order.
 */
#include "analysis/dataset.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
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

static int collect_run(void *vctx, const struct rec_run_row *row)
{
	struct load_ctx *ctx = vctx;
	struct an_dataset *ds = ctx->ds;
	struct an_run *r;
	char tlb[128], mem[32], quantum[32], costs[256], bopt[256];
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
	snprintf(r->engine, sizeof(r->engine), "%s", row->engine ? row->engine : "?");
	snprintf(r->backend, sizeof(r->backend), "%s", row->backend ? row->backend : "?");
	snprintf(r->workload, sizeof(r->workload), "%s", row->workload ? row->workload : "?");
	snprintf(r->params_json, sizeof(r->params_json), "%s", row->params_json ? row->params_json : "{}");
	snprintf(r->error, sizeof(r->error), "%s", row->error ? row->error : "");
	snprintf(r->command, sizeof(r->command), "%s", row->command ? row->command : "");
	r->rep = row->rep;
	r->vms = row->vms;
	r->modelled = row->modelled_cycles >= 0;
	r->metric = r->modelled ? row->modelled_cycles : (double)row->wall_ns;
	config_field(ctx->db, row->id, "$.tlb", tlb, sizeof(tlb));
	config_field(ctx->db, row->id, "$.mem", mem, sizeof(mem));
	config_field(ctx->db, row->id, "$.quantum", quantum, sizeof(quantum));
	config_field(ctx->db, row->id, "$.costs", costs, sizeof(costs));
	config_field(ctx->db, row->id, "$.backend_options", bopt, sizeof(bopt));
	/* A cut key could merge two configurations: refuse it instead. */
	if (snprintf(r->base_key, sizeof(r->base_key),
		     "engine=%s;workload=%s;params=%s;vms=%u;tlb=%s;mem=%s;quantum=%s;costs=%s", r->engine,
		     r->workload, r->params_json, r->vms, tlb, mem, quantum, costs) >= (int)sizeof(r->base_key) ||
	    snprintf(r->key, sizeof(r->key), "%s;backend=%s;backend_options=%s", r->base_key, r->backend,
		     bopt) >= (int)sizeof(r->key)) {
		ctr_free(&r->counters);
		return -ENAMETOOLONG;
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

/* {"wss":1048576,"passes":2} -> "wss=1048576 passes=2" */
static void params_text(const char *json, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const char *p = json; *p && off + 1 < len; p++) {
		if (*p == '{' || *p == '}' || *p == '"' || *p == ' ')
			continue;
		buf[off++] = *p == ':' ? '=' : *p == ',' ? ' ' : *p;
	}
	buf[off] = '\0';
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

static int group(struct an_dataset *ds)
{
	for (size_t i = 0; i < ds->run_count; i++) {
		const struct an_run *r = &ds->runs[i];
		struct an_config *c = NULL;

		if (r->status != REC_STATUS_OK) {
			ds->failed++;
			continue;
		}
		for (size_t k = 0; k < ds->config_count; k++)
			if (!strcmp(ds->configs[k].key, r->key)) {
				c = &ds->configs[k];
				break;
			}
		if (!c) {
			struct an_config *nc = realloc(ds->configs, (ds->config_count + 1) * sizeof(*nc));
			char ptxt[256];
			char tlb[128];

			if (!nc)
				return -ENOMEM;
			ds->configs = nc;
			c = &ds->configs[ds->config_count++];
			memset(c, 0, sizeof(*c));
			snprintf(c->key, sizeof(c->key), "%s", r->key);
			snprintf(c->base_key, sizeof(c->base_key), "%s", r->base_key);
			snprintf(c->engine, sizeof(c->engine), "%s", r->engine);
			snprintf(c->backend, sizeof(c->backend), "%s", r->backend);
			snprintf(c->workload, sizeof(c->workload), "%s", r->workload);
			snprintf(c->params_json, sizeof(c->params_json), "%s", r->params_json);
			c->vms = r->vms;
			c->modelled = r->modelled;
			c->baseline = -1;
			c->overhead = NAN;
			c->overhead_low = c->overhead_high = NAN;
			/* The TLB geometry is in the key between "tlb=" and ";mem=". */
			{
				const char *t = strstr(r->base_key, ";tlb="), *e = t ? strstr(t, ";mem=") : NULL;

				snprintf(tlb, sizeof(tlb), "%.*s", t && e ? (int)(e - t - 5) : 0, t ? t + 5 : "");
				snprintf(c->tlb, sizeof(c->tlb), "%s", tlb);
			}
			params_text(r->params_json, ptxt, sizeof(ptxt));
			/* A label is for reading: a cut one is still a label. */
			if (snprintf(c->label, sizeof(c->label), "%s/%s %s%s%s%s%s", r->engine, r->backend,
				     r->workload, ptxt[0] ? " " : "", ptxt, c->tlb[0] ? " tlb=" : "",
				     c->tlb) >= (int)sizeof(c->label))
				c->label[sizeof(c->label) - 1] = '\0';
			if (r->vms > 1) {
				size_t l = strlen(c->label);

				snprintf(c->label + l, sizeof(c->label) - l, " vms=%u", r->vms);
			}
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

/* Compare two flat JSON objects of numbers key by key, numerically. */
static int params_cmp(const char *a, const char *b)
{
	for (;;) {
		const char *ca = strchr(a, ':'), *cb = strchr(b, ':');
		double va, vb;
		int k;

		if (!ca || !cb)
			return (ca != NULL) - (cb != NULL);
		k = strncmp(a, b, (size_t)(ca - a) < (size_t)(cb - b) ? (size_t)(ca - a) : (size_t)(cb - b));
		if (k || ca - a != cb - b)
			return k ? k : (ca - a < cb - b ? -1 : 1);
		va = strtod(ca + 1, NULL);
		vb = strtod(cb + 1, NULL);
		if (va != vb)
			return va < vb ? -1 : 1;
		a = ca + 1;
		b = cb + 1;
	}
}

/* Reading order: engine, workload, TLB, VMs, parameters by value, then
 * the backend with native first, so a baseline heads its group. */
static int config_cmp(const void *pa, const void *pb)
{
	const struct an_config *a = pa, *b = pb;
	int k;

	if ((k = strcmp(a->engine, b->engine)) || (k = strcmp(a->workload, b->workload)) ||
	    (k = strcmp(a->tlb, b->tlb)))
		return k;
	if (a->vms != b->vms)
		return a->vms < b->vms ? -1 : 1;
	if ((k = params_cmp(a->params_json, b->params_json)))
		return k;
	if (strcmp(a->backend, b->backend)) {
		if (!strcmp(a->backend, AN_BASELINE_BACKEND))
			return -1;
		if (!strcmp(b->backend, AN_BASELINE_BACKEND))
			return 1;
	}
	return strcmp(a->key, b->key);
}

static int compute(struct an_dataset *ds)
{
	if (ds->config_count)
		qsort(ds->configs, ds->config_count, sizeof(ds->configs[0]), config_cmp);
	for (size_t k = 0; k < ds->config_count; k++) {
		struct an_config *c = &ds->configs[k];
		double *x = malloc(c->run_count * sizeof(*x));

		if (!x)
			return -ENOMEM;
		for (size_t i = 0; i < c->run_count; i++)
			x[i] = ds->runs[c->runs[i]].metric;
		c->has_stat = an_summarize(x, c->run_count, AN_CI_LEVEL, &c->stat) == 0;
		free(x);
	}
	for (size_t k = 0; k < ds->config_count; k++) {
		struct an_config *c = &ds->configs[k];

		for (size_t b = 0; b < ds->config_count; b++) {
			const struct an_config *bc = &ds->configs[b];

			if (!strcmp(bc->backend, AN_BASELINE_BACKEND) && !strcmp(bc->base_key, c->base_key) &&
			    bc->modelled == c->modelled) {
				c->baseline = (ptrdiff_t)b;
				break;
			}
		}
		if (c->baseline < 0 || (size_t)c->baseline == k)
			continue;
		{
			const struct an_config *bc = &ds->configs[c->baseline];
			double *a = malloc(c->run_count * sizeof(*a)), *b = malloc(bc->run_count * sizeof(*b));

			if (!a || !b) {
				free(a);
				free(b);
				return -ENOMEM;
			}
			for (size_t i = 0; i < c->run_count; i++)
				a[i] = ds->runs[c->runs[i]].metric;
			for (size_t i = 0; i < bc->run_count; i++)
				b[i] = ds->runs[bc->runs[i]].metric;
			if (bc->stat.mean > 0)
				c->overhead = c->stat.mean / bc->stat.mean - 1.0;
			c->has_welch = an_welch(a, c->run_count, b, bc->run_count, &c->welch) == 0;
			if (c->has_welch && bc->stat.mean > 0) {
				c->overhead_low = c->welch.ci_low / bc->stat.mean;
				c->overhead_high = c->welch.ci_high / bc->stat.mean;
			}
			free(a);
			free(b);
		}
	}
	return 0;
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
			snprintf(err, err_len, "%s", rc == -ENOMEM ? "out of memory" : rec_errmsg(db));
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
	for (size_t k = 0; k < ds->config_count; k++)
		free(ds->configs[k].runs);
	free(ds->runs);
	free(ds->configs);
	memset(ds, 0, sizeof(*ds));
}
