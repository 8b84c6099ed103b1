/*
 * workloads/bootinfo.h — the boot-info block the VMM hands the guest kernel.
 *
 * Shared, byte for byte, by the VMM (core/) and the guest (workloads/), so
 * it uses only fixed-width types and no pointers.  docs/boot-protocol.md is
 * the written contract; change both together and bump the version.
 */
#ifndef MEMVIRT_WORKLOADS_BOOTINFO_H
#define MEMVIRT_WORKLOADS_BOOTINFO_H

#include <stdint.h>

#define MV_BOOTINFO_GPA      0x8000u
#define MV_BOOTINFO_MAGIC    0x4942564du /* "MVBI" little-endian */
#define MV_BOOTINFO_VERSION  2u

#define MV_BOOT_GDT_GPA      0x1000u
#define MV_BOOT_PML4_GPA     0x2000u
#define MV_BOOT_PDPT_GPA     0x3000u
#define MV_BOOT_PD_GPA       0x4000u     /* four PDs: 0x4000..0x7fff */
#define MV_BOOT_STACK_TOP    0x80000u
#define MV_KERNEL_LOAD_GPA   0x100000u

#define MV_PORT_CONSOLE      0x3f8u      /* COM1 data register */
#define MV_PORT_EXIT         0xf4u       /* isa-debug-exit */

/* flags */
#define MV_BOOT_ARCH_TLB     (1u << 0)   /* architected-TLB machine: no hardware walks */
#define MV_BOOT_MULTIBOOT    (1u << 1)   /* set by the guest itself when started by multiboot */
#define MV_BOOT_PROGRAM      (1u << 2)   /* a program package is at program_gpa (workloads/program_abi.h) */

#define MV_BOOT_WORKLOAD_LEN 32
#define MV_BOOT_PARAMS_LEN   1024

struct mv_bootinfo {
	uint32_t magic;
	uint32_t version;
	uint64_t mem_size;        /* bytes of guest RAM, from GPA 0 */
	uint64_t seed;
	uint32_t vm_index;        /* which VM this is, 0-based */
	uint32_t vm_count;
	uint32_t flags;
	uint32_t reserved;
	uint64_t timer_period;    /* APIC timer initial count for the scheduler tick; 0: kernel default */
	char workload[MV_BOOT_WORKLOAD_LEN];   /* NUL-terminated */
	char params[MV_BOOT_PARAMS_LEN];       /* "key=value key=value", decimal values, NUL-terminated */
	/* version 2 */
	uint64_t program_gpa;     /* MV_BOOT_PROGRAM: the program package, page-aligned */
	uint64_t program_len;
};

_Static_assert(sizeof(struct mv_bootinfo) == 48 + MV_BOOT_WORKLOAD_LEN + MV_BOOT_PARAMS_LEN + 16,
	       "boot info layout is part of the boot protocol");

#endif
