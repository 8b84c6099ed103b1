/*
 * analysis/dataset.h — stored runs grouped into configurations, with the
 * statistics of each: what `memvirt report`, `memvirt compare` and
 * `memvirt export` show.
 *
 * A configuration is named by its identity (the run's configuration
 * `identity`, core/runplan.h: every option that can change a result, in
 * canonical form); seed and repetition are the sample.  Its baseline is
 * the configuration on the in-tree `native` backend with the same
 * `baseline_identity`: the same configuration but for the backend and its
 * options.  A configuration without such a baseline in the selection has
 * none; it never borrows one.  Runs recorded before identities existed
 * are named by their stored fields (engine, machine, backend and its
 * options as written, workload and parameters, VMs, quantum with several
 * VMs, memory, TLB as written, costs).
 *
 * Samples respect how the runs were made: on the soft engine (modelled
 * cycles, deterministic) a sample is a distinct seed, so repeating a seed
 * adds nothing; when every sample is equal the value is exact and there
 * is no interval and no p-value.  Runs on the kvm engine (wall time, real
 * noise) are each a sample.
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
#define AN_MAX_DIMS 48
#define AN_MAX_DIM_KEYS 96

/* One setting of a configuration, from its identity: "engine", "machine",
 * "backend", "workload", each workload parameter by its name ("wss"),
 * "vms", "quantum", "mem", "guest", each backend option as "opt.NAME",
 * each TLB field as "tlb.NAME" (a level "l1=64:4" as "tlb.l1.entries"
 * and "tlb.l1.ways"), each cost override as "cost.NAME". */
struct an_dim {
	char key[64];
	char value[256];
	double number;              /* the value as a number when numeric */
	bool numeric;
};

struct an_run {
	int64_t id, sweep_id;
	enum rec_status status;
	bool superseded;            /* not ok, but its sweep point has an ok run in the selection */
	int64_t superseded_by;
	char engine[16], machine[16], backend[256], workload[32];
	char backend_options[256], tlb[256], costs[256];       /* as given */
	char backend_options_canonical[1024], tlb_canonical[512], costs_canonical[1024];
	char params_json[512];
	char checksum_json[256];
	char identity[4096];        /* the configuration */
	char baseline_identity[4096];
	char sweep_key[1024];
	uint64_t seed, quantum, mem;
	uint32_t rep, vms;
	double metric;              /* modelled cycles or wall ns */
	double modelled_cycles;     /* < 0: not modelled */
	uint64_t wall_ns;
	bool modelled;
	bool native;                /* the in-tree native backend (a baseline) */
	char error[256];
	char command[512];
	struct ctr_set counters;    /* whole-run totals */
	ptrdiff_t config;           /* index into an_dataset.configs, -1 when not ok */
};

struct an_config {
	char identity[4096], baseline_identity[4096];
	/* "soft/shadow scan wss=1048576 stride=8 passes=2 vms=2": the engine,
	 * backend, workload and parameters, then every other setting that is
	 * not the same in every configuration of the selection (backend
	 * options: in every configuration of the same backend). */
	char label[1024];
	struct an_dim dims[AN_MAX_DIMS];
	size_t dim_count;
	char engine[16], machine[16], backend[256], workload[32], params_json[512];
	char backend_options[256], tlb[256], costs[256];
	uint32_t vms;
	uint64_t quantum, mem;
	bool modelled;              /* metric is modelled cycles */
	bool native;
	/* Samples: distinct seeds (deterministic) or runs (timed). */
	bool deterministic;
	size_t *runs;               /* indexes into an_dataset.runs, ok runs only */
	size_t run_count;
	double *samples;            /* the metric per sample */
	size_t sample_count;
	bool exact;                 /* every sample is the same value: no interval, no p */
	struct an_summary stat;     /* of the samples */
	bool has_stat;
	ptrdiff_t baseline;         /* index of the native configuration, -1 if none */
	double overhead;            /* mean / baseline mean - 1; NaN when no baseline */
	/* 95% interval of the overhead: Welch's interval of the difference of
	 * means over the baseline mean (the baseline mean's own uncertainty
	 * is not propagated); NaN where there is no test to make. */
	double overhead_low, overhead_high;
	struct an_welch welch;      /* against the baseline */
	bool has_welch;             /* a test was made (neither side exact alone...) */
	bool exact_difference;      /* both sides exact: the difference is exact, no p */
};

struct an_dataset {
	struct an_run *runs;
	size_t run_count, run_cap;
	struct an_config *configs;
	size_t config_count;
	/* Every dim key of the configurations in reading order, and the
	 * settings every configuration shares ("machine=pt mem=134217728"). */
	char dim_keys[AN_MAX_DIM_KEYS][64];
	size_t dim_key_count;
	char common[2048];
	size_t deterministic_configs, timed_configs;
	size_t failed;              /* runs not ok among the selected, superseded ones excluded */
	size_t superseded;          /* not-ok runs whose sweep point later ran ok */
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

/* One run against its baseline: the overhead of its metric over the mean
 * of its configuration's baseline (the same number the configuration
 * statistics give when the run is its configuration's only sample), and
 * the baseline run: the one of the same seed, else the baseline's first.
 * false (baseline_run 0) when the run has no baseline in the selection. */
bool an_run_overhead(const struct an_dataset *ds, size_t run, double *overhead, int64_t *baseline_run);

/* A configuration's setting by key; NULL when it has none. */
const struct an_dim *an_config_dim(const struct an_config *c, const char *key);

/* Whether a setting is the same in every configuration of the dataset
 * that has it (a backend option: in those of the same backend) and
 * present in all or none. */
bool an_dim_constant(const struct an_dataset *ds, const char *key);

/* A value of one numeric workload parameter in a params JSON object
 * ({"wss":1048576,...}); false when absent. */
bool an_param_value(const char *params_json, const char *name, double *out);

/* Faults and refills the memory system took per 1000 guest instructions
 * (guest page faults, hidden shadow faults, nested faults, TLB refills);
 * false when the run has no instruction count. */
bool an_fault_rate(const struct an_run *r, double *out);

#endif
