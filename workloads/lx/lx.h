/*
 * workloads/lx/lx.h — the Linux personality's internal interface: what
 * each module of the lx kernel (memory, files, ELF loader, processes,
 * system calls) offers the others.  Nothing outside workloads/lx/
 * includes it.
 *
 * It reuses the workload kernel's console, memory helpers and CPU setup
 * (workloads/kernel/{console,lib,cpu}.c, declared in kern.h) and nothing
 * else of that kernel: the address-space layout differs (main.c's top
 * comment), so memory and processes are this folder's own.
 *
 * The kernel runs with interrupts off on one CPU, so its data needs no
 * locks; user threads are preempted only while in user mode.
 */
#ifndef MEMVIRT_GUEST_LX_H
#define MEMVIRT_GUEST_LX_H

#include <stddef.h>
#include <stdint.h>
#include "workloads/kernel/kern.h"
#include "workloads/program_abi.h"

/* ---- layout (main.c's top comment) ---- */
#define LX_DMAP        0xffff800000000000ull   /* direct map of RAM, PML4 entry 256 */
#define LX_USER_MIN    0x0000000000400000ull   /* below: the kernel image, identity-mapped */
#define LX_USER_TOP    0x0000800000000000ull
#define LX_STACK_TOP   0x00007ffffffff000ull
#define LX_STACK_SIZE  (8ull << 20)
#define LX_MMAP_TOP    0x00007ff000000000ull   /* mmap without a hint: top-down from here */
#define LX_MMAP_BOTTOM 0x0000100000000000ull
#define LX_PIE_BASE    0x0000555555554000ull   /* ET_DYN programs load here */
#define LX_APIC_LO     0x00000000fee00000ull   /* reserved when the xAPIC page is mapped */
#define LX_APIC_HI     0x00000000ff000000ull

#define LX_PAGE 4096ull
#define LX_PAGE_UP(x) (((x) + LX_PAGE - 1) & ~(LX_PAGE - 1))
#define LX_PAGE_DOWN(x) ((x) & ~(LX_PAGE - 1))

#define LX_NPROC   32
#define LX_NTHREAD 64
#define LX_NFD     64
#define LX_NVMA    256

/* Linux errno values the kernel returns (negated). */
#define LX_EPERM 1
#define LX_E2BIG 7
#define LX_ENOENT 2
#define LX_ESRCH 3
#define LX_EINTR 4
#define LX_EBADF 9
#define LX_ECHILD 10
#define LX_EAGAIN 11
#define LX_ENOMEM 12
#define LX_EACCES 13
#define LX_EFAULT 14
#define LX_EEXIST 17
#define LX_ENOTDIR 20
#define LX_EISDIR 21
#define LX_EINVAL 22
#define LX_ENFILE 23
#define LX_EMFILE 24
#define LX_ENOTTY 25
#define LX_ESPIPE 29
#define LX_EROFS 30
#define LX_EPIPE 32
#define LX_ERANGE 34
#define LX_ENAMETOOLONG 36
#define LX_ENOSYS 38
#define LX_ETIMEDOUT 110

/* mmap/mprotect protections */
#define LX_PROT_READ  1u
#define LX_PROT_WRITE 2u
#define LX_PROT_EXEC  4u

static inline void *lx_pa(uint64_t pa)
{
	return (void *)(LX_DMAP + pa);
}

/* ---- counters printed as `stat name=value` at the end ---- */
struct lx_stats {
	uint64_t page_faults;        /* faults resolved: demand-zero, file, copy-on-write */
	uint64_t cow_breaks;
	uint64_t context_switches;
	uint64_t syscalls;
	uint64_t tlb_flushes;        /* INVLPGs + CR3 loads that flush */
	uint64_t frames_allocated;   /* user data frames */
	uint64_t frames_freed;
	uint64_t ptpages_allocated;  /* page-table pages of user address spaces */
	uint64_t ptpages_freed;
	uint64_t timer_ticks;
	uint64_t processes;
	uint64_t threads;
	uint64_t futex_waits;
	uint64_t oom_kills;          /* processes killed because RAM ran out */
	uint64_t output_bytes;       /* sent to the VMM through MV_PORT_PROG_WRITE */
	uint64_t output_dropped;     /* past output_limit: counted, not sent */
	uint64_t enosys[512];        /* unimplemented system calls by number; [511]: 511 and up */
};
extern struct lx_stats lx_stats;

/* ---- mm.c: frames, page tables, address spaces ---- */
enum lx_vma_kind { LX_VMA_ANON, LX_VMA_FILE, LX_VMA_STACK, LX_VMA_BRK, LX_VMA_IMAGE };

struct lx_vma {
	uint64_t start, end;       /* page-aligned [start, end) */
	uint32_t prot;             /* LX_PROT_* */
	uint32_t kind;             /* enum lx_vma_kind */
	int32_t file;              /* LX_VMA_FILE: package file index */
	uint32_t shared;           /* MAP_SHARED|MAP_ANONYMOUS: fork shares the frames, no copy-on-write */
	uint64_t foff;             /* file offset of `start` */
};

struct lx_as {
	uint64_t pml4;             /* physical; 0: none */
	uint64_t brk_start, brk;   /* program break: [brk_start, brk) is the heap */
	unsigned nvma;
	struct lx_vma vma[LX_NVMA];   /* sorted by start, disjoint */
};

void lx_mm_init(const struct mv_bootinfo *bi, uint64_t reserve_lo, uint64_t reserve_hi);
void lx_mm_load(const struct lx_as *as);        /* CR3 := as (NULL: kernel) */
const struct lx_as *lx_mm_loaded(void);
uint64_t lx_mm_frames_free(void);
uint64_t lx_mm_kframe_alloc(void);          /* a zeroed kernel frame (0: none left) */
void lx_mm_kframe_free(uint64_t pa);
int lx_mm_new(struct lx_as *as);
void lx_mm_destroy(struct lx_as *as);
int lx_mm_fork(struct lx_as *parent, struct lx_as *child);
int lx_mm_range_ok(uint64_t start, uint64_t len);
int lx_mm_add_vma(struct lx_as *as, const struct lx_vma *v);
struct lx_vma *lx_mm_vma_at(struct lx_as *as, uint64_t va);
uint64_t lx_mm_shared_pa(struct lx_as *as, uint64_t va);   /* va's frame address in a MAP_SHARED VMA, or 0 */
int lx_mm_copyout(struct lx_as *as, uint64_t va, const void *src, uint64_t len);
int lx_mm_fault(struct lx_as *as, uint64_t va, uint64_t err, int *sigbus);   /* 0, -EFAULT, -ENOMEM */
int lx_mm_uaccess(struct lx_as *as, uint64_t va, uint64_t len, int write);
int64_t lx_mm_ustrlen(struct lx_as *as, uint64_t va, uint64_t max);
int64_t lx_mm_mmap(struct lx_as *as, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
		   int file, uint64_t off);
int64_t lx_mm_munmap(struct lx_as *as, uint64_t addr, uint64_t len);
int64_t lx_mm_mprotect(struct lx_as *as, uint64_t addr, uint64_t len, uint32_t prot);
int64_t lx_mm_mremap(struct lx_as *as, uint64_t old, uint64_t oldlen, uint64_t newlen,
		     uint32_t flags);
int64_t lx_mm_madvise(struct lx_as *as, uint64_t addr, uint64_t len, int advice);
int64_t lx_mm_brk(struct lx_as *as, uint64_t addr);

/* ---- fs.c: the package's files, descriptors, program output ---- */
enum lx_fd_kind { LX_FD_NONE, LX_FD_STDIN, LX_FD_OUT, LX_FD_FILE, LX_FD_DIR, LX_FD_PIPE_R, LX_FD_PIPE_W,
		   LX_FD_DEV };

struct lx_fd {
	uint32_t kind;       /* enum lx_fd_kind */
	int32_t file;        /* FILE: package file index; OUT: 1 or 2; pipes: pipe index; DEV: sys.c's device */
	uint32_t cloexec;
	uint32_t nonblock;   /* O_NONBLOCK (pipes) */
	uint64_t off;        /* file position (LX_FD_DIR: entry index) */
};

struct lx_pkg_file {
	const char *name;
	const uint8_t *data;     /* through the direct map */
	uint64_t size;
	uint32_t mode;
};

extern const struct mv_prog_header *lx_pkg;
extern struct lx_pkg_file lx_files[];
extern unsigned lx_nfiles;
extern uint64_t lx_checksum;     /* FNV-1a of fd 1 so far */

const char *lx_fs_init(uint64_t pkg_gpa, uint64_t pkg_len);   /* NULL, or why the package is bad */
void lx_fs_std(struct lx_fd *fds);
int lx_fs_lookup(const char *path, int *is_dir);             /* file index, or -errno */
int64_t lx_fs_out(int fd, const uint8_t *buf, uint64_t len);  /* buf: user memory, checked */

/* ---- pipe.c ---- */
int lx_pipe_create(void);    /* pipe index (one reader, one writer counted), or -errno */
void lx_pipe_ref(const struct lx_fd *f);     /* f was copied: fork, dup */
void lx_pipe_unref(const struct lx_fd *f);   /* f was closed */
int64_t lx_pipe_read(const struct lx_fd *f, uint64_t buf, uint64_t n);
int64_t lx_pipe_write(const struct lx_fd *f, uint64_t buf, uint64_t n, uint64_t rip);

/* ---- elf.c ---- */
struct lx_image {
	uint64_t entry, phdr, phnum, phent, base;
};
const char *lx_elf_load(struct lx_as *as, const struct lx_pkg_file *f, struct lx_image *img);
int lx_elf_stack(struct lx_as *as, const struct lx_image *img, uint64_t seed, uint64_t *rsp);

/* ---- proc.c: processes, threads, scheduler, futexes ---- */
enum lx_tstate { LX_T_FREE, LX_T_RUNNABLE, LX_T_BLOCKED };
enum lx_block { LX_B_NONE, LX_B_FUTEX, LX_B_WAIT, LX_B_SLEEP, LX_B_FIRST, LX_B_PIPE };

struct lx_thread {
	uint8_t fx[512];            /* FXSAVE image; first, so 16-aligned */
	uint32_t state;             /* enum lx_tstate */
	uint32_t block;             /* enum lx_block while LX_T_BLOCKED */
	int64_t tid;
	struct lx_proc *proc;       /* NULL: the kernel's boot thread */
	uint64_t ksp;               /* saved kernel RSP while switched out */
	uint64_t fsbase, gsbase;
	uint64_t clear_tid;         /* CLONE_CHILD_CLEARTID / set_tid_address */
	uint64_t sigmask;
	uint64_t altstack[3];       /* sigaltstack: sp, flags, size */
	const void *futex_owner;    /* futex key: the process (private) or NULL (shared frame) */
	uint64_t futex_addr;        /* ... and the virtual (private) or physical address */
	uint32_t futex_bitset;
	uint32_t pad;
	uint64_t deadline;          /* ns of lx_now_ns(); 0: none */
	uint64_t wait_seq;          /* FIFO order among futex waiters */
	int64_t wake_result;        /* what the blocking call returns */
} __attribute__((aligned(16)));

struct lx_proc {
	uint32_t used, zombie;
	int64_t pid;
	struct lx_proc *parent;     /* NULL: the first process, or an orphan */
	unsigned nthreads;
	int wstatus;                /* zombie: Linux wait status */
	int sig;                    /* killed by this signal (0: exited) */
	int exit_code;
	uint64_t fault_addr, fault_rip;
	struct lx_fd fd[LX_NFD];
	uint64_t sigact[65][4];     /* rt_sigaction bookkeeping: handler, flags, restorer, mask */
	struct lx_as as;
};

struct lx_thread *lx_cur(void);
void lx_proc_init(void);
struct lx_proc *lx_proc_first_new(void);   /* the first process's slot, empty address space */
int64_t lx_proc_start(const struct lx_image *img, uint64_t rsp);
struct lx_proc *lx_proc_wait_first(void);
void lx_proc_reap_all(void);
int64_t lx_proc_syscall(struct trapframe *tf, uint64_t nr, int *handled);
__attribute__((noreturn)) void lx_proc_fatal(int sig, uint64_t addr, uint64_t rip);
void lx_proc_preempt(void);
uint64_t lx_now_ns(void);   /* monotonic guest time */
const char *lx_signame(int sig);
struct lx_as *lx_current_as(void);
void lx_proc_block_pipe(uint64_t pipe);
void lx_proc_wake_pipe(uint64_t pipe);
void lx_proc_signal_self(int sig, uint64_t rip);

/* ---- sys.c ---- */
extern uint64_t lx_seed;
void lx_sys_init(uint64_t seed);
uint64_t lx_random64(void);

/* ---- workloads/kernel/entry.S (the workload kernel's, assembled into
 * this image too: ctx_switch, syscall_return, trap_return from kern.h) ---- */
extern uint64_t syscall_entry_fixups;

static inline void lx_invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	lx_stats.tlb_flushes++;
}

#endif
