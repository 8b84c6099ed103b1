/*
 * workloads/kernel/kern.h — the guest kernel's internal interface: the
 * pieces each kernel module offers the others (console, CPU setup, memory
 * manager, processes).  Nothing outside workloads/kernel/ includes it.
 *
 * The kernel runs with interrupts off (syscalls mask IF, interrupt gates
 * clear it), on one CPU, so its data needs no locks.  It is linked at its
 * physical address and reaches all RAM through an identity ("direct") map
 * in PML4 entry 0, shared by every address space and supervisor-only.
 */
#ifndef MEMVIRT_GUEST_KERN_H
#define MEMVIRT_GUEST_KERN_H

#include <stddef.h>
#include <stdint.h>
#include "workloads/bootinfo.h"
#include "memvirt/pagetable.h"
#include "workloads/kernel/abi.h"

#define PAGE_SIZE 4096ull
#define NPROC 64

/* Page-table entry bits. */
/* Entry bits are memvirt/pagetable.h's (MV_PTE_*); this one is the kernel's own. */
#define PTE_COW  (1ull << 9)      /* software: read-only because shared copy-on-write */

/* The counters printed as `stat name=value` at the end (docs/workloads.md). */
struct kstats {
	uint64_t page_faults;       /* faults the kernel resolved (demand-zero, image, COW) */
	uint64_t cow_breaks;
	uint64_t context_switches;
	uint64_t syscalls;
	uint64_t tlb_flushes;       /* INVLPGs + CR3 loads that flush */
	uint64_t frames_allocated;  /* user data frames (demand-zero and COW copies) */
	uint64_t frames_freed;
	uint64_t ptpages_allocated; /* page-table pages of user address spaces, PML4s included */
	uint64_t ptpages_freed;
	uint64_t timer_ticks;
	uint64_t processes;         /* processes created (spawn and fork, init included) */
};
extern struct kstats kstats;

/* console.c */
void con_putc(char c);
void con_write(const char *s, size_t n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void kexit(uint32_t status);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* lib.c: what gcc may call even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t kstrlen(const char *s);

/* cpu.c */
struct cpu_features {
	int pcid;     /* CR4.PCIDE set */
	int x2apic;   /* APIC driven through MSRs */
};
extern struct cpu_features cpu;
void cpu_init(const struct mv_bootinfo *bi);
void cpu_set_kstack(uint64_t top);
void cpu_set_vector(unsigned vec, uint64_t handler);
void cpu_timer_start(uint64_t period);
void cpu_timer_eoi(void);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* archtlb.c: the architected-TLB machine's MMU mode (docs/arch-tlb.md). */
extern int atlb_active;
void atlb_init(const struct mv_bootinfo *bi);
void atlb_invlpg(uint64_t va);

static inline void invlpg(uint64_t va)
{
	if (atlb_active)
		atlb_invlpg(va);
	else
		__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	kstats.tlb_flushes++;
}

/* mm.c: frames, page tables, address spaces. */
enum vma_kind { VMA_ANON, VMA_STACK, VMA_IMAGE };

struct vma {
	uint64_t start, end;     /* page-aligned, [start, end) */
	enum vma_kind kind;
};

#define MAX_VMAS 80

struct aspace {
	uint64_t pml4;           /* physical address */
	uint16_t pcid;
	unsigned nvma;
	struct vma vma[MAX_VMAS];   /* sorted by start, disjoint */
};

void mm_init(const struct mv_bootinfo *bi);
uint64_t mm_kernel_pml4(void);
void mm_load_cr3(const struct aspace *as, int owner_changed);
void mm_flush_current(const struct aspace *as);
void atlb_switch(const struct aspace *as, int fresh);   /* archtlb.c */
int mm_aspace_new(struct aspace *as, uint16_t pcid);
void mm_aspace_destroy(struct aspace *as);
int mm_aspace_fork(struct aspace *parent, struct aspace *child);
int64_t mm_mmap(struct aspace *as, uint64_t len);
int mm_munmap(struct aspace *as, uint64_t addr, uint64_t len, int current);
int mm_fault(struct aspace *as, uint64_t va, uint64_t err);
void *mm_user_page(struct aspace *as, uint64_t va);
uint64_t mm_user_entry(uint64_t kernel_addr);
uint64_t mm_frames_free(void);

/* trap.c / entry.S */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, err;
	uint64_t rip, cs, rflags, rsp, ss;
};
#define TRAP_SYSCALL 0x80      /* `vector` of a frame built by the syscall entry */
void trap_dispatch(struct trapframe *tf);
void syscall_dispatch(struct trapframe *tf);
void ctx_switch(uint64_t *save_rsp, uint64_t next_rsp);
extern char syscall_return[], trap_return[];

/* proc.c */
void proc_init(void);
int64_t proc_spawn_init(const struct wl_args *args);
void proc_yield(void);
uint64_t proc_wait_all(int64_t init_pid);
struct aspace *proc_current_aspace(void);
int64_t proc_syscall(struct trapframe *tf);

#endif
