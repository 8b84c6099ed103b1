/*
 * vcpu/soft/mmu.c — the soft engine's MMU and TLB model (see mmu.h).
 *
 * This file: the TLB geometry configuration (defaults and the --tlb text).
 */
#include "vcpu/soft/mmu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void soft_mmu_config_default(struct soft_mmu_config *cfg)
{
	*cfg = (struct soft_mmu_config){
		.l1_entries = 64,
		.l1_ways = 4,
		.repl = SOFT_TLB_LRU,
		.l2_entries = 1024,
		.l2_ways = 8,
		.pwc_entries = 16,
		.asid_bits = 12,
		.seed = 1,
	};
}
