/*
 * fuzz/fuzz_tlb.c — the soft engine's `--tlb` text (vcpu/soft/mmu.c,
 * soft_mmu_config_parse, over the SDK's option parser).
 *
 * Promises held (vcpu/soft/mmu.h): a refused text leaves the geometry
 * unchanged and says why; an accepted one is a geometry the MMU can be
 * built with (powers of two, ways at most 64); its canonical text parses
 * back to the same geometry.  MMUs of accepted geometries up to a size
 * are built and destroyed (ASan sees their tables).
 */
#include <errno.h>

#include "fuzz/fuzz.h"
#include "vcpu/soft/mmu.h"

/* Build the MMU only up to this many TLB entries in all: larger ones are
 * valid, but allocating them per input would only slow the fuzzer. */
#define FUZZ_TLB_ENTRIES_MAX (1u << 16)

static bool same_geometry(const struct soft_mmu_config *a, const struct soft_mmu_config *b)
{
	return a->l1_entries == b->l1_entries && a->l1_ways == b->l1_ways && a->repl == b->repl &&
	       a->l2_entries == b->l2_entries && (!a->l2_entries || a->l2_ways == b->l2_ways) &&
	       a->pwc_entries == b->pwc_entries && a->asid_bits == b->asid_bits && a->seed == b->seed &&
	       a->arch_entries == b->arch_entries;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct soft_mmu_config cfg, def, again;
	char err[2048] = "", canon[1024], canon2[1024];
	int rc;

	soft_mmu_config_default(&def);
	cfg = def;
	rc = soft_mmu_config_parse(text, &cfg, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL, "parse returned %d", rc);
		FUZZ_CHECK(err[0] && !strchr(err, '\n'), "message '%s'", err);
		FUZZ_CHECK(same_geometry(&cfg, &def) && cfg.l2_ways == def.l2_ways,
			   "a refused '%s' changed the geometry", text);
		free(text);
		return 0;
	}
	soft_mmu_config_format(&cfg, canon, sizeof(canon));
	again = def;
	rc = soft_mmu_config_parse(canon, &again, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "canonical '%s' of '%s' refused: %s", canon, text, err);
	FUZZ_CHECK(same_geometry(&cfg, &again), "'%s' and its canonical '%s' differ", text, canon);
	soft_mmu_config_format(&again, canon2, sizeof(canon2));
	FUZZ_CHECK(!strcmp(canon, canon2), "canonical '%s' formats as '%s'", canon, canon2);
	if ((uint64_t)cfg.l1_entries * 2 + cfg.l2_entries + cfg.pwc_entries + cfg.arch_entries <=
	    FUZZ_TLB_ENTRIES_MAX) {
		struct soft_mmu *mmu;

		rc = soft_mmu_create(&cfg, NULL, 0, &mmu);
		FUZZ_CHECK(rc == 0, "'%s' accepted, but soft_mmu_create refuses it: %d", text, rc);
		soft_mmu_destroy(mmu);
	}
	free(text);
	return 0;
}
