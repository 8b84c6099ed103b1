/*
 * workloads/kernel/boot.S — the two ways in.
 *
 * kernel_entry64 (the ELF entry) is where the memvirt engines start us: long
 * mode on, boot page table at 0x2000, RDI = boot info (docs/boot-protocol.md).
 *
 * mb_entry32 is the multiboot (v1) entry plain QEMU's -kernel uses: 32-bit
 * protected mode, paging off, EAX = multiboot magic, EBX = multiboot info.
 * It builds the very same boot GDT and page tables the engines provide,
 * turns on long mode, fills the boot-info block from the multiboot info
 * (mb_build_bootinfo, in C) and joins kernel_entry64.
 */
#define MB_MAGIC     0x1badb002
#define MB_FLAGS     ((1 << 1) | (1 << 16))   /* memory info; address fields valid */
#define MB_BOOTED    0x2badb002

	.section .boot, "awx"
	.code32
	.align 4
	.globl mb_header
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header            /* header_addr */
	.long __image_start        /* load_addr */
	.long __load_end           /* load_end_addr */
	.long __bss_end            /* bss_end_addr */
	.long mb_entry32           /* entry_addr */

	.globl mb_entry32
mb_entry32:
	cli
	cld
	cmpl $MB_BOOTED, %eax
	jne 9f
	movl %ebx, %esi                 /* keep the multiboot info pointer */
	movl $0x80000, %esp

	/* Zero 0x1000..0x7fff: boot GDT and page tables. */
	movl $0x1000, %edi
	movl $(0x7000 / 4), %ecx
	xorl %eax, %eax
	rep stosl

	/* GDT at 0x1000: null, 0x08 64-bit code DPL0, 0x10 data DPL0. */
	movl $0x0000ffff, 0x1008
	movl $0x00af9a00, 0x100c
	movl $0x0000ffff, 0x1010
	movl $0x00cf9200, 0x1014
	movw $23, 0x1020
	movl $0x1000, 0x1022
	lgdt 0x1020

	/* PML4[0] -> PDPT at 0x3000; PDPT[0..3] -> PDs at 0x4000..0x7000. */
	movl $0x3003, 0x2000
	movl $0x4003, 0x3000
	movl $0x5003, 0x3008
	movl $0x6003, 0x3010
	movl $0x7003, 0x3018
	/* 2048 PD entries: 2 MiB pages identity-mapping the first 4 GiB. */
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax                 /* P | W | PS */
	movl %eax, 0x4000(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, 0x4004(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jne 1b

	movl $0x20, %eax                /* CR4.PAE */
	movl %eax, %cr4
	movl $0x2000, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl $0x80050033, %eax          /* PE MP ET NE WP AM PG */
	movl %eax, %cr0
	ljmp $0x08, $mb_entry64

9:	hlt
	jmp 9b

	.code64
mb_entry64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl $0x80000, %esp
	movl %esi, %edi                 /* multiboot info, zero-extended */
	call mb_build_bootinfo
	movl $0x8000, %edi
	jmp kernel_entry64

	.globl kernel_entry64
kernel_entry64:
	cli
	cld
	movq $0x80000, %rsp
	xorl %ebp, %ebp
	call kmain
8:	hlt
	jmp 8b

	.section .note.GNU-stack, "", @progbits
