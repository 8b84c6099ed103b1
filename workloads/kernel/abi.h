/*
 * workloads/kernel/abi.h — the contract between the guest kernel and its
 * user programs: syscall numbers, the user address-space layout and the
 * argument block a program starts with.  Included by both sides.
 *
 * Syscalls: `syscall` with the number in RAX, arguments in RDI, RSI, RDX,
 * R10, R8, R9; the result comes back in RAX (negative errno on error);
 * RCX and R11 are clobbered.
 */
#ifndef MEMVIRT_GUEST_ABI_H
#define MEMVIRT_GUEST_ABI_H

#include <stdint.h>
#include "workloads/catalog.h"

enum {
	SYS_EXIT = 0,     /* exit(u64 value): ends the process; wait() returns value */
	SYS_WRITE = 1,    /* write(fd 1, buf, len): console; returns len */
	SYS_MMAP = 2,     /* mmap(len): anonymous, zero-filled on demand; returns address */
	SYS_MUNMAP = 3,   /* munmap(addr, len): page-aligned; frees frames and page tables */
	SYS_YIELD = 4,    /* yield(): to the next runnable process */
	SYS_SPAWN = 5,    /* spawn(entry, arg, arglen): new address space running entry(copy of arg) */
	SYS_FORK = 6,     /* fork(): copy-on-write child; 0 in the child, child pid in the parent */
	SYS_WAIT = 7,     /* wait(pid, u64 *value): reaps the child pid (-1: any) */
	SYS_GETPID = 8,   /* getpid() */
	SYS_COUNT
};

/* User address space (PML4 entries 1..255; entry 0 is the kernel's). */
#define USER_IMAGE_BASE  0x0000008000000000ull   /* user programs, read-only */
#define USER_MMAP_BASE   0x0000100000000000ull   /* mmap regions from here up */
#define USER_MMAP_END    0x0000700000000000ull
#define USER_STACK_TOP   0x00007ffffff00000ull
#define USER_STACK_SIZE  (1ull << 20)
#define USER_TOP         0x0000800000000000ull
#define USER_SPAWN_ARG_MAX 512

/* What a workload program starts with (a copy on its stack, RDI points at it). */
struct wl_args {
	uint64_t workload;                /* enum wl_id */
	uint64_t seed;
	uint64_t params[WL_MAX_PARAMS];   /* indexed like wl_catalog[workload].params */
};

/* The user programs' entry point (workloads/user/programs.c). */
void user_main(const struct wl_args *args);

#endif
