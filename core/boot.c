/*
 * core/boot.c — the VMM side of the boot protocol (see boot.h and
 * docs/boot-protocol.md; the layout constants are in workloads/bootinfo.h).
 */
#include "core/boot.h"

#include <errno.h>
#include <string.h>

#include "workloads/bootinfo.h"
#include "memvirt/pagetable.h"


#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

static struct engine_segment flat_segment(uint16_t selector, bool code)
{
	return (struct engine_segment){
		.base = 0,
		.limit = 0xfffff,
		.selector = selector,
		.type = code ? 0xb : 0x3,  /* execute/read accessed; read/write accessed */
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

int boot_prepare(uint8_t *ram, const struct boot_params *bp, struct engine_regs *regs,
		 struct engine_sregs *sregs)
{
	struct mv_bootinfo bi;
	uint64_t map_bytes = bp->mem_size < (4ull << 30) ? bp->mem_size : (4ull << 30);

	if (strlen(bp->workload) >= MV_BOOT_WORKLOAD_LEN ||
	    strlen(bp->params_text) >= MV_BOOT_PARAMS_LEN)
		return -EINVAL;

	/* GDT: null, 64-bit code (0x08), data (0x10). */
	put64(ram, MV_BOOT_GDT_GPA + 0, 0);
	put64(ram, MV_BOOT_GDT_GPA + 8, 0x00af9b000000ffffull);
	put64(ram, MV_BOOT_GDT_GPA + 16, 0x00cf93000000ffffull);

	/* Identity map of [0, min(mem, 4 GiB)) with 2 MiB pages. */
	memset(ram + MV_BOOT_PML4_GPA, 0, 0x6000);
	put64(ram, MV_BOOT_PML4_GPA, MV_BOOT_PDPT_GPA | MV_PTE_P | MV_PTE_W);
	for (uint64_t pd = 0; pd < 4; pd++)
		put64(ram, MV_BOOT_PDPT_GPA + pd * 8, (MV_BOOT_PD_GPA + pd * 0x1000) | MV_PTE_P | MV_PTE_W);
	for (uint64_t a = 0; a < map_bytes; a += 2ull << 20)
		put64(ram, MV_BOOT_PD_GPA + (a >> 21) * 8, a | MV_PTE_P | MV_PTE_W | MV_PTE_PS);

	memset(&bi, 0, sizeof(bi));
	bi.magic = MV_BOOTINFO_MAGIC;
	bi.version = MV_BOOTINFO_VERSION;
	bi.mem_size = bp->mem_size;
	bi.seed = bp->seed;
	bi.vm_index = bp->vm_index;
	bi.vm_count = bp->vm_count;
	bi.flags = bp->flags;
	bi.timer_period = bp->timer_period;
	memcpy(bi.workload, bp->workload, strlen(bp->workload));
	memcpy(bi.params, bp->params_text, strlen(bp->params_text));
	bi.program_gpa = bp->program_gpa;
	bi.program_len = bp->program_len;
	memcpy(ram + MV_BOOTINFO_GPA, &bi, sizeof(bi));

	memset(regs, 0, sizeof(*regs));
	regs->rip = bp->entry;
	regs->rsp = MV_BOOT_STACK_TOP;
	regs->rdi = MV_BOOTINFO_GPA;
	regs->rflags = 0x2;

	memset(sregs, 0, sizeof(*sregs));
	sregs->cs = flat_segment(0x08, true);
	sregs->ds = sregs->es = sregs->ss = flat_segment(0x10, false);
	sregs->fs = sregs->gs = flat_segment(0, false);
	sregs->fs.present = sregs->gs.present = 0;
	sregs->tr = (struct engine_segment){.limit = 0xffff, .type = 0xb, .present = 1};
	sregs->ldt = (struct engine_segment){.limit = 0xffff, .type = 0x2, .present = 1};
	sregs->gdt.base = MV_BOOT_GDT_GPA;
	sregs->gdt.limit = 3 * 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = MV_CR0_PE | CR0_MP | CR0_ET | CR0_NE | MV_CR0_WP | MV_CR0_PG;
	sregs->cr3 = MV_BOOT_PML4_GPA;
	sregs->cr4 = MV_CR4_PAE;
	sregs->efer = MV_EFER_LME | MV_EFER_LMA | MV_EFER_NXE;
	return 0;
}
