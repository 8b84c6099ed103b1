/*
 * workloads/lx/mm.c — physical frames, page tables and Linux-style user
 * address spaces (VMAs with protections, anonymous and private file
 * mappings, brk, copy-on-write fork).
 *
 * Physical memory: [0, 1 MiB) is the boot area, then the kernel image
 * (ending below 4 MiB, kernel.ld asserts it).  Frames from the image's end
 * to mem_size belong to the allocator — a free list threaded through free
 * frames (via the direct map) and a bump pointer over never-used ones —
 * except the program package [reserve_lo, reserve_hi), which the bump
 * pointer jumps over.  Allocated frames carry a 16-bit reference count:
 * copy-on-write sharing after fork.
 *
 * Virtual memory, the same in every address space: [0, 4 MiB) the kernel
 * image, identity-mapped, supervisor, global (page 0 unmapped); PML4
 * entry 256 (LX_DMAP) the direct map of all RAM, 2 MiB pages, supervisor,
 * global, NX; with the xAPIC (no x2APIC) its page at 0xfee00000,
 * identity, where cpu.c writes it.  Everything else of the lower half is
 * the process's.  The kernel's entries are supervisor, user tables are
 * reached through entries with U set, so walking, copying and freeing a
 * process's tables descends exactly where U is set.  PML4 entry 0 and the
 * tables below it down to the kernel's PD entries are per process (the
 * user's 0x400000 shares that PD), the kernel's leaves are shared.
 *
 * Leaves: P|U always, W when the VMA allows writing and the frame is not
 * shared, NX unless PROT_EXEC; PROT_NONE leaves keep their frame with U
 * clear (so user accesses fault and the frame survives an mprotect back).
 * A write fault on a present page of a writable VMA is copy-on-write: a
 * frame whose count is 1 just gets W back, a shared one is copied —
 * except in MAP_SHARED anonymous VMAs, whose frames fork shares writable.
 */
#include "workloads/lx/lx.h"

#define PTE_P   MV_PTE_P
#define PTE_W   MV_PTE_W
#define PTE_U   MV_PTE_U
#define PTE_PS  MV_PTE_PS
#define PTE_G   MV_PTE_G
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define INVLPG_MAX 32   /* above this many pages, one CR3 flush instead */

/* mmap flags */
#define MAP_SHARED 0x01u
#define MAP_PRIVATE 0x02u
#define MAP_FIXED 0x10u
#define MAP_ANONYMOUS 0x20u
#define MAP_FIXED_NOREPLACE 0x100000u
#define MREMAP_MAYMOVE 1u
#define MREMAP_FIXED 2u
#define MADV_DONTNEED 4

extern char __bss_end[];

struct lx_mm {
	uint64_t mem_end;
	uint64_t alloc_base;
	uint64_t bump;
	uint64_t reserve_lo, reserve_hi;
	uint64_t free_head;
	uint64_t nfree;
	uint16_t *refcnt;
	uint64_t kpml4;
	uint64_t kpdpt_low;      /* the kernel's PDPT for PML4 entry 0 */
	int xapic;
	const struct lx_as *loaded;
};

static struct lx_mm mm;

static inline uint64_t *tab(uint64_t pa)
{
	return (uint64_t *)lx_pa(pa);
}

static void page_zero(uint64_t pa)
{
	uint64_t *p = tab(pa), n = LX_PAGE / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

static void page_copy(uint64_t dst, uint64_t src)
{
	uint64_t *d = tab(dst), *s = tab(src), n = LX_PAGE / 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static uint64_t frame_take(int zero)
{
	uint64_t pa;

	if (mm.free_head) {
		pa = mm.free_head;
		mm.free_head = *tab(pa);
	} else {
		if (mm.bump >= mm.reserve_lo && mm.bump < mm.reserve_hi)
			mm.bump = mm.reserve_hi;
		if (mm.bump >= mm.mem_end)
			panic("out of memory: no free frame left (%lu KiB of RAM)", mm.mem_end / 1024);
		pa = mm.bump;
		mm.bump += LX_PAGE;
	}
	mm.nfree--;
	mm.refcnt[pa >> 12] = 1;
	if (zero)
		page_zero(pa);
	return pa;
}

static void frame_give(uint64_t pa)
{
	mm.refcnt[pa >> 12] = 0;
	*tab(pa) = mm.free_head;
	mm.free_head = pa;
	mm.nfree++;
}

/* A user data frame, or 0 when RAM is exhausted: the last OOM_RESERVE
 * frames are kept for page tables, so a program that uses up memory is
 * killed (SIGKILL, as Linux's OOM killer does) instead of the kernel
 * panicking. */
#define OOM_RESERVE 64
static uint64_t data_alloc(int zero)
{
	if (mm.nfree <= OOM_RESERVE)
		return 0;
	lx_stats.frames_allocated++;
	return frame_take(zero);
}

static void data_get(uint64_t pa)
{
	if (mm.refcnt[pa >> 12] == 0xffff)
		panic("frame %lx shared by too many mappings", pa);
	mm.refcnt[pa >> 12]++;
}

static void data_put(uint64_t pa)
{
	if (mm.refcnt[pa >> 12] == 0)
		panic("frame %lx freed twice", pa);
	if (--mm.refcnt[pa >> 12] == 0) {
		lx_stats.frames_freed++;
		frame_give(pa);
	}
}

static uint64_t pt_alloc(void)
{
	lx_stats.ptpages_allocated++;
	return frame_take(1);
}

static void pt_free(uint64_t pa)
{
	lx_stats.ptpages_freed++;
	frame_give(pa);
}

uint64_t lx_mm_frames_free(void)
{
	return mm.nfree;
}

/* Zero n quadwords with rep stosq: on a host that emulates the kernel's
 * writes (kvm_pvm), one emulated store per 8 bytes instead of per byte. */
static void zero_q(uint64_t *p, uint64_t n)
{
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

/* The boot page table (0x2000) maps the first 4 GiB by identity: the
 * direct map's first tables are written through it, before CR3 moves. */
static uint64_t *boot_tab(uint64_t pa)
{
	return (uint64_t *)pa;
}

void lx_mm_init(const struct mv_bootinfo *bi, uint64_t reserve_lo, uint64_t reserve_hi)
{
	uint64_t mem = bi->mem_size & ~(LX_PAGE - 1);
	uint64_t dpdpt, pd0, pt0, c, chunks, gigs;

	if (mem > (512ull << 30))
		mem = 512ull << 30;
	mm.mem_end = mem;
	mm.reserve_lo = reserve_lo & ~(LX_PAGE - 1);
	mm.reserve_hi = LX_PAGE_UP(reserve_hi);
	mm.bump = LX_PAGE_UP((uint64_t)__bss_end);
	mm.xapic = !cpu.x2apic;
	if (mm.bump + (16ull << 20) > mem)
		panic("only %lu KiB of RAM; the kernel needs more than 16 MiB past its image",
		      mem / 1024);

	/* Until CR3 moves, lx_pa() does not work: zero and fill through the
	 * boot identity map. */
#define TAKE(bytes) ({ uint64_t _p = mm.bump; uint64_t _n = LX_PAGE_UP(bytes); \
		if (_p < mm.reserve_hi && _p + _n > mm.reserve_lo) _p = mm.reserve_hi; \
		mm.bump = _p + _n; zero_q((uint64_t *)_p, _n / 8); _p; })
	mm.kpml4 = TAKE(LX_PAGE);
	mm.kpdpt_low = TAKE(LX_PAGE);
	pd0 = TAKE(LX_PAGE);
	pt0 = TAKE(LX_PAGE);
	boot_tab(mm.kpml4)[0] = mm.kpdpt_low | PTE_P | PTE_W;
	boot_tab(mm.kpdpt_low)[0] = pd0 | PTE_P | PTE_W;
	for (c = 1; c < 512; c++)
		boot_tab(pt0)[c] = (c << 12) | PTE_P | PTE_W | PTE_G;
	boot_tab(pd0)[0] = pt0 | PTE_P | PTE_W;
	boot_tab(pd0)[1] = (1ull << 21) | PTE_P | PTE_W | PTE_PS | PTE_G;
	if (mm.xapic) {
		uint64_t pd3 = TAKE(LX_PAGE);

		boot_tab(mm.kpdpt_low)[3] = pd3 | PTE_P | PTE_W;
		boot_tab(pd3)[(LX_APIC_LO >> 21) & 511] = LX_APIC_LO | PTE_P | PTE_W | PTE_PS |
							 MV_PTE_PCD | MV_PTE_PWT | PTE_G;
	}
	dpdpt = TAKE(LX_PAGE);
	boot_tab(mm.kpml4)[256] = dpdpt | PTE_P | PTE_W;
	chunks = (mem + (2ull << 20) - 1) >> 21;
	gigs = (chunks + 511) / 512;
	for (c = 0; c < gigs; c++) {
		uint64_t pd = TAKE(LX_PAGE);

		boot_tab(dpdpt)[c] = pd | PTE_P | PTE_W;
	}
	for (c = 0; c < chunks; c++) {
		uint64_t pd = boot_tab(dpdpt)[c / 512] & PTE_ADDR;

		boot_tab(pd)[c % 512] = (c << 21) | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
	mm.refcnt = (uint16_t *)(LX_DMAP + TAKE((mem >> 12) * sizeof(uint16_t)));
#undef TAKE
	/* They were written through the boot map, which covers 4 GiB. */
	if (mm.bump > (4ull << 30))
		panic("the kernel's tables end past 4 GiB (%lx)", mm.bump);
	mm.alloc_base = mm.bump;
	mm.nfree = (mem - mm.bump) >> 12;
	if (mm.reserve_hi > mm.bump && mm.reserve_lo < mem)
		mm.nfree -= ((mm.reserve_hi < mem ? mm.reserve_hi : mem) -
			     (mm.reserve_lo > mm.bump ? mm.reserve_lo : mm.bump)) >> 12;
	__asm__ volatile("mov %0, %%cr3" : : "r"(mm.kpml4) : "memory");
	lx_stats.tlb_flushes++;
}

void lx_mm_load(const struct lx_as *as)
{
	uint64_t v = as ? as->pml4 : mm.kpml4;

	/* PCID 0 throughout: every load flushes the non-global entries. */
	mm.loaded = as;
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
	lx_stats.tlb_flushes++;
}

static int is_loaded(const struct lx_as *as)
{
	return mm.loaded == as;
}

static void flush_page(const struct lx_as *as, uint64_t va)
{
	if (is_loaded(as))
		lx_invlpg(va);
}

/* The leaf entry for va, building missing user tables when `create`. */
static uint64_t *pte_walk(uint64_t pml4, uint64_t va, int create)
{
	uint64_t *t = tab(pml4);
	int lvl;

	for (lvl = 4; lvl > 1; lvl--) {
		uint64_t *e = &t[(va >> (12 + 9 * (lvl - 1))) & 511];

		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			*e = pt_alloc() | PTE_P | PTE_W | PTE_U;
		}
		if (!(*e & PTE_U) || (*e & PTE_PS))
			panic("user address %lx walks into a kernel mapping", va);
		t = tab(*e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

static uint64_t leaf(uint64_t pa, uint32_t prot, int writable)
{
	uint64_t e = pa | PTE_P;

	if (prot & (LX_PROT_READ | LX_PROT_WRITE | LX_PROT_EXEC))
		e |= PTE_U;
	if ((prot & LX_PROT_WRITE) && writable)
		e |= PTE_W;
	if (!(prot & LX_PROT_EXEC))
		e |= PTE_NX;
	return e;
}

int lx_mm_new(struct lx_as *as)
{
	uint64_t *pml4, *pdpt, *kpdpt = tab(mm.kpdpt_low), pd;
	unsigned i;

	memset(as, 0, sizeof *as);
	as->pml4 = pt_alloc();
	pml4 = tab(as->pml4);
	for (i = 256; i < 512; i++)
		pml4[i] = tab(mm.kpml4)[i];
	/* The low PDPT and PD are the process's own copies of the kernel's,
	 * with U set so the user's part below them can be reached. */
	pml4[0] = pt_alloc() | PTE_P | PTE_W | PTE_U;
	pdpt = tab(pml4[0] & PTE_ADDR);
	for (i = 0; i < 4; i++) {
		if (!kpdpt[i])
			continue;
		pd = pt_alloc();
		memcpy(tab(pd), tab(kpdpt[i] & PTE_ADDR), LX_PAGE);
		pdpt[i] = pd | PTE_P | PTE_W | PTE_U;
	}
	return 0;
}

static void free_level(uint64_t t, int lvl)
{
	uint64_t *e = tab(t);
	unsigned i;

	for (i = 0; i < 512; i++) {
		if (!(e[i] & PTE_P))
			continue;
		if (lvl == 1)
			data_put(e[i] & PTE_ADDR);
		else if ((e[i] & PTE_U) && !(e[i] & PTE_PS))
			free_level(e[i] & PTE_ADDR, lvl - 1);
	}
	pt_free(t);
}

void lx_mm_destroy(struct lx_as *as)
{
	uint64_t *pml4;
	unsigned i;

	if (!as->pml4)
		return;
	if (is_loaded(as))
		lx_mm_load(NULL);
	pml4 = tab(as->pml4);
	for (i = 0; i < 256; i++)
		if ((pml4[i] & PTE_P) && (pml4[i] & PTE_U))
			free_level(pml4[i] & PTE_ADDR, 3);
	pt_free(as->pml4);
	as->pml4 = 0;
	as->nvma = 0;
}

/* Copy the user part of table pt (level lvl) into ct: leaves shared
 * read-only, their frames' counts raised. */
static void fork_level(uint64_t *pt, uint64_t *ct, int lvl)
{
	unsigned i;

	for (i = 0; i < 512; i++) {
		uint64_t e = pt[i];

		if (!(e & PTE_P))
			continue;
		if (lvl == 1) {
			e &= ~PTE_W;
			pt[i] = e;
			ct[i] = e;
			data_get(e & PTE_ADDR);
		} else if ((e & PTE_U) && !(e & PTE_PS)) {
			uint64_t child = ct[i] & PTE_P ? ct[i] & PTE_ADDR : pt_alloc();

			ct[i] = child | (e & ~PTE_ADDR);
			fork_level(tab(e & PTE_ADDR), tab(child), lvl - 1);
		}
	}
}

int lx_mm_fork(struct lx_as *parent, struct lx_as *child)
{
	unsigned i;

	child->nvma = parent->nvma;
	for (i = 0; i < parent->nvma; i++)
		child->vma[i] = parent->vma[i];
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	/* MAP_SHARED anonymous memory stays one set of frames, writable in
	 * both: every page gets its frame now (one touched only later would
	 * be each process's own), and fork_level shares it. */
	for (i = 0; i < parent->nvma; i++) {
		const struct lx_vma *v = &parent->vma[i];
		uint64_t va;

		if (!v->shared)
			continue;
		for (va = v->start; va < v->end; va += LX_PAGE) {
			uint64_t *pte = pte_walk(parent->pml4, va, 1);

			if (!(*pte & PTE_P)) {
				uint64_t pa = data_alloc(1);

				if (!pa)
					return -LX_ENOMEM;
				*pte = leaf(pa, v->prot, 1);
			}
		}
	}
	fork_level(tab(parent->pml4), tab(child->pml4), 4);
	for (i = 0; i < parent->nvma; i++) {
		const struct lx_vma *v = &parent->vma[i];
		uint64_t va;

		if (!v->shared || !(v->prot & LX_PROT_WRITE))
			continue;
		for (va = v->start; va < v->end; va += LX_PAGE) {
			uint64_t *pp = pte_walk(parent->pml4, va, 0), *cc;

			if (!pp || !(*pp & PTE_P))
				continue;
			cc = pte_walk(child->pml4, va, 0);
			*pp |= PTE_W;
			*cc |= PTE_W;
		}
	}
	/* The parent's writable pages just became read-only. */
	if (is_loaded(parent))
		lx_mm_load(parent);
	return 0;
}

/* ---- VMAs ---- */

static struct lx_vma *vma_find(struct lx_as *as, uint64_t va)
{
	unsigned i;

	for (i = 0; i < as->nvma; i++)
		if (va >= as->vma[i].start && va < as->vma[i].end)
			return &as->vma[i];
	return NULL;
}

int lx_mm_range_ok(uint64_t start, uint64_t len)
{
	if (start < LX_USER_MIN || start >= LX_USER_TOP || len > LX_USER_TOP - start)
		return 0;
	if (mm.xapic && start < LX_APIC_HI && start + len > LX_APIC_LO)
		return 0;
	return 1;
}

static int range_free(struct lx_as *as, uint64_t start, uint64_t end)
{
	unsigned i;

	if (!lx_mm_range_ok(start, end - start))
		return 0;
	for (i = 0; i < as->nvma; i++)
		if (as->vma[i].start < end && as->vma[i].end > start)
			return 0;
	return 1;
}

static int vma_same(const struct lx_vma *a, const struct lx_vma *b)
{
	if (a->kind != b->kind || a->prot != b->prot || a->end != b->start || a->shared != b->shared)
		return 0;
	if (a->kind == LX_VMA_FILE)
		return a->file == b->file && a->foff + (a->end - a->start) == b->foff;
	return a->kind == LX_VMA_ANON;
}

/* Insert v (its range free), merging with equal neighbours. */
int lx_mm_add_vma(struct lx_as *as, const struct lx_vma *v)
{
	unsigned i, j;

	for (i = 0; i < as->nvma && as->vma[i].start < v->start; i++)
		;
	if (i > 0 && vma_same(&as->vma[i - 1], v)) {
		as->vma[i - 1].end = v->end;
		if (i < as->nvma && vma_same(&as->vma[i - 1], &as->vma[i])) {
			as->vma[i - 1].end = as->vma[i].end;
			for (j = i; j + 1 < as->nvma; j++)
				as->vma[j] = as->vma[j + 1];
			as->nvma--;
		}
		return 0;
	}
	if (i < as->nvma && vma_same(v, &as->vma[i])) {
		as->vma[i].start = v->start;
		as->vma[i].foff = v->foff;
		return 0;
	}
	if (as->nvma == LX_NVMA)
		return -LX_ENOMEM;
	for (j = as->nvma; j > i; j--)
		as->vma[j] = as->vma[j - 1];
	as->vma[i] = *v;
	as->nvma++;
	return 0;
}

/* Split the VMA holding `at` (if any straddles it) into two at `at`. */
static int vma_split(struct lx_as *as, uint64_t at)
{
	unsigned i, j;

	for (i = 0; i < as->nvma; i++) {
		struct lx_vma *v = &as->vma[i];

		if (v->start < at && v->end > at) {
			if (as->nvma == LX_NVMA)
				return -LX_ENOMEM;
			for (j = as->nvma; j > i + 1; j--)
				as->vma[j] = as->vma[j - 1];
			as->vma[i + 1] = *v;
			as->vma[i + 1].start = at;
			if (v->kind == LX_VMA_FILE)
				as->vma[i + 1].foff = v->foff + (at - v->start);
			v->end = at;
			as->nvma++;
			return 0;
		}
	}
	return 0;
}

/* ---- leaves ---- */

/* Drop the leaves of [start, end). */
static void unmap_pages(struct lx_as *as, uint64_t start, uint64_t end)
{
	int each = is_loaded(as) && (end - start) / LX_PAGE <= INVLPG_MAX;
	uint64_t va, dropped = 0;

	for (va = start; va < end; va += LX_PAGE) {
		uint64_t *pte = pte_walk(as->pml4, va, 0);

		if (!pte || !(*pte & PTE_P)) {
			/* Skip a whole missing table quickly. */
			if (!pte)
				va = (va | ((2ull << 20) - 1)) + 1 - LX_PAGE;
			continue;
		}
		data_put(*pte & PTE_ADDR);
		*pte = 0;
		dropped++;
		if (each)
			lx_invlpg(va);
	}
	if (dropped && !each && is_loaded(as))
		lx_mm_load(as);
}

/* Fill a fresh frame for page `page` of VMA v. */
static uint64_t fill_frame(const struct lx_vma *v, uint64_t page)
{
	uint64_t pa = data_alloc(1);

	if (pa && v->kind == LX_VMA_FILE) {
		const struct lx_pkg_file *f = &lx_files[v->file];
		uint64_t off = v->foff + (page - v->start);

		if (off < f->size) {
			uint64_t n = f->size - off < LX_PAGE ? f->size - off : LX_PAGE;

			memcpy(lx_pa(pa), f->data + off, n);
		}
	}
	return pa;
}

static int prot_allows(uint32_t prot, int write, int exec)
{
	if (write)
		return (prot & LX_PROT_WRITE) != 0;
	if (exec)
		return (prot & LX_PROT_EXEC) != 0;
	return (prot & (LX_PROT_READ | LX_PROT_WRITE | LX_PROT_EXEC)) != 0;
}

/* Resolve a fault at va (error code bits: 1 write, 16 fetch).  0, or
 * -EFAULT with *sigbus set when Linux would raise SIGBUS. */
int lx_mm_fault(struct lx_as *as, uint64_t va, uint64_t err, int *sigbus)
{
	struct lx_vma *v = vma_find(as, va);
	uint64_t page = LX_PAGE_DOWN(va), *pte, pa;
	int write = (err & 2) != 0, exec = (err & 16) != 0;

	*sigbus = 0;
	if (!v || !prot_allows(v->prot, write, exec))
		return -LX_EFAULT;
	if (v->kind == LX_VMA_FILE &&
	    v->foff + (page - v->start) >= LX_PAGE_UP(lx_files[v->file].size)) {
		*sigbus = 1;
		return -LX_EFAULT;
	}
	pte = pte_walk(as->pml4, page, 1);
	if (!(*pte & PTE_P)) {
		if (!(pa = fill_frame(v, page)))
			return -LX_ENOMEM;
		*pte = leaf(pa, v->prot, 1);
		lx_stats.page_faults++;
		return 0;
	}
	pa = *pte & PTE_ADDR;
	if (write && !(*pte & PTE_W)) {
		if (mm.refcnt[pa >> 12] == 1 || v->shared) {
			*pte = leaf(pa, v->prot, 1);
		} else {
			uint64_t copy = data_alloc(0);

			if (!copy)
				return -LX_ENOMEM;
			page_copy(copy, pa);
			data_put(pa);
			*pte = leaf(copy, v->prot, 1);
		}
		flush_page(as, page);
		lx_stats.cow_breaks++;
		lx_stats.page_faults++;
		return 0;
	}
	/* Present and allowed: a stale TLB entry or a leaf an mprotect
	 * left behind; rewrite it from the VMA. */
	*pte = leaf(pa, v->prot, mm.refcnt[pa >> 12] == 1 || v->shared);
	flush_page(as, page);
	return 0;
}

/* Make [va, va+len) accessible to the kernel on the process's behalf:
 * every page faulted in (and unshared when write), or -EFAULT. */
int lx_mm_uaccess(struct lx_as *as, uint64_t va, uint64_t len, int write)
{
	uint64_t page, end;
	int sigbus;

	if (len == 0)
		return 0;
	if (!lx_mm_range_ok(va, len))
		return -LX_EFAULT;
	end = va + len;
	for (page = LX_PAGE_DOWN(va); page < end; page += LX_PAGE) {
		struct lx_vma *v = vma_find(as, page);
		uint64_t *pte;

		if (!v || !prot_allows(v->prot, write, 0))
			return -LX_EFAULT;
		pte = pte_walk(as->pml4, page, 0);
		if (pte && (*pte & PTE_P) && (*pte & PTE_U) && (!write || (*pte & PTE_W)))
			continue;
		int err = lx_mm_fault(as, page, write ? 2 : 0, &sigbus);

		if (err == -LX_ENOMEM) {
			lx_stats.oom_kills++;
			lx_proc_fatal(9, page, 0);
		}
		if (err)
			return -LX_EFAULT;
	}
	return 0;
}

/* Length of the NUL-terminated user string at va (at most max), or -errno. */
int64_t lx_mm_ustrlen(struct lx_as *as, uint64_t va, uint64_t max)
{
	uint64_t n = 0;

	for (;;) {
		uint64_t chunk = LX_PAGE - ((va + n) & (LX_PAGE - 1)), i;
		const char *p = (const char *)(va + n);

		if (lx_mm_uaccess(as, va + n, chunk, 0))
			return -LX_EFAULT;
		for (i = 0; i < chunk; i++, n++) {
			if (n >= max)
				return -LX_ENAMETOOLONG;
			if (p[i] == '\0')
				return (int64_t)n;
		}
	}
}

/* Write into another (or a not yet loaded) address space through the
 * direct map, allocating pages: the loader's and fork's way in. */
int lx_mm_copyout(struct lx_as *as, uint64_t va, const void *src, uint64_t len)
{
	const uint8_t *s = src;

	while (len) {
		uint64_t page = LX_PAGE_DOWN(va), off = va - page;
		uint64_t n = LX_PAGE - off < len ? LX_PAGE - off : len;
		struct lx_vma *v = vma_find(as, page);
		uint64_t *pte, pa;

		if (!v)
			return -LX_EFAULT;
		pte = pte_walk(as->pml4, page, 1);
		if (!(*pte & PTE_P)) {
			if (!(pa = fill_frame(v, page)))
				return -LX_ENOMEM;
			*pte = leaf(pa, v->prot, 1);
		} else if (mm.refcnt[(*pte & PTE_ADDR) >> 12] > 1 && !v->shared) {
			uint64_t copy = data_alloc(0);

			if (!copy)
				return -LX_ENOMEM;
			page_copy(copy, *pte & PTE_ADDR);
			data_put(*pte & PTE_ADDR);
			*pte = leaf(copy, v->prot, 1);
			flush_page(as, page);
		}
		pa = *pte & PTE_ADDR;
		if (src)
			memcpy((uint8_t *)lx_pa(pa) + off, s, n);
		else
			memset((uint8_t *)lx_pa(pa) + off, 0, n);
		if (s)
			s += n;
		va += n;
		len -= n;
	}
	return 0;
}

/* ---- mmap and friends ---- */

/* The highest free range of len bytes in [LX_MMAP_BOTTOM, LX_MMAP_TOP), or 0. */
static uint64_t find_gap(struct lx_as *as, uint64_t len)
{
	uint64_t top = LX_MMAP_TOP;
	int i;

	for (i = (int)as->nvma - 1; i >= 0; i--) {
		const struct lx_vma *v = &as->vma[i];

		if (v->start >= top)
			continue;
		if (top < LX_MMAP_BOTTOM + len)
			return 0;
		if (v->end <= top - len)
			return top - len;
		top = v->start;
	}
	return top >= LX_MMAP_BOTTOM + len ? top - len : 0;
}

int64_t lx_mm_munmap(struct lx_as *as, uint64_t addr, uint64_t len)
{
	uint64_t end;
	unsigned i;
	int err;

	if ((addr & (LX_PAGE - 1)) || len == 0)
		return -LX_EINVAL;
	end = LX_PAGE_UP(addr + len);
	if (end < addr || !lx_mm_range_ok(addr, end - addr))
		return -LX_EINVAL;
	if ((err = vma_split(as, addr)) || (err = vma_split(as, end)))
		return err;
	for (i = 0; i < as->nvma;) {
		if (as->vma[i].start >= addr && as->vma[i].end <= end) {
			unsigned j;

			for (j = i; j + 1 < as->nvma; j++)
				as->vma[j] = as->vma[j + 1];
			as->nvma--;
		} else {
			i++;
		}
	}
	unmap_pages(as, addr, end);
	return 0;
}

int64_t lx_mm_mmap(struct lx_as *as, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		   int file, uint64_t off)
{
	struct lx_vma v = { 0 };
	uint64_t start;
	int err;

	if (len == 0 || (off & (LX_PAGE - 1)))
		return -LX_EINVAL;
	if (!(flags & (MAP_SHARED | MAP_PRIVATE)))
		return -LX_EINVAL;
	len = LX_PAGE_UP(len);
	if (len == 0 || len > LX_USER_TOP)
		return -LX_ENOMEM;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (LX_PAGE - 1))
			return -LX_EINVAL;
		if (!lx_mm_range_ok(addr, len))
			return -LX_ENOMEM;
		if (!range_free(as, addr, addr + len)) {
			if (!(flags & MAP_FIXED) || (flags & MAP_FIXED_NOREPLACE))
				return -LX_EEXIST;
			if ((err = (int)lx_mm_munmap(as, addr, len)))
				return err;
		}
		start = addr;
	} else if (addr && !(addr & (LX_PAGE - 1)) && range_free(as, addr, addr + len)) {
		start = addr;
	} else {
		start = find_gap(as, len);
		if (!start)
			return -LX_ENOMEM;
	}
	v.start = start;
	v.end = start + len;
	v.prot = prot & 7u;
	if (file >= 0) {
		v.kind = LX_VMA_FILE;
		v.file = file;
		v.foff = off;
	} else {
		v.kind = LX_VMA_ANON;
		v.shared = (flags & 3u) == MAP_SHARED;
	}
	err = lx_mm_add_vma(as, &v);
	return err ? err : (int64_t)start;
}

int64_t lx_mm_mprotect(struct lx_as *as, uint64_t addr, uint64_t len, uint32_t prot)
{
	uint64_t end, va, covered = 0;
	unsigned i;
	int err;

	if (addr & (LX_PAGE - 1))
		return -LX_EINVAL;
	if (len == 0)
		return 0;
	end = LX_PAGE_UP(addr + len);
	if (!lx_mm_range_ok(addr, end - addr))
		return -LX_ENOMEM;
	for (i = 0; i < as->nvma; i++) {
		const struct lx_vma *v = &as->vma[i];

		if (v->end > addr && v->start < end)
			covered += (v->end < end ? v->end : end) - (v->start > addr ? v->start : addr);
	}
	if (covered != end - addr)
		return -LX_ENOMEM;
	if ((err = vma_split(as, addr)) || (err = vma_split(as, end)))
		return err;
	for (i = 0; i < as->nvma; i++)
		if (as->vma[i].start >= addr && as->vma[i].end <= end)
			as->vma[i].prot = prot & 7u;
	for (va = addr; va < end; va += LX_PAGE) {
		uint64_t *pte = pte_walk(as->pml4, va, 0), pa;
		const struct lx_vma *v = vma_find(as, va);

		if (!pte) {
			va = (va | ((2ull << 20) - 1)) + 1 - LX_PAGE;
			continue;
		}
		if (!(*pte & PTE_P))
			continue;
		pa = *pte & PTE_ADDR;
		*pte = leaf(pa, prot, mm.refcnt[pa >> 12] == 1 || (v && v->shared));
	}
	if (is_loaded(as))
		lx_mm_load(as);
	/* Merging the pieces back is not needed for correctness; neighbours
	 * of equal protection stay separate VMAs. */
	return 0;
}

/* Move the leaves of [old, old+len) to new (the new range has no leaves). */
static void move_pages(struct lx_as *as, uint64_t old, uint64_t new, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i += LX_PAGE) {
		uint64_t *src = pte_walk(as->pml4, old + i, 0), e, *dst;

		if (!src || !(*src & PTE_P))
			continue;
		e = *src;
		*src = 0;
		dst = pte_walk(as->pml4, new + i, 1);
		*dst = e;
	}
	if (is_loaded(as))
		lx_mm_load(as);
}

int64_t lx_mm_mremap(struct lx_as *as, uint64_t old, uint64_t oldlen, uint64_t newlen,
		     uint32_t flags)
{
	struct lx_vma *v, moved;
	uint64_t dst;
	unsigned i;
	int err;

	if ((old & (LX_PAGE - 1)) || newlen == 0 || (flags & MREMAP_FIXED))
		return -LX_EINVAL;
	oldlen = LX_PAGE_UP(oldlen);
	newlen = LX_PAGE_UP(newlen);
	v = vma_find(as, old);
	if (!v || oldlen == 0 || old + oldlen > v->end)
		return -LX_EFAULT;
	if (newlen <= oldlen) {
		if (newlen < oldlen)
			lx_mm_munmap(as, old + newlen, oldlen - newlen);
		return (int64_t)old;
	}
	/* Grow in place when the VMA ends with the old range and room follows. */
	if (old + oldlen == v->end && range_free(as, v->end, old + newlen)) {
		v->end = old + newlen;
		return (int64_t)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -LX_ENOMEM;
	dst = find_gap(as, newlen);
	if (!dst)
		return -LX_ENOMEM;
	if ((err = vma_split(as, old)) || (err = vma_split(as, old + oldlen)))
		return err;
	v = vma_find(as, old);
	moved = *v;
	moved.start = dst;
	moved.end = dst + newlen;
	for (i = 0; i < as->nvma; i++)
		if (&as->vma[i] == v)
			break;
	for (; i + 1 < as->nvma; i++)
		as->vma[i] = as->vma[i + 1];
	as->nvma--;
	if ((err = lx_mm_add_vma(as, &moved)))
		return err;
	move_pages(as, old, dst, oldlen);
	return (int64_t)dst;
}

int64_t lx_mm_madvise(struct lx_as *as, uint64_t addr, uint64_t len, int advice)
{
	uint64_t end;

	if (addr & (LX_PAGE - 1))
		return -LX_EINVAL;
	end = LX_PAGE_UP(addr + len);
	if (len && !lx_mm_range_ok(addr, end - addr))
		return -LX_ENOMEM;
	if (advice == MADV_DONTNEED && len) {
		/* Only pages inside VMAs hold frames; dropping them makes the
		 * next touch refault zero (or the file's bytes). */
		unmap_pages(as, addr, end);
	}
	return 0;
}

int64_t lx_mm_brk(struct lx_as *as, uint64_t addr)
{
	uint64_t cur = LX_PAGE_UP(as->brk), want = LX_PAGE_UP(addr);
	struct lx_vma v = { 0 };

	if (addr < as->brk_start)
		return (int64_t)as->brk;
	if (want > cur) {
		if (!range_free(as, cur, want))
			return (int64_t)as->brk;
		v.start = cur;
		v.end = want;
		v.prot = LX_PROT_READ | LX_PROT_WRITE;
		v.kind = LX_VMA_BRK;
		/* A heap grown in steps is one VMA: extend the previous piece. */
		if (cur > as->brk_start) {
			struct lx_vma *prev = vma_find(as, cur - 1);

			if (prev && prev->kind == LX_VMA_BRK && prev->end == cur) {
				prev->end = want;
				as->brk = addr;
				return (int64_t)addr;
			}
		}
		if (lx_mm_add_vma(as, &v))
			return (int64_t)as->brk;
	} else if (want < cur) {
		lx_mm_munmap(as, want, cur - want);
	}
	as->brk = addr;
	return (int64_t)addr;
}

struct lx_vma *lx_mm_vma_at(struct lx_as *as, uint64_t va)
{
	return vma_find(as, va);
}

const struct lx_as *lx_mm_loaded(void)
{
	return mm.loaded;
}

/* Kernel-owned frames (pipe buffers): never mapped to users, freed by
 * their owner, in neither the data nor the page-table counters. */
uint64_t lx_mm_kframe_alloc(void)
{
	if (mm.nfree <= OOM_RESERVE)
		return 0;
	return frame_take(1);
}

void lx_mm_kframe_free(uint64_t pa)
{
	frame_give(pa);
}

/* The physical address behind va when va lies in a MAP_SHARED anonymous
 * VMA and is mapped (a shared futex's key: the same in every process
 * sharing the frame); 0 otherwise. */
uint64_t lx_mm_shared_pa(struct lx_as *as, uint64_t va)
{
	struct lx_vma *v = vma_find(as, va);
	uint64_t *pte;

	if (!v || !v->shared)
		return 0;
	pte = pte_walk(as->pml4, LX_PAGE_DOWN(va), 0);
	if (!pte || !(*pte & PTE_P))
		return 0;
	return (*pte & PTE_ADDR) | (va & (LX_PAGE - 1));
}
