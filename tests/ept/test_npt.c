/*
 * tests/ept/test_npt.c — the nested-table builder (ept/npt.h) on its own:
 * entries in AMD NPT format with the bits the MMU needs, pages of every
 * size where they belong, the table count of a whole RAM, refusals
 * (misaligned, too high, overlapping) that change nothing, an allocator
 * that runs dry, and destroy giving back every frame once.
 */
#include <stdlib.h>

#include "tests/ept/npt_fixture.h"

#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

static uint8_t *buffer(size_t size)
{
	uint8_t *m = calloc(1, size);

	CHECK(m != NULL, "calloc %zu", size);
	return m;
}

static uint64_t entry(const struct ept_npt *t, struct pool *p, uint64_t gpa, unsigned level)
{
	uint64_t table = t->root, e = 0;

	for (unsigned l = 0; l <= level; l++) {
		memcpy(&e, p->mem + table + ((gpa >> (39 - 9 * l)) & 511) * 8, 8);
		table = e & 0x000ffffffffff000ull;
	}
	return e;
}

static void test_entries(void)
{
	struct pool p;
	struct ept_npt t;
	uint64_t hpa;
	enum ept_npage size;
	uint8_t *mem = buffer(MIB(1));

	pool_init(&p, mem, 0, MIB(1));
	struct ept_npt_mem m = pool_mem(&p);
	CHECK_EQ_U64(ept_npt_init(&t, &m), 0);
	CHECK_EQ_U64(t.tables, 1);
	CHECK_EQ_U64(p.held, 1);

	CHECK_EQ_U64(ept_npt_map(&t, 0x5000, 0x12345000, EPT_NPAGE_4K), 0);
	CHECK_EQ_U64(ept_npt_map(&t, MIB(4), GIB(3) + MIB(6), EPT_NPAGE_2M), 0);
	CHECK_EQ_U64(ept_npt_map(&t, GIB(5), GIB(7), EPT_NPAGE_1G), 0);
	/* 4K: PML4, PDPT, PD, PT; the 2M page shares PML4..PD; the 1G one
	 * is in another PDPT entry of the same PDPT. */
	CHECK_EQ_U64(t.tables, 4);
	CHECK_EQ_U64(t.leaves[EPT_NPAGE_4K], 1);
	CHECK_EQ_U64(t.leaves[EPT_NPAGE_2M], 1);
	CHECK_EQ_U64(t.leaves[EPT_NPAGE_1G], 1);

	/* Non-leaf: P W U A; leaf: P W U A D (+PS); never NX. */
	for (unsigned l = 0; l < 3; l++)
		CHECK_EQ_U64(entry(&t, &p, 0x5000, l) & 0xfff0000000000fffull, 0x27);
	CHECK_EQ_U64(entry(&t, &p, 0x5000, 3), 0x12345000ull | 0x67);
	CHECK_EQ_U64(entry(&t, &p, MIB(4), 2), GIB(3) + MIB(6) + 0xe7);
	CHECK_EQ_U64(entry(&t, &p, GIB(5), 1), GIB(7) + 0xe7);

	CHECK_EQ_U64(ept_npt_lookup(&t, 0x5abc, &hpa, &size), 0);
	CHECK_EQ_U64(hpa, 0x12345abc);
	CHECK_EQ_U64(size, EPT_NPAGE_4K);
	CHECK_EQ_U64(ept_npt_lookup(&t, MIB(5) + 0x123, &hpa, &size), 0);
	CHECK_EQ_U64(hpa, GIB(3) + MIB(7) + 0x123);
	CHECK_EQ_U64(size, EPT_NPAGE_2M);
	CHECK_EQ_U64(ept_npt_lookup(&t, GIB(5) + MIB(300) + 8, &hpa, &size), 0);
	CHECK_EQ_U64(hpa, GIB(7) + MIB(300) + 8);
	CHECK_EQ_U64(size, EPT_NPAGE_1G);
	CHECK_EQ_U64(ept_npt_lookup(&t, 0x6000, &hpa, &size), (uint64_t)-ENOENT);
	CHECK_EQ_U64(ept_npt_lookup(&t, GIB(9), &hpa, &size), (uint64_t)-ENOENT);

	ept_npt_destroy(&t);
	CHECK_EQ_U64(t.tables, 0);
	CHECK_EQ_U64(p.held, 0);
	CHECK_EQ_U64(p.frees, p.allocs);
	free(mem);
}

static void test_refusals(void)
{
	struct pool p;
	struct ept_npt t;
	uint64_t tables;
	uint8_t *mem = buffer(MIB(1));
	struct ept_npt_mem m;

	pool_init(&p, mem, 0, MIB(1));
	m = pool_mem(&p);
	CHECK_EQ_U64(ept_npt_init(&t, &m), 0);
	/* Misaligned addresses, beyond 48 bits, bad size. */
	CHECK_EQ_U64(ept_npt_map(&t, 0x1000, 0, EPT_NPAGE_2M), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map(&t, 0, MIB(1), EPT_NPAGE_2M), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map(&t, MIB(2), 0, EPT_NPAGE_1G), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map(&t, 0x123, 0, EPT_NPAGE_4K), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map(&t, 1ull << 48, 0, EPT_NPAGE_4K), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map(&t, 0, 1ull << 48, EPT_NPAGE_4K), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map(&t, 0, 0, EPT_NPAGE__COUNT), (uint64_t)-EINVAL);
	CHECK_EQ_U64(ept_npt_map_range(&t, 0, 0, MIB(3), EPT_NPAGE_2M), (uint64_t)-EINVAL);
	CHECK_EQ_U64(t.tables, 1);

	/* Overlaps: a page under a large page, a large page over a table,
	 * the same page twice.  Nothing is allocated for a refused map. */
	CHECK_EQ_U64(ept_npt_map(&t, 0, 0, EPT_NPAGE_2M), 0);
	tables = t.tables;
	CHECK_EQ_U64(ept_npt_map(&t, 0x1000, 0x1000, EPT_NPAGE_4K), (uint64_t)-EEXIST);
	CHECK_EQ_U64(ept_npt_map(&t, 0, 0, EPT_NPAGE_2M), (uint64_t)-EEXIST);
	CHECK_EQ_U64(ept_npt_map(&t, 0, 0, EPT_NPAGE_1G), (uint64_t)-EEXIST);
	CHECK_EQ_U64(ept_npt_map(&t, MIB(2) + 0x3000, 0x3000, EPT_NPAGE_4K), 0);
	CHECK_EQ_U64(ept_npt_map(&t, MIB(2), MIB(2), EPT_NPAGE_2M), (uint64_t)-EEXIST);
	CHECK_EQ_U64(ept_npt_map(&t, MIB(2) + 0x3000, 0x4000, EPT_NPAGE_4K), (uint64_t)-EEXIST);
	CHECK_EQ_U64(t.tables, tables + 1);
	CHECK_EQ_U64(t.leaves[EPT_NPAGE_4K], 1);
	CHECK_EQ_U64(t.leaves[EPT_NPAGE_2M], 1);
	ept_npt_destroy(&t);
	CHECK_EQ_U64(p.held, 0);

	/* An allocator that runs dry: 3 frames for 4 tables. */
	pool_init(&p, mem, 0, 3 * 4096);
	m = pool_mem(&p);
	CHECK_EQ_U64(ept_npt_init(&t, &m), 0);
	CHECK_EQ_U64(ept_npt_map(&t, 0, 0, EPT_NPAGE_4K), (uint64_t)-ENOMEM);
	CHECK_EQ_U64(ept_npt_map(&t, 0, 0, EPT_NPAGE_2M), 0);
	ept_npt_destroy(&t);
	CHECK_EQ_U64(p.held, 0);
	CHECK_EQ_U64(p.frees, p.allocs);
	free(mem);
}

/* A whole RAM: the number of tables and leaves each page size needs. */
static void test_ram(void)
{
	static const struct {
		enum ept_npage size;
		uint64_t ram, tables, leaves;
	} cases[] = {
		/* 128 MiB of 4K: 32768 PTEs in 64 PTs, 1 PD, 1 PDPT, 1 PML4. */
		{EPT_NPAGE_4K, MIB(128), 67, 32768},
		{EPT_NPAGE_2M, MIB(128), 3, 64},
		{EPT_NPAGE_1G, GIB(4), 2, 4},
		/* 1 GiB + 2 MiB of 4K pages cross into a second PD. */
		{EPT_NPAGE_4K, GIB(1) + MIB(2), 1 + 1 + 2 + 513, 262656},
	};
	uint8_t *mem = buffer(MIB(4));

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool p;
		struct ept_npt t;
		struct ept_npt_mem m;
		uint64_t hpa, base = GIB(64) * (i + 1), last = cases[i].ram - 8;
		enum ept_npage size;

		pool_init(&p, mem, 0, MIB(4));
		m = pool_mem(&p);
		CHECK_EQ_U64(ept_npt_init(&t, &m), 0);
		CHECK_EQ_U64(ept_npt_map_range(&t, 0, base, cases[i].ram, cases[i].size), 0);
		CHECK(t.tables == cases[i].tables && t.leaves[cases[i].size] == cases[i].leaves,
		      "case %u: %" PRIu64 " tables, %" PRIu64 " leaves; want %" PRIu64 ", %" PRIu64, i,
		      t.tables, t.leaves[cases[i].size], cases[i].tables, cases[i].leaves);
		CHECK_EQ_U64(p.held, t.tables);
		CHECK_EQ_U64(ept_npt_lookup(&t, last, &hpa, &size), 0);
		CHECK_EQ_U64(hpa, base + last);
		CHECK_EQ_U64(size, cases[i].size);
		CHECK_EQ_U64(ept_npt_lookup(&t, cases[i].ram, &hpa, &size), (uint64_t)-ENOENT);
		ept_npt_destroy(&t);
		CHECK_EQ_U64(p.held, 0);
	}
	free(mem);
}

int main(void)
{
	test_entries();
	test_refusals();
	test_ram();
	printf("ept npt: ok\n");
	return 0;
}
