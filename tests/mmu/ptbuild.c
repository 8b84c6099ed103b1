/*
 * tests/mmu/ptbuild.c — see ptbuild.h.
 */
#include "ptbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memvirt/pagetable.h"

static uint64_t *slot(const struct ptb *b, uint64_t addr)
{
	return (uint64_t *)(void *)(b->mem + addr + b->host_off);
}

uint64_t ptb_read(const struct ptb *b, uint64_t addr)
{
	uint64_t v;
	memcpy(&v, b->mem + addr + b->host_off, 8);
	return v;
}

uint64_t ptb_alloc(struct ptb *b)
{
	uint64_t a = b->next;

	if (a + 4096 > b->limit) {
		fprintf(stderr, "ptbuild: out of table frames\n");
		exit(1);
	}
	b->next += 4096;
	memset(b->mem + a + b->host_off, 0, 4096);
	return a;
}

void ptb_init(struct ptb *b, uint8_t *mem, uint64_t host_off, uint64_t first, uint64_t limit)
{
	*b = (struct ptb){ .mem = mem, .host_off = host_off, .next = first, .limit = limit,
			   .table_flags = MV_PTE_P | MV_PTE_W | MV_PTE_U };
	b->root = ptb_alloc(b);
}

void ptb_map(struct ptb *b, uint64_t va, uint64_t pa, unsigned size, uint64_t flags)
{
	unsigned leaf_level = 3 - size;
	uint64_t table = b->root;

	for (unsigned l = 0; l < leaf_level; l++) {
		uint64_t *e = slot(b, table + ((va >> (39 - 9 * l)) & 511) * 8);
		if (!(*e & MV_PTE_P) || (*e & MV_PTE_PS))
			*e = ptb_alloc(b) | b->table_flags;
		table = *e & 0x000ffffffffff000ull;
	}
	*slot(b, table + ((va >> (39 - 9 * leaf_level)) & 511) * 8) =
		pa | flags | (size ? MV_PTE_PS : 0);
}

uint64_t *ptb_entry(struct ptb *b, uint64_t va, unsigned level)
{
	uint64_t table = b->root;

	for (unsigned l = 0;; l++) {
		uint64_t *e = slot(b, table + ((va >> (39 - 9 * l)) & 511) * 8);
		if (l == level)
			return e;
		if (!(*e & MV_PTE_P) || (*e & MV_PTE_PS))
			return NULL;
		table = *e & 0x000ffffffffff000ull;
	}
}
