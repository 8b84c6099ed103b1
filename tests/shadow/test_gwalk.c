/*
 * tests/shadow/test_gwalk.c — the shadow backend's guest walker agrees
 * with the soft MMU's hardware walk: same translation, same #PF error
 * code, for random tables (4 KiB / 2 MiB / 1 GiB pages, every mix of
 * P, R/W, U/S, NX and reserved bits on every level) and every access
 * kind, with and without CR0.WP and EFER.NXE.  A reflected fault is only
 * right if this holds.
 */
#include <string.h>

#include "shadowpt/shadow.h"
#include "tests/check.h"
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

/* The upper half of the address space: sign-extended bit 47. */
static uint64_t canonical_hi(uint64_t va)
{
	return va | UINT64_C(0xffff800000000000);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random flags for an entry: mostly present and permissive. */
static uint64_t rflags(void)
{
	uint64_t f = 0, r = rnd();

	if (r % 16)
		f |= MV_PTE_P;
	if ((r >> 4) % 4)
		f |= MV_PTE_W;
	if ((r >> 6) % 4)
		f |= MV_PTE_U;
	if ((r >> 8) % 8 == 0)
		f |= MV_PTE_NX;
	if ((r >> 11) % 4 == 0)
		f |= MV_PTE_A;
	if ((r >> 13) % 64 == 0)
		f |= UINT64_C(1) << 50; /* reserved (MAXPHYADDR 48) */
	return f;
}

int main(void)
{
	const uint64_t size = MIB(64);
	struct fx f;
	struct ptb b;
	uint64_t vas[256];
	unsigned nva = 0, compared = 0, faults = 0, large = 0;

	fx_init(&f, size, NULL);
	ptb_init(&b, f.mem, 0, MIB(1), MIB(8));
	/* Mappings of every size, then random damage to their entries. */
	for (unsigned i = 0; i < 200; i++) {
		unsigned sz = rnd() % 10 == 0 ? 1 : 0;
		uint64_t va = (rnd() & UINT64_C(0x00007fffffe00000)) | (sz ? 0 : (rnd() & 0x1ff000));
		uint64_t pa = sz ? MIB(16) + (rnd() % 8) * MIB(2) : MIB(8) + (rnd() % 2048) * 4096;

		if (rnd() % 2)
			va = canonical_hi(va);
		ptb_map(&b, va, pa, sz, MV_PTE_P | MV_PTE_W | MV_PTE_U | MV_PTE_A | MV_PTE_D);
		vas[nva++] = va;
		large += sz;
	}
	ptb_map(&b, UINT64_C(0x40000000), 0, 2, MV_PTE_P | MV_PTE_W | MV_PTE_A); /* one 1 GiB page */
	vas[nva++] = UINT64_C(0x40000000) + MIB(5) + 123;
	for (unsigned i = 0; i < nva; i++)
		for (unsigned l = 0; l < 4; l++) {
			uint64_t *e = ptb_entry(&b, vas[i], l);

			if (!e)
				break;
			if (rnd() % 6 == 0)
				*e = (*e & UINT64_C(0x0000fffffffff000)) | (*e & MV_PTE_PS) | rflags();
			/* The builder must not follow a damaged address. */
			if (*e & (UINT64_C(1) << 50))
				break;
		}

	for (unsigned mode = 0; mode < 4; mode++) {
		bool wp = mode & 1, nxe = mode & 2;

		f.regs.cr0 = wp ? CR0_LONG : CR0_LONG & ~MV_CR0_WP;
		f.regs.efer = EFER_LONG | (nxe ? MV_EFER_NXE : 0);
		f.regs.cr3 = b.root;
		fx_apply(&f);
		for (unsigned i = 0; i < nva; i++)
			for (unsigned acc = 0; acc < 3; acc++)
				for (unsigned user = 0; user < 2; user++) {
					uint64_t va = vas[i] + (rnd() & 0xfff);
					struct shadow_gaccess a = {
						.write = acc == SOFT_ACCESS_WRITE,
						.fetch = acc == SOFT_ACCESS_FETCH,
						.user = user, .wp = wp, .nxe = nxe,
					};
					struct shadow_gwalk w;
					struct soft_fault sf;
					uint64_t hpa = 0;
					bool ok = soft_mmu_probe(f.mmu, va, acc, user, &hpa, &sf);

					shadow_gwalk(f.mem, size, b.root, va, &a, &w);
					CHECK(!w.phys, "va %#" PRIx64 ": walk left RAM at %#" PRIx64, va, w.phys_gpa);
					CHECK(ok == !w.fault,
					      "va %#" PRIx64 " acc %u user %u wp %d nxe %d: MMU %s, walker %s (ec %#x)",
					      va, acc, user, wp, nxe, ok ? "translates" : "faults",
					      w.fault ? "faults" : "translates", w.error_code);
					if (ok) {
						CHECK_EQ_U64(w.gpa, hpa);
					} else {
						CHECK(sf.kind == SOFT_FAULT_PF, "kind %d", sf.kind);
						CHECK(sf.error_code == w.error_code,
						      "va %#" PRIx64 " acc %u user %u: MMU ec %#x, walker ec %#x",
						      va, acc, user, sf.error_code, w.error_code);
						faults++;
					}
					compared++;
				}
	}
	CHECK(faults > compared / 20 && faults < compared - compared / 20,
	      "the random tables should give both outcomes: %u faults of %u", faults, compared);

	/* A/D: a successful walk sets A on every level and D on a write;
	 * a faulting one sets A only on the upper levels it passed. */
	memset(f.mem + MIB(1), 0, MIB(7));
	ptb_init(&b, f.mem, 0, MIB(1), MIB(8));
	ptb_map(&b, 0x400000, MIB(10), 0, MV_PTE_P | MV_PTE_W);
	*ptb_entry(&b, 0x401000, 3) = 0; /* absent neighbour */
	{
		struct shadow_gaccess a = {.write = true, .wp = true, .nxe = true};
		struct shadow_gwalk w;

		shadow_gwalk(f.mem, size, b.root, 0x401000, &a, &w);
		CHECK(w.fault && w.error_code == MV_PFEC_W, "ec %#x", w.error_code);
		shadow_gwalk_set_ad(f.mem, &w, true);
		for (unsigned l = 0; l < 3; l++)
			CHECK(*ptb_entry(&b, 0x401000, l) & MV_PTE_A, "level %u A after a faulting walk", l);
		CHECK(!(*ptb_entry(&b, 0x400000, 3) & MV_PTE_A), "leaf untouched");
		shadow_gwalk(f.mem, size, b.root, 0x400000, &a, &w);
		CHECK(!w.fault && w.leaf == 3, "walk");
		shadow_gwalk_set_ad(f.mem, &w, true);
		CHECK((*ptb_entry(&b, 0x400000, 3) & (MV_PTE_A | MV_PTE_D)) == (MV_PTE_A | MV_PTE_D), "leaf A/D");
	}
	printf("%u walks compared (%u faults, %u large mappings)\n", compared, faults, large);
	fx_fini(&f);
	return 0;
}
