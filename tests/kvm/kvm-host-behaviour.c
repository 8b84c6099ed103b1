/*
 * tests/kvm/kvm-host-behaviour.c MODE — what the host's KVM does with
 * instructions a guest kernel relies on, said plainly: each mode accepts
 * the behaviour of a correct CPU and the one defect observed on this
 * project's kvm_pvm hosts (docs/kvm-engine.md, "Hosts that misbehave"),
 * prints which it saw, and fails loudly on anything else, so a host that
 * changes is noticed.
 *
 *   syscall  `syscall` at CPL 3: CPL 0 at LSTAR (correct), or LSTAR
 *            reached at CPL 3 so its first privileged instruction raises
 *            #GP with RCX/R11 set (kvm_pvm).  memvirt's guest handles both.
 *   int80    `int $0x80` at CPL 3 through a DPL 3 gate: the gate
 *            (correct), or #UD (kvm_pvm).
 *   int3     `int3` at CPL 0: #BP (correct), or KVM_EXIT_INTERNAL_ERROR
 *            (kvm_pvm).
 *   vmcall   `vmcall` at CPL 0: KVM answers the hypercall or raises #UD
 *            and the guest goes on (correct), or KVM_RUN never returns
 *            until the engine's timer (kvm_pvm).
 *
 * The guest: a GDT with user segments and a TSS, an IDT whose every
 * vector reports itself on port 0xf5, page tables with user access to
 * everything, LSTAR at a stub that reports on port 0xf3 (an OUT at CPL 3
 * faults: the TSS has no I/O bitmap).  Needs /dev/kvm: skips without it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/kvm/kvmt.h"

#define GDT_GPA    0x300000u
#define TSS_GPA    0x301000u
#define IDT_GPA    0x302000u
#define DTR_GPA    0x303000u     /* GDTR at +0, IDTR at +16 */
#define STUBS_GPA  0x310000u     /* 16 bytes per vector */
#define LSTAR_GPA  0x311000u
#define USER_GPA   0x312000u
#define PML4_GPA   0x320000u
#define KSTACK_TOP 0x380000u
#define USTACK_TOP 0x390000u
#define PORT_VECTOR 0xf5
#define PORT_LSTAR  0xf3

static void put64(uint8_t *m, uint64_t gpa, uint64_t v) { memcpy(m + gpa, &v, 8); }
static void put16(uint8_t *m, uint64_t gpa, uint16_t v) { memcpy(m + gpa, &v, 2); }

static void gate(uint8_t *m, unsigned vec, uint64_t handler, unsigned dpl)
{
	uint64_t lo = (handler & 0xffff) | (0x08ull << 16) | ((uint64_t)(0x8e | dpl << 5) << 40) |
		      ((handler >> 16 & 0xffff) << 48);

	put64(m, IDT_GPA + vec * 16, lo);
	put64(m, IDT_GPA + vec * 16 + 8, handler >> 32);
}

static void build(struct kvmt *t)
{
	uint8_t *m = t->mem;
	uint64_t tss_lo = 0x67 | ((uint64_t)(TSS_GPA & 0xffff) << 16) | ((uint64_t)(TSS_GPA >> 16 & 0xff) << 32) |
			  (0x89ull << 40) | ((uint64_t)(TSS_GPA >> 24 & 0xff) << 56);

	put64(m, GDT_GPA + 0x00, 0);
	put64(m, GDT_GPA + 0x08, 0x00af9b000000ffffull);   /* kernel code */
	put64(m, GDT_GPA + 0x10, 0x00cf93000000ffffull);   /* kernel data */
	put64(m, GDT_GPA + 0x18, 0x00cff3000000ffffull);   /* user data, DPL 3 */
	put64(m, GDT_GPA + 0x20, 0x00affb000000ffffull);   /* user code, DPL 3 */
	put64(m, GDT_GPA + 0x28, tss_lo);
	put64(m, GDT_GPA + 0x30, 0);
	put16(m, DTR_GPA, 0x37);
	put64(m, DTR_GPA + 2, GDT_GPA);
	put16(m, DTR_GPA + 16, 256 * 16 - 1);
	put64(m, DTR_GPA + 18, IDT_GPA);
	put64(m, TSS_GPA + 4, KSTACK_TOP);                  /* RSP0 */
	put16(m, TSS_GPA + 0x66, 0x68);                     /* no I/O bitmap */
	for (unsigned v = 0; v < 256; v++) {
		/* mov $v, %al; out %al, $0xf5; hlt; jmp .-1 */
		const uint8_t stub[] = {0xb0, (uint8_t)v, 0xe6, PORT_VECTOR, 0xf4, 0xeb, 0xfd};

		memcpy(m + STUBS_GPA + v * 16, stub, sizeof(stub));
		gate(m, v, STUBS_GPA + v * 16, v == 0x80 ? 3 : 0);
	}
	{
		/* mov $0xaa, %al; out %al, $0xf3; hlt */
		const uint8_t lstar[] = {0xb0, 0xaa, 0xe6, PORT_LSTAR, 0xf4};

		memcpy(m + LSTAR_GPA, lstar, sizeof(lstar));
	}
	/* Identity map of the first GiB, 2 MiB pages, user accessible. */
	put64(m, PML4_GPA, (PML4_GPA + 0x1000) | 7);
	put64(m, PML4_GPA + 0x1000, (PML4_GPA + 0x2000) | 7);
	for (uint64_t j = 0; j < 512; j++)
		put64(m, PML4_GPA + 0x2000 + j * 8, (j << 21) | 0x87);
}

/* The kernel part, at the load address: GDT, IDT, TR, CR3 (the segment
 * registers keep their selectors: 0x08 and 0x10 mean the same here). */
static const uint8_t prologue[] = {
	0x0f, 0x01, 0x14, 0x25, 0x00, 0x30, 0x30, 0x00,   /* lgdt 0x303000 */
	0x0f, 0x01, 0x1c, 0x25, 0x10, 0x30, 0x30, 0x00,   /* lidt 0x303010 */
	0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8,         /* mov $0x28, %ax; ltr %ax */
	0xb8, 0x00, 0x00, 0x32, 0x00, 0x0f, 0x22, 0xd8,   /* mov $0x320000, %eax; mov %rax, %cr3 */
};
/* iretq to CPL 3 at USER_GPA */
static const uint8_t to_user[] = {
	0x6a, 0x1b, 0x68, 0x00, 0x00, 0x39, 0x00, 0x6a, 0x02, 0x6a, 0x23,
	0x68, 0x00, 0x20, 0x31, 0x00, 0x48, 0xcf,
};

static void setup(struct kvmt *t, const uint8_t *tail, size_t tail_len, bool user, const uint8_t *ucode,
		  size_t ulen)
{
	uint8_t code[256];
	size_t n = 0;
	struct engine_sregs s;
	struct engine_msrs msr;

	memcpy(code + n, prologue, sizeof(prologue));
	n += sizeof(prologue);
	if (user) {
		memcpy(code + n, to_user, sizeof(to_user));
		n += sizeof(to_user);
	}
	memcpy(code + n, tail, tail_len);
	n += tail_len;
	kvmt_setup(t, 8u << 20, code, n);
	build(t);
	memcpy(t->mem + USER_GPA, ucode, ulen);
	CHECK(kvm_engine_ops.get_sregs(t->vcpu, &s) == 0, "get_sregs");
	s.efer |= 1; /* SCE */
	CHECK(kvm_engine_ops.set_sregs(t->vcpu, &s) == 0, "set_sregs");
	CHECK(kvm_engine_ops.get_msrs(t->vcpu, &msr) == 0, "get_msrs");
	msr.star = (0x10ull << 48) | (0x08ull << 32);
	msr.lstar = LSTAR_GPA;
	msr.sfmask = 0x700;
	CHECK(kvm_engine_ops.set_msrs(t->vcpu, &msr) == 0, "set_msrs");
}

/* The next exit, the engine's timer ending a run that makes none. */
static struct engine_exit *next_exit(struct kvmt *t, bool *timed_out)
{
	struct engine_exit *e;

	*timed_out = kvmt_run_for(t, 3.0, &e) == -EINTR;
	return e;
}

static bool out_to(const struct engine_exit *e, uint16_t port)
{
	return e->reason == ENGINE_EXIT_IO && e->io.is_write && e->io.port == port;
}

static int verdict(const char *mode, bool correct, bool defect, const char *what_correct, const char *what_defect,
		   const char *seen)
{
	if (correct)
		printf("%s: this host behaves as the CPU: %s\n", mode, what_correct);
	else if (defect)
		printf("%s: this host has the known defect: %s\n", mode, what_defect);
	CHECK(correct || defect, "%s: neither the CPU's behaviour nor the known defect: %s", mode, seen);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct kvmt t;
	struct engine_exit *e;
	struct engine_regs r;
	bool timed_out;
	char seen[512];

	if (!strcmp(mode, "syscall")) {
		const uint8_t user[] = {0x0f, 0x05, 0xf4}; /* syscall; hlt */

		setup(&t, NULL, 0, true, user, sizeof(user));
		e = next_exit(&t, &timed_out);
		CHECK(kvm_engine_ops.get_regs(t.vcpu, &r) == 0, "get_regs");
		snprintf(seen, sizeof(seen), "exit %s port %#x data %#x, rip %#" PRIx64 " rcx %#" PRIx64 "%s",
			 engine_exit_reason_name(e->reason), e->io.port, e->io.data, r.rip, r.rcx,
			 timed_out ? " (no exit: timer)" : "");
		verdict(mode, !timed_out && out_to(e, PORT_LSTAR) && r.rcx == USER_GPA + 2,
			!timed_out && out_to(e, PORT_VECTOR) && e->io.data == 13 && r.rcx == USER_GPA + 2,
			"LSTAR runs at CPL 0", "LSTAR is reached at CPL 3: its OUT raised #GP, RCX holds the return address",
			seen);
	} else if (!strcmp(mode, "int80")) {
		const uint8_t user[] = {0xcd, 0x80, 0xf4}; /* int $0x80; hlt */

		setup(&t, NULL, 0, true, user, sizeof(user));
		e = next_exit(&t, &timed_out);
		snprintf(seen, sizeof(seen), "exit %s port %#x data %#x%s", engine_exit_reason_name(e->reason),
			 e->io.port, e->io.data, timed_out ? " (no exit: timer)" : "");
		verdict(mode, !timed_out && out_to(e, PORT_VECTOR) && e->io.data == 0x80,
			!timed_out && out_to(e, PORT_VECTOR) && e->io.data == 6, "the DPL 3 gate's handler runs",
			"#UD instead of vector 0x80", seen);
	} else if (!strcmp(mode, "int3")) {
		const uint8_t tail[] = {0xcc, 0xf4}; /* int3; hlt */

		setup(&t, tail, sizeof(tail), false, NULL, 0);
		e = next_exit(&t, &timed_out);
		snprintf(seen, sizeof(seen), "exit %s port %#x data %#x: %s%s", engine_exit_reason_name(e->reason),
			 e->io.port, e->io.data, e->message, timed_out ? " (no exit: timer)" : "");
		verdict(mode, !timed_out && out_to(e, PORT_VECTOR) && e->io.data == 3,
			!timed_out && e->reason == ENGINE_EXIT_INTERNAL_ERROR, "#BP is delivered",
			"KVM_EXIT_INTERNAL_ERROR (its emulator fails on int3)", seen);
	} else if (!strcmp(mode, "vmcall")) {
		const uint8_t tail[] = {0x0f, 0x01, 0xc1, 0xb0, 0xaa, 0xe6, PORT_LSTAR, 0xf4};

		setup(&t, tail, sizeof(tail), false, NULL, 0);
		e = next_exit(&t, &timed_out);
		snprintf(seen, sizeof(seen), "exit %s port %#x data %#x%s", engine_exit_reason_name(e->reason),
			 e->io.port, e->io.data, timed_out ? " (no exit: timer)" : "");
		verdict(mode, !timed_out && (out_to(e, PORT_LSTAR) || (out_to(e, PORT_VECTOR) && e->io.data == 6)),
			timed_out, "the hypercall returns (or #UD) and the guest goes on",
			"KVM_RUN does not return until the engine's timer", seen);
	} else {
		fprintf(stderr, "usage: kvm-host-behaviour syscall|int80|int3|vmcall\n");
		return 2;
	}
	kvmt_teardown(&t);
	return 0;
}
