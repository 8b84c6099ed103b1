/*
 * ept/npt.c — the nested-table builder (see npt.h).
 *
 * One descent per mapped page: from the root, through the levels above
 * the page's own (PML4 -> PDPT -> PD -> PT; a 2 MiB page stops at the PD,
 * a 1 GiB page at the PDPT), allocating a table wherever an entry is not
 * present.  A table is only ever allocated under an entry that was not
 * present, so a mapping that collides with an existing one (-EEXIST) is
 * detected before anything is allocated for it.
 */
#include "ept/npt.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include "memvirt/pagetable.h"

/* Address bits of an entry: 51..12 (the modelled MAXPHYADDR is 48). */
#define NPT_VA_LIMIT (UINT64_C(1) << 48)

#define NPT_LEVELS 4
#define NPT_TABLE_FLAGS (MV_PTE_P | MV_PTE_W | MV_PTE_U | MV_PTE_A)
#define NPT_LEAF_FLAGS (MV_PTE_P | MV_PTE_W | MV_PTE_U | MV_PTE_A | MV_PTE_D)

/* Address bits below the index of level l (0 = PML4). */
static unsigned level_shift(unsigned l)
{
	return 39 - 9 * l;
}

/* The level whose entries map pages of size s. */
static unsigned leaf_level(enum ept_npage s)
{
	return NPT_LEVELS - 1 - (unsigned)s;
}

static uint64_t *table_at(const struct ept_npt *t, uint64_t addr)
{
	uint64_t *p = t->mem.ptr(t->mem.ctx, addr);

	assert(p);
	return p;
}

static unsigned index_of(uint64_t gpa, unsigned l)
{
	return (unsigned)((gpa >> level_shift(l)) & 511);
}

int ept_npt_init(struct ept_npt *t, const struct ept_npt_mem *mem)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->mem = *mem;
	rc = mem->alloc(mem->ctx, &t->root);
	if (rc)
		return rc;
	t->tables = 1;
	return 0;
}

static void free_tables(struct ept_npt *t, uint64_t table, unsigned l)
{
	if (l + 1 < NPT_LEVELS) {
		const uint64_t *e = table_at(t, table);

		for (unsigned i = 0; i < 512; i++)
			if ((e[i] & MV_PTE_P) && !(e[i] & MV_PTE_PS))
				free_tables(t, e[i] & MV_PTE_ADDR, l + 1);
	}
	t->mem.free(t->mem.ctx, table);
	assert(t->tables > 0);
	t->tables--;
}

void ept_npt_destroy(struct ept_npt *t)
{
	if (t->tables)
		free_tables(t, t->root, 0);
	assert(t->tables == 0);
	t->root = 0;
}

int ept_npt_map(struct ept_npt *t, uint64_t gpa, uint64_t hpa, enum ept_npage size)
{
	uint64_t bytes, table = t->root;
	unsigned leaf;
	int rc;

	if ((unsigned)size >= EPT_NPAGE__COUNT)
		return -EINVAL;
	bytes = ept_npage_bytes(size);
	leaf = leaf_level(size);
	if ((gpa | hpa) & (bytes - 1) || gpa >= NPT_VA_LIMIT || hpa >= NPT_VA_LIMIT ||
	    NPT_VA_LIMIT - gpa < bytes || NPT_VA_LIMIT - hpa < bytes)
		return -EINVAL;
	for (unsigned l = 0; l < leaf; l++) {
		uint64_t *e = &table_at(t, table)[index_of(gpa, l)];

		if (*e & MV_PTE_P) {
			if (*e & MV_PTE_PS)
				return -EEXIST;   /* a larger page covers it */
			table = *e & MV_PTE_ADDR;
			continue;
		}
		uint64_t next;
		rc = t->mem.alloc(t->mem.ctx, &next);
		if (rc)
			return rc;
		t->tables++;
		*e = next | NPT_TABLE_FLAGS;
		table = next;
	}
	uint64_t *e = &table_at(t, table)[index_of(gpa, leaf)];
	if (*e & MV_PTE_P)
		return -EEXIST;   /* the same page, or a table of smaller ones */
	*e = hpa | NPT_LEAF_FLAGS | (size != EPT_NPAGE_4K ? MV_PTE_PS : 0);
	t->leaves[size]++;
	return 0;
}

int ept_npt_map_range(struct ept_npt *t, uint64_t gpa, uint64_t hpa, uint64_t len,
		      enum ept_npage size)
{
	uint64_t bytes;
	int rc;

	if ((unsigned)size >= EPT_NPAGE__COUNT)
		return -EINVAL;
	bytes = ept_npage_bytes(size);
	if (len & (bytes - 1))
		return -EINVAL;
	for (uint64_t off = 0; off < len; off += bytes) {
		rc = ept_npt_map(t, gpa + off, hpa + off, size);
		if (rc)
			return rc;
	}
	return 0;
}

int ept_npt_lookup(const struct ept_npt *t, uint64_t gpa, uint64_t *hpa, enum ept_npage *size)
{
	uint64_t table = t->root;

	if (!t->tables || gpa >= NPT_VA_LIMIT)
		return -ENOENT;
	for (unsigned l = 0; l < NPT_LEVELS; l++) {
		uint64_t e = table_at(t, table)[index_of(gpa, l)];

		if (!(e & MV_PTE_P))
			return -ENOENT;
		if (l + 1 == NPT_LEVELS || (l > 0 && (e & MV_PTE_PS))) {
			enum ept_npage s = (enum ept_npage)(NPT_LEVELS - 1 - l);
			uint64_t mask = ept_npage_bytes(s) - 1;

			*hpa = ((e & MV_PTE_ADDR) & ~mask) | (gpa & mask);
			*size = s;
			return 0;
		}
		table = e & MV_PTE_ADDR;
	}
	return -ENOENT;
}
