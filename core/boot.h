/*
 * core/boot.h — the boot protocol of docs/boot-protocol.md on the VMM's
 * side: boot GDT, identity-mapping boot page table and boot-info block
 * written into a VM's RAM, and the long-mode register state at the
 * kernel's 64-bit entry.  The same for every engine.
 */
#ifndef MEMVIRT_CORE_BOOT_H
#define MEMVIRT_CORE_BOOT_H

#include <stdint.h>

#include "memvirt/engine.h"

struct boot_params {
	uint64_t mem_size;
	uint64_t seed;
	uint32_t vm_index, vm_count;
	uint32_t flags;             /* MV_BOOT_* */
	uint64_t timer_period;
	const char *workload;
	const char *params_text;
	uint64_t entry;             /* the kernel's 64-bit entry */
	uint64_t program_gpa, program_len; /* MV_BOOT_PROGRAM: the program package */
};

/* Writes the boot structures into ram (which must hold at least 1 MiB)
 * and fills the entry state.  -EINVAL when a string does not fit. */
int boot_prepare(uint8_t *ram, const struct boot_params *bp, struct engine_regs *regs,
		 struct engine_sregs *sregs) __attribute__((warn_unused_result));

#endif
