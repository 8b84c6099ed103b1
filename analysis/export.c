/*
 * analysis/export.c — runs as CSV and JSON (see export.h).
 */
#include "analysis/export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/format.h"

static const char *or_given(const char *canonical, const char *given)
{
	return canonical[0] ? canonical : given;
}

static const char *statistics_name(const struct an_config *c)
{
	return c->exact ? "exact" : c->deterministic ? "deterministic" : "timed";
}

/* The union of the runs' whole-run counter names, first-seen order. */
static int counter_names(const struct an_dataset *ds, struct ctr_set *names)
{
	ctr_init(names);
	for (size_t r = 0; r < ds->run_count; r++)
		for (size_t k = 0; k < ds->runs[r].counters.count; k++)
			if (ds->runs[r].counters.items[k].vm == -1 &&
			    !ctr_find(names, -1, ds->runs[r].counters.items[k].name) &&
			    ctr_set(names, -1, ds->runs[r].counters.items[k].name, 0))
				return -ENOMEM;
	return 0;
}

/* The workload parameters' names over every run, first-seen order. */
static int param_names(const struct an_dataset *ds, struct ctr_set *names)
{
	ctr_init(names);
	for (size_t r = 0; r < ds->run_count; r++) {
		const char *p = ds->runs[r].params_json;

		while ((p = strchr(p, '"'))) {
			const char *e = strchr(p + 1, '"');
			char name[64];

			if (!e)
				break;
			snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
			if (!ctr_find(names, -1, name) && ctr_set(names, -1, name, 0))
				return -ENOMEM;
			p = strchr(e, ',');
			if (!p)
				break;
		}
	}
	return 0;
}

static const char *config_label(const struct an_dataset *ds, const struct an_run *r)
{
	return r->config >= 0 ? ds->configs[r->config].label : "";
}

int an_export_csv(const struct an_dataset *ds, FILE *out)
{
	struct ctr_set counters, params;
	int rc = counter_names(ds, &counters);

	rc = rc ? rc : param_names(ds, &params);
	if (rc) {
		ctr_free(&counters);
		return rc;
	}
	fprintf(out, "run_id,status,superseded_by,sweep_id,engine,machine,backend,backend_options,workload,params,");
	for (size_t i = 0; i < params.count; i++)
		fprintf(out, "param_%s,", params.items[i].name);
	fprintf(out, "vms,quantum,mem,tlb,costs,seed,rep,wall_ns,modelled_cycles,configuration,identity,"
		     "baseline_run_id,overhead,checksum,error");
	for (size_t i = 0; i < counters.count; i++)
		fprintf(out, ",%s", counters.items[i].name);
	fputc('\n', out);
	for (size_t i = 0; i < ds->run_count; i++) {
		const struct an_run *r = &ds->runs[i];
		double ov = NAN;
		int64_t base = 0;

		an_run_overhead(ds, i, &ov, &base);
		fprintf(out, "%" PRId64 ",%s,", r->id, rec_status_name(r->status));
		if (r->superseded)
			fprintf(out, "%" PRId64, r->superseded_by);
		fputc(',', out);
		if (r->sweep_id)
			fprintf(out, "%" PRId64, r->sweep_id);
		fputc(',', out);
		an_csv_text(out, r->engine);
		fputc(',', out);
		an_csv_text(out, r->machine);
		fputc(',', out);
		an_csv_text(out, r->backend);
		fputc(',', out);
		an_csv_text(out, or_given(r->backend_options_canonical, r->backend_options));
		fputc(',', out);
		an_csv_text(out, r->workload);
		fputc(',', out);
		an_csv_text(out, r->params_json);
		fputc(',', out);
		for (size_t p = 0; p < params.count; p++) {
			double v;

			if (an_param_value(r->params_json, params.items[p].name, &v))
				an_csv_number(out, v);
			fputc(',', out);
		}
		fprintf(out, "%u,%" PRIu64 ",%" PRIu64 ",", r->vms, r->quantum, r->mem);
		an_csv_text(out, or_given(r->tlb_canonical, r->tlb));
		fputc(',', out);
		an_csv_text(out, or_given(r->costs_canonical, r->costs));
		fprintf(out, ",%" PRIu64 ",%u,", r->seed, r->rep);
		if (r->status == REC_STATUS_OK || r->wall_ns)
			fprintf(out, "%" PRIu64, r->wall_ns);
		fputc(',', out);
		an_csv_number(out, r->modelled ? r->modelled_cycles : NAN);
		fputc(',', out);
		an_csv_text(out, config_label(ds, r));
		fputc(',', out);
		an_csv_text(out, r->identity);
		fputc(',', out);
		if (base)
			fprintf(out, "%" PRId64, base);
		fputc(',', out);
		an_csv_number(out, base ? ov : NAN);
		fputc(',', out);
		an_csv_text(out, r->checksum_json);
		fputc(',', out);
		an_csv_text(out, r->error);
		for (size_t k = 0; k < counters.count; k++) {
			const struct ctr_entry *e = ctr_find(&r->counters, -1, counters.items[k].name);

			fputc(',', out);
			if (e)
				an_csv_number(out, e->value);
		}
		fputc('\n', out);
	}
	ctr_free(&counters);
	ctr_free(&params);
	return 0;
}

static void json_key(FILE *out, const char *key)
{
	an_json_text(out, key);
	fputc(':', out);
}

static void json_ids(FILE *out, const struct an_dataset *ds, const struct an_config *c)
{
	fputc('[', out);
	for (size_t i = 0; i < c->run_count; i++)
		fprintf(out, "%s%" PRId64, i ? "," : "", ds->runs[c->runs[i]].id);
	fputc(']', out);
}

static void json_run(FILE *out, const struct an_dataset *ds, size_t i)
{
	const struct an_run *r = &ds->runs[i];
	double ov = NAN;
	int64_t base = 0;

	an_run_overhead(ds, i, &ov, &base);
	fprintf(out, "{\"run_id\":%" PRId64 ",\"status\":\"%s\",", r->id, rec_status_name(r->status));
	json_key(out, "superseded_by");
	if (r->superseded)
		fprintf(out, "%" PRId64 ",", r->superseded_by);
	else
		fprintf(out, "null,");
	json_key(out, "sweep_id");
	if (r->sweep_id)
		fprintf(out, "%" PRId64 ",", r->sweep_id);
	else
		fprintf(out, "null,");
	json_key(out, "engine");
	an_json_text(out, r->engine);
	fputc(',', out);
	json_key(out, "machine");
	an_json_text(out, r->machine);
	fputc(',', out);
	json_key(out, "backend");
	an_json_text(out, r->backend);
	fputc(',', out);
	json_key(out, "backend_options");
	an_json_text(out, or_given(r->backend_options_canonical, r->backend_options));
	fputc(',', out);
	json_key(out, "workload");
	an_json_text(out, r->workload);
	fputc(',', out);
	/* The stored parameters are a JSON object already. */
	fprintf(out, "\"params\":%s,", r->params_json[0] ? r->params_json : "{}");
	fprintf(out, "\"vms\":%u,\"quantum\":%" PRIu64 ",\"mem\":%" PRIu64 ",", r->vms, r->quantum, r->mem);
	json_key(out, "tlb");
	an_json_text(out, or_given(r->tlb_canonical, r->tlb));
	fputc(',', out);
	json_key(out, "costs");
	an_json_text(out, or_given(r->costs_canonical, r->costs));
	fprintf(out, ",\"seed\":%" PRIu64 ",\"rep\":%u,\"wall_ns\":%" PRIu64 ",", r->seed, r->rep, r->wall_ns);
	json_key(out, "modelled_cycles");
	an_json_number(out, r->modelled ? r->modelled_cycles : NAN);
	fputc(',', out);
	json_key(out, "configuration");
	if (r->config >= 0)
		an_json_text(out, config_label(ds, r));
	else
		fputs("null", out);
	fputc(',', out);
	json_key(out, "identity");
	an_json_text(out, r->identity);
	fputc(',', out);
	json_key(out, "baseline_run_id");
	if (base)
		fprintf(out, "%" PRId64, base);
	else
		fputs("null", out);
	fputc(',', out);
	json_key(out, "overhead");
	an_json_number(out, base ? ov : NAN);
	fputc(',', out);
	json_key(out, "error");
	if (r->error[0])
		an_json_text(out, r->error);
	else
		fputs("null", out);
	fputc(',', out);
	json_key(out, "counters");
	fputc('{', out);
	for (size_t k = 0, n = 0; k < r->counters.count; k++) {
		if (r->counters.items[k].vm != -1)
			continue;
		fprintf(out, "%s", n++ ? "," : "");
		json_key(out, r->counters.items[k].name);
		an_json_number(out, r->counters.items[k].value);
	}
	fputs("}}", out);
}

static void json_config(FILE *out, const struct an_dataset *ds, size_t k)
{
	const struct an_config *c = &ds->configs[k];
	bool compared = c->baseline >= 0 && (size_t)c->baseline != k;

	fputc('{', out);
	json_key(out, "configuration");
	an_json_text(out, c->label);
	fputc(',', out);
	json_key(out, "identity");
	an_json_text(out, c->identity);
	fputc(',', out);
	json_key(out, "statistics");
	an_json_text(out, statistics_name(c));
	fputc(',', out);
	json_key(out, "metric");
	an_json_text(out, c->modelled ? "modelled_cycles" : "wall_ns");
	fputc(',', out);
	json_key(out, "run_ids");
	json_ids(out, ds, c);
	fprintf(out, ",\"samples\":%zu,", c->sample_count);
	json_key(out, "mean");
	an_json_number(out, c->stat.mean);
	fputc(',', out);
	json_key(out, "sd");
	an_json_number(out, c->exact ? 0 : c->stat.sd);
	fputc(',', out);
	json_key(out, "ci95");
	if (isfinite(c->stat.ci_low) && !c->exact) {
		fputc('[', out);
		an_json_number(out, c->stat.ci_low);
		fputc(',', out);
		an_json_number(out, c->stat.ci_high);
		fputc(']', out);
	} else {
		fputs("null", out);
	}
	fputc(',', out);
	json_key(out, "baseline");
	if (c->baseline < 0)
		fputs("null", out);
	else if (!compared)
		an_json_text(out, "self");
	else
		json_ids(out, ds, &ds->configs[c->baseline]);
	fputc(',', out);
	json_key(out, "overhead");
	an_json_number(out, compared ? c->overhead : NAN);
	fputc(',', out);
	json_key(out, "overhead_ci95");
	if (compared && isfinite(c->overhead_low)) {
		fputc('[', out);
		an_json_number(out, c->overhead_low);
		fputc(',', out);
		an_json_number(out, c->overhead_high);
		fputc(']', out);
	} else {
		fputs("null", out);
	}
	fputc(',', out);
	json_key(out, "welch_p");
	an_json_number(out, c->has_welch ? c->welch.p : NAN);
	fputc('}', out);
}

int an_export_json(const struct an_dataset *ds, FILE *out)
{
	fputs("{\"runs\":[", out);
	for (size_t i = 0; i < ds->run_count; i++) {
		if (i)
			fputc(',', out);
		json_run(out, ds, i);
	}
	fputs("],\"configurations\":[", out);
	for (size_t k = 0; k < ds->config_count; k++) {
		if (k)
			fputc(',', out);
		json_config(out, ds, k);
	}
	fprintf(out, "],\"failed\":%zu,\"superseded\":%zu}\n", ds->failed, ds->superseded);
	return 0;
}
