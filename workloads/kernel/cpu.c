/*
 * workloads/kernel/cpu.c — the processor's kernel-wide state: GDT with user
 * segments and a TSS (RSP0), the IDT, the syscall MSRs, CR4 features (PGE,
 * PCID when CPUID offers it) and the local APIC timer (x2APIC MSRs when
 * CPUID offers them, else the xAPIC page at 0xfee00000).
 *
 * Selectors: 0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user
 * code (the order sysretq needs: STAR[63:48] = 0x10 gives SS 0x18|3 and
 * CS 0x20|3), 0x28 TSS.
 */
#include "workloads/kernel/kern.h"

#define MSR_APIC_BASE      0x1bu
#define MSR_EFER           0xc0000080u
#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_FMASK          0xc0000084u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_X2APIC_EOI     0x80bu
#define MSR_X2APIC_SVR     0x80fu
#define MSR_X2APIC_LVT_TMR 0x832u
#define MSR_X2APIC_TMR_ICR 0x838u
#define MSR_X2APIC_TMR_DCR 0x83eu

#define XAPIC_BASE   0xfee00000ull
#define XAPIC_EOI    0x0b0u
#define XAPIC_SVR    0x0f0u
#define XAPIC_LVT_TMR 0x320u
#define XAPIC_TMR_ICR 0x380u
#define XAPIC_TMR_DCR 0x3e0u

#define TIMER_VECTOR 0x20
#define SPURIOUS_VECTOR 0xff
#define DEFAULT_TIMER_PERIOD 100000u

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
};

/* The per-CPU block the entry code reaches through %gs (entry.S). */
struct percpu {
	uint64_t kstack_top;   /* %gs:0 */
	uint64_t user_rsp;     /* %gs:8 */
};

struct cpu_features cpu;
static struct percpu percpu;
static struct tss tss __attribute__((aligned(16)));
static uint64_t gdt[7] __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));

extern const uint64_t trap_stubs[32];
extern char trap_stub_32[], trap_stub_255[], syscall_entry[];

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static void idt_set(unsigned vec, uint64_t handler)
{
	idt[vec] = (struct idt_entry){
		.off_lo = (uint16_t)handler,
		.sel = 0x08,
		.type = 0x8e,          /* present, DPL 0, 64-bit interrupt gate (clears IF) */
		.off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32),
	};
}

static void gdt_load(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof gdt - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;   /* kernel code, L */
	gdt[2] = 0x00cf92000000ffffull;   /* kernel data */
	gdt[3] = 0x00cff2000000ffffull;   /* user data, DPL 3 */
	gdt[4] = 0x00affa000000ffffull;   /* user code, L, DPL 3 */
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	tss.iomap_base = sizeof tss;

	__asm__ volatile(
		"lgdt %0\n\t"
		"movw $0x10, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"pushq $0x08\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw $0x28, %%ax\n\t"
		"ltr %%ax"
		: : "m"(gdtr) : "rax", "memory");
}

static void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)idt };
	unsigned i;

	for (i = 0; i < 32; i++)
		idt_set(i, trap_stubs[i]);
	idt_set(TIMER_VECTOR, (uint64_t)trap_stub_32);
	idt_set(SPURIOUS_VECTOR, (uint64_t)trap_stub_255);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void cpu_init(const struct mv_bootinfo *bi)
{
	uint32_t a, b, c, d;
	uint64_t cr4;

	gdt_load();
	idt_load();

	/* syscall/sysretq; FMASK clears IF, DF, TF and AC on entry. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);   /* SCE */
	wrmsr(MSR_STAR, (0x10ull << 48) | (0x08ull << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, 0x40700);
	wrmsr(MSR_GS_BASE, (uint64_t)&percpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);

	cpuid(1, &a, &b, &c, &d);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= 1ull << 7;                   /* PGE: kernel mappings are global */
	if (c & (1u << 17)) {
		cr4 |= 1ull << 17;          /* PCIDE; CR3's PCID is 0 here */
		cpu.pcid = 1;
	}
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	cpu.x2apic = (c & (1u << 21)) != 0;

	/* Under multiboot the BIOS left the 8259 PICs on; mask them so only
	 * the APIC interrupts.  The memvirt engines have no PIC. */
	if (bi->flags & MV_BOOT_MULTIBOOT) {
		outb(0x21, 0xff);
		outb(0xa1, 0xff);
	}
}

void cpu_set_vector(unsigned vec, uint64_t handler)
{
	idt_set(vec, handler);
}

void cpu_set_kstack(uint64_t top)
{
	percpu.kstack_top = top;
	tss.rsp[0] = top;
}

static void xapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(XAPIC_BASE + reg) = v;
}

void cpu_timer_start(uint64_t period)
{
	uint32_t count = period ? (uint32_t)period : DEFAULT_TIMER_PERIOD;

	if (period > 0xffffffffu)
		count = 0xffffffffu;
	if (cpu.x2apic) {
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11) | (1u << 10));
		wrmsr(MSR_X2APIC_SVR, 0x100 | SPURIOUS_VECTOR);
		wrmsr(MSR_X2APIC_TMR_DCR, 0xb);                     /* divide by 1 */
		wrmsr(MSR_X2APIC_LVT_TMR, (1u << 17) | TIMER_VECTOR); /* periodic */
		wrmsr(MSR_X2APIC_TMR_ICR, count);
	} else {
		xapic_write(XAPIC_SVR, 0x100 | SPURIOUS_VECTOR);
		xapic_write(XAPIC_TMR_DCR, 0xb);
		xapic_write(XAPIC_LVT_TMR, (1u << 17) | TIMER_VECTOR);
		xapic_write(XAPIC_TMR_ICR, count);
	}
}

void cpu_timer_eoi(void)
{
	if (cpu.x2apic)
		wrmsr(MSR_X2APIC_EOI, 0);
	else
		xapic_write(XAPIC_EOI, 0);
}
