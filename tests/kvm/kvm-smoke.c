/*
 * tests/kvm/kvm-smoke.c — the kvm engine runs a hand-assembled long-mode
 * guest started by memvirt's boot protocol, and every kind of exit it
 * takes arrives translated: port OUTs (console "hello"), INs whose data
 * the VMM supplies, MMIO writes and reads, the exit port.  The guest also
 * touches 64 fresh pages with an INVLPG each and reloads CR3, and the
 * test checks KVM's statistics: page faults fixed in both paging modes,
 * INVLPGs seen by KVM only with the shadow MMU (with NPT/EPT the guest's
 * INVLPG does not exit).
 *
 * Needs /dev/kvm: skips without it; tests/kvm/run-in-qemu.sh runs it
 * inside QEMU under kvm_amd npt=1 and npt=0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"
#include "workloads/bootinfo.h"

#define PAGES 64
#define PAGES_BASE 0x200000u
#define MMIO_GPA 0xd0000000u

/* Assembled by hand; `objdump -D -b binary -m i386:x86-64` shows it. */
static const uint8_t guest[] = {
	0x66, 0xba, 0xf8, 0x03,             /* mov $0x3f8, %dx          */
	0xb0, 'h', 0xee,                    /* mov $'h', %al; out %al   */
	0xb0, 'e', 0xee,
	0xb0, 'l', 0xee,
	0xb0, 'l', 0xee,
	0xb0, 'o', 0xee,
	0x66, 0xba, 0xfd, 0x03,             /* mov $0x3fd, %dx          */
	0xec,                               /* in %dx, %al              */
	0x66, 0xba, 0xf8, 0x03,             /* mov $0x3f8, %dx          */
	0xee,                               /* out %al, %dx (echo it)   */
	0x66, 0xba, 0x10, 0x05,             /* mov $0x510, %dx          */
	0xed,                               /* in %dx, %eax             */
	0xff, 0xc0,                         /* inc %eax                 */
	0x66, 0xba, 0x11, 0x05,             /* mov $0x511, %dx          */
	0xef,                               /* out %eax, %dx            */
	0xbb, 0x00, 0x00, 0x20, 0x00,       /* mov $PAGES_BASE, %ebx    */
	0xb9, PAGES, 0x00, 0x00, 0x00,      /* mov $PAGES, %ecx         */
	0x48, 0x89, 0x1b,                   /* 1: mov %rbx, (%rbx)      */
	0x0f, 0x01, 0x3b,                   /* invlpg (%rbx)            */
	0x48, 0x81, 0xc3, 0x00, 0x10, 0x00, 0x00, /* add $0x1000, %rbx  */
	0xff, 0xc9,                         /* dec %ecx                 */
	0x75, 0xef,                         /* jnz 1b                   */
	0xbb, 0x00, 0x00, 0x20, 0x00,       /* mov $PAGES_BASE, %ebx    */
	0xb9, PAGES, 0x00, 0x00, 0x00,      /* mov $PAGES, %ecx         */
	0x31, 0xc0,                         /* xor %eax, %eax           */
	0x48, 0x03, 0x03,                   /* 2: add (%rbx), %rax      */
	0x48, 0x81, 0xc3, 0x00, 0x10, 0x00, 0x00, /* add $0x1000, %rbx  */
	0xff, 0xc9,                         /* dec %ecx                 */
	0x75, 0xf2,                         /* jnz 2b                   */
	0x66, 0xba, 0x12, 0x05,             /* mov $0x512, %dx          */
	0xef,                               /* out %eax, %dx (the sum)  */
	0xbb, 0x00, 0x00, 0x00, 0xd0,       /* mov $MMIO_GPA, %ebx      */
	0xc7, 0x03, 0x78, 0x56, 0x34, 0x12, /* movl $0x12345678, (%rbx) */
	0x8b, 0x03,                         /* mov (%rbx), %eax         */
	0x66, 0xba, 0x13, 0x05,             /* mov $0x513, %dx          */
	0xef,                               /* out %eax, %dx            */
	0x0f, 0x20, 0xd8,                   /* mov %cr3, %rax           */
	0x0f, 0x22, 0xd8,                   /* mov %rax, %cr3           */
	0x66, 0xba, 0xf4, 0x00,             /* mov $0xf4, %dx           */
	0x31, 0xc0,                         /* xor %eax, %eax           */
	0xef,                               /* out %eax, %dx: exit 0    */
	0xf4,                               /* hlt (never reached)      */
};

static void check_msrs_round_trip(struct kvmt *t)
{
	const struct engine_msrs set = {
		.star = 0x0023001000000000ull, .lstar = 0xffffffff81000000ull,
		.cstar = 0xffffffff81000040ull, .sfmask = 0x47700,
		.kernel_gs_base = 0x12345000, .tsc = 1000000,
	};
	struct engine_msrs got;
	int ret;

	ret = kvm_engine_ops.set_msrs(t->vcpu, &set);
	CHECK(ret == 0, "set_msrs: %s", strerror(-ret));
	ret = kvm_engine_ops.get_msrs(t->vcpu, &got);
	CHECK(ret == 0, "get_msrs: %s", strerror(-ret));
	CHECK_EQ_U64(got.star, set.star);
	CHECK_EQ_U64(got.lstar, set.lstar);
	CHECK_EQ_U64(got.cstar, set.cstar);
	CHECK_EQ_U64(got.sfmask, set.sfmask);
	CHECK_EQ_U64(got.kernel_gs_base, set.kernel_gs_base);
	/* The TSC keeps counting after it is written. */
	CHECK(got.tsc >= set.tsc, "tsc read back %" PRIu64 " < written %" PRIu64, got.tsc, set.tsc);
}

static void check_state_round_trip(struct kvmt *t)
{
	struct engine_sregs s;
	struct engine_regs r;

	CHECK(kvm_engine_ops.get_sregs(t->vcpu, &s) == 0, "get_sregs");
	CHECK_EQ_U64(s.cr0, 0x80050033);
	CHECK_EQ_U64(s.cr3, MV_BOOT_PML4_GPA);
	CHECK_EQ_U64(s.cr4, 0x20);
	CHECK_EQ_U64(s.efer, 0xd00);
	CHECK_EQ_U64(s.cs.selector, 0x08);
	CHECK_EQ_U64(s.cs.l, 1);
	CHECK_EQ_U64(s.gdt.base, MV_BOOT_GDT_GPA);
	CHECK(s.apic_base != 0, "the in-kernel LAPIC must stay enabled, apic_base 0x%" PRIx64,
	      s.apic_base);
	CHECK(kvm_engine_ops.get_regs(t->vcpu, &r) == 0, "get_regs");
	CHECK_EQ_U64(r.rip, MV_KERNEL_LOAD_GPA);
	CHECK_EQ_U64(r.rsp, MV_BOOT_STACK_TOP);
	CHECK_EQ_U64(r.rdi, MV_BOOTINFO_GPA);
}

int main(void)
{
	struct kvmt t;
	struct kvmt_stats st;
	struct engine_exit *e;
	char mode[96], console[8] = "";
	uint64_t sum = 0;
	int ret;

	kvmt_setup(&t, 8u << 20, guest, sizeof(guest));
	ret = kvm_engine_paging_mode(mode, sizeof(mode));
	CHECK(ret == 0, "paging mode: %s (%s)", mode, strerror(-ret));
	printf("kvm paging mode: %s\n", mode);
	check_state_round_trip(&t);
	check_msrs_round_trip(&t);
	CHECK(kvm_engine_ops.set_limits(t.vcpu, 1000, 0) == -ENOTSUP,
	      "the kvm engine cannot count instructions");
	CHECK(kvm_engine_ops.set_limits(t.vcpu, 0, 0) == 0, "no limit is always possible");

	for (int i = 0; i < 5; i++)
		console[i] = (char)kvmt_expect_out(&t, MV_PORT_CONSOLE, 1);
	CHECK(strcmp(console, "hello") == 0, "console got \"%s\"", console);

	/* An IN: the VMM stores the data in the exit record. */
	e = kvmt_run(&t);
	CHECK(e->reason == ENGINE_EXIT_IO && !e->io.is_write && e->io.port == 0x3fd &&
	      e->io.size == 1, "expected IN of 1 byte from 0x3fd, got %s port 0x%x size %u",
	      engine_exit_reason_name(e->reason), e->io.port, e->io.size);
	e->io.data = '!';
	CHECK_EQ_U64(kvmt_expect_out(&t, MV_PORT_CONSOLE, 1), '!');

	e = kvmt_run(&t);
	CHECK(e->reason == ENGINE_EXIT_IO && !e->io.is_write && e->io.port == 0x510 &&
	      e->io.size == 4, "expected IN of 4 bytes from 0x510, got %s port 0x%x size %u",
	      engine_exit_reason_name(e->reason), e->io.port, e->io.size);
	e->io.data = 0xdeadbeef;
	CHECK_EQ_U64(kvmt_expect_out(&t, 0x511, 4), 0xdeadbef0);

	/* The guest wrote each page's address into it and summed them back. */
	for (uint64_t i = 0; i < PAGES; i++)
		sum += PAGES_BASE + i * 0x1000;
	CHECK_EQ_U64(kvmt_expect_out(&t, 0x512, 4), (uint32_t)sum);
	for (uint64_t i = 0; i < PAGES; i++) {
		uint64_t v;

		memcpy(&v, t.mem + PAGES_BASE + i * 0x1000, sizeof(v));
		CHECK_EQ_U64(v, PAGES_BASE + i * 0x1000);
	}

	/* MMIO: a write we see, then a read we answer. */
	e = kvmt_run(&t);
	CHECK(e->reason == ENGINE_EXIT_MMIO && e->mmio.is_write && e->mmio.gpa == MMIO_GPA &&
	      e->mmio.size == 4, "expected MMIO write of 4 bytes at 0x%x, got %s gpa 0x%" PRIx64
	      " size %u write %d", MMIO_GPA, engine_exit_reason_name(e->reason), e->mmio.gpa,
	      e->mmio.size, e->mmio.is_write);
	CHECK_EQ_U64(e->mmio.data, 0x12345678);
	e = kvmt_run(&t);
	CHECK(e->reason == ENGINE_EXIT_MMIO && !e->mmio.is_write && e->mmio.gpa == MMIO_GPA &&
	      e->mmio.size == 4, "expected MMIO read of 4 bytes at 0x%x, got %s gpa 0x%" PRIx64
	      " size %u write %d", MMIO_GPA, engine_exit_reason_name(e->reason), e->mmio.gpa,
	      e->mmio.size, e->mmio.is_write);
	e->mmio.data = 0xcafef00d;
	CHECK_EQ_U64(kvmt_expect_out(&t, 0x513, 4), 0xcafef00d);

	CHECK_EQ_U64(kvmt_expect_out(&t, MV_PORT_EXIT, 4), 0);

	kvmt_read_stats(&t, &st);
	for (size_t i = 0; i < st.count; i++)
		printf("stat %s=%" PRIu64 "\n", st.names[i], st.values[i]);
	/* Our own exit counts are exact. */
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_io"), 12);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_mmio"), 2);
	CHECK_EQ_U64(kvmt_stat(&st, "kvm_exits_shutdown"), 0);
	/* KVM's own: every port I/O went to userspace and the fresh pages
	 * were mapped by KVM's MMU whichever it is.  These counters are bumped
	 * by the vendor modules (svm.c/vmx.c, mmu.c); other KVM implementations
	 * (PVM's kvm_pvm) count differently, so check them where we know. */
	if (access("/sys/module/kvm_amd", F_OK) == 0 || access("/sys/module/kvm_intel", F_OK) == 0) {
		CHECK(kvmt_stat(&st, "kvm_vcpu_io_exits") >= 12 &&
		      kvmt_stat(&st, "kvm_vcpu_io_exits") != UINT64_MAX,
		      "kvm_vcpu_io_exits = %" PRIu64, kvmt_stat(&st, "kvm_vcpu_io_exits"));
		CHECK(kvmt_stat(&st, "kvm_vcpu_pf_fixed") > 0 &&
		      kvmt_stat(&st, "kvm_vcpu_pf_fixed") != UINT64_MAX,
		      "kvm_vcpu_pf_fixed = %" PRIu64, kvmt_stat(&st, "kvm_vcpu_pf_fixed"));
	}
	CHECK(kvmt_stat(&st, "kvm_vcpu_exits") >= 14 && kvmt_stat(&st, "kvm_vcpu_exits") != UINT64_MAX,
	      "kvm_vcpu_exits = %" PRIu64, kvmt_stat(&st, "kvm_vcpu_exits"));
	if (strcmp(mode, KVM_PAGING_SHADOW) == 0)
		CHECK(kvmt_stat(&st, "kvm_vcpu_invlpg") >= PAGES &&
		      kvmt_stat(&st, "kvm_vcpu_invlpg") != UINT64_MAX,
		      "shadow MMU: every guest INVLPG exits, kvm_vcpu_invlpg = %" PRIu64,
		      kvmt_stat(&st, "kvm_vcpu_invlpg"));
	else
		CHECK_EQ_U64(kvmt_stat(&st, "kvm_vcpu_invlpg"), 0);

	kvmt_teardown(&t);
	printf("ok: kvm smoke (%s)\n", mode);
	return 0;
}
