/*
 * tests/shadow/test_backend.c — the shadow backend driven through its
 * ops table, as the VMM drives it, by a fake VMM: machine memory with the
 * guest's RAM at a non-zero HPA and a frame pool after it, a vCPU that is
 * just registers, and a "hardware" access loop that probes the shadow
 * tables with the soft MMU's walker (soft_mmu_probe) and hands each #PF
 * to the backend, as the soft engine's intercept would.
 *
 * Each block checks one mechanism: hidden faults and their translations,
 * true faults and their error codes, accessed/dirty emulation, large
 * pages, write-protected guest tables (emulated with a single step, or
 * left out of sync and resynced), CR3 writes/reads with the root cache,
 * INVLPG, and the invariant checker catching a corrupted shadow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadowpt/shadow.h"
#include "tests/check.h"
#include "tests/mmu/fixture.h"
#include "memvirt/pagetable.h"

#define RAM_HPA MIB(16)
#define RAM_SIZE MIB(8)
#define POOL_HPA MIB(24)
#define MACHINE MIB(32)

struct fake;
struct mv_vm {
	struct fake *f;
};

struct fake {
	struct fx fx;              /* machine memory and the MMU that probes the shadow */
	struct mv_vm vm;
	void *vm_state;
	uint64_t pool_next;
	uint64_t free_list[2048];
	unsigned nfree;
	long frames_live;
	struct engine_regs regs;
	struct engine_sregs sregs; /* cr3 here is the real one (the shadow root) */
	uint64_t guest_cr3;
	uint64_t icpt_causes;
	uint32_t icpt_vectors;
	bool injected;
	uint8_t inj_vec;
	uint32_t inj_ec;
	uint64_t inj_cr2;
	uint64_t ev[MV_EV__COUNT];
	uint64_t flushes[3];
	uint64_t nonglobal_flushes;
	/* What the guest's next instruction does when single-stepped. */
	uint64_t step_va, step_val;
	unsigned steps;
	struct engine_exit step_exit;
};

static struct fake *F(struct mv_vm *vm) { return vm->f; }

static uint16_t hw_vm_index(struct mv_vm *vm) { (void)vm; return 0; }
static uint64_t hw_vm_mem_size(struct mv_vm *vm) { (void)vm; return RAM_SIZE; }
static void *hw_vm_state(struct mv_vm *vm) { return F(vm)->vm_state; }
static void hw_set_vm_state(struct mv_vm *vm, void *s) { F(vm)->vm_state = s; }

static void *hw_hpa_ptr(struct mv_vm *vm, uint64_t hpa, uint64_t len)
{
	if (hpa > MACHINE || len > MACHINE - hpa)
		return NULL;
	return F(vm)->fx.mem + hpa;
}

static int hw_gpa_to_hpa(struct mv_vm *vm, uint64_t gpa, uint64_t *hpa)
{
	(void)vm;
	if (gpa >= RAM_SIZE)
		return -EFAULT;
	*hpa = RAM_HPA + gpa;
	return 0;
}

static int hw_frame_alloc(struct mv_vm *vm, uint64_t *hpa)
{
	struct fake *f = F(vm);

	if (f->nfree)
		*hpa = f->free_list[--f->nfree];
	else if (f->pool_next < MACHINE)
		*hpa = f->pool_next, f->pool_next += 4096;
	else
		return -ENOMEM;
	memset(f->fx.mem + *hpa, 0, 4096);
	f->frames_live++;
	return 0;
}

static void hw_frame_free(struct mv_vm *vm, uint64_t hpa)
{
	struct fake *f = F(vm);

	CHECK(hpa >= POOL_HPA && hpa < MACHINE && !(hpa & 0xfff), "freeing %#" PRIx64, hpa);
	f->free_list[f->nfree++] = hpa;
	f->frames_live--;
}

static int hw_get_regs(struct mv_vm *vm, struct engine_regs *r) { *r = F(vm)->regs; return 0; }
static int hw_set_regs(struct mv_vm *vm, const struct engine_regs *r) { F(vm)->regs = *r; return 0; }

static int hw_get_sregs(struct mv_vm *vm, struct engine_sregs *s)
{
	*s = F(vm)->sregs;
	s->cr3 = F(vm)->guest_cr3;
	return 0;
}

static int hw_set_guest_cr3(struct mv_vm *vm, uint64_t cr3) { F(vm)->guest_cr3 = cr3; return 0; }

static int hw_set_intercepts(struct mv_vm *vm, uint64_t causes, uint32_t vectors)
{
	F(vm)->icpt_causes = causes;
	F(vm)->icpt_vectors = vectors;
	return 0;
}

static int hw_set_paging(struct mv_vm *vm, const struct mv_paging *p)
{
	CHECK(p->mode == MV_PAGING_HOST, "mode %d", p->mode);
	F(vm)->sregs.cr3 = p->root;
	return 0;
}

static int hw_flush_tlb(struct mv_vm *vm, enum mv_flush_scope scope, uint64_t arg)
{
	(void)arg;
	F(vm)->flushes[scope]++;
	return 0;
}

static int hw_flush_nonglobal(struct mv_vm *vm, uint64_t tag)
{
	(void)tag;
	F(vm)->nonglobal_flushes++;
	return 0;
}

static int hw_inject(struct mv_vm *vm, uint8_t vector, uint32_t ec, uint64_t cr2)
{
	struct fake *f = F(vm);

	CHECK(!f->injected, "two events injected before the guest ran");
	f->injected = true;
	f->inj_vec = vector;
	f->inj_ec = ec;
	f->inj_cr2 = cr2;
	return 0;
}

static void hw_post(struct mv_vm *vm, struct mv_event *ev)
{
	CHECK(ev->type < MV_EV__COUNT, "event type %u", ev->type);
	F(vm)->ev[ev->type]++;
}

/* The backend's reason for its last error, kept for the assertions. */
static char last_reason[512];

static void hw_fail_reason(struct mv_vm *vm, const char *reason)
{
	(void)vm;
	snprintf(last_reason, sizeof(last_reason), "%s", reason);
}

static bool probe(struct fake *f, uint64_t va, enum soft_access acc, bool user, uint64_t *hpa,
		  struct soft_fault *sf)
{
	f->fx.regs.cr0 = f->sregs.cr0;
	f->fx.regs.cr4 = f->sregs.cr4;
	f->fx.regs.efer = f->sregs.efer;
	f->fx.regs.cr3 = f->sregs.cr3;
	f->fx.regs.phys_base = 0;
	f->fx.regs.phys_limit = MACHINE;
	fx_apply(&f->fx);
	return soft_mmu_probe(f->fx.mmu, va, acc, user, hpa, sf);
}

/* The guest's next instruction: a store of step_val at step_va, which
 * must now be writable in the shadow. */
static int hw_single_step(struct mv_vm *vm, struct engine_exit **ex)
{
	struct fake *f = F(vm);
	struct soft_fault sf;
	uint64_t hpa;

	CHECK(probe(f, f->step_va, SOFT_ACCESS_WRITE, false, &hpa, &sf),
	      "single step: %#" PRIx64 " not writable in the shadow (ec %#x)", f->step_va,
	      sf.error_code);
	memcpy(f->fx.mem + hpa, &f->step_val, 8);
	f->steps++;
	f->regs.rip += 3;
	f->step_exit = (struct engine_exit){.reason = ENGINE_EXIT_QUANTUM};
	*ex = &f->step_exit;
	return 0;
}

static struct mv_hw make_hw(void)
{
	return (struct mv_hw){
		.size = sizeof(struct mv_hw), .engine = MV_ENGINE_SOFT,
		.vm_index = hw_vm_index, .vm_mem_size = hw_vm_mem_size,
		.vm_state = hw_vm_state, .set_vm_state = hw_set_vm_state,
		.hpa_ptr = hw_hpa_ptr, .gpa_to_hpa = hw_gpa_to_hpa,
		.frame_alloc = hw_frame_alloc, .frame_free = hw_frame_free,
		.get_regs = hw_get_regs, .set_regs = hw_set_regs, .get_sregs = hw_get_sregs,
		.set_guest_cr3 = hw_set_guest_cr3, .set_intercepts = hw_set_intercepts,
		.set_paging = hw_set_paging, .flush_tlb = hw_flush_tlb,
		.inject_exception = hw_inject, .post = hw_post,
		.single_step = hw_single_step, .flush_tlb_nonglobal = hw_flush_nonglobal,
		.fail_reason = hw_fail_reason,
		.vm_count = 1, .vm_mem_bytes = RAM_SIZE,
	};
}

struct bench {
	struct fake f;
	struct mv_hw hw;
	const struct mv_backend_ops *ops;
	void *state;
	struct ptb b;          /* guest tables, builder addresses = GPAs */
};

static void setup(struct bench *t, const char *opts)
{
	char err[256] = "";
	int rc;

	memset(&t->f, 0, sizeof(t->f));
	fx_init(&t->f.fx, MACHINE, NULL);
	t->f.vm.f = &t->f;
	t->f.pool_next = POOL_HPA;
	t->f.sregs.cr0 = CR0_LONG;
	t->f.sregs.cr4 = MV_CR4_PAE | MV_CR4_PGE;
	t->f.sregs.efer = EFER_LONG | MV_EFER_NXE;
	t->hw = make_hw();
	t->ops = &shadow_backend_ops;
	CHECK(t->ops->abi_version == MV_BACKEND_ABI_VERSION, "abi %u", t->ops->abi_version);
	ptb_init(&t->b, t->f.fx.mem, RAM_HPA, 0x10000, 0x100000);
	t->f.guest_cr3 = t->b.root;
	t->f.sregs.cr3 = t->b.root; /* what the guest booted with */
	rc = t->ops->create(&t->hw, opts, &t->state, err, sizeof(err));
	CHECK(rc == 0, "create(%s): %d %s", opts, rc, err);
}

static void init_vm(struct bench *t)
{
	int rc = t->ops->vm_init(t->state, &t->f.vm);

	CHECK(rc == 0, "vm_init: %d", rc);
	CHECK(t->f.icpt_vectors == 1u << 14, "exception intercepts %#x", t->f.icpt_vectors);
	CHECK(t->f.icpt_causes & (1u << ENGINE_ICPT_CR3_WRITE), "CR3 writes intercepted");
	CHECK(t->f.icpt_causes & (1u << ENGINE_ICPT_CR3_READ), "CR3 reads intercepted");
	CHECK(t->f.icpt_causes & (1u << ENGINE_ICPT_INVLPG), "INVLPG intercepted");
	CHECK(t->f.sregs.cr3 >= POOL_HPA, "real CR3 %#" PRIx64 " is a shadow root", t->f.sregs.cr3);
}

static void teardown(struct bench *t)
{
	t->ops->vm_fini(t->state, &t->f.vm);
	CHECK(t->f.frames_live == 0, "%ld shadow frames leaked", t->f.frames_live);
	t->ops->destroy(t->state);
	fx_fini(&t->f.fx);
}

static int exit_to(struct bench *t, struct engine_exit *ex)
{
	return t->ops->handle_exit(t->state, &t->f.vm, ex);
}

static int pf(struct bench *t, uint64_t va, uint32_t ec)
{
	struct engine_exit ex = {.reason = ENGINE_EXIT_INTERCEPT};

	ex.intercept.cause = ENGINE_ICPT_EXCEPTION;
	ex.intercept.vector = 14;
	ex.intercept.error_code = ec;
	ex.intercept.info1 = va;
	return exit_to(t, &ex);
}

/* The hardware and the VMM around one guest access: probe the shadow,
 * hand each #PF to the backend, until it translates or the backend
 * reflects the fault (returned as false with *ec). */
static bool access(struct bench *t, uint64_t va, enum soft_access acc, bool user, uint64_t *hpa,
		   uint32_t *ec)
{
	for (unsigned tries = 0; tries < 4; tries++) {
		struct soft_fault sf;

		if (probe(&t->f, va, acc, user, hpa, &sf))
			return true;
		CHECK(sf.kind == SOFT_FAULT_PF, "va %#" PRIx64 ": shadow walk fault kind %d", va, sf.kind);
		t->f.injected = false;
		int rc = pf(t, va, sf.error_code);

		CHECK(rc == MV_EXIT_HANDLED, "va %#" PRIx64 ": handle_exit %d", va, rc);
		if (t->f.injected) {
			CHECK(t->f.inj_vec == 14 && t->f.inj_cr2 == va, "injected vector %u cr2 %#" PRIx64,
			      t->f.inj_vec, t->f.inj_cr2);
			*ec = t->f.inj_ec;
			return false;
		}
	}
	CHECK(0, "va %#" PRIx64 ": the backend keeps absorbing faults without fixing the shadow", va);
	return false;
}

static uint64_t gpte(struct bench *t, uint64_t va, unsigned level)
{
	uint64_t *e = ptb_entry(&t->b, va, level);

	CHECK(e, "no guest entry for %#" PRIx64 " at level %u", va, level);
	return *e;
}

#define USERRW (MV_PTE_P | MV_PTE_W | MV_PTE_U)

static void test_hidden_true_ad(void)
{
	struct bench t;
	uint64_t hpa;
	uint32_t ec;

	setup(&t, "check=1");
	ptb_map(&t.b, 0x400000, 0x200000, 0, USERRW);
	ptb_map(&t.b, 0x401000, 0x201000, 0, MV_PTE_P | MV_PTE_U);            /* read-only */
	ptb_map(&t.b, 0x402000, 0x202000, 0, MV_PTE_P | MV_PTE_W);            /* supervisor */
	ptb_map(&t.b, 0x403000, 0x203000, 0, USERRW | MV_PTE_NX);
	init_vm(&t);

	/* A read: hidden fault, then the translation composed with GPA->HPA. */
	CHECK(access(&t, 0x400123, SOFT_ACCESS_READ, true, &hpa, &ec), "read");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x200123);
	CHECK_EQ_U64(t.f.ev[MV_EV_SHADOW_FAULT_HIDDEN], 1);
	CHECK((gpte(&t, 0x400000, 3) & (MV_PTE_A | MV_PTE_D)) == MV_PTE_A, "guest A set, D clear after a read");
	for (unsigned l = 0; l < 3; l++)
		CHECK(gpte(&t, 0x400000, l) & MV_PTE_A, "guest level %u A", l);
	/* Mapped read-only until the first write, which sets D. */
	struct soft_fault sf;
	CHECK(!probe(&t.f, 0x400000, SOFT_ACCESS_WRITE, true, &hpa, &sf), "clean page read-only");
	CHECK(access(&t, 0x400008, SOFT_ACCESS_WRITE, true, &hpa, &ec), "write");
	CHECK(gpte(&t, 0x400000, 3) & MV_PTE_D, "guest D after the write");
	CHECK_EQ_U64(t.f.ev[MV_EV_SHADOW_FAULT_HIDDEN], 2);

	/* True faults carry the error code the hardware would give. */
	CHECK(!access(&t, 0x500000, SOFT_ACCESS_READ, true, &hpa, &ec), "unmapped");
	CHECK_EQ_U64(ec, MV_PFEC_U);
	CHECK(!access(&t, 0x401000, SOFT_ACCESS_WRITE, true, &hpa, &ec), "read-only");
	CHECK_EQ_U64(ec, MV_PFEC_P | MV_PFEC_W | MV_PFEC_U);
	CHECK(!(gpte(&t, 0x401000, 3) & MV_PTE_A), "a faulting access leaves the leaf's A clear");
	CHECK(!access(&t, 0x402000, SOFT_ACCESS_READ, true, &hpa, &ec), "supervisor page");
	CHECK_EQ_U64(ec, MV_PFEC_P | MV_PFEC_U);
	CHECK(access(&t, 0x402000, SOFT_ACCESS_WRITE, false, &hpa, &ec), "kernel writes it");
	CHECK(!access(&t, 0x403000, SOFT_ACCESS_FETCH, true, &hpa, &ec), "NX page");
	CHECK_EQ_U64(ec, MV_PFEC_P | MV_PFEC_U | MV_PFEC_ID);
	CHECK(access(&t, 0x403000, SOFT_ACCESS_READ, true, &hpa, &ec), "NX page readable");
	CHECK(!probe(&t.f, 0x403000, SOFT_ACCESS_FETCH, true, &hpa, &sf), "shadow keeps NX");
	CHECK_EQ_U64(t.f.ev[MV_EV_TRUE_FAULT_REFLECTED], 4);
	/* The read-only page stays read-only for a supervisor write too (WP). */
	CHECK(!access(&t, 0x401000, SOFT_ACCESS_WRITE, false, &hpa, &ec), "WP");
	CHECK_EQ_U64(ec, MV_PFEC_P | MV_PFEC_W);
	teardown(&t);
}

static void test_large_pages(void)
{
	struct bench t;
	uint64_t hpa;
	uint32_t ec;

	setup(&t, "check=1");
	ptb_map(&t.b, 0x40000000, 0x400000, 1, USERRW); /* 2 MiB */
	init_vm(&t);
	CHECK(access(&t, 0x40000000 + 0x12345, SOFT_ACCESS_READ, true, &hpa, &ec), "2M read");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x400000 + 0x12345);
	CHECK(access(&t, 0x40000000 + 0x1ff000, SOFT_ACCESS_WRITE, true, &hpa, &ec), "2M write");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x400000 + 0x1ff000);
	CHECK(gpte(&t, 0x40000000, 2) & MV_PTE_D, "D set in the guest's 2 MiB entry");
	/* Shadowed with 4 KiB entries: root, PDPT, PD, one direct PT. */
	CHECK_EQ_U64(t.f.ev[MV_EV_SHADOW_PAGE_ALLOC], 4);
	/* A 2 MiB page reaching outside RAM is never shadowed. */
	ptb_map(&t.b, 0x40200000, RAM_SIZE, 1, USERRW);
	CHECK(pf(&t, 0x40200000, MV_PFEC_U) < 0, "a guest page outside RAM fails the run");
	teardown(&t);
}

static void test_cr3_cache(void)
{
	struct bench t;
	uint64_t hpa, roots[3];
	uint32_t ec;
	struct engine_exit ex = {.reason = ENGINE_EXIT_INTERCEPT};
	struct ptb other;

	setup(&t, "cache=2,check=1");
	ptb_map(&t.b, 0x400000, 0x200000, 0, USERRW);
	/* Two more address spaces. */
	ptb_init(&other, t.f.fx.mem, RAM_HPA, 0x100000, 0x140000);
	ptb_map(&other, 0x400000, 0x300000, 0, USERRW);
	roots[0] = t.b.root;
	roots[1] = other.root;
	ptb_init(&other, t.f.fx.mem, RAM_HPA, 0x140000, 0x180000);
	ptb_map(&other, 0x400000, 0x310000, 0, USERRW);
	roots[2] = other.root;
	init_vm(&t);
	CHECK(access(&t, 0x400000, SOFT_ACCESS_READ, true, &hpa, &ec), "space 0");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x200000);

	ex.intercept.cause = ENGINE_ICPT_CR3_WRITE;
	ex.intercept.insn_len = 3;
	uint64_t misses[] = {1, 1, 0, 1, 1}, seq[] = {1, 2, 2, 0, 1};
	for (unsigned i = 0; i < 5; i++) {
		uint64_t hits = t.f.ev[MV_EV_CR3_WRITE], before = t.f.ev[MV_EV_SHADOW_PAGE_ZAP];

		ex.intercept.info1 = roots[seq[i]];
		t.f.regs.rip = 0x1000;
		CHECK(exit_to(&t, &ex) == MV_EXIT_HANDLED, "cr3 write");
		CHECK_EQ_U64(t.f.regs.rip, 0x1003);
		CHECK_EQ_U64(t.f.guest_cr3, roots[seq[i]]);
		CHECK_EQ_U64(t.f.ev[MV_EV_CR3_WRITE], hits + 1);
		CHECK(access(&t, 0x400000, SOFT_ACCESS_READ, true, &hpa, &ec), "read in space %u", i);
		CHECK_EQ_U64(hpa, RAM_HPA + (seq[i] == 0 ? 0x200000 : seq[i] == 1 ? 0x300000 : 0x310000));
		/* cache=2: the third address space evicts the least recent. */
		if (misses[i] && i >= 1)
			CHECK(t.f.ev[MV_EV_SHADOW_PAGE_ZAP] > before, "eviction zaps the old tree");
	}
	/* A miss with a full cache zaps; a flush of the new PCID each time. */
	CHECK_EQ_U64(t.f.nonglobal_flushes, 5);
	/* The no-flush bit with PCIDs: no flush. */
	t.f.sregs.cr4 |= MV_CR4_PCIDE;
	ex.intercept.info1 = roots[1] | (UINT64_C(1) << 63) | 5;
	CHECK(exit_to(&t, &ex) == MV_EXIT_HANDLED, "cr3 write, no flush");
	CHECK_EQ_U64(t.f.nonglobal_flushes, 5);
	CHECK_EQ_U64(t.f.guest_cr3, roots[1] | 5);
	CHECK_EQ_U64(t.f.sregs.cr3 & 0xfff, 5); /* the shadow root carries the PCID */
	/* CR3 reads see the guest's value. */
	ex.intercept.cause = ENGINE_ICPT_CR3_READ;
	ex.intercept.info2 = 9; /* r9 */
	CHECK(exit_to(&t, &ex) == MV_EXIT_HANDLED, "cr3 read");
	CHECK_EQ_U64(t.f.regs.r9, roots[1] | 5);
	CHECK_EQ_U64(t.f.ev[MV_EV_CR3_READ], 1);
	teardown(&t);
}

/* The guest's page-table page for 0x400000 is itself mapped at
 * 0x7f0000000 (the kernel's window onto its tables). */
static uint64_t map_pt_window(struct bench *t, uint64_t *pt_gpa)
{
	*pt_gpa = gpte(t, 0x400000, 2) & UINT64_C(0x000ffffffffff000);
	ptb_map(&t->b, 0x7f0000000, *pt_gpa, 0, MV_PTE_P | MV_PTE_W | MV_PTE_A | MV_PTE_D);
	return 0x7f0000000;
}

static void test_pt_write_wp(void)
{
	struct bench t;
	uint64_t hpa, pt_gpa, win;
	uint32_t ec;
	struct soft_fault sf;

	setup(&t, "check=1,flood=0");
	ptb_map(&t.b, 0x400000, 0x200000, 0, USERRW);
	ptb_map(&t.b, 0x401000, 0x201000, 0, USERRW);
	win = map_pt_window(&t, &pt_gpa);
	init_vm(&t);
	/* The kernel reads its table through the window: fine, read-only. */
	CHECK(access(&t, win, SOFT_ACCESS_READ, false, &hpa, &ec), "read the table");
	CHECK(access(&t, 0x400000, SOFT_ACCESS_READ, true, &hpa, &ec), "user page");
	CHECK(access(&t, 0x401000, SOFT_ACCESS_READ, true, &hpa, &ec), "user page 2");
	CHECK(!probe(&t.f, win, SOFT_ACCESS_WRITE, false, &hpa, &sf), "table page write-protected");
	/* The kernel unmaps 0x401000 with a store into its table. */
	t.f.step_va = win + 8;
	t.f.step_val = 0;
	CHECK(!probe(&t.f, win + 8, SOFT_ACCESS_WRITE, false, &hpa, &sf), "the store faults");
	CHECK(pf(&t, win + 8, sf.error_code) == MV_EXIT_HANDLED, "handled");
	CHECK(!t.f.injected, "a hidden fault, not the guest's");
	CHECK_EQ_U64(t.f.steps, 1);
	CHECK_EQ_U64(t.f.ev[MV_EV_PT_WRITE_EMULATED], 1);
	CHECK_EQ_U64(t.f.regs.rip, 3);
	CHECK(!probe(&t.f, 0x401000, SOFT_ACCESS_READ, true, &hpa, &sf), "the change reached the shadow");
	CHECK(probe(&t.f, 0x400000, SOFT_ACCESS_READ, true, &hpa, &sf), "the neighbour stays");
	CHECK(!probe(&t.f, win, SOFT_ACCESS_WRITE, false, &hpa, &sf), "write-protected again");
	CHECK(!access(&t, 0x401000, SOFT_ACCESS_READ, true, &hpa, &ec), "now a true fault");
	/* A page becoming a table is write-protected where it was writable. */
	CHECK(access(&t, 0x400000, SOFT_ACCESS_WRITE, true, &hpa, &ec), "user writes its page");
	CHECK(probe(&t.f, 0x400000, SOFT_ACCESS_WRITE, true, &hpa, &sf), "writable");
	uint64_t flushes = t.f.flushes[MV_FLUSH_ALL];
	/* The guest turns 0x400000's frame into a page table (a PD entry
	 * pointing at it, one PTE inside) and uses it. */
	uint64_t pte = 0x202000 | USERRW | MV_PTE_A;
	ptb_map(&t.b, 0x600000000, 0x300000, 1, USERRW);
	*ptb_entry(&t.b, 0x600000000, 2) = 0x200000 | MV_PTE_P | MV_PTE_W | MV_PTE_U;
	memset(t.f.fx.mem + RAM_HPA + 0x200000, 0, 4096);
	memcpy(t.f.fx.mem + RAM_HPA + 0x200000, &pte, 8);
	CHECK(access(&t, 0x600000000, SOFT_ACCESS_READ, true, &hpa, &ec), "through the new table");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x202000);
	CHECK(!probe(&t.f, 0x400000, SOFT_ACCESS_WRITE, true, &hpa, &sf), "its data mapping lost W");
	CHECK(t.f.flushes[MV_FLUSH_ALL] > flushes, "with a TLB flush");
	teardown(&t);
}

static void test_oos(void)
{
	struct bench t;
	uint64_t hpa, pt_gpa, win, e;
	uint32_t ec;
	struct soft_fault sf;
	struct engine_exit ex = {.reason = ENGINE_EXIT_INTERCEPT};

	setup(&t, "sync=oos,check=1");
	ptb_map(&t.b, 0x400000, 0x200000, 0, USERRW);
	ptb_map(&t.b, 0x401000, 0x201000, 0, USERRW);
	win = map_pt_window(&t, &pt_gpa);
	init_vm(&t);
	CHECK(access(&t, 0x401000, SOFT_ACCESS_READ, true, &hpa, &ec), "user page");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x201000);
	/* The first write unsyncs the table: no emulation, writable. */
	CHECK(access(&t, win + 8, SOFT_ACCESS_WRITE, false, &hpa, &ec), "kernel writes its table");
	CHECK_EQ_U64(t.f.steps, 0);
	CHECK_EQ_U64(t.f.ev[MV_EV_PT_WRITE_EMULATED], 0);
	e = (0x205000 | USERRW | MV_PTE_A);
	memcpy(t.f.fx.mem + hpa, &e, 8); /* remap 0x401000 without an exit */
	CHECK(probe(&t.f, 0x401000, SOFT_ACCESS_READ, true, &hpa, &sf), "stale until INVLPG");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x201000);
	ex.intercept.cause = ENGINE_ICPT_INVLPG;
	ex.intercept.info1 = 0x401000;
	ex.intercept.insn_len = 3;
	CHECK(exit_to(&t, &ex) == MV_EXIT_HANDLED, "invlpg");
	CHECK_EQ_U64(t.f.ev[MV_EV_SHADOW_RESYNC], 1);
	CHECK_EQ_U64(t.f.ev[MV_EV_INVLPG], 1);
	CHECK_EQ_U64(t.f.flushes[MV_FLUSH_ADDRESS] >= 1, 1);
	CHECK(probe(&t.f, 0x401000, SOFT_ACCESS_READ, true, &hpa, &sf), "resynced");
	CHECK_EQ_U64(hpa, RAM_HPA + 0x205000);
	CHECK(!probe(&t.f, win, SOFT_ACCESS_WRITE, false, &hpa, &sf), "write-protected after the resync");
	/* Out of sync again, then a CR3 write resyncs. */
	CHECK(access(&t, win + 8, SOFT_ACCESS_WRITE, false, &hpa, &ec), "kernel writes again");
	e = 0;
	memcpy(t.f.fx.mem + hpa, &e, 8);
	ex.intercept.cause = ENGINE_ICPT_CR3_WRITE;
	ex.intercept.info1 = t.b.root;
	CHECK(exit_to(&t, &ex) == MV_EXIT_HANDLED, "cr3 write");
	CHECK_EQ_U64(t.f.ev[MV_EV_SHADOW_RESYNC], 2);
	CHECK(!probe(&t.f, 0x401000, SOFT_ACCESS_READ, true, &hpa, &sf), "unmapped after the resync");
	teardown(&t);
}

static void test_checker(void)
{
	struct bench t;
	uint64_t hpa;
	uint32_t ec;
	char err[512];
	void *st;

	setup(&t, "check=1");
	ptb_map(&t.b, 0x400000, 0x200000, 0, USERRW);
	ptb_map(&t.b, 0x401000, 0x201000, 0, USERRW);
	init_vm(&t);
	CHECK(access(&t, 0x400000, SOFT_ACCESS_READ, true, &hpa, &ec), "read");
	/* Corrupt the shadow leaf: point it at another guest frame. */
	uint64_t pt = t.f.sregs.cr3 & UINT64_C(0x000ffffffffff000);
	for (unsigned l = 0; l < 3; l++) {
		uint64_t e;

		memcpy(&e, t.f.fx.mem + pt + ((UINT64_C(0x400000) >> (39 - 9 * l)) & 511) * 8, 8);
		pt = e & UINT64_C(0x000ffffffffff000);
	}
	uint64_t bad = (RAM_HPA + 0x300000) | MV_PTE_P | MV_PTE_U | MV_PTE_A;
	memcpy(t.f.fx.mem + pt, &bad, 8);
	/* The next change to that shadow page is checked, and fails. */
	struct soft_fault sf;
	CHECK(!probe(&t.f, 0x401000, SOFT_ACCESS_READ, true, &hpa, &sf), "neighbour not built yet");
	int rc = pf(&t, 0x401000, sf.error_code);
	CHECK(rc == -ENOTRECOVERABLE, "the checker reports the corrupted leaf: rc %d", rc);
	CHECK(last_reason[0] != '\0', "the checker says why the shadow is wrong");
	teardown(&t);

	/* Bad options are refused with the list of accepted ones. */
	struct mv_hw hw = make_hw();
	CHECK(shadow_backend_ops.create(&hw, "cache=0", &st, err, sizeof(err)) == -EINVAL, "cache=0");
	CHECK(strstr(err, "cache=0") && strstr(err, "from 1 to 4096"), "message: %s", err);
	CHECK(shadow_backend_ops.create(&hw, "sync=lazy", &st, err, sizeof(err)) == -EINVAL, "sync");
	CHECK(shadow_backend_ops.create(&hw, "bogus=1", &st, err, sizeof(err)) == -EINVAL, "bogus");
	CHECK(shadow_backend_ops.create(&hw, "cache=3 sync=oos,check=1", &st, err, sizeof(err)) == 0,
	      "good options: %s", err);
	shadow_backend_ops.destroy(st);
}

int main(void)
{
	test_hidden_true_ad();
	test_large_pages();
	test_cr3_cache();
	test_pt_write_wp();
	test_oos();
	test_checker();
	printf("shadow backend: all checks passed\n");
	return 0;
}
