/*
 * tests/soft/harness.c — see harness.h.
 */
#include "harness.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put64(uint8_t *mem, uint64_t a, uint64_t v)
{
	memcpy(mem + a, &v, 8);
}

uint64_t th_rd64(struct th *t, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, t->mem + gpa, 8);
	return v;
}

void th_wr64(struct th *t, uint64_t gpa, uint64_t v)
{
	put64(t->mem, gpa, v);
}

void th_init_tlb(struct th *t, const char *tlb)
{
	memset(t, 0, sizeof(*t));
	t->ops = &soft_engine_ops;
	struct soft_machine_config mc = { .mem_size = TH_MEM };
	soft_mmu_config_default(&mc.mmu);
	if (tlb) {
		char err[200];
		int r = soft_mmu_config_parse(tlb, &mc.mmu, err, sizeof(err));
		CHECK(r == 0, "tlb config %s: %s", tlb, err);
	}
	int r = soft_machine_create(&mc, &t->m);
	CHECK(r == 0, "soft_machine_create: %d", r);
	t->mem = soft_machine_mem(t->m, NULL);
	struct engine_vm_config vc = { .machine = t->m };
	CHECK(t->ops->vm_create(&vc, &t->vm) == 0, "vm_create");
	CHECK(t->ops->set_memory(t->vm, 0, 0, TH_MEM, t->mem) == 0, "set_memory");
	CHECK(t->ops->vcpu_create(t->vm, &t->vcpu) == 0, "vcpu_create");

	uint8_t *m = t->mem;
	put64(m, TH_PML4, 0x2000 | 7);
	put64(m, 0x2000, 0x3000 | 7);
	for (uint64_t i = 0; i < TH_MEM >> 21; i++)
		put64(m, 0x3000 + 8 * i, (i << 21) | 0x87);
	put64(m, TH_GDT + 0x08, 0x00af9b000000ffffull); /* kernel code, L */
	put64(m, TH_GDT + 0x10, 0x00cf93000000ffffull); /* kernel data */
	put64(m, TH_GDT + 0x18, 0x00cff3000000ffffull); /* user data, DPL 3 */
	put64(m, TH_GDT + 0x20, 0x00affb000000ffffull); /* user code, DPL 3, L */
	uint64_t tss = TH_TSS;
	put64(m, TH_GDT + 0x28, 0x67 | ((tss & 0xffffff) << 16) | (0x89ull << 40) |
				 ((tss >> 24) << 56));
	put64(m, TH_GDT + 0x30, tss >> 32);
	put64(m, TH_TSS + 4, TH_KSTACK);
	put64(m, TH_TSS + 36, TH_ISTSTACK);

	struct engine_sregs s = { 0 };
	s.cs = (struct engine_segment){ .selector = 0x08, .type = 0xb, .present = 1, .s = 1,
					.l = 1, .g = 1, .limit = 0xffffffff };
	struct engine_segment data = { .selector = 0x10, .type = 3, .present = 1, .s = 1, .db = 1,
				       .g = 1, .limit = 0xffffffff };
	s.ds = s.es = s.ss = data;
	s.fs = s.gs = (struct engine_segment){ 0 };
	s.tr = (struct engine_segment){ .selector = 0x28, .base = TH_TSS, .limit = 0x67,
					.type = 11, .present = 1 };
	s.gdt = (struct engine_dtable){ .base = TH_GDT, .limit = 0x37 };
	s.idt = (struct engine_dtable){ .base = TH_IDT, .limit = 0xfff };
	s.cr0 = 0x80050033;
	s.cr3 = TH_PML4;
	s.cr4 = 0x20;
	s.efer = 0xd01; /* SCE LME LMA NXE */
	CHECK(t->ops->set_sregs(t->vcpu, &s) == 0, "set_sregs");
	struct engine_regs r0 = { .rip = TH_CODE, .rsp = TH_KSTACK, .rflags = 2 };
	th_set_regs(t, &r0);
}

void th_init(struct th *t)
{
	th_init_tlb(t, NULL);
}

void th_fini(struct th *t)
{
	t->ops->vm_destroy(t->vm);
	soft_machine_destroy(t->m);
}

uint64_t th_code(struct th *t, uint64_t gva, const char *hex)
{
	uint64_t a = gva;
	for (const char *p = hex; *p;) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		unsigned b;
		CHECK(isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
		      sscanf(p, "%2x", &b) == 1, "bad hex at '%s'", p);
		t->mem[a++] = (uint8_t)b;
		p += 2;
	}
	soft_machine_code_written(t->m, gva, a - gva);
	return a;
}

void th_gate(struct th *t, unsigned vec, uint64_t h, unsigned type, unsigned ist, unsigned dpl)
{
	uint64_t lo = (h & 0xffff) | (0x08ull << 16) | ((uint64_t)ist << 32) |
		      ((uint64_t)type << 40) | ((uint64_t)dpl << 45) | (1ull << 47) |
		      ((h >> 16 & 0xffff) << 48);
	put64(t->mem, TH_IDT + 16 * vec, lo);
	put64(t->mem, TH_IDT + 16 * vec + 8, h >> 32);
}

struct engine_exit *th_run(struct th *t)
{
	CHECK(t->ops->run(t->vcpu) == 0, "run failed");
	return t->ops->exit(t->vcpu);
}

struct engine_regs th_regs(struct th *t)
{
	struct engine_regs r;
	t->ops->get_regs(t->vcpu, &r);
	return r;
}

void th_set_regs(struct th *t, const struct engine_regs *r)
{
	t->ops->set_regs(t->vcpu, r);
}

struct engine_sregs th_sregs(struct th *t)
{
	struct engine_sregs s;
	t->ops->get_sregs(t->vcpu, &s);
	return s;
}

void th_expect(struct th *t, enum engine_exit_reason reason, const char *what)
{
	struct engine_exit *e = th_run(t);
	if (e->reason == reason)
		return;
	struct engine_regs r = th_regs(t);
	struct engine_sregs s = th_sregs(t);
	fprintf(stderr, "%s: exit %s (expected %s) %s\n  rip=%#" PRIx64 " rsp=%#" PRIx64
		" rflags=%#" PRIx64 " rax=%#" PRIx64 " rcx=%#" PRIx64 " rdx=%#" PRIx64
		" cr2=%#" PRIx64 "\n  intercept cause=%s vector=%u err=%#x info1=%#" PRIx64 "\n",
		what, engine_exit_reason_name(e->reason), engine_exit_reason_name(reason), e->message,
		r.rip, r.rsp, r.rflags, r.rax, r.rcx, r.rdx, s.cr2,
		engine_intercept_name(e->intercept.cause), e->intercept.vector,
		e->intercept.error_code, e->intercept.info1);
	exit(1);
}
