/*
 * tests/mmu/ptbuild.h — a small page-table builder for the MMU tests:
 * allocates zeroed 4 KiB tables from a bump allocator inside a machine
 * buffer and maps pages of any size with the flags a test asks for.
 * Table addresses live in the builder's own address space (GPA for guest
 * tables, HPA for nested tables); host byte = mem[addr + host_off].
 */
#ifndef MEMVIRT_TESTS_MMU_PTBUILD_H
#define MEMVIRT_TESTS_MMU_PTBUILD_H

#include <stdint.h>
#include "memvirt/pagetable.h"


#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

struct ptb {
	uint8_t *mem;
	uint64_t host_off;
	uint64_t next, limit;   /* bump allocator, builder addresses */
	uint64_t root;
	uint64_t table_flags;   /* flags of non-leaf entries it creates */
};

/* Tables from [first, limit) of the builder's space; root allocated. */
void ptb_init(struct ptb *b, uint8_t *mem, uint64_t host_off, uint64_t first, uint64_t limit);
uint64_t ptb_alloc(struct ptb *b);
/* Map va -> pa with a page of size (0 = 4K, 1 = 2M, 2 = 1G); leaf gets
 * flags (PS added for large pages). */
void ptb_map(struct ptb *b, uint64_t va, uint64_t pa, unsigned size, uint64_t flags);
/* The entry at level (0 = PML4E .. 3 = PTE) on va's path; NULL if the
 * path stops earlier. */
uint64_t *ptb_entry(struct ptb *b, uint64_t va, unsigned level);
uint64_t ptb_read(const struct ptb *b, uint64_t addr);

#endif
