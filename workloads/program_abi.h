/*
 * workloads/program_abi.h — how the VMM hands a user's Linux program to
 * the guest kernel's Linux personality (workloads/lx/, image
 * memvirt-guest-lx.elf) and how the program's output comes back.  Shared
 * byte for byte by the VMM (core/) and the guest, so fixed-width types
 * only.  docs/boot-protocol.md ("Programs") is the written contract.
 *
 * Handing over: the VMM writes a program package into guest RAM at a
 * page-aligned GPA past the kernel image's end (its BSS included), and
 * sets MV_BOOT_PROGRAM in the boot info's flags with program_gpa /
 * program_len (boot-info version 2).  The kernel reserves those frames
 * (never allocates them) and reads the package through its direct map.
 *
 * Output: a program's write() to fd 1 or 2 reaches the VMM as one or more
 * `outl(MV_PORT_PROG_WRITE, gpa)` where gpa (below 4 GiB) is a struct
 * mv_prog_write naming a physically contiguous guest buffer.  The VMM
 * copies it at once (the kernel may reuse the buffer after the OUT).
 *
 * Console lines the Linux personality adds (besides the banner, `stat
 * NAME=VALUE` and `result checksum=HEX` of the boot protocol):
 *   program exit_status=N                  the program ended with exit_group(N)/exit(N)
 *   program signal=N name=SIGSEGV addr=HEX rip=HEX
 *                                          it was killed by a fault (addr: the
 *                                          faulting address, 0 when none)
 *   program error TEXT                     the kernel could not start it (TEXT says why)
 *   stat enosys_NR=COUNT                   a system call it made that is not
 *                                          implemented, by Linux number
 * The checksum is FNV-1a 64 over every byte written to fd 1 (also past
 * output_limit), then the exit status as 4 little-endian bytes: the same
 * program with the same arguments and files gives the same checksum on
 * every backend and engine, and a host can compute it from the same
 * binary run natively.
 */
#ifndef MEMVIRT_WORKLOADS_PROGRAM_ABI_H
#define MEMVIRT_WORKLOADS_PROGRAM_ABI_H

#include <stdint.h>

#define MV_PROG_MAGIC      0x4750564du   /* "MVPG" little-endian */
#define MV_PROG_VERSION    1u
#define MV_PROG_NAME_MAX   64u           /* a file's base name, NUL included */
#define MV_PORT_PROG_WRITE 0x3e0u        /* 32-bit OUT: GPA of a struct mv_prog_write */

#define MV_FNV_OFFSET 0xcbf29ce484222325ull
#define MV_FNV_PRIME  0x100000001b3ull

/* At program_gpa.  Offsets are from the header's first byte. */
struct mv_prog_header {
	uint32_t magic;          /* MV_PROG_MAGIC */
	uint32_t version;        /* MV_PROG_VERSION */
	uint32_t argc;           /* argv[0] is "/" + files[0].name */
	uint32_t envc;
	uint32_t file_count;     /* >= 1; files[0] is the program's ELF */
	uint32_t flags;          /* 0 */
	uint64_t strings_off;    /* argv then envp strings, each NUL-terminated, back to back */
	uint64_t strings_len;
	uint64_t files_off;      /* struct mv_prog_file[file_count], 8-aligned */
	uint64_t output_limit;   /* bytes of fd 1 and 2 together sent to the VMM; the rest is
				  * counted (stat output_dropped) and not sent */
	uint64_t total_len;      /* of the whole package, = program_len */
};

/* A file of the guest's read-only root directory, "/" + name. */
struct mv_prog_file {
	char name[MV_PROG_NAME_MAX];   /* NUL-terminated, no '/' */
	uint64_t data_off;             /* 8-aligned */
	uint64_t size;
	uint32_t mode;                 /* permission bits the host file had (st_mode & 07777) */
	uint32_t reserved;
};

/* What an OUT to MV_PORT_PROG_WRITE points at. */
struct mv_prog_write {
	uint32_t fd;             /* 1 stdout, 2 stderr */
	uint32_t len;            /* bytes at gpa; at most 65536 */
	uint64_t gpa;            /* guest-physical, [gpa, gpa + len) inside RAM */
};

_Static_assert(sizeof(struct mv_prog_header) == 64, "program package header layout");
_Static_assert(sizeof(struct mv_prog_file) == 88, "program package file entry layout");
_Static_assert(sizeof(struct mv_prog_write) == 16, "program write descriptor layout");

#endif
