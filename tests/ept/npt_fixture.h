/*
 * tests/ept/npt_fixture.h — a frame allocator over a test buffer for the
 * nested-table builder (ept/npt.h): frames come from a bump pointer and
 * a free list, and the fixture counts what is held so that a test can
 * check that destroy gives everything back.  Addresses are offsets into
 * the buffer (machine addresses when the buffer is a soft MMU's memory).
 */
#ifndef MEMVIRT_TESTS_EPT_NPT_FIXTURE_H
#define MEMVIRT_TESTS_EPT_NPT_FIXTURE_H

#include <errno.h>
#include <string.h>

#include "ept/npt.h"
#include "tests/check.h"

struct pool {
	uint8_t *mem;
	uint64_t next, limit;   /* bump range of the buffer */
	uint64_t freed[4096];
	unsigned nfreed;
	uint64_t held, allocs, frees;
};

static inline int pool_alloc(void *ctx, uint64_t *addr)
{
	struct pool *p = ctx;

	if (p->nfreed) {
		*addr = p->freed[--p->nfreed];
	} else {
		if (p->next + 4096 > p->limit)
			return -ENOMEM;
		*addr = p->next;
		p->next += 4096;
	}
	memset(p->mem + *addr, 0, 4096);
	p->held++;
	p->allocs++;
	return 0;
}

static inline void pool_free(void *ctx, uint64_t addr)
{
	struct pool *p = ctx;

	CHECK(addr % 4096 == 0 && addr < p->next, "freeing 0x%" PRIx64 ", not a pool frame", addr);
	CHECK(p->held > 0, "freeing 0x%" PRIx64 " with no frame held", addr);
	for (unsigned i = 0; i < p->nfreed; i++)
		CHECK(p->freed[i] != addr, "frame 0x%" PRIx64 " freed twice", addr);
	CHECK(p->nfreed < sizeof(p->freed) / sizeof(p->freed[0]), "free list full");
	p->freed[p->nfreed++] = addr;
	p->held--;
	p->frees++;
}

static inline void *pool_ptr(void *ctx, uint64_t addr)
{
	struct pool *p = ctx;

	return p->mem + addr;
}

static inline void pool_init(struct pool *p, uint8_t *mem, uint64_t first, uint64_t limit)
{
	memset(p, 0, sizeof(*p));
	p->mem = mem;
	p->next = first;
	p->limit = limit;
}

static inline struct ept_npt_mem pool_mem(struct pool *p)
{
	return (struct ept_npt_mem){.ctx = p, .alloc = pool_alloc, .free = pool_free, .ptr = pool_ptr};
}

#endif
