/*
 * workloads/kernel/archtlb.c — the kernel's second MMU mode, for the
 * architected-TLB machine (docs/arch-tlb.md): the hardware never walks the
 * page tables the kernel keeps building; a refill handler (vector 20)
 * walks them and writes the TLB through the machine's MSRs.
 *
 * - Wired entries (indices 0..wired-1): 2 MiB global supervisor pages
 *   identity-mapping [0, end of the kernel image), so that exception
 *   delivery (IDT, GDT, TSS, kernel stacks) and this handler's code and
 *   data never miss.  Page 0 is inside them: in this mode a kernel NULL
 *   dereference does not fault.
 * - Kernel addresses below 512 GiB are the identity direct map (kern.h):
 *   their refill computes the 2 MiB global entry rather than walking.
 *   User addresses walk the current address space's 4-level tables;
 *   a missing or insufficient entry becomes the ordinary #PF path
 *   (trap_stub_14) with CR2 and the error code a walk would have given.
 * - The handler may itself miss on the direct map (the page tables it
 *   reads): the nested refill completes before the outer one goes on,
 *   and the outer one touches the TLB registers only in one final
 *   register-only sequence, so nesting never mixes their EntryHi/EntryLo.
 * - ASIDs per address-space slot, with generations: a slot whose owner
 *   changed (or that must drop its translations) takes the next ASID;
 *   when ASIDs run out every unwired entry is flushed and a new
 *   generation starts.  A CR3 switch only sets the current ASID.
 */
#include "workloads/kernel/kern.h"

#include "memvirt/archtlb.h"

#define HANDLED (1ull << 63)

#define BIG (2ull << 20)
#define KERNEL_SPACE_END (1ull << 39)   /* PML4 entry 0: the direct map */

extern char __bss_end[];

int atlb_active;

static struct {
	uint64_t mem_end;
	uint32_t entries, wired;
	uint32_t nasid;            /* 1 << ASID bits */
	uint32_t next_asid;
	uint64_t gen;
	uint64_t root;             /* PML4 of the loaded address space */
	uint32_t cur_asid;
	uint32_t slot_asid[NPROC];
	uint64_t slot_gen[NPROC];
} atlb;

/* EntryHi, EntryLo, then the command, with nothing in between that could
 * touch memory (see the file comment on nesting). */
static inline void tlb_cmd(uint64_t hi, uint64_t lo, uint64_t cmd)
{
	uint32_t ecx = MV_ATLB_MSR_ENTRYHI, eax = (uint32_t)hi, edx = (uint32_t)(hi >> 32);

	__asm__ volatile("wrmsr\n\t"
			 "movl %[lcx], %%ecx\n\t"
			 "movl %k[lo], %%eax\n\t"
			 "movq %[lo], %%rdx\n\t"
			 "shrq $32, %%rdx\n\t"
			 "wrmsr\n\t"
			 "movl %[ccx], %%ecx\n\t"
			 "movl %k[cmd], %%eax\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "wrmsr"
			 : "+c"(ecx), "+a"(eax), "+d"(edx)
			 : [lo] "r"(lo), [cmd] "r"(cmd), [lcx] "i"(MV_ATLB_MSR_ENTRYLO),
			   [ccx] "i"(MV_ATLB_MSR_COMMAND)
			 : "memory");
}

static void write_random(uint64_t hi, uint64_t lo)
{
	tlb_cmd(hi, lo, MV_ATLB_CMD_WRITE_RANDOM);
}

/* The leaf PTE of va in the tables rooted at root, or 0. */
static uint64_t pte_lookup(uint64_t root, uint64_t va)
{
	const uint64_t *t = (const uint64_t *)root;
	int lvl;

	for (lvl = 4; lvl > 1; lvl--) {
		uint64_t e = t[(va >> (12 + 9 * (lvl - 1))) & 511];

		if (!(e & MV_PTE_P))
			return 0;
		t = (const uint64_t *)(e & MV_PTE_ADDR);
	}
	return t[(va >> 12) & 511];
}

/* Called by the refill stub with CR2 and the error code.  Returns HANDLED
 * or the #PF error code to raise. */
uint64_t atlb_refill(uint64_t va, uint64_t err);
uint64_t atlb_refill(uint64_t va, uint64_t err)
{
	uint64_t pte, page;

	if (va < KERNEL_SPACE_END) {
		if (err & MV_PFEC_U)
			return err | MV_PFEC_P;        /* supervisor-only, as the table says */
		if (va >= atlb.mem_end)
			return err;
		page = va & ~(BIG - 1);
		if (page + BIG <= atlb.mem_end)
			write_random(page, page | MV_ATLB_LO_V | MV_ATLB_LO_W | MV_ATLB_LO_X | MV_ATLB_LO_G | MV_ATLB_LO_S);
		else
			write_random(va & ~(PAGE_SIZE - 1),
				     (va & ~(PAGE_SIZE - 1)) | MV_ATLB_LO_V | MV_ATLB_LO_W | MV_ATLB_LO_X | MV_ATLB_LO_G);
		return HANDLED;
	}
	if (va >= USER_TOP)
		return err;
	pte = pte_lookup(atlb.root, va);
	if (!(pte & MV_PTE_P))
		return err;
	if (((err & MV_PFEC_W) && !(pte & MV_PTE_W)) || ((err & MV_PFEC_U) && !(pte & MV_PTE_U)))
		return err | MV_PFEC_P;
	write_random((va & ~(PAGE_SIZE - 1)) | atlb.cur_asid,
		     (pte & MV_PTE_ADDR) | MV_ATLB_LO_V | MV_ATLB_LO_X | ((pte & MV_PTE_W) ? MV_ATLB_LO_W : 0) |
			     ((pte & MV_PTE_U) ? MV_ATLB_LO_U : 0) | ((pte & MV_PTE_G) ? MV_ATLB_LO_G : 0));
	return HANDLED;
}

/*
 * The refill entry: the CPU pushed SS, RSP, RFLAGS, CS, RIP and the error
 * code (48 bytes, RSP 16-byte aligned).  Caller-saved registers are kept
 * around the C handler; a handled refill returns with iretq, anything
 * else continues as a #PF through trap_stub_14 with CR2 restored (a
 * nested refill may have changed it) and the handler's error code.
 * GS is not touched, so no swapgs.
 */
__asm__(".text\n"
	".globl atlb_refill_stub\n"
	"atlb_refill_stub:\n\t"
	"pushq %rax\n\tpushq %rcx\n\tpushq %rdx\n\tpushq %rsi\n\tpushq %rdi\n\t"
	"pushq %r8\n\tpushq %r9\n\tpushq %r10\n\tpushq %r11\n\t"
	"movq %cr2, %rdi\n\t"
	"pushq %rdi\n\t"
	"movq 80(%rsp), %rsi\n\t"
	"cld\n\t"
	"call atlb_refill\n\t"
	"popq %rdi\n\t"
	"testq %rax, %rax\n\t"
	"js 1f\n\t"
	"movq %rdi, %cr2\n\t"
	"movq %rax, 72(%rsp)\n\t"
	"popq %r11\n\tpopq %r10\n\tpopq %r9\n\tpopq %r8\n\tpopq %rdi\n\t"
	"popq %rsi\n\tpopq %rdx\n\tpopq %rcx\n\tpopq %rax\n\t"
	"jmp trap_stub_14\n"
	"1:\n\t"
	"popq %r11\n\tpopq %r10\n\tpopq %r9\n\tpopq %r8\n\tpopq %rdi\n\t"
	"popq %rsi\n\tpopq %rdx\n\tpopq %rcx\n\tpopq %rax\n\t"
	"addq $8, %rsp\n\t"
	"iretq\n");

extern char atlb_refill_stub[];

static void cpuid4(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* A fresh ASID for the slot: new generation (and a flush) when none is left. */
static uint32_t asid_take(unsigned slot)
{
	if (atlb.next_asid == atlb.nasid) {
		wrmsr(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_FLUSH_ALL);
		kstats.tlb_flushes++;
		atlb.gen++;
		atlb.next_asid = 0;
	}
	atlb.slot_asid[slot] = atlb.next_asid++;
	atlb.slot_gen[slot] = atlb.gen;
	return atlb.slot_asid[slot];
}

void atlb_init(const struct mv_bootinfo *bi)
{
	uint32_t r[4];
	uint64_t end = ((uint64_t)__bss_end + BIG - 1) & ~(BIG - 1), pa;
	uint32_t i = 0;

	cpuid4(0x40000000u, r);
	if (r[0] < MV_ATLB_CPUID_LEAF)
		panic("boot flag asks for the architected-TLB machine, CPUID has no leaf %x", MV_ATLB_CPUID_LEAF);
	cpuid4(MV_ATLB_CPUID_LEAF, r);
	if (!(r[0] & 1) || !(r[3] & 2))
		panic("boot flag asks for the architected-TLB machine, CPUID %x says %x/%x",
		      MV_ATLB_CPUID_LEAF, r[0], r[3]);
	atlb.mem_end = bi->mem_size & ~(PAGE_SIZE - 1);
	atlb.entries = r[1];
	atlb.nasid = 1u << r[2];
	if (end > atlb.mem_end)
		panic("kernel image ends past RAM");
	if (end / BIG + 1 >= atlb.entries)
		panic("a TLB of %u entries cannot hold the kernel's %lu wired pages", atlb.entries,
		      (unsigned long)(end / BIG));

	/* Wired identity entries for the image, before walks go off. */
	for (pa = 0; pa < end; pa += BIG, i++) {
		wrmsr(MV_ATLB_MSR_INDEX, i);
		tlb_cmd(pa, pa | MV_ATLB_LO_V | MV_ATLB_LO_W | MV_ATLB_LO_X | MV_ATLB_LO_G | MV_ATLB_LO_S, MV_ATLB_CMD_WRITE_INDEXED);
	}
	atlb.wired = i;
	wrmsr(MV_ATLB_MSR_WIRED, i);
	wrmsr(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_FLUSH_ALL);
	atlb.gen = 1;
	atlb.next_asid = 0;
	atlb.root = mm_kernel_pml4();
	atlb.cur_asid = asid_take(0);
	wrmsr(MV_ATLB_MSR_ASID, atlb.cur_asid);
	cpu_set_vector(MV_ATLB_REFILL_VECTOR, (uint64_t)atlb_refill_stub);
	atlb_active = 1;
	wrmsr(MV_ATLB_MSR_CTL, 1);
	kprintf("architected TLB: %u entries, %u ASIDs, %u wired\n", atlb.entries, atlb.nasid,
		atlb.wired);
}

void atlb_switch(const struct aspace *as, int fresh)
{
	unsigned slot = as->pcid;

	if (fresh || atlb.slot_gen[slot] != atlb.gen)
		asid_take(slot);
	atlb.root = as->pml4;
	if (atlb.cur_asid != atlb.slot_asid[slot]) {
		atlb.cur_asid = atlb.slot_asid[slot];
		wrmsr(MV_ATLB_MSR_ASID, atlb.cur_asid);
	}
}

void atlb_invlpg(uint64_t va)
{
	uint64_t idx;

	/* Probe for the page in the current ASID, invalidate what it finds. */
	wrmsr(MV_ATLB_MSR_ENTRYHI, (va & ~(PAGE_SIZE - 1)) | atlb.cur_asid);
	wrmsr(MV_ATLB_MSR_COMMAND, MV_ATLB_CMD_PROBE);
	idx = rdmsr(MV_ATLB_MSR_INDEX);
	if (idx & MV_ATLB_INDEX_P)
		return;
	tlb_cmd((va & ~(PAGE_SIZE - 1)) | atlb.cur_asid, 0, MV_ATLB_CMD_WRITE_INDEXED);
}
