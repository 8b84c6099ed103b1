/*
 * core/runplan.h — a run configuration resolved against what this memvirt
 * has: the engine, the backend (a plugin loaded), the workload and its
 * parameter values, the record level, the cost model, the TLB geometry,
 * the guest image; every check that needs several options together; and
 * what comes out of it: the JSON configuration stored with each run, the
 * configuration identity, and the VMM's configuration.
 *
 * Every usage error of `memvirt run` is found here, before a database is
 * opened, so that a refused command line never leaves a run row.
 *
 * The identity names a configuration: every option that can change a
 * result, each in canonical form (the default spelled out equals the
 * default, `1M` equals `1048576`, the quantum only where VMs are
 * timeshared, the guest image by its SHA-256), and nothing of the sample
 * (seed, repetition) or of where results go.  A run's baseline is the
 * `native` run of the same identity but for the backend and its options:
 * `baseline_identity` is the identity with those two left out.
 */
#ifndef MEMVIRT_CORE_RUNPLAN_H
#define MEMVIRT_CORE_RUNPLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/costmodel.h"
#include "core/evbus.h"
#include "core/json.h"
#include "core/program.h"
#include "core/runconf.h"
#include "core/vmm.h"
#include "workloads/bootinfo.h"
#include "workloads/catalog.h"

struct run_plan {
	const struct run_config *cfg;
	const struct engine_ops *engine;
	const struct mv_backend_ops *backend;
	void *backend_dl;                       /* plugin handle, closed by run_plan_free */
	const struct wl_desc *workload;
	uint64_t param_values[WL_MAX_PARAMS];
	char params_text[MV_BOOT_PARAMS_LEN];   /* "k=v k=v" for the boot info */
	struct ev_record_level record;
	char record_text[32];
	struct cost_model costs;
	bool arch_tlb;
	char tlb_canonical[512];                /* empty on engines without a TLB model */
	char backend_opt_canonical[1024];
	char costs_canonical[1024];
	char guest_path[4096];
	char guest_sha256[65];
	/* A program run (--program): the resolved arguments and files (from
	 * --arg/--file or --args/--files), and the package, built here so
	 * that a bad ELF or a missing file is refused before anything runs. */
	bool program;
	const char *prog_args[PROG_MAX_ARGS];
	unsigned prog_argc;
	const char *prog_files[PROG_MAX_FILES];
	unsigned prog_filec;
	char prog_words[2][16384];              /* --args / --files split into words */
	struct prog_package package;
	char workload_label[128];               /* the store's workload: "scan", "program:hello" */
	bool check_only;
	char error[1024];                       /* why run_plan_make refused it */
	char identity[4096];
	char baseline_identity[4096];
	char command[2048];
};

/* Check only: no plugin is loaded and no file read (memvirt sweep
 * --check); the identity is not made. */
#define RUN_PLAN_CHECK_ONLY 1u

/*
 * Resolve c (argc/argv: the command line, kept for the record).  Returns 0,
 * or an exit code (2 usage, 3 environment) with the one-line reason in
 * p->error.  Either way run_plan_free() releases it.
 */
int run_plan_make(const struct run_config *c, struct run_plan *p, unsigned flags, int argc, char **argv)
	__attribute__((warn_unused_result));
void run_plan_free(struct run_plan *p);

/* One workload parameter checked by name and range (the value stored in
 * *out when out is not NULL); -EINVAL with one line in why. */
int run_plan_check_param(const struct wl_desc *wl, const char *key, const char *value, uint64_t *out,
			 char *why, size_t len) __attribute__((warn_unused_result));

/* The configuration stored with each run and printed by --json: every
 * stored option (resolved, workload parameters with their defaults), the
 * identity and the baseline identity. */
void run_plan_config_json(const struct run_plan *p, struct json *j);
/* The members describing a program run's program, inside an object the
 * caller opens: "path", "name", "sha256", "args": [...], "files":
 * [{"name", "sha256"}...]; `stored` (the stored configuration) adds each
 * file's "path" and "size" and "output_limit". */
void run_plan_program_members(const struct run_plan *p, bool stored, struct json *j);
/* The workload parameters, {"name": value, ...} in catalog order. */
void run_plan_params_json(const struct run_plan *p, struct json *j);

/* The VMM's configuration for one repetition. */
void run_plan_vmm_config(const struct run_plan *p, uint64_t seed, struct ev_bus *bus, FILE *console,
			 struct vmm_config *vc);

#endif
