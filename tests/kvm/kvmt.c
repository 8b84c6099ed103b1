/*
 * tests/kvm/kvmt.c — see kvmt.h.
 */
#include "tests/kvm/kvmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/check.h"
#include "workloads/bootinfo.h"
#include "memvirt/pagetable.h"


static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, sizeof(v));
}

static void build_memory(struct kvmt *t, const uint8_t *code, size_t code_len)
{
	uint8_t *m = t->mem;
	struct mv_bootinfo bi = {
		.magic = MV_BOOTINFO_MAGIC,
		.version = MV_BOOTINFO_VERSION,
		.mem_size = t->mem_size,
		.vm_count = 1,
		.workload = "kvm-test",
	};

	/* Boot GDT: null, 0x08 64-bit code DPL0, 0x10 data DPL0. */
	put64(m, MV_BOOT_GDT_GPA + 0x00, 0);
	put64(m, MV_BOOT_GDT_GPA + 0x08, 0x00af9a000000ffffull);
	put64(m, MV_BOOT_GDT_GPA + 0x10, 0x00cf92000000ffffull);

	/* PML4[0] -> PDPT, PDPT[0..3] -> four PDs of 2 MiB pages. */
	put64(m, MV_BOOT_PML4_GPA, MV_BOOT_PDPT_GPA | MV_PTE_P | MV_PTE_W);
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t pd = MV_BOOT_PD_GPA + i * 0x1000;

		put64(m, MV_BOOT_PDPT_GPA + i * 8, pd | MV_PTE_P | MV_PTE_W);
		for (uint64_t j = 0; j < 512; j++)
			put64(m, pd + j * 8, ((i << 30) + (j << 21)) | MV_PTE_P | MV_PTE_W | MV_PTE_PS);
	}
	memcpy(m + MV_BOOTINFO_GPA, &bi, sizeof(bi));
	CHECK(MV_KERNEL_LOAD_GPA + code_len <= t->mem_size, "code of %zu bytes does not fit", code_len);
	memcpy(m + MV_KERNEL_LOAD_GPA, code, code_len);
}

static void set_boot_state(struct kvmt *t)
{
	const struct engine_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 11,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	const struct engine_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct engine_sregs s;
	struct engine_regs r = {
		.rip = MV_KERNEL_LOAD_GPA, .rsp = MV_BOOT_STACK_TOP,
		.rdi = MV_BOOTINFO_GPA, .rflags = 0x2,
	};
	int ret;

	ret = kvm_engine_ops.get_sregs(t->vcpu, &s);
	CHECK(ret == 0, "get_sregs: %s", strerror(-ret));
	s.cs = code;
	s.ds = s.es = s.ss = data;
	s.fs = s.gs = (struct engine_segment){ 0 };
	s.tr = s.ldt = (struct engine_segment){ 0 };
	s.gdt = (struct engine_dtable){ .base = MV_BOOT_GDT_GPA, .limit = 3 * 8 - 1 };
	s.idt = (struct engine_dtable){ .base = 0, .limit = 0 };
	s.cr0 = 0x80050033;
	s.cr4 = 0x20;
	s.cr3 = MV_BOOT_PML4_GPA;
	s.efer = 0xd00;
	ret = kvm_engine_ops.set_sregs(t->vcpu, &s);
	CHECK(ret == 0, "set_sregs: %s", strerror(-ret));
	ret = kvm_engine_ops.set_regs(t->vcpu, &r);
	CHECK(ret == 0, "set_regs: %s", strerror(-ret));
}

void kvmt_setup(struct kvmt *t, size_t mem_size, const uint8_t *code, size_t code_len)
{
	struct engine_vm_config cfg = { 0 };
	char why[256];
	int ret;

	if (!kvm_engine_ops.available(why, sizeof(why)))
		SKIP("%s", why);
	memset(t, 0, sizeof(*t));
	t->mem_size = mem_size;
	t->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(t->mem != MAP_FAILED, "mmap of %zu bytes failed", mem_size);
	build_memory(t, code, code_len);

	ret = kvm_engine_ops.vm_create(&cfg, &t->vm);
	CHECK(ret == 0, "vm_create: %s", strerror(-ret));
	ret = kvm_engine_ops.set_memory(t->vm, 0, 0, mem_size, t->mem);
	CHECK(ret == 0, "set_memory: %s", strerror(-ret));
	ret = kvm_engine_ops.vcpu_create(t->vm, &t->vcpu);
	CHECK(ret == 0, "vcpu_create: %s", strerror(-ret));
	set_boot_state(t);
}

void kvmt_teardown(struct kvmt *t)
{
	kvm_engine_ops.vm_destroy(t->vm);
	munmap(t->mem, t->mem_size);
	memset(t, 0, sizeof(*t));
}

struct engine_exit *kvmt_run(struct kvmt *t)
{
	int ret = kvm_engine_ops.run(t->vcpu);

	CHECK(ret == 0, "run: %s", strerror(-ret));
	return kvm_engine_ops.exit(t->vcpu);
}

int kvmt_run_for(struct kvmt *t, double seconds, struct engine_exit **e)
{
	int ret;

	CHECK(kvm_engine_ops.arm_timeout(t->vcpu, seconds) == 0, "arm the timer");
	ret = kvm_engine_ops.run(t->vcpu);
	kvm_engine_ops.disarm_timeout();
	CHECK(ret == 0 || ret == -EINTR, "run: %s", strerror(-ret));
	*e = kvm_engine_ops.exit(t->vcpu);
	return ret;
}

uint32_t kvmt_expect_out(struct kvmt *t, uint16_t port, uint8_t size)
{
	struct engine_exit *e = kvmt_run(t);
	struct engine_regs r;

	kvm_engine_ops.get_regs(t->vcpu, &r);
	CHECK(e->reason == ENGINE_EXIT_IO && e->io.is_write && e->io.port == port &&
	      e->io.size == size,
	      "expected OUT of %u bytes to port 0x%x, got exit %s (port 0x%x size %u write %d) "
	      "at rip 0x%" PRIx64 ": %s", size, port, engine_exit_reason_name(e->reason),
	      e->io.port, e->io.size, e->io.is_write, r.rip, e->message);
	return e->io.data;
}

static void collect(void *ctx, const char *name, uint64_t value)
{
	struct kvmt_stats *st = ctx;

	CHECK(st->count < KVMT_MAX_STATS, "more than %d statistics", KVMT_MAX_STATS);
	snprintf(st->names[st->count], sizeof(st->names[0]), "%s", name);
	st->values[st->count++] = value;
}

void kvmt_read_stats(struct kvmt *t, struct kvmt_stats *st)
{
	st->count = 0;
	kvm_engine_ops.stats(t->vm, collect, st);
}

uint64_t kvmt_stat(const struct kvmt_stats *st, const char *name)
{
	for (size_t i = 0; i < st->count; i++)
		if (strcmp(st->names[i], name) == 0)
			return st->values[i];
	return UINT64_MAX;
}
