/*
 * shadowpt/gwalk.c — the guest page-table walker of the shadow backend:
 * GVA -> GPA through the guest's own tables, with the rights, reserved-bit
 * checks and #PF error codes of the soft MMU's hardware walk
 * (vcpu/soft/walk.c), so that a fault the backend reflects is exactly the
 * fault the guest would have taken natively.
 *
 * Invariant: the walk only reads; A/D bits are written separately by
 * shadow_gwalk_set_ad(), when the backend decides the access happened.
 */
#include "shadowpt/shadow.h"

#include <string.h>

/* Reserved bits per depth, for a table pointer and for a large leaf. */
static uint64_t rsvd_bits(unsigned depth, bool large)
{
	if (depth == 0)
		return SHADOW_PTE_PHYS_HI | SHADOW_PTE_PS;
	if (large && depth == 1)
		return SHADOW_PTE_PHYS_HI | UINT64_C(0x3fffe000); /* bits 29:13 */
	if (large && depth == 2)
		return SHADOW_PTE_PHYS_HI | UINT64_C(0x1fe000);   /* bits 20:13 */
	return SHADOW_PTE_PHYS_HI;
}

static void fault(struct shadow_gwalk *w, const struct shadow_gaccess *a, uint32_t why)
{
	uint32_t ec = why;

	if (a->write)
		ec |= SHADOW_PFEC_W;
	if (a->user)
		ec |= SHADOW_PFEC_U;
	if (a->fetch && a->nxe)
		ec |= SHADOW_PFEC_ID;
	w->fault = true;
	w->error_code = ec;
}

void shadow_gwalk(const uint8_t *ram, uint64_t mem_size, uint64_t cr3, uint64_t va,
		  const struct shadow_gaccess *a, struct shadow_gwalk *w)
{
	uint64_t table = cr3 & SHADOW_PTE_ADDR;
	uint8_t acc = SHADOW_ACC_W | SHADOW_ACC_U | SHADOW_ACC_X;

	memset(w, 0, sizeof(*w));
	for (unsigned d = 0; d < 4; d++) {
		uint64_t egpa = table + ((va >> SHADOW_SHIFT(d)) & 511) * 8;
		uint64_t e;

		if (egpa >= mem_size || mem_size - egpa < 8) {
			w->phys = true;
			w->phys_gpa = egpa;
			return;
		}
		memcpy(&e, ram + egpa, sizeof(e));
		w->entry_gpa[d] = egpa;
		w->entry[d] = e;
		w->nread = d + 1;
		if (!(e & SHADOW_PTE_P)) {
			fault(w, a, 0);
			return;
		}
		bool leaf = d == 3 || ((d == 1 || d == 2) && (e & SHADOW_PTE_PS));
		uint64_t rsvd = rsvd_bits(d, leaf && d != 3);

		if (!a->nxe)
			rsvd |= SHADOW_PTE_NX;
		if (e & rsvd) {
			fault(w, a, SHADOW_PFEC_P | SHADOW_PFEC_RSVD);
			return;
		}
		if (!(e & SHADOW_PTE_W))
			acc &= (uint8_t)~SHADOW_ACC_W;
		if (!(e & SHADOW_PTE_U))
			acc &= (uint8_t)~SHADOW_ACC_U;
		if (a->nxe && (e & SHADOW_PTE_NX))
			acc &= (uint8_t)~SHADOW_ACC_X;
		if (!leaf) {
			w->nonleaf_ok = d + 1;
			table = e & SHADOW_PTE_ADDR;
			continue;
		}
		/* SDM 4.6: supervisor writes ignore R/W when CR0.WP=0;
		 * supervisor fetches from user pages are allowed (no SMEP). */
		if ((a->user && !(acc & SHADOW_ACC_U)) ||
		    (a->write && !(acc & SHADOW_ACC_W) && (a->user || a->wp)) ||
		    (a->fetch && !(acc & SHADOW_ACC_X))) {
			fault(w, a, SHADOW_PFEC_P);
			return;
		}
		uint64_t mask = (UINT64_C(1) << SHADOW_SHIFT(d)) - 1;

		w->leaf = d;
		w->acc = acc;
		w->gpa = ((e & SHADOW_PTE_ADDR) & ~mask) | (va & mask);
		if (w->gpa >= mem_size) {
			w->phys = true;
			w->phys_gpa = w->gpa;
		}
		return;
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
		set_bits(ram, w->entry_gpa[d], SHADOW_PTE_A);
	if (!w->fault && !w->phys && w->nread == w->leaf + 1)
		set_bits(ram, w->entry_gpa[w->leaf], SHADOW_PTE_A | (write ? SHADOW_PTE_D : 0));
}
