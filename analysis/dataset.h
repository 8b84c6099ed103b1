/*
 * analysis/dataset.h — stored runs grouped into configurations, with the
 * statistics of each: what `memvirt report` and `memvirt compare` show.
 *
 * A configuration is everything that defines a run but its repetition
 * (engine, backend and its options, workload and parameters, VMs, TLB,
 * memory, quantum, cost overrides).  Its baseline is the configuration
 * that differs only in running the native backend.  The metric compared
 * is modelled cycles where the cost model ran (soft engine) and wall time
 * otherwise (kvm engine).
 *
 * Invariants: configs[] only hold 'ok' runs; every number derived from
 * runs keeps the ids of those runs (run_ids) so it can be traced.
 */
#ifndef MEMVIRT_ANALYSIS_DATASET_H
#define MEMVIRT_ANALYSIS_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/stats.h"
#include "core/counters.h"
#include "core/store.h"

#define AN_BASELINE_BACKEND "native"
#define AN_CI_LEVEL 0.95

struct an_run {
	int64_t id, sweep_id;
	enum rec_status status;
	char engine[16], backend[256], workload[32];
	char params_json[512];
	char base_key[1024];        /* the configuration without the backend */
	char key[1400];             /* the configuration */
	uint32_t rep, vms;
	double metric;              /* modelled cycles or wall ns */
	bool modelled;
	char error[256];
	char command[512];
	struct ctr_set counters;    /* whole-run totals */
};

struct an_config {
	char key[1400], base_key[1024];
	char label[512];            /* "soft/shadow scan wss=1048576" */
	char engine[16], backend[256], workload[32], params_json[512];
	uint32_t vms;
	char tlb[128];
	bool modelled;              /* metric is modelled cycles */
	size_t *runs;               /* indexes into an_dataset.runs, ok runs only */
	size_t run_count;
	struct an_summary stat;     /* of the metric */
	bool has_stat;
	ptrdiff_t baseline;         /* index of the native configuration, -1 if none */
	double overhead;            /* mean / baseline mean - 1; NaN when no baseline */
	/* 95% interval of the overhead: Welch's interval of the difference of
	 * means over the baseline mean (the baseline mean's own uncertainty
	 * is not propagated); NaN without a Welch test. */
	double overhead_low, overhead_high;
	struct an_welch welch;      /* against the baseline */
	bool has_welch;
};

struct an_dataset {
	struct an_run *runs;
	size_t run_count, run_cap;
	struct an_config *configs;
	size_t config_count;
	size_t failed;              /* runs not ok among the selected */
	int64_t sweeps[16];         /* sweeps the runs came from */
	size_t sweep_count;
};

/* Load the runs a selector picks (store.h syntax) with their counters,
 * group them and compute every configuration's statistics.  Errors:
 * -EINVAL bad selector (message in err), -ENOMEM, -EIO. */
int an_dataset_load(struct rec_db *db, const char *selector, struct an_dataset *ds, char *err,
		    size_t err_len) __attribute__((warn_unused_result));
void an_dataset_free(struct an_dataset *ds);

/* "12,15,18" — the ids of a configuration's runs. */
void an_config_run_ids(const struct an_dataset *ds, const struct an_config *c, char *buf, size_t len);

/* A value of one numeric workload parameter in a params JSON object
 * ({"wss":1048576,...}); false when absent. */
bool an_param_value(const char *params_json, const char *name, double *out);

/* Faults and refills the memory system took per 1000 guest instructions
 * (guest page faults, hidden shadow faults, nested faults, TLB refills);
 * false when the run has no instruction count. */
bool an_fault_rate(const struct an_run *r, double *out);

#endif
