/*
 * ept/npt.h — building nested page tables in AMD NPT format: ordinary
 * x86-64 long-mode 4-level tables that map guest-physical addresses to
 * machine addresses, with the U bit on every entry (the hardware checks
 * every nested access as a user access).
 *
 * The builder knows nothing of the VMM: it gets its 4 KiB table frames
 * and host pointers to them through struct ept_npt_mem, so the same code
 * fills tables from the VMM's frame pool (ept.c) or from a test's buffer.
 * The format is the ordinary long-mode one, so the builder also builds a
 * guest's own tables when tests need them (addresses are then GPAs).
 *
 * Entries it writes: non-leaf P|W|U|A, leaf P|W|U|A|D (PS for 2 MiB and
 * 1 GiB), never NX.  The VMM does no dirty logging, so entries are born
 * accessed and dirty and the hardware never writes them back: the MMU's
 * ad_writebacks then count the guest's own A/D updates only.
 *
 * Invariants: `root` is a table the builder allocated (0 is a valid
 * address: emptiness is `tables == 0`); every table frame
 * reachable from it was allocated through `mem` and is counted in
 * `tables`; ept_npt_destroy() gives each back exactly once.
 */
#ifndef MEMVIRT_EPT_NPT_H
#define MEMVIRT_EPT_NPT_H

#include <stdint.h>

/* Page sizes, in the order of the MMU's (4 KiB, 2 MiB, 1 GiB). */
enum ept_npage {
	EPT_NPAGE_4K = 0,
	EPT_NPAGE_2M,
	EPT_NPAGE_1G,
	EPT_NPAGE__COUNT
};

/* Bytes of a page of size s. */
static inline uint64_t ept_npage_bytes(enum ept_npage s)
{
	return UINT64_C(1) << (12 + 9 * (unsigned)s);
}

struct ept_npt_mem {
	void *ctx;
	/* One zeroed 4 KiB frame; its address in *addr.  Negative errno. */
	int (*alloc)(void *ctx, uint64_t *addr);
	void (*free)(void *ctx, uint64_t addr);
	/* Host pointer to the 4 KiB frame at addr (never NULL for a frame
	 * alloc returned). */
	void *(*ptr)(void *ctx, uint64_t addr);
};

struct ept_npt {
	struct ept_npt_mem mem;
	uint64_t root;                       /* nCR3: address of the PML4 */
	uint64_t tables;                     /* table frames held, root included */
	uint64_t leaves[EPT_NPAGE__COUNT];   /* leaf entries written, per size */
};

/* Allocate the root.  Negative errno from mem.alloc. */
int ept_npt_init(struct ept_npt *t, const struct ept_npt_mem *mem)
	__attribute__((warn_unused_result));
/* Give every table frame back; t is then empty (no tables). */
void ept_npt_destroy(struct ept_npt *t);

/* Map the page [gpa, gpa + size) to [hpa, ...).  -EINVAL: an address not
 * aligned to the page size, or beyond 48 bits; -EEXIST: part of the
 * range is already mapped (nothing is changed then); -ENOMEM (or the
 * allocator's error) for a table that cannot be allocated. */
int ept_npt_map(struct ept_npt *t, uint64_t gpa, uint64_t hpa, enum ept_npage size)
	__attribute__((warn_unused_result));

/* Map [gpa, gpa + len) to [hpa, ...) with pages of size `size`: every
 * address and len must be multiples of it.  Errors as ept_npt_map(). */
int ept_npt_map_range(struct ept_npt *t, uint64_t gpa, uint64_t hpa, uint64_t len,
		      enum ept_npage size) __attribute__((warn_unused_result));

/* Software walk: the address gpa maps to and the page size.  -ENOENT
 * when it is not mapped.  Reads only (for tests and diagnostics). */
int ept_npt_lookup(const struct ept_npt *t, uint64_t gpa, uint64_t *hpa, enum ept_npage *size);

#endif
