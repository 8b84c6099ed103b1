/*
 * core/costmodel.c — the cost model's default table (documented in
 * docs/cost-model.md) and its application to counters.
 */
#include "core/costmodel.h"

#include "memvirt/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

/* Defaults: orders of magnitude from published measurements (see
 * docs/cost-model.md, whose table a test holds against this one). */
static const struct cost_entry default_costs[] = {
	{"instructions", 1, "execution", "one retired guest instruction"},
	{"tlb_l2_hits", 7, "tlb", "an L1 TLB miss that hits the second level"},
	{"walk_refs", 20, "walks", "one memory reference of a page walk (guest and nested levels alike)"},
	{"ad_writebacks", 20, "walks", "an accessed/dirty bit written back by the walker"},
	{"vm_exits", 1200, "exits", "a VM exit and re-entry round trip"},
	{"shadow_faults_hidden", 1500, "shadow_faults", "the VMM's work on a hidden page fault (walk guest tables, fill shadow)"},
	{"true_faults_reflected", 600, "fault_reflection", "injecting a page fault into the guest"},
	{"pt_writes_emulated", 1800, "pt_write_emulation", "decoding and emulating a write to a write-protected guest page table"},
	{"shadow_resyncs", 2500, "resyncs", "resynchronising an out-of-sync shadow table"},
	{"cr3_writes", 400, "cr3_switches", "the VMM's work on a guest CR3 write (shadow-cache lookup)"},
	{"cr3_reads", 100, "cr3_switches", "emulating a CR3 read"},
	{"invlpgs", 300, "invlpg", "the VMM's work on a guest INVLPG"},
	{"shadow_pages_allocated", 500, "shadow_tables", "allocating and zeroing a shadow table page"},
	{"shadow_pages_zapped", 300, "shadow_tables", "dropping a shadow table page"},
	{"nested_faults", 1500, "nested_faults", "the VMM filling a nested-table entry"},
	{"guest_tlb_writes", 200, "tlb_writes", "the VMM emulating a guest TLB write (architected TLB; on top of its exit)"},
	{"hidden_refills", 200, "refills", "a real-TLB miss refilled from the virtual TLB (on top of its exit)"},
	{"reflected_refills", 600, "refills", "a TLB miss reflected to the guest's refill handler"},
	{"tlb_rewrite_entries", 20, "rewrites", "one entry rewritten into the real TLB at a VM switch"},
	{"asid_recycles", 500, "asid", "taking back a real ASID and flushing it"},
	{"vm_switches", 2000, "vm_switches", "saving and restoring a VM's architected state"},
	{"io_exits", 800, "io", "emulating a port access (on top of its exit)"},
};

void cost_model_default(struct cost_model *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(default_costs) / sizeof(default_costs[0]); i++)
		m->entries[m->count++] = default_costs[i];
}

size_t cost_model_causes(const char **causes, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(default_costs) / sizeof(default_costs[0]); i++) {
		bool seen = false;

		for (size_t j = 0; j < n; j++)
			seen |= !strcmp(causes[j], default_costs[i].cause);
		if (!seen && n < max)
			causes[n++] = default_costs[i].cause;
	}
	return n;
}

int cost_model_override(struct cost_model *m, const char *text, char *err, size_t err_len)
{
	struct mv_option opts[COST_MAX_ENTRIES];
	struct mv_opt_value v[COST_MAX_ENTRIES];
	char defs[COST_MAX_ENTRIES][32];

	/* The entries are the option table: one parser for every option
	 * text (memvirt/options.h), and a cost that is no finite number from
	 * 0 to 1e9 cycles is refused there. */
	for (size_t i = 0; i < m->count; i++) {
		snprintf(defs[i], sizeof(defs[i]), "%.17g", m->entries[i].cycles);
		opts[i] = (struct mv_option){.name = m->entries[i].counter, .type = MV_OPT_REAL, .max_real = 1e9,
					     .def = defs[i], .metavar = "CYCLES", .help = m->entries[i].help};
		v[i] = (struct mv_opt_value){.real = m->entries[i].cycles};
	}
	if (mv_options_parse(opts, m->count, text, v, "--costs", err, err_len))
		return -EINVAL;
	for (size_t i = 0; i < m->count; i++)
		m->entries[i].cycles = v[i].real;
	return 0;
}

size_t cost_model_canonical(const struct cost_model *m, char *buf, size_t len)
{
	struct cost_model d;
	size_t off = 0;

	cost_model_default(&d);
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < m->count; i++)
		if (i >= d.count || m->entries[i].cycles != d.entries[i].cycles)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s=%.17g", off ? "," : "",
						m->entries[i].counter, m->entries[i].cycles);
	return off;
}

double cost_model_apply(const struct cost_model *m, struct ctr_set *ctr)
{
	double total = 0;
	int rc = 0;

	for (size_t i = 0; i < m->count; i++) {
		const struct cost_entry *e = &m->entries[i];
		double c = ctr_get(ctr, -1, e->counter, 0) * e->cycles;
		char name[96];

		total += c;
		if (c > 0) {
			snprintf(name, sizeof(name), "modelled_cycles_%s", e->cause);
			rc |= ctr_add(ctr, -1, name, c);
		}
	}
	rc |= ctr_set(ctr, -1, "modelled_cycles", total);
	(void)rc; /* an out-of-memory here loses a breakdown line, never the total returned */
	return total;
}
