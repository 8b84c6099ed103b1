/*
 * core/costmodel.c — the cost model's default table (documented in
 * docs/cost-model.md) and its application to counters.
 */
#include "core/costmodel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defaults: orders of magnitude from published measurements of x86
 * hardware (see docs/cost-model.md), not a claim about any one CPU. */
static const struct cost_entry default_costs[] = {
	{"instructions", 1, "execution"},
	{"tlb_l2_hits", 7, "tlb"},
	{"walk_refs", 20, "walks"},
	{"ad_writebacks", 20, "walks"},
	{"vm_exits", 1200, "exits"},
	{"shadow_faults_hidden", 1500, "shadow_faults"},
	{"true_faults_reflected", 600, "fault_reflection"},
	{"pt_writes_emulated", 1800, "pt_write_emulation"},
	{"shadow_resyncs", 2500, "resyncs"},
	{"cr3_writes", 400, "cr3_switches"},
	{"cr3_reads", 100, "cr3_switches"},
	{"invlpgs", 300, "invlpg"},
	{"shadow_pages_allocated", 500, "shadow_tables"},
	{"shadow_pages_zapped", 300, "shadow_tables"},
	{"nested_faults", 1500, "nested_faults"},
	{"guest_tlb_writes", 200, "tlb_writes"},
	{"hidden_refills", 400, "refills"},
	{"reflected_refills", 600, "refills"},
	{"tlb_rewrite_entries", 40, "rewrites"},
	{"asid_recycles", 500, "asid"},
	{"vm_switches", 2000, "vm_switches"},
	{"io_exits", 800, "io"},
};

void cost_model_default(struct cost_model *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(default_costs) / sizeof(default_costs[0]); i++)
		m->entries[m->count++] = default_costs[i];
}

int cost_model_override(struct cost_model *m, const char *text, char *err, size_t err_len)
{
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, ',');
		const char *eq;
		char item[128], *num_end;
		double v;
		size_t i;

		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) >= sizeof(item) || end == p)
			goto bad;
		memcpy(item, p, (size_t)(end - p));
		item[end - p] = '\0';
		eq = strchr(item, '=');
		if (!eq)
			goto bad;
		v = strtod(eq + 1, &num_end);
		if (num_end == eq + 1 || *num_end || v < 0 || v > 1e9)
			goto bad;
		for (i = 0; i < m->count; i++)
			if (strlen(m->entries[i].counter) == (size_t)(eq - item) &&
			    !strncmp(m->entries[i].counter, item, (size_t)(eq - item)))
				break;
		if (i == m->count) {
			snprintf(err, err_len,
				 "unknown cost-model entry '%.*s' in --costs; the entries are the counters listed in docs/cost-model.md (e.g. vm_exits, walk_refs)",
				 (int)(eq - item), item);
			return -EINVAL;
		}
		m->entries[i].cycles = v;
		p = *end ? end + 1 : end;
	}
	return 0;
bad:
	snprintf(err, err_len, "bad --costs '%s': expected name=cycles[,name=cycles...] with cycles from 0 to 1e9",
		 text);
	return -EINVAL;
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
