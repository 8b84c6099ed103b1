/*
 * workloads/kernel/mm.c — physical frames, page tables and user address
 * spaces.
 *
 * Physical memory: [0, image end) is the boot area and the kernel image;
 * then the kernel's own tables (direct map, frame reference counts), taken
 * once at boot and never freed; then every frame up to mem_size belongs to
 * the frame allocator: a free list threaded through free frames, and a bump
 * pointer over never-used ones.  Allocated frames carry a 16-bit reference
 * count (copy-on-write sharing); frames below `alloc_base` (the user image
 * pages mapped into every process) are never counted or freed.
 *
 * Virtual memory: PML4 entry 0 is the kernel's identity map of all RAM
 * (supervisor, global, 2 MiB pages, page 0 left unmapped), the same in
 * every address space.  Entries 1..255 are the process's own: user image,
 * mmap regions, stack, built on demand from its VMAs and torn down table by
 * table when unmapped: a page-table page with no entry left is freed
 * and unlinked from its parent.
 *
 * Counters (kstats): frames_* count user data frames, ptpages_* count the
 * page-table pages of user address spaces (PML4s included).  Once every
 * process has been reaped both pairs are equal.
 */
#include "workloads/kernel/kern.h"

#define EINVAL 22
#define ENOMEM 12
#define EFAULT 14

#define XAPIC_PAGE 0xfee00000ull
#define INVLPG_MAX 32   /* above this many pages, one CR3 flush instead */

extern char __image_start[], __bss_end[], __user_start[], __user_end[];

struct mm {
	uint64_t mem_end;       /* allocatable frames end here */
	uint64_t alloc_base;    /* first allocatable frame */
	uint64_t bump;          /* next never-used frame */
	uint64_t free_head;     /* free list, linked through each frame's first word */
	uint64_t nfree;
	uint16_t *refcnt;       /* indexed by frame number */
	uint64_t kernel_pml4;
};

static struct mm mm;

static inline uint64_t *pa_ptr(uint64_t pa)
{
	return (uint64_t *)pa;   /* the direct map is the identity */
}

static void page_zero(uint64_t pa)
{
	uint64_t *p = pa_ptr(pa), n = PAGE_SIZE / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

static void page_copy(uint64_t dst, uint64_t src)
{
	uint64_t *d = pa_ptr(dst), *s = pa_ptr(src), n = PAGE_SIZE / 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static uint64_t frame_take(int zero)
{
	uint64_t pa;

	if (mm.free_head) {
		pa = mm.free_head;
		mm.free_head = *pa_ptr(pa);
	} else if (mm.bump < mm.mem_end) {
		pa = mm.bump;
		mm.bump += PAGE_SIZE;
	} else {
		panic("out of memory: no free frame left (%lu KiB of RAM)", mm.mem_end / 1024);
	}
	mm.nfree--;
	mm.refcnt[pa >> 12] = 1;
	if (zero)
		page_zero(pa);
	return pa;
}

static void frame_give(uint64_t pa)
{
	*pa_ptr(pa) = mm.free_head;
	mm.free_head = pa;
	mm.nfree++;
}

static uint64_t frame_alloc_data(int zero)
{
	kstats.frames_allocated++;
	return frame_take(zero);
}

static uint64_t ptpage_alloc(void)
{
	kstats.ptpages_allocated++;
	return frame_take(1);
}

static void ptpage_free(uint64_t pa)
{
	mm.refcnt[pa >> 12] = 0;
	kstats.ptpages_freed++;
	frame_give(pa);
}

/* A data frame gains a mapping (fork). */
static void frame_get(uint64_t pa)
{
	if (pa < mm.alloc_base)
		return;
	if (mm.refcnt[pa >> 12] == 0xffff)
		panic("frame %lx shared by too many address spaces", pa);
	mm.refcnt[pa >> 12]++;
}

/* A data frame loses a mapping; the last one frees it. */
static void frame_put(uint64_t pa)
{
	if (pa < mm.alloc_base)
		return;
	if (mm.refcnt[pa >> 12] == 0)
		panic("frame %lx freed twice", pa);
	if (--mm.refcnt[pa >> 12] == 0) {
		kstats.frames_freed++;
		frame_give(pa);
	}
}

uint64_t mm_frames_free(void)
{
	return mm.nfree;
}

uint64_t mm_kernel_pml4(void)
{
	return mm.kernel_pml4;
}

/* Boot-time allocation of the kernel's permanent tables (not counted). */
static uint64_t boot_take(uint64_t *next, uint64_t bytes)
{
	uint64_t pa = *next;

	*next += (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (*next > mm.mem_end)
		panic("not enough RAM for the kernel's tables");
	memset(pa_ptr(pa), 0, bytes);
	return pa;
}

void mm_init(const struct mv_bootinfo *bi)
{
	uint64_t next = ((uint64_t)__bss_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t mem = bi->mem_size & ~(PAGE_SIZE - 1);
	uint64_t pml4, pdpt, pd[512] = { 0 }, pt, chunks, gigs, c;
	unsigned apic_gig = (unsigned)(XAPIC_PAGE >> 30);

	if (mem > (512ull << 30))
		mem = 512ull << 30;
	mm.mem_end = mem;
	if (next + (8ull << 20) > mem)
		panic("only %lu KiB of RAM; the kernel needs more than 8 MiB past its image",
		      mem / 1024);

	/* The direct map: identity, 2 MiB pages, first 2 MiB through a page
	 * table that leaves page 0 unmapped. */
	pml4 = boot_take(&next, PAGE_SIZE);
	pdpt = boot_take(&next, PAGE_SIZE);
	pa_ptr(pml4)[0] = pdpt | MV_PTE_P | MV_PTE_W;
	chunks = (mem + (2ull << 20) - 1) >> 21;
	gigs = (chunks + 511) / 512;
	for (c = 0; c < gigs; c++) {
		pd[c] = boot_take(&next, PAGE_SIZE);
		pa_ptr(pdpt)[c] = pd[c] | MV_PTE_P | MV_PTE_W;
	}
	for (c = 1; c < chunks; c++)
		pa_ptr(pd[c / 512])[c % 512] = (c << 21) | MV_PTE_P | MV_PTE_W | MV_PTE_PS | MV_PTE_G;
	pt = boot_take(&next, PAGE_SIZE);
	for (c = 1; c < 512; c++)
		pa_ptr(pt)[c] = (c << 12) | MV_PTE_P | MV_PTE_W | MV_PTE_G;
	pa_ptr(pd[0])[0] = pt | MV_PTE_P | MV_PTE_W;
	/* The xAPIC page, uncached, when it is not RAM. */
	if (XAPIC_PAGE >= mem) {
		if (!pd[apic_gig]) {
			pd[apic_gig] = boot_take(&next, PAGE_SIZE);
			pa_ptr(pdpt)[apic_gig] = pd[apic_gig] | MV_PTE_P | MV_PTE_W;
		}
		pa_ptr(pd[apic_gig])[(XAPIC_PAGE >> 21) & 511] =
			(XAPIC_PAGE & ~((2ull << 20) - 1)) | MV_PTE_P | MV_PTE_W | MV_PTE_PS |
			MV_PTE_PCD | MV_PTE_PWT | MV_PTE_G;
	}
	mm.kernel_pml4 = pml4;

	mm.refcnt = (uint16_t *)pa_ptr(boot_take(&next, (mem >> 12) * sizeof(uint16_t)));
	mm.alloc_base = next;
	mm.bump = next;
	mm.nfree = (mem - next) >> 12;

	__asm__ volatile("mov %0, %%cr3" : : "r"(pml4) : "memory");
}

void mm_load_cr3(const struct aspace *as, int owner_changed)
{
	uint64_t v = as->pml4;

	if (atlb_active) {
		/* No hardware walks: the current ASID selects the entries. */
		if (owner_changed)
			kstats.tlb_flushes++;
		atlb_switch(as, owner_changed);
		return;
	}
	if (cpu.pcid) {
		v |= as->pcid;
		if (owner_changed)
			kstats.tlb_flushes++;
		else
			v |= 1ull << 63;     /* this PCID's entries are still this space's */
	} else {
		kstats.tlb_flushes++;
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

void mm_flush_current(const struct aspace *as)
{
	mm_load_cr3(as, 1);
}

/* The leaf entry for va, building missing tables when `create`. */
static uint64_t *pte_walk(uint64_t pml4, uint64_t va, int create)
{
	uint64_t *t = pa_ptr(pml4);
	int lvl;

	for (lvl = 4; lvl > 1; lvl--) {
		uint64_t *e = &t[(va >> (12 + 9 * (lvl - 1))) & 511];

		if (!(*e & MV_PTE_P)) {
			if (!create)
				return NULL;
			*e = ptpage_alloc() | MV_PTE_P | MV_PTE_W | MV_PTE_U;
		}
		t = pa_ptr(*e & MV_PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

static int vma_add(struct aspace *as, uint64_t start, uint64_t end, enum vma_kind kind)
{
	unsigned i;

	if (as->nvma == MAX_VMAS)
		return -ENOMEM;
	for (i = as->nvma; i > 0 && as->vma[i - 1].start > start; i--)
		as->vma[i] = as->vma[i - 1];
	as->vma[i] = (struct vma){ .start = start, .end = end, .kind = kind };
	as->nvma++;
	return 0;
}

static void vma_remove(struct aspace *as, unsigned i)
{
	for (; i + 1 < as->nvma; i++)
		as->vma[i] = as->vma[i + 1];
	as->nvma--;
}

static struct vma *vma_find(struct aspace *as, uint64_t va)
{
	unsigned i;

	for (i = 0; i < as->nvma; i++)
		if (va >= as->vma[i].start && va < as->vma[i].end)
			return &as->vma[i];
	return NULL;
}

int mm_aspace_new(struct aspace *as, uint16_t pcid)
{
	uint64_t image_len = (uint64_t)(__user_end - __user_start);

	as->pml4 = ptpage_alloc();
	as->pcid = pcid;
	as->nvma = 0;
	pa_ptr(as->pml4)[0] = pa_ptr(mm.kernel_pml4)[0];
	vma_add(as, USER_IMAGE_BASE, USER_IMAGE_BASE + image_len, VMA_IMAGE);
	vma_add(as, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP, VMA_STACK);
	return 0;
}

struct unmap_ctx {
	int invlpg;        /* INVLPG each page (the space is loaded, few pages) */
	uint64_t pages;
};

/* Unmap [start, end) below table t of level lvl (4 = PML4) whose entry 0
 * maps `base`.  Returns 1 when t is left empty (never for the PML4). */
static int unmap_level(uint64_t *t, int lvl, uint64_t base, uint64_t start,
		       uint64_t end, struct unmap_ctx *c)
{
	unsigned shift = 12 + 9 * (unsigned)(lvl - 1), i;
	uint64_t span = 1ull << shift;
	unsigned lo = (unsigned)((start - base) >> shift);
	unsigned hi = (unsigned)((end - 1 - base) >> shift);

	for (i = lo; i <= hi; i++) {
		uint64_t e = t[i], eb = base + (uint64_t)i * span;

		if (!(e & MV_PTE_P))
			continue;
		if (lvl == 1) {
			t[i] = 0;
			frame_put(e & MV_PTE_ADDR);
			c->pages++;
			if (c->invlpg)
				invlpg(eb);
		} else {
			uint64_t s = start > eb ? start : eb;
			uint64_t en = end < eb + span ? end : eb + span;

			if (unmap_level(pa_ptr(e & MV_PTE_ADDR), lvl - 1, eb, s, en, c)) {
				t[i] = 0;
				ptpage_free(e & MV_PTE_ADDR);
			}
		}
	}
	if (lvl == 4)
		return 0;
	for (i = 0; i < 512; i++)
		if (t[i])
			return 0;
	return 1;
}

void mm_aspace_destroy(struct aspace *as)
{
	struct unmap_ctx c = { .invlpg = 0 };

	/* Not loaded (the caller switched to the kernel's CR3), so no TLB
	 * work: its PCID is flushed before it is given to another space. */
	unmap_level(pa_ptr(as->pml4), 4, 0, 1ull << 39, USER_TOP, &c);
	ptpage_free(as->pml4);
	as->pml4 = 0;
	as->nvma = 0;
}

static void fork_level(uint64_t *pt, uint64_t *ct, int lvl, unsigned lo, unsigned hi)
{
	unsigned i;

	for (i = lo; i <= hi; i++) {
		uint64_t e = pt[i];

		if (!(e & MV_PTE_P))
			continue;
		if (lvl == 1) {
			if (e & (MV_PTE_W | PTE_COW)) {
				e = (e & ~MV_PTE_W) | PTE_COW;
				pt[i] = e;
			}
			ct[i] = e;
			frame_get(e & MV_PTE_ADDR);
		} else {
			uint64_t child = ptpage_alloc();

			ct[i] = child | (e & ~MV_PTE_ADDR);
			fork_level(pa_ptr(e & MV_PTE_ADDR), pa_ptr(child), lvl - 1, 0, 511);
		}
	}
}

int mm_aspace_fork(struct aspace *parent, struct aspace *child)
{
	unsigned i;

	child->nvma = parent->nvma;
	for (i = 0; i < parent->nvma; i++)
		child->vma[i] = parent->vma[i];
	fork_level(pa_ptr(parent->pml4), pa_ptr(child->pml4), 4, 1, 255);
	/* The parent's writable pages just became read-only. */
	mm_flush_current(parent);
	return 0;
}

int64_t mm_mmap(struct aspace *as, uint64_t len)
{
	uint64_t cand = USER_MMAP_BASE;
	unsigned i;
	int err;

	if (len == 0 || len > USER_MMAP_END - USER_MMAP_BASE)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	for (i = 0; i < as->nvma; i++) {
		const struct vma *v = &as->vma[i];

		if (v->end <= cand)
			continue;
		if (v->start >= cand + len)
			break;
		cand = v->end;
	}
	if (cand + len > USER_MMAP_END)
		return -ENOMEM;
	err = vma_add(as, cand, cand + len, VMA_ANON);
	return err ? err : (int64_t)cand;
}

int mm_munmap(struct aspace *as, uint64_t addr, uint64_t len, int current)
{
	uint64_t end;
	struct unmap_ctx c;
	unsigned i;

	if ((addr & (PAGE_SIZE - 1)) || len == 0 || addr < USER_MMAP_BASE ||
	    len > USER_MMAP_END - addr)
		return -EINVAL;
	end = (addr + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	/* VMAs first: every part of the range must be anonymous or unmapped. */
	for (i = 0; i < as->nvma; i++) {
		struct vma *v = &as->vma[i];

		if (v->end <= addr || v->start >= end)
			continue;
		if (v->kind != VMA_ANON)
			return -EINVAL;
		if (v->start < addr && v->end > end) {
			uint64_t tail = v->end;

			if (as->nvma == MAX_VMAS)
				return -ENOMEM;
			v->end = addr;
			vma_add(as, end, tail, VMA_ANON);
			break;
		} else if (v->start < addr) {
			v->end = addr;
		} else if (v->end > end) {
			v->start = end;
		} else {
			vma_remove(as, i);
			i--;
		}
	}

	c.invlpg = current && (end - addr) / PAGE_SIZE <= INVLPG_MAX;
	c.pages = 0;
	unmap_level(pa_ptr(as->pml4), 4, 0, addr, end, &c);
	if (current && !c.invlpg && c.pages)
		mm_flush_current(as);
	return 0;
}

int mm_fault(struct aspace *as, uint64_t va, uint64_t err)
{
	struct vma *v = vma_find(as, va);
	uint64_t page = va & ~(PAGE_SIZE - 1), *pte, pa;

	if (!v)
		return -EFAULT;
	pte = pte_walk(as->pml4, page, 1);
	if (!(*pte & MV_PTE_P)) {
		if (v->kind == VMA_IMAGE) {
			if (err & 2)
				return -EFAULT;
			*pte = ((uint64_t)__user_start + (page - v->start)) | MV_PTE_P | MV_PTE_U;
		} else {
			*pte = frame_alloc_data(1) | MV_PTE_P | MV_PTE_W | MV_PTE_U;
		}
		kstats.page_faults++;
		return 0;
	}
	if ((err & 2) && (*pte & PTE_COW)) {
		pa = *pte & MV_PTE_ADDR;
		if (mm.refcnt[pa >> 12] == 1) {
			/* The other sharers are gone: take the frame back. */
			*pte = (*pte | MV_PTE_W) & ~PTE_COW;
		} else {
			uint64_t copy = frame_alloc_data(0);

			page_copy(copy, pa);
			frame_put(pa);
			*pte = copy | MV_PTE_P | MV_PTE_W | MV_PTE_U;
		}
		invlpg(page);
		kstats.cow_breaks++;
		kstats.page_faults++;
		return 0;
	}
	return -EFAULT;
}

void *mm_user_page(struct aspace *as, uint64_t va)
{
	uint64_t *pte = pte_walk(as->pml4, va & ~(PAGE_SIZE - 1), 1);

	if (!(*pte & MV_PTE_P))
		*pte = frame_alloc_data(1) | MV_PTE_P | MV_PTE_W | MV_PTE_U;
	return pa_ptr((*pte & MV_PTE_ADDR) + (va & (PAGE_SIZE - 1)));
}

uint64_t mm_user_entry(uint64_t kernel_addr)
{
	return USER_IMAGE_BASE + (kernel_addr - (uint64_t)__user_start);
}
