/*
 * memvirt/archtlb.h — the architected-TLB machine's guest-visible
 * interface (docs/arch-tlb.md is its contract): the CPUID leaf, the MSRs
 * modelled on MIPS CP0 (Index, EntryHi, EntryLo, the current ASID, Wired,
 * BadVAddr, a command register, CTL), the entry formats, the commands and
 * the refill exception.  Part of the plugin SDK, and the one definition the
 * machine (vcpu/soft), both backends (softtlb, asid) and the guest kernel
 * use.  Plain constants only, so that it builds freestanding.
 */
#ifndef MEMVIRT_ARCHTLB_H
#define MEMVIRT_ARCHTLB_H

#include <stdint.h>

/* CPUID leaf: EAX bit 0 machine present, bit 1 walks off (CTL.E);
 * EBX entries; ECX ASID bits; EDX page sizes (bit 0 4 KiB, bit 1 2 MiB). */
#define MV_ATLB_CPUID_LEAF 0x40000010u

#define MV_ATLB_MSR_INDEX    0x4d565400u
#define MV_ATLB_MSR_ENTRYHI  0x4d565401u
#define MV_ATLB_MSR_ENTRYLO  0x4d565402u
#define MV_ATLB_MSR_ASID     0x4d565403u
#define MV_ATLB_MSR_WIRED    0x4d565404u
#define MV_ATLB_MSR_BADVADDR 0x4d565405u
#define MV_ATLB_MSR_COMMAND  0x4d565406u
#define MV_ATLB_MSR_CTL      0x4d565407u
#define MV_ATLB_MSR_FIRST    MV_ATLB_MSR_INDEX
#define MV_ATLB_MSR_LAST     MV_ATLB_MSR_CTL

#define MV_ATLB_CTL_E        (UINT64_C(1) << 0)   /* hardware walks off, for good */

/* EntryHi: VPN in bits 63:12 (a canonical page address), ASID in 11:0. */
#define MV_ATLB_HI_VPN       UINT64_C(0xfffffffffffff000)
#define MV_ATLB_HI_ASID      UINT64_C(0xfff)
/* EntryLo. */
#define MV_ATLB_LO_V         (UINT64_C(1) << 0)
#define MV_ATLB_LO_W         (UINT64_C(1) << 1)
#define MV_ATLB_LO_U         (UINT64_C(1) << 2)
#define MV_ATLB_LO_X         (UINT64_C(1) << 3)
#define MV_ATLB_LO_G         (UINT64_C(1) << 4)
#define MV_ATLB_LO_S         (UINT64_C(1) << 7)   /* a 2 MiB page */
#define MV_ATLB_LO_PFN       UINT64_C(0x000ffffffffff000)
#define MV_ATLB_LO_VALID_BITS (MV_ATLB_LO_V | MV_ATLB_LO_W | MV_ATLB_LO_U | MV_ATLB_LO_X | \
			       MV_ATLB_LO_G | MV_ATLB_LO_S | MV_ATLB_LO_PFN)
/* Index: bit 31 set after a probe that found nothing. */
#define MV_ATLB_INDEX_P      (UINT64_C(1) << 31)

/* Values written to the command MSR. */
enum mv_atlb_cmd {
	MV_ATLB_CMD_WRITE_INDEXED = 1,
	MV_ATLB_CMD_WRITE_RANDOM = 2,
	MV_ATLB_CMD_PROBE = 3,
	MV_ATLB_CMD_READ = 4,
	MV_ATLB_CMD_FLUSH_ASID = 5,
	MV_ATLB_CMD_FLUSH_ALL = 6,
};

/* The refill exception: vector 20, error code as for #PF with P clear
 * (W, U, I/D), CR2 and BadVAddr = the address, EntryHi = its page and
 * the current ASID. */
#define MV_ATLB_REFILL_VECTOR 20u
#define MV_ATLB_MAX_ASID_BITS 12u
/* Wired may not exceed this (nor the TLB size minus one). */
#define MV_ATLB_MAX_WIRED 64u

/* Bytes of the page an EntryLo maps (4 KiB or 2 MiB). */
static inline uint64_t mv_atlb_page_bytes(uint64_t lo)
{
	return (lo & MV_ATLB_LO_S) ? (UINT64_C(2) << 20) : UINT64_C(4096);
}

/* The guest-visible registers, read and written by a backend that
 * emulates the interface (struct mv_hw's atlb_get_regs/set_regs). */
struct mv_atlb_regs {
	uint64_t index, entryhi, entrylo, wired, badvaddr;
	uint32_t asid;         /* guest-visible current ASID */
	uint32_t asid_bits;    /* guest-visible ASID width (CPUID) */
	uint32_t entries;      /* guest-visible TLB size (CPUID) */
	uint32_t walks_off;    /* 1 once the guest set CTL.E (read-only) */
};

#endif
