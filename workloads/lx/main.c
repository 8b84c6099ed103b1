/*
 * workloads/lx/main.c — the guest kernel's Linux personality
 * (memvirt-guest-lx.elf): its start and end.  It runs one unmodified,
 * statically linked Linux x86-64 program that the VMM hands over as a
 * program package (workloads/program_abi.h), as a user process with
 * Linux's system-call ABI, and reports how it ended.
 *
 * Design (docs/linux-personality.md has the user's view):
 *
 * - Address space.  The program's ELF sits at its linked addresses
 *   (ET_EXEC, usually 0x400000) or at 0x555555554000 (ET_DYN static-pie),
 *   so the kernel cannot own the low identity map the workload kernel
 *   uses.  The kernel image stays identity-mapped where it is linked
 *   (1 MiB; kernel.ld asserts it ends below 4 MiB), supervisor and global;
 *   all RAM is reached through a direct map at 0xffff800000000000 (PML4
 *   entry 256, 2 MiB pages, NX).  Each process's PML4 shares those; the
 *   rest of the lower half is user space (mm.c).
 * - Boot.  boot.S, console.c, lib.c and cpu.c are the workload kernel's
 *   (GDT/TSS, IDT, syscall MSRs, PGE/PCID, APIC timer).  This file adds
 *   the FPU/SSE setup Linux programs need: CR0.MP|NE, EM and TS clear,
 *   CR4.OSFXSR|OSXMMEXCPT; no OSXSAVE, so programs see no AVX (glibc and
 *   musl check OSXSAVE before using it).  EFER.NXE for segment
 *   permissions.  The package's frames are reserved from the allocator.
 * - Processes and threads (proc.c), the system-call table (sys.c), files
 *   and output (fs.c), ELF loading and the initial stack (elf.c).
 * - End.  When the first process has ended (exit_group, its last thread's
 *   exit, or a fatal signal) every other process is ended too, the
 *   counters are printed (`stat NAME=VALUE`, `stat enosys_NR=COUNT` per
 *   unimplemented system call), then `program exit_status=N` or
 *   `program signal=N name=SIGxxx addr=HEX rip=HEX`, then
 *   `result checksum=HEX`: FNV-1a 64 of all bytes written to fd 1, then
 *   the exit status as 4 little-endian bytes, where a program killed by
 *   signal N has exit status 128 + N (what a shell's $? shows).  kexit(0).
 *
 * Exit status (kexit): 0 the program ran (whatever its own status); 1 it
 * could not be started (`program error TEXT`) or deadlocked; 2 kernel
 * panic.
 */
#include "workloads/lx/lx.h"

void kmain(struct mv_bootinfo *bi);
void mb_build_bootinfo(const uint32_t *mbi);

#define MSR_EFER 0xc0000080u

extern char __image_start[], __bss_end[];

static void fpu_init(void)
{
	uint64_t cr0, cr4;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 &= ~((1ull << 2) | (1ull << 3));   /* EM, TS */
	cr0 |= (1ull << 1) | (1ull << 5);      /* MP, NE */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1ull << 9) | (1ull << 10);     /* OSFXSR, OSXMMEXCPT */
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (1ull << 11));   /* NXE */
}

static void print_stat(const char *name, uint64_t v)
{
	kprintf("stat %s=%lu\n", name, v);
}

static __attribute__((noreturn)) void program_error(const char *why)
{
	kprintf("program error %s\n", why);
	kexit(1);
}

static void fnv_u32(uint32_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		lx_checksum = (lx_checksum ^ ((v >> (8 * i)) & 0xff)) * MV_FNV_PRIME;
}

void kmain(struct mv_bootinfo *bi)
{
	struct lx_image img = { 0 };
	struct lx_proc *p;
	const char *err;
	uint64_t rsp, free_before, i;
	uint32_t status;
	int have_pkg;

	if (bi->magic != MV_BOOTINFO_MAGIC || bi->version != MV_BOOTINFO_VERSION)
		panic("boot info at %p has magic %x version %u; want %x version %u", (void *)bi,
		      bi->magic, bi->version, MV_BOOTINFO_MAGIC, MV_BOOTINFO_VERSION);
	cpu_init(bi);
	fpu_init();
	have_pkg = (bi->flags & MV_BOOT_PROGRAM) && bi->program_len &&
		   !(bi->program_gpa & (LX_PAGE - 1)) && bi->program_gpa >= (uint64_t)__bss_end &&
		   bi->program_gpa + bi->program_len <= bi->mem_size;
	lx_mm_init(bi, have_pkg ? bi->program_gpa : 0, have_pkg ? bi->program_gpa + bi->program_len : 0);
	err = have_pkg ? lx_fs_init(bi->program_gpa, bi->program_len) : NULL;
	kprintf("memvirt guest: %lu MiB, program %s, seed %lu, pcid %s, %s, %s, linux personality\n",
		bi->mem_size >> 20, have_pkg && !err ? lx_files[0].name : "(none)", bi->seed,
		cpu.pcid ? "on" : "off", cpu.x2apic ? "x2apic" : "xapic",
		(bi->flags & MV_BOOT_MULTIBOOT) ? "multiboot" : "memvirt boot");
	if (!(bi->flags & MV_BOOT_PROGRAM))
		program_error("no program package (boot flag MV_BOOT_PROGRAM not set): this image runs only programs");
	if (!have_pkg)
		program_error("the program package's place in RAM is not page-aligned past the kernel image");
	if (err)
		program_error(err);
	if (bi->flags & MV_BOOT_ARCH_TLB)
		program_error("the architected-TLB machine (--machine archtlb) is not supported for programs");

	lx_sys_init(bi->seed);
	lx_proc_init();
	free_before = lx_mm_frames_free();
	p = lx_proc_first_new();
	if (!p)
		panic("no slot for the first process");
	if ((err = lx_elf_load(&p->as, &lx_files[0], &img)))
		program_error(err);
	if (lx_elf_stack(&p->as, &img, bi->seed, &rsp))
		program_error("arguments and environment do not fit the initial stack");
	if (lx_proc_start(&img, rsp) < 0)
		panic("cannot start the first thread");
	cpu_timer_start(bi->timer_period);

	p = lx_proc_wait_first();
	lx_proc_reap_all();

	print_stat("page_faults", lx_stats.page_faults);
	print_stat("cow_breaks", lx_stats.cow_breaks);
	print_stat("context_switches", lx_stats.context_switches);
	print_stat("syscalls", lx_stats.syscalls);
	print_stat("tlb_flushes", lx_stats.tlb_flushes);
	print_stat("frames_allocated", lx_stats.frames_allocated);
	print_stat("frames_freed", lx_stats.frames_freed);
	print_stat("ptpages_allocated", lx_stats.ptpages_allocated);
	print_stat("ptpages_freed", lx_stats.ptpages_freed);
	print_stat("timer_ticks", lx_stats.timer_ticks);
	print_stat("processes", lx_stats.processes);
	print_stat("threads", lx_stats.threads);
	print_stat("futex_waits", lx_stats.futex_waits);
	print_stat("oom_kills", lx_stats.oom_kills);
	print_stat("output_bytes", lx_stats.output_bytes);
	print_stat("output_dropped", lx_stats.output_dropped);
	print_stat("syscall_entry_fixups", syscall_entry_fixups);
	print_stat("frames_free_before", free_before);
	print_stat("frames_free_after", lx_mm_frames_free());
	for (i = 0; i < 511; i++)
		if (lx_stats.enosys[i])
			kprintf("stat enosys_%lu=%lu\n", i, lx_stats.enosys[i]);
	if (lx_stats.enosys[511])   /* numbers past Linux's table (x32 ones included) */
		kprintf("stat enosys_other=%lu\n", lx_stats.enosys[511]);
	if (p->sig) {
		kprintf("program signal=%d name=%s addr=%lx rip=%lx\n", p->sig, lx_signame(p->sig),
			p->fault_addr, p->fault_rip);
		status = 128u + (uint32_t)p->sig;
	} else {
		kprintf("program exit_status=%d\n", p->exit_code);
		status = (uint32_t)p->exit_code;
	}
	fnv_u32(status);
	kprintf("result checksum=%016lx\n", lx_checksum);
	kexit(0);
}

/* Multiboot v1 info words: flags, mem_lower, mem_upper (KiB above
 * 1 MiB), boot_device, cmdline, mods_count, mods_addr; a module entry is
 * mod_start, mod_end, string, reserved. */
#define MBI_FLAGS 0
#define MBI_MEM_UPPER 2
#define MBI_CMDLINE 4
#define MBI_MODS_COUNT 5
#define MBI_MODS_ADDR 6

/* The decimal value of `key` (as "key=N" among the blank-separated words
 * of cmdline), or def. */
static uint64_t mb_cmdline_value(const char *cmdline, const char *key, uint64_t def)
{
	size_t klen = kstrlen(key);

	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		if (!memcmp(p, key, klen) && p[klen] == '=') {
			uint64_t v = 0;

			for (p += klen + 1; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (uint64_t)(*p - '0');
			return v;
		}
		while (*p && *p != ' ')
			p++;
	}
	return def;
}

/*
 * Started by a multiboot loader (plain QEMU: `-kernel memvirt-guest-lx.elf
 * -initrd PACKAGE -append "seed=N"`): the first module is the program
 * package, written by `memvirt package` or bench/vs-qemu; the command
 * line gives seed= and timer_period=.  QEMU places modules page-aligned
 * past bss_end_addr, which is where kmain expects a package; without a
 * module kmain says there is no program and stops.  Runs before anything
 * else, while the multiboot data is still intact.
 */
void mb_build_bootinfo(const uint32_t *mbi)
{
	struct mv_bootinfo *bi = (struct mv_bootinfo *)(uint64_t)MV_BOOTINFO_GPA;
	const char *cmdline = "";

	memset(bi, 0, sizeof *bi);
	bi->magic = MV_BOOTINFO_MAGIC;
	bi->version = MV_BOOTINFO_VERSION;
	bi->vm_count = 1;
	bi->flags = MV_BOOT_MULTIBOOT;
	if (mbi[MBI_FLAGS] & 1)
		bi->mem_size = ((uint64_t)mbi[MBI_MEM_UPPER] << 10) + (1ull << 20);
	if (mbi[MBI_FLAGS] & (1u << 2))
		cmdline = (const char *)(uint64_t)mbi[MBI_CMDLINE];
	bi->seed = mb_cmdline_value(cmdline, "seed", 0);
	bi->timer_period = mb_cmdline_value(cmdline, "timer_period", 0);
	if ((mbi[MBI_FLAGS] & (1u << 3)) && mbi[MBI_MODS_COUNT] >= 1) {
		const uint32_t *mod = (const uint32_t *)(uint64_t)mbi[MBI_MODS_ADDR];

		if (mod[1] > mod[0]) {
			bi->flags |= MV_BOOT_PROGRAM;
			bi->program_gpa = mod[0];
			bi->program_len = mod[1] - mod[0];
		}
	}
}
