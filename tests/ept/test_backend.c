/*
 * tests/ept/test_backend.c — the ept backend through its ops, as the VMM
 * drives it, over a stand-in VMM: the services of struct mv_hw
 * implemented on a soft MMU and a frame pool, so that translations really
 * go through the tables the backend built.
 *
 * Behaviours checked: option parsing and its messages; a page size the
 * RAM cannot hold refused in create() with a message (and at vm_init for
 * a VMM that does not give the layout); eager tables of the right size
 * and a cold walk of 24 / 19 / 14 references through them; ASID tags
 * keeping each VM's translations across switches without a flush; tags
 * off flushing at every switch (and why: without the flush a VM hits the
 * other's entry); lazy population, one nested page per nested fault,
 * with events; faults that are not the backend's left to the VMM; every
 * frame given back at vm_fini.
 */
#include <sys/mman.h>

#include "ept/ept.h"
#include "tests/ept/npt_fixture.h"
#include "vcpu/soft/mmu.h"
#include "memvirt/pagetable.h"

#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

#define CR0_LONG UINT64_C(0x80050033)
#define EFER_LONG_NXE UINT64_C(0xd00)

/* In each VM: guest tables at GPA 16M, the guest maps GVA_BASE to GPA
 * DATA_GPA with 4 KiB pages. */
#define GUEST_TABLES MIB(16)
#define DATA_GPA (MIB(16) + MIB(1))
#define GVA_BASE (GIB(256) + GIB(3))
#define POOL_BYTES MIB(64)
#define MAX_VMS 4

struct machine;

struct mv_vm {
	struct machine *m;
	unsigned index;
	uint64_t ram_hpa, mem;
	void *state;
	struct mv_paging paging;
	bool paging_set;
	struct pool gpool;
	struct ept_npt guest;
};

struct machine {
	struct mv_hw hw;
	uint8_t *mem;
	uint64_t size;
	struct soft_mmu *mmu;
	struct pool pool;
	struct mv_vm vms[MAX_VMS];
	unsigned nvms;
	uint64_t flushes;
	uint64_t events[MV_EV__COUNT];
	struct mv_event last[MV_EV__COUNT];
};

/* ---- the stand-in VMM's services ---- */

static uint16_t s_vm_index(struct mv_vm *vm) { return (uint16_t)vm->index; }
static uint64_t s_vm_mem_size(struct mv_vm *vm) { return vm->mem; }
static void *s_vm_state(struct mv_vm *vm) { return vm->state; }
static void s_set_vm_state(struct mv_vm *vm, void *st) { vm->state = st; }

static void *s_hpa_ptr(struct mv_vm *vm, uint64_t hpa, uint64_t len)
{
	return hpa <= vm->m->size && len <= vm->m->size - hpa ? vm->m->mem + hpa : NULL;
}

static int s_gpa_to_hpa(struct mv_vm *vm, uint64_t gpa, uint64_t *hpa)
{
	if (gpa >= vm->mem)
		return -EFAULT;
	*hpa = vm->ram_hpa + gpa;
	return 0;
}

static int s_frame_alloc(struct mv_vm *vm, uint64_t *hpa) { return pool_alloc(&vm->m->pool, hpa); }
static void s_frame_free(struct mv_vm *vm, uint64_t hpa) { pool_free(&vm->m->pool, hpa); }

static int s_set_paging(struct mv_vm *vm, const struct mv_paging *p)
{
	vm->paging = *p;
	vm->paging_set = true;
	return 0;
}

static int s_flush_tlb(struct mv_vm *vm, enum mv_flush_scope scope, uint64_t arg)
{
	CHECK(scope == MV_FLUSH_ALL, "flush scope %d arg 0x%" PRIx64, (int)scope, arg);
	soft_mmu_flush_all(vm->m->mmu, false, SOFT_FLUSH_VMM);
	vm->m->flushes++;
	return 0;
}

static void s_post(struct mv_vm *vm, struct mv_event *ev)
{
	CHECK(ev->type < MV_EV__COUNT, "event type %u", ev->type);
	ev->vm = (uint16_t)vm->index;
	vm->m->events[ev->type]++;
	vm->m->last[ev->type] = *ev;
}

/* A machine of nvms VMs of mem bytes each (VM i at i * mem), the frame
 * pool after them; each VM's guest tables map one page at GVA_BASE. */
static void machine_init(struct machine *m, unsigned nvms, uint64_t mem)
{
	struct soft_mmu_config cfg;

	memset(m, 0, sizeof(*m));
	m->nvms = nvms;
	m->size = nvms * mem + POOL_BYTES;
	m->mem = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(m->mem != MAP_FAILED, "mmap %" PRIu64, m->size);
	soft_mmu_config_default(&cfg);
	CHECK_EQ_U64(soft_mmu_create(&cfg, m->mem, m->size, &m->mmu), 0);
	pool_init(&m->pool, m->mem, nvms * mem, m->size);
	m->hw = (struct mv_hw){
		.size = sizeof(struct mv_hw),
		.engine = MV_ENGINE_SOFT,
		.vm_index = s_vm_index,
		.vm_mem_size = s_vm_mem_size,
		.vm_state = s_vm_state,
		.set_vm_state = s_set_vm_state,
		.hpa_ptr = s_hpa_ptr,
		.gpa_to_hpa = s_gpa_to_hpa,
		.frame_alloc = s_frame_alloc,
		.frame_free = s_frame_free,
		.set_paging = s_set_paging,
		.flush_tlb = s_flush_tlb,
		.post = s_post,
		.vm_count = nvms,
		.vm_mem_bytes = mem,
	};
	for (unsigned i = 0; i < nvms; i++) {
		struct mv_vm *vm = &m->vms[i];
		struct ept_npt_mem gm;

		vm->m = m;
		vm->index = i;
		vm->mem = mem;
		vm->ram_hpa = i * mem;
		pool_init(&vm->gpool, m->mem + vm->ram_hpa, GUEST_TABLES, GUEST_TABLES + MIB(1));
		gm = pool_mem(&vm->gpool);
		CHECK_EQ_U64(ept_npt_init(&vm->guest, &gm), 0);
		CHECK_EQ_U64(ept_npt_map(&vm->guest, GVA_BASE, DATA_GPA, EPT_NPAGE_4K), 0);
	}
}

static void machine_fini(struct machine *m)
{
	soft_mmu_destroy(m->mmu);
	munmap(m->mem, m->size);
}

/* The CPU now runs vm: its MMU registers as the backend set them. */
static void load(struct mv_vm *vm)
{
	CHECK(vm->paging_set && vm->paging.mode == MV_PAGING_NESTED,
	      "VM %u: paging mode %d (set %d), want nested", vm->index, (int)vm->paging.mode,
	      vm->paging_set);
	soft_mmu_set_regs(vm->m->mmu, &(struct soft_mmu_regs){
		.cr0 = CR0_LONG, .cr3 = vm->guest.root, .cr4 = MV_CR4_PAE, .efer = EFER_LONG_NXE,
		.npt = true, .ncr3 = vm->paging.root, .vm_asid = vm->paging.asid,
		.phys_limit = vm->m->size,
	});
}

static uint64_t stat(const struct machine *m, const char *name)
{
	uint64_t v = 0;

	CHECK(soft_mmu_stat(m->mmu, name, &v) == 0, "the MMU has no counter %s", name);
	return v;
}

static bool translate(struct mv_vm *vm, uint64_t gva, uint64_t *hpa, struct soft_fault *f)
{
	return soft_mmu_translate_slow(vm->m->mmu, gva, SOFT_ACCESS_WRITE, true, hpa, f);
}

static void expect_hpa(struct mv_vm *vm, uint64_t gva, uint64_t want)
{
	uint64_t hpa = 0;
	struct soft_fault f = {0};

	CHECK(translate(vm, gva, &hpa, &f), "VM %u GVA 0x%" PRIx64 ": fault kind %d error 0x%x at 0x%" PRIx64,
	      vm->index, gva, (int)f.kind, f.error_code, f.addr);
	CHECK_EQ_U64(hpa, want);
}

struct stats_seen {
	const char *name;
	uint64_t value;
	bool found;
};

static void stat_cb(void *ctx, const char *name, uint64_t value)
{
	struct stats_seen *s = ctx;

	if (!strcmp(name, s->name)) {
		s->value = value;
		s->found = true;
	}
}

static uint64_t backend_stat(void *state, const char *name)
{
	struct stats_seen s = {.name = name};

	ept_backend_ops.stats(state, stat_cb, &s);
	CHECK(s.found, "ept reports no statistic %s", name);
	return s.value;
}

static void *create(struct machine *m, const char *opts)
{
	void *state = NULL;
	char err[256] = "";
	int rc = ept_backend_ops.create(&m->hw, opts, &state, err, sizeof(err));

	CHECK(rc == 0, "create(%s): %d %s", opts ? opts : "NULL", rc, err);
	return state;
}

/* ---- tests ---- */

static void test_options(void)
{
	static const char *const bad[] = {
		"populate=sometimes", "npage=8k", "tags=maybe", "colour=red", "npage", ",", "tags=on,,npage=2m",
	};
	struct ept_options o;
	char err[512];
	struct machine m;
	void *state = NULL;

	ept_options_default(&o);
	CHECK(!o.lazy && o.npage == EPT_NPAGE_4K && o.tags, "defaults: lazy %d npage %d tags %d",
	      o.lazy, (int)o.npage, o.tags);
	CHECK_EQ_U64(ept_options_parse("populate=lazy,npage=1G,tags=off", &o, err, sizeof(err)), 0);
	CHECK(o.lazy && o.npage == EPT_NPAGE_1G && !o.tags, "lazy %d npage %d tags %d", o.lazy,
	      (int)o.npage, o.tags);
	CHECK_EQ_U64(ept_options_parse("npage=2m", &o, err, sizeof(err)), 0);
	CHECK(o.lazy && o.npage == EPT_NPAGE_2M && !o.tags, "only npage changes");
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ept_options before = o;

		err[0] = '\0';
		CHECK_EQ_U64(ept_options_parse(bad[i], &o, err, sizeof(err)), (uint64_t)-EINVAL);
		CHECK((strstr(err, "accepted: populate=eager|lazy (default eager), npage=4k|2m|1g (default 4k), tags=off|on (default on)") ||
		       strstr(err, "': expected ")) &&
			      !memcmp(&before, &o, sizeof(o)),
		      "'%s': message '%s', options changed %d", bad[i], err, memcmp(&before, &o, sizeof(o)));
	}

	/* create() refuses what the RAM cannot hold, naming the fix. */
	machine_init(&m, 1, MIB(64));
	err[0] = '\0';
	CHECK_EQ_U64(ept_backend_ops.create(&m.hw, "npage=1g", &state, err, sizeof(err)),
		     (uint64_t)-EINVAL);
	CHECK(strstr(err, "npage=1g needs each VM's RAM to be a multiple of 1 GiB") &&
		      strstr(err, "64 MiB") && strstr(err, "--mem 1G"),
	      "message: %s", err);
	CHECK_EQ_U64(ept_backend_ops.create(&m.hw, "tags=sometimes", &state, err, sizeof(err)),
		     (uint64_t)-EINVAL);
	CHECK(strstr(err, "'tags=sometimes'"), "message: %s", err);
	/* A VMM of the first ABI, without the layout fields: vm_init refuses. */
	m.hw.size = (uint32_t)offsetof(struct mv_hw, vm_count);
	state = create(&m, "npage=1g");
	CHECK_EQ_U64(ept_backend_ops.vm_init(state, &m.vms[0]), (uint64_t)-EINVAL);
	CHECK_EQ_U64(m.pool.held, 0);
	ept_backend_ops.destroy(state);
	machine_fini(&m);
}

/* Eager tables: their size, and a cold walk through them. */
static void test_eager(void)
{
	static const struct {
		const char *opts;
		uint64_t mem, tables, refs;
	} cases[] = {
		{NULL, MIB(64), 1 + 1 + 1 + 32, 24},
		{"npage=2m", MIB(64), 3, 19},
		{"npage=1g", GIB(2), 2, 14},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct machine m;
		void *state;
		struct mv_vm *vm;

		machine_init(&m, 1, cases[i].mem);
		vm = &m.vms[0];
		state = create(&m, cases[i].opts);
		CHECK_EQ_U64(ept_backend_ops.vm_init(state, vm), 0);
		CHECK_EQ_U64(vm->paging.mode, MV_PAGING_NESTED);
		CHECK_EQ_U64(vm->paging.asid, 1);
		CHECK(m.pool.held == cases[i].tables && backend_stat(state, "ept_table_frames") == cases[i].tables,
		      "%s: %" PRIu64 " frames held, stat %" PRIu64 ", want %" PRIu64,
		      cases[i].opts ? cases[i].opts : "defaults", m.pool.held,
		      backend_stat(state, "ept_table_frames"), cases[i].tables);
		load(vm);
		expect_hpa(vm, GVA_BASE + 0x10, vm->ram_hpa + DATA_GPA + 0x10);
		CHECK(stat(&m, "walk_refs") == cases[i].refs,
		      "%s: cold walk %" PRIu64 " references, want %" PRIu64,
		      cases[i].opts ? cases[i].opts : "defaults", stat(&m, "walk_refs"), cases[i].refs);
		CHECK_EQ_U64(stat(&m, "faults_npf"), 0);
		/* An exit that is not a nested fault is not the backend's. */
		struct engine_exit ex = {.reason = ENGINE_EXIT_INTERCEPT,
					 .intercept = {.cause = ENGINE_ICPT_CR3_WRITE}};
		CHECK_EQ_U64(ept_backend_ops.handle_exit(state, vm, &ex), MV_EXIT_NOT_MINE);
		/* Eager tables map all of RAM: a nested fault there is not absorbed. */
		ex.intercept.cause = ENGINE_ICPT_NESTED_FAULT;
		ex.intercept.info1 = 0x1000;
		CHECK_EQ_U64(ept_backend_ops.handle_exit(state, vm, &ex), MV_EXIT_NOT_MINE);
		ept_backend_ops.vm_fini(state, vm);
		CHECK_EQ_U64(m.pool.held, 0);
		CHECK(vm->state == NULL, "state left after vm_fini");
		ept_backend_ops.destroy(state);
		machine_fini(&m);
	}
}

/* Two VMs, the same GVA in each, switched A -> B -> A. */
static void test_switches(bool tags)
{
	struct machine m;
	void *state;
	struct mv_vm *a, *b;
	uint64_t walks;

	machine_init(&m, 2, MIB(64));
	a = &m.vms[0];
	b = &m.vms[1];
	state = create(&m, tags ? "tags=on" : "tags=off");
	CHECK_EQ_U64(ept_backend_ops.vm_init(state, a), 0);
	CHECK_EQ_U64(ept_backend_ops.vm_init(state, b), 0);
	CHECK(tags ? a->paging.asid == 1 && b->paging.asid == 2 : a->paging.asid == 0 && b->paging.asid == 0,
	      "tags %d: ASIDs %u, %u", tags, a->paging.asid, b->paging.asid);
	CHECK(a->paging.root != b->paging.root, "one nested table per VM");

	CHECK_EQ_U64(ept_backend_ops.vm_switch(state, NULL, a), 0);
	load(a);
	expect_hpa(a, GVA_BASE, a->ram_hpa + DATA_GPA);
	CHECK_EQ_U64(ept_backend_ops.vm_switch(state, a, b), 0);
	load(b);
	expect_hpa(b, GVA_BASE, b->ram_hpa + DATA_GPA);
	walks = stat(&m, "walks");
	CHECK_EQ_U64(walks, 2);
	CHECK_EQ_U64(ept_backend_ops.vm_switch(state, b, a), 0);
	load(a);
	expect_hpa(a, GVA_BASE, a->ram_hpa + DATA_GPA);
	if (tags) {
		/* A's combined entry survived B's turn: no walk, no flush. */
		CHECK_EQ_U64(stat(&m, "walks"), walks);
		CHECK_EQ_U64(m.flushes, 0);
		CHECK_EQ_U64(m.events[MV_EV_TLB_FLUSH], 0);
		CHECK_EQ_U64(backend_stat(state, "ept_switch_flushes"), 0);
		CHECK_EQ_U64(backend_stat(state, "ept_tagged_switches"), 2);
	} else {
		CHECK_EQ_U64(stat(&m, "walks"), walks + 1);
		CHECK_EQ_U64(m.flushes, 2);
		CHECK_EQ_U64(stat(&m, "tlb_flush_vmm"), 2);
		CHECK_EQ_U64(m.events[MV_EV_TLB_FLUSH], 2);
		CHECK_EQ_U64(m.last[MV_EV_TLB_FLUSH].detail, MV_FLUSH_ALL);
		CHECK_EQ_U64(backend_stat(state, "ept_switch_flushes"), 2);
		CHECK_EQ_U64(backend_stat(state, "ept_tagged_switches"), 0);
		/* Why the flush is needed: untagged, B would use A's entry. */
		load(b);
		expect_hpa(b, GVA_BASE, a->ram_hpa + DATA_GPA);
	}
	ept_backend_ops.vm_fini(state, a);
	ept_backend_ops.vm_fini(state, b);
	CHECK_EQ_U64(m.pool.held, 0);
	ept_backend_ops.destroy(state);
	machine_fini(&m);
}

/* Lazy tables: each nested fault on RAM maps one nested page. */
static void test_lazy(const char *opts, unsigned want_faults)
{
	struct machine m;
	void *state;
	struct mv_vm *vm;
	unsigned faults = 0;
	uint64_t hpa;
	struct soft_fault f;

	machine_init(&m, 1, MIB(64));
	vm = &m.vms[0];
	state = create(&m, opts);
	CHECK_EQ_U64(ept_backend_ops.vm_init(state, vm), 0);
	CHECK_EQ_U64(m.pool.held, 1);   /* the root only */
	load(vm);
	while (!translate(vm, GVA_BASE + 0x40, &hpa, &f)) {
		struct engine_exit ex = {
			.reason = ENGINE_EXIT_INTERCEPT,
			.intercept = {.cause = ENGINE_ICPT_NESTED_FAULT, .error_code = f.error_code,
				      .info1 = f.addr, .info2 = f.gva},
		};

		CHECK(f.kind == SOFT_FAULT_NPF && faults < 8, "%s: fault kind %d at 0x%" PRIx64 " after %u nested faults",
		      opts, (int)f.kind, f.addr, faults);
		CHECK_EQ_U64(ept_backend_ops.handle_exit(state, vm, &ex), MV_EXIT_HANDLED);
		faults++;
		CHECK_EQ_U64(m.events[MV_EV_NESTED_FAULT], faults);
		CHECK_EQ_U64(m.last[MV_EV_NESTED_FAULT].gpa, f.addr);
		CHECK_EQ_U64(m.last[MV_EV_NESTED_FAULT].hpa, vm->ram_hpa + f.addr);
		CHECK_EQ_U64(m.last[MV_EV_NESTED_FAULT].asid, 1);
	}
	CHECK_EQ_U64(hpa, vm->ram_hpa + DATA_GPA + 0x40);
	CHECK(faults == want_faults, "%s: %u nested faults, want %u", opts, faults, want_faults);
	CHECK_EQ_U64(backend_stat(state, "ept_nested_faults_fixed"), want_faults);

	/* Not the backend's: outside RAM, and a protection fault (P set). */
	struct engine_exit ex = {.reason = ENGINE_EXIT_INTERCEPT,
				 .intercept = {.cause = ENGINE_ICPT_NESTED_FAULT, .info1 = vm->mem + 0x1000}};
	CHECK_EQ_U64(ept_backend_ops.handle_exit(state, vm, &ex), MV_EXIT_NOT_MINE);
	ex.intercept.info1 = 0x3000;
	ex.intercept.error_code = 1;
	CHECK_EQ_U64(ept_backend_ops.handle_exit(state, vm, &ex), MV_EXIT_NOT_MINE);
	CHECK_EQ_U64(m.events[MV_EV_NESTED_FAULT], want_faults);

	ept_backend_ops.vm_fini(state, vm);
	CHECK_EQ_U64(m.pool.held, 0);
	ept_backend_ops.destroy(state);
	machine_fini(&m);
}

int main(void)
{
	test_options();
	test_eager();
	test_switches(true);
	test_switches(false);
	/* Guest PML4, PDPT, PD, PT (4 pages at GPA 16M..) and the data page. */
	test_lazy("populate=lazy", 5);
	/* All five lie in the 2 MiB page at GPA 16M. */
	test_lazy("populate=lazy,npage=2m", 1);
	printf("ept backend: ok\n");
	return 0;
}
