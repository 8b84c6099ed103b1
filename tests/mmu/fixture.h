/*
 * tests/mmu/fixture.h — the machine every MMU test starts from: a machine
 * buffer (mmap'd, untouched pages cost nothing, so 1 GiB pages fit), an
 * MMU over it, and long-mode control registers.
 */
#ifndef MEMVIRT_TESTS_MMU_FIXTURE_H
#define MEMVIRT_TESTS_MMU_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/check.h"
#include "tests/mmu/ptbuild.h"
#include "vcpu/soft/mmu.h"
#include "memvirt/pagetable.h"

#define CR0_LONG (UINT64_C(0x80050033))   /* PE MP ET NE WP PG */
#define EFER_LONG (UINT64_C(0x500))       /* LME LMA */

struct fx {
	uint8_t *mem;
	uint64_t size;
	struct soft_mmu *mmu;
	struct soft_mmu_regs regs;
	struct soft_mmu_config cfg;
};

static inline void fx_init(struct fx *f, uint64_t size, const char *tlb)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	f->size = size;
	f->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	CHECK(f->mem != MAP_FAILED, "mmap %" PRIu64 " bytes: %s", size, strerror(errno));
	soft_mmu_config_default(&f->cfg);
	if (tlb)
		CHECK(soft_mmu_config_parse(tlb, &f->cfg, err, sizeof(err)) == 0, "--tlb %s: %s", tlb,
		      err);
	int rc = soft_mmu_create(&f->cfg, f->mem, size, &f->mmu);
	CHECK(rc == 0, "soft_mmu_create: %d", rc);
	f->regs = (struct soft_mmu_regs){
		.cr0 = CR0_LONG, .cr4 = MV_CR4_PAE, .efer = EFER_LONG | MV_EFER_NXE,
		.phys_base = 0, .phys_limit = size,
	};
}

static inline void fx_fini(struct fx *f)
{
	soft_mmu_destroy(f->mmu);
	munmap(f->mem, f->size);
}

static inline void fx_apply(struct fx *f)
{
	soft_mmu_set_regs(f->mmu, &f->regs);
}

static inline uint64_t fx_stat(const struct fx *f, const char *name)
{
	uint64_t v = 0;
	int rc = soft_mmu_stat(f->mmu, name, &v);
	CHECK(rc == 0, "no counter named %s", name);
	return v;
}

static inline uint64_t fx_load(const struct fx *f, uint64_t hpa)
{
	uint64_t v;
	memcpy(&v, f->mem + hpa, 8);
	return v;
}

static inline void fx_store(struct fx *f, uint64_t hpa, uint64_t v)
{
	memcpy(f->mem + hpa, &v, 8);
}

/* Translate and expect success at hpa. */
#define EXPECT_HPA(f, va, acc, user, want)                                             \
	do {                                                                           \
		uint64_t got_ = 0;                                                     \
		struct soft_fault flt_;                                                \
		bool ok_ = soft_mmu_translate((f)->mmu, (va), (acc), (user), &got_, &flt_); \
		CHECK(ok_, "va 0x%" PRIx64 " acc %d user %d: fault kind %d ec 0x%x addr 0x%" PRIx64, \
		      (uint64_t)(va), (int)(acc), (int)(user), (int)flt_.kind,          \
		      flt_.error_code, flt_.addr);                                      \
		CHECK_EQ_U64(got_, (want));                                            \
	} while (0)

/* Translate and expect a fault of kind with error code ec at addr. */
#define EXPECT_FAULT(f, va, acc, user, kind_, ec, addr_)                               \
	do {                                                                           \
		uint64_t got_ = 0;                                                     \
		struct soft_fault flt_;                                                \
		bool ok_ = soft_mmu_translate((f)->mmu, (va), (acc), (user), &got_, &flt_); \
		CHECK(!ok_, "va 0x%" PRIx64 " acc %d user %d: translated to 0x%" PRIx64 \
		      ", expected a fault", (uint64_t)(va), (int)(acc), (int)(user), got_); \
		CHECK_EQ_U64(flt_.kind, (kind_));                                      \
		CHECK_EQ_U64(flt_.error_code, (ec));                                   \
		CHECK_EQ_U64(flt_.addr, (addr_));                                      \
	} while (0)

#endif
