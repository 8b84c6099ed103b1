/*
 * shadowpt/gwalk.c — the guest page-table walk of the shadow backend:
 * GVA -> GPA through the guest's own tables with the SDK's walker, the
 * same one the soft MMU's hardware walk uses (memvirt/pagetable.h), so
 * that a fault the backend reflects is exactly the fault the guest would
 * have taken natively.
 *
 * Invariant: the walk only reads; A/D bits are written separately by
 * shadow_gwalk_set_ad(), when the backend decides the access happened.
 */
#include "shadowpt/shadow.h"

#include <string.h>

/* Guest tables in guest RAM: an entry outside it stops the walk. */
struct gwalk_mem {
	const uint8_t *ram;
	uint64_t mem_size;
	struct shadow_gwalk *w;
};

static bool read_entry(void *ctx, unsigned level, uint64_t table, uint64_t idx, uint64_t *where,
		       uint64_t *entry)
{
	struct gwalk_mem *m = ctx;
	uint64_t egpa = table + idx * 8;

	(void)level;
	if (egpa >= m->mem_size || m->mem_size - egpa < 8) {
		m->w->phys = true;
		m->w->phys_gpa = egpa;
		return false;
	}
	memcpy(entry, m->ram + egpa, sizeof(*entry));
	*where = egpa;
	return true;
}

static const struct mv_pt_walk_ops gwalk_ops = {.read = read_entry};

void shadow_gwalk(const uint8_t *ram, uint64_t mem_size, uint64_t cr3, uint64_t va,
		  const struct shadow_gaccess *a, struct shadow_gwalk *w)
{
	const struct mv_pt_access acc = {
		.write = a->write, .fetch = a->fetch, .user = a->user, .wp = a->wp, .nxe = a->nxe,
	};
	const struct mv_pt_walk_start start = {.table = cr3, .level = 0, .rights = MV_PT_RIGHTS_ALL};
	struct gwalk_mem m = {.ram = ram, .mem_size = mem_size, .w = w};
	struct mv_pt_walk pw;
	bool ok;

	memset(w, 0, sizeof(*w));
	ok = mv_pt_walk(&mv_pt_long4, &gwalk_ops, &m, &start, va, &acc, &pw);
	w->nread = pw.nread;
	for (unsigned d = 0; d < pw.nread; d++) {
		w->entry_gpa[d] = pw.where[d];
		w->entry[d] = pw.entry[d];
	}
	w->nonleaf_ok = pw.nonleaf_end;
	if (pw.status == MV_PT_WALK_STOPPED)
		return;
	if (!ok) {
		w->fault = true;
		w->error_code = pw.error_code;
		return;
	}
	w->leaf = pw.level;
	w->acc = pw.rights;
	w->gpa = pw.out;
	if (w->gpa >= mem_size) {
		w->phys = true;
		w->phys_gpa = w->gpa;
	}
}

static void set_bits(uint8_t *ram, uint64_t gpa, uint64_t bits)
{
	uint64_t e;

	memcpy(&e, ram + gpa, sizeof(e));
	if ((e & bits) != bits) {
		e |= bits;
		memcpy(ram + gpa, &e, sizeof(e));
	}
}

void shadow_gwalk_set_ad(uint8_t *ram, const struct shadow_gwalk *w, bool write)
{
	for (unsigned d = 0; d < w->nonleaf_ok; d++)
		set_bits(ram, w->entry_gpa[d], MV_PTE_A);
	if (!w->fault && !w->phys && w->nread == w->leaf + 1)
		set_bits(ram, w->entry_gpa[w->leaf], MV_PTE_A | (write ? MV_PTE_D : 0));
}
