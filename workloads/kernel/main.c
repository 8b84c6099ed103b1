/*
 * workloads/kernel/main.c — the kernel's start and end: check the boot
 * info, bring up CPU, memory and processes, run the workload as the first
 * user process, wait for every process, print the counters and the
 * checksum, and leave through the exit port (docs/boot-protocol.md).
 *
 * Exit status: 0 success; 1 the boot info names an unknown workload or a
 * bad parameter; 2 panic (also: the architected-TLB machine asked for
 * and absent); 3 the memory accounting does not balance.
 */
#include "workloads/kernel/kern.h"

void kmain(struct mv_bootinfo *bi);
void mb_build_bootinfo(const uint32_t *mbi);

static void list_accepted(const struct wl_desc *wl)
{
	unsigned i;

	if (!wl) {
		kprintf("accepted workloads:");
		for (i = 0; i < wl_catalog_count; i++)
			kprintf(" %s", wl_catalog[i].name);
		kprintf("\n");
		return;
	}
	kprintf("accepted parameters of %s:", wl->name);
	for (i = 0; i < wl->param_count; i++)
		kprintf(" %s (%lu..%lu, default %lu)", wl->params[i].name,
			wl->params[i].min, wl->params[i].max, wl->params[i].def);
	kprintf("\n");
}

static void print_stat(const char *name, uint64_t v)
{
	kprintf("stat %s=%lu\n", name, v);
}

void kmain(struct mv_bootinfo *bi)
{
	const struct wl_desc *wl;
	struct wl_args args = { 0 };
	const char *bad = NULL;
	size_t bad_len = 0;
	uint64_t free_before, checksum;
	int64_t pid;
	int err;

	if (bi->magic != MV_BOOTINFO_MAGIC || bi->version != MV_BOOTINFO_VERSION)
		panic("boot info at %p has magic %x version %u; want %x version %u", (void *)bi,
		      bi->magic, bi->version, MV_BOOTINFO_MAGIC, MV_BOOTINFO_VERSION);
	bi->workload[MV_BOOT_WORKLOAD_LEN - 1] = '\0';
	bi->params[MV_BOOT_PARAMS_LEN - 1] = '\0';
	cpu_init(bi);
	mm_init(bi);
	if (bi->flags & MV_BOOT_ARCH_TLB)
		atlb_init(bi);
	kprintf("memvirt guest: %lu MiB, workload %s, seed %lu, pcid %s, %s, %s\n",
		bi->mem_size >> 20, bi->workload, bi->seed, cpu.pcid ? "on" : "off",
		cpu.x2apic ? "x2apic" : "xapic",
		(bi->flags & MV_BOOT_MULTIBOOT) ? "multiboot" : "memvirt boot");

	wl = wl_find(bi->workload);
	if (!wl) {
		kprintf("error: unknown workload '%s'\n", bi->workload);
		list_accepted(NULL);
		kexit(1);
	}
	err = wl_parse_params(wl, bi->params, args.params, &bad, &bad_len);
	if (err) {
		kprintf("error: %s parameter '", err == -WL_ERANGE ? "out-of-range" : "unknown or malformed");
		con_write(bad, bad_len);
		kprintf("'\n");
		list_accepted(wl);
		kexit(1);
	}
	args.workload = (uint64_t)(wl - wl_catalog);
	args.seed = bi->seed;

	proc_init();
	free_before = mm_frames_free();
	cpu_timer_start(bi->timer_period);
	pid = proc_spawn_init(&args);
	if (pid < 0)
		panic("cannot start the first process (%ld)", pid);
	checksum = proc_wait_all(pid);

	print_stat("page_faults", kstats.page_faults);
	print_stat("cow_breaks", kstats.cow_breaks);
	print_stat("context_switches", kstats.context_switches);
	print_stat("syscalls", kstats.syscalls);
	print_stat("tlb_flushes", kstats.tlb_flushes);
	print_stat("frames_allocated", kstats.frames_allocated);
	print_stat("frames_freed", kstats.frames_freed);
	print_stat("ptpages_allocated", kstats.ptpages_allocated);
	print_stat("ptpages_freed", kstats.ptpages_freed);
	print_stat("timer_ticks", kstats.timer_ticks);
	print_stat("processes", kstats.processes);
	print_stat("frames_free_before", free_before);
	print_stat("frames_free_after", mm_frames_free());
	kprintf("result checksum=%016lx\n", checksum);
	if (kstats.frames_allocated != kstats.frames_freed ||
	    kstats.ptpages_allocated != kstats.ptpages_freed ||
	    mm_frames_free() != free_before) {
		kprintf("error: memory accounting does not balance\n");
		kexit(3);
	}
	kexit(0);
}

/* Multiboot v1 info fields (32-bit words). */
#define MBI_FLAGS     0
#define MBI_MEM_UPPER 2
#define MBI_CMDLINE   4

static int starts_with(const char *s, const char *prefix, const char **rest)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	*rest = s;
	return 1;
}

static uint64_t parse_u64(const char *s, const char *end)
{
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v;
}

/*
 * Fill the boot-info block from the multiboot info: memory from mem_upper,
 * and from the command line (QEMU puts the kernel's file name first)
 * workload=, seed=, timer_period=, everything else with an '=' into params.
 * Runs before anything else, while the multiboot data is still intact.
 */
void mb_build_bootinfo(const uint32_t *mbi)
{
	struct mv_bootinfo *bi = (struct mv_bootinfo *)(uint64_t)MV_BOOTINFO_GPA;
	const char *p = "";
	size_t plen = 0;

	memset(bi, 0, sizeof *bi);
	bi->magic = MV_BOOTINFO_MAGIC;
	bi->version = MV_BOOTINFO_VERSION;
	bi->vm_count = 1;
	bi->flags = MV_BOOT_MULTIBOOT;
	if (mbi[MBI_FLAGS] & 1)
		bi->mem_size = ((uint64_t)mbi[MBI_MEM_UPPER] << 10) + (1ull << 20);
	if (mbi[MBI_FLAGS] & 4)
		p = (const char *)(uint64_t)mbi[MBI_CMDLINE];

	while (*p) {
		const char *tok, *end, *rest, *eq = NULL;
		size_t n, i;

		while (*p == ' ')
			p++;
		tok = p;
		while (*p && *p != ' ') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		end = p;
		n = (size_t)(end - tok);
		if (!n || !eq)
			continue;
		if (starts_with(tok, "workload=", &rest)) {
			for (i = 0; rest + i < end && i < MV_BOOT_WORKLOAD_LEN - 1; i++)
				bi->workload[i] = rest[i];
		} else if (starts_with(tok, "seed=", &rest)) {
			bi->seed = parse_u64(rest, end);
		} else if (starts_with(tok, "timer_period=", &rest)) {
			bi->timer_period = parse_u64(rest, end);
		} else if (plen + n + 1 < MV_BOOT_PARAMS_LEN) {
			if (plen)
				bi->params[plen++] = ' ';
			for (i = 0; i < n; i++)
				bi->params[plen++] = tok[i];
		}
	}
}
