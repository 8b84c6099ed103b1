/*
 * workloads/lx/proc.c — Linux processes and threads on one vCPU: the
 * scheduler, clone (threads and copy-on-write fork), exit, wait4, futexes,
 * sleeping, and fatal signals.
 *
 * A thread is a slot of threads[] with its own kernel stack, FXSAVE area
 * and FS/GS bases; a process is a slot of procs[] with the address space,
 * descriptors and signal bookkeeping its threads share.  Thread 0 is the
 * kernel's boot thread: it starts the first process and sleeps until that
 * process has ended.  Scheduling is round robin over the thread slots; the
 * APIC timer preempts user code, blocking calls give the CPU up.  A
 * switch between threads saves and restores the FPU/SSE state
 * (fxsave64/fxrstor64) and FS base, and loads CR3 only when the address
 * space changes.
 *
 * Time is lx_now_ns(): the TSC read as 1 GHz, plus an offset that jumps
 * forward when every thread is asleep with a deadline — so sleeps and
 * timeouts take no real time and soft-engine runs (TSC = retired
 * instructions) stay deterministic.  No thread runnable and none with a
 * deadline is a deadlock: reported as a program error.
 *
 * Signals are not delivered: a fatal fault, or kill/tgkill with a signal
 * whose default action ends a process, ends the process with that signal;
 * signals Linux ignores by default, and SIG_IGN ones, do nothing.
 */
#include "workloads/lx/lx.h"

#define KSTACK_SIZE 16384

#define CLONE_VM 0x100u
#define CLONE_VFORK 0x4000u
#define CLONE_THREAD 0x10000u
#define CLONE_SETTLS 0x80000u
#define CLONE_PARENT_SETTID 0x100000u
#define CLONE_CHILD_CLEARTID 0x200000u
#define CLONE_CHILD_SETTID 0x1000000u

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CLOCK_REALTIME 256

#define WNOHANG 1

#define MSR_FS_BASE 0xc0000100u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static struct lx_thread threads[LX_NTHREAD];
static struct lx_proc procs[LX_NPROC];
static uint8_t kstacks[LX_NTHREAD][KSTACK_SIZE] __attribute__((aligned(16)));
static struct lx_thread *current;
static int64_t next_tid = 1;
static uint64_t wait_seq;
static uint64_t time_offset;     /* ns added to the TSC's reading */
static uint64_t cur_fs, cur_kgs; /* what the MSRs hold now */
static struct lx_proc *first;

struct lx_thread *lx_cur(void)
{
	return current;
}

struct lx_as *lx_current_as(void)
{
	return &current->proc->as;
}

uint64_t lx_now_ns(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (((uint64_t)hi << 32) | lo) + time_offset;
}

static uint64_t kstack_top(const struct lx_thread *t)
{
	return (uint64_t)&kstacks[t - threads][KSTACK_SIZE];
}

void lx_proc_init(void)
{
	threads[0].state = LX_T_RUNNABLE;
	threads[0].tid = 0;
	current = &threads[0];
}

static void switch_to(struct lx_thread *next)
{
	struct lx_thread *prev = current;

	if (next == prev)
		return;
	lx_stats.context_switches++;
	if (prev->proc)
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])prev->fx));
	if (next->proc) {
		if (lx_mm_loaded() != &next->proc->as)
			lx_mm_load(&next->proc->as);
		__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])next->fx));
		if (cur_fs != next->fsbase) {
			wrmsr(MSR_FS_BASE, next->fsbase);
			cur_fs = next->fsbase;
		}
		if (cur_kgs != next->gsbase) {
			wrmsr(MSR_KERNEL_GS_BASE, next->gsbase);
			cur_kgs = next->gsbase;
		}
		cpu_set_kstack(kstack_top(next));
	}
	current = next;
	ctx_switch(&prev->ksp, next->ksp);
}

static void wake(struct lx_thread *t, int64_t result)
{
	t->state = LX_T_RUNNABLE;
	t->block = LX_B_NONE;
	t->deadline = 0;
	t->wake_result = result;
}

static __attribute__((noreturn)) void deadlock(void)
{
	kprintf("program error deadlock: every thread is blocked and none has a timeout\n");
	kexit(1);
}

/* Give the CPU to the next runnable thread after the current one (itself
 * when it is the only one). */
static void schedule(void)
{
	for (;;) {
		uint64_t now = lx_now_ns(), earliest = 0;
		unsigned i, cur = (unsigned)(current - threads);

		for (i = 0; i < LX_NTHREAD; i++) {
			struct lx_thread *t = &threads[i];

			if (t->state != LX_T_BLOCKED || !t->deadline)
				continue;
			if (t->deadline <= now)
				wake(t, t->block == LX_B_FUTEX ? -LX_ETIMEDOUT : 0);
			else if (!earliest || t->deadline < earliest)
				earliest = t->deadline;
		}
		for (i = 1; i <= LX_NTHREAD; i++) {
			struct lx_thread *t = &threads[(cur + i) % LX_NTHREAD];

			if (t->state == LX_T_RUNNABLE) {
				switch_to(t);
				return;
			}
		}
		if (!earliest)
			deadlock();
		time_offset += earliest - now;
	}
}

void lx_proc_preempt(void)
{
	schedule();
}

static int64_t block(uint32_t why, uint64_t deadline)
{
	current->state = LX_T_BLOCKED;
	current->block = why;
	current->deadline = deadline;
	current->wake_result = 0;
	schedule();
	return current->wake_result;
}

static struct lx_thread *thread_alloc(struct lx_proc *p)
{
	unsigned i;

	for (i = 1; i < LX_NTHREAD; i++)
		if (threads[i].state == LX_T_FREE) {
			struct lx_thread *t = &threads[i];

			memset(t, 0, sizeof *t);
			t->tid = next_tid++;
			t->proc = p;
			t->altstack[1] = 2;   /* SS_DISABLE */
			p->nthreads++;
			lx_stats.threads++;
			return t;
		}
	return NULL;
}

static struct lx_proc *proc_alloc(struct lx_proc *parent)
{
	unsigned i;

	for (i = 0; i < LX_NPROC; i++)
		if (!procs[i].used) {
			struct lx_proc *p = &procs[i];

			memset(p, 0, sizeof *p);
			p->used = 1;
			p->parent = parent;
			lx_stats.processes++;
			return p;
		}
	return NULL;
}

/* Lay out t's kernel stack so that switching to it returns to user mode
 * through syscall_return with the registers in *tf. */
static void prepare_stack(struct lx_thread *t, const struct trapframe *tf)
{
	uint64_t *sp = (uint64_t *)kstack_top(t);
	struct trapframe *ktf = (struct trapframe *)((char *)sp - sizeof *ktf);
	int i;

	*ktf = *tf;
	sp = (uint64_t *)ktf;
	*--sp = (uint64_t)syscall_return;
	for (i = 0; i < 6; i++)      /* rbp rbx r12..r15 popped by ctx_switch */
		*--sp = 0;
	t->ksp = (uint64_t)sp;
}

int64_t lx_proc_start(const struct lx_image *img, uint64_t rsp)
{
	struct lx_proc *p = first;
	struct lx_thread *t;
	struct trapframe tf = { 0 };

	t = thread_alloc(p);
	if (!t)
		return -LX_EAGAIN;
	p->pid = t->tid;
	/* The first process's FPU: what FNINIT gives, and MXCSR's default
	 * 0x1f80 written into the image (no LDMXCSR: a host that emulates
	 * kernel instructions, kvm_pvm, cannot emulate it). */
	__asm__ volatile("fninit\n\tfxsave64 %0" : "=m"(*(uint8_t(*)[512])t->fx) : : "memory");
	t->fx[24] = 0x80;
	t->fx[25] = 0x1f;
	t->fx[26] = 0;
	t->fx[27] = 0;
	tf.rip = img->entry;
	tf.cs = 0x23;
	tf.ss = 0x1b;
	tf.rflags = 0x202;
	tf.rsp = rsp;
	tf.vector = TRAP_SYSCALL;
	prepare_stack(t, &tf);
	t->state = LX_T_RUNNABLE;
	return p->pid;
}

/* The first process's slot, with a fresh address space, for main.c to
 * load the program into. */
struct lx_proc *lx_proc_first_new(void)
{
	first = proc_alloc(NULL);
	if (!first || lx_mm_new(&first->as))
		return NULL;
	lx_fs_std(first->fd);
	return first;
}

/* ---- futexes ---- */

/* A futex's key.  Private (FUTEX_PRIVATE_FLAG, or any word outside a
 * MAP_SHARED mapping, as Linux keys those by mm and address too): the
 * process and the virtual address.  A shared word in MAP_SHARED memory:
 * its frame's physical address, which every process sharing it sees. */
struct fkey {
	const void *owner;
	uint64_t addr;
};

static struct fkey futex_key(struct lx_proc *p, uint64_t uaddr, uint64_t op)
{
	uint64_t pa = 0;

	if (!(op & 128) && !lx_mm_uaccess(&p->as, uaddr, 4, 0))
		pa = lx_mm_shared_pa(&p->as, uaddr);
	return pa ? (struct fkey){ NULL, pa } : (struct fkey){ p, uaddr };
}

static int64_t futex_wake(struct fkey k, uint64_t n, uint32_t bitset, struct fkey to,
			  uint64_t nrequeue)
{
	int64_t woken = 0;

	while ((uint64_t)woken < n || nrequeue) {
		struct lx_thread *best = NULL;
		unsigned i;

		for (i = 1; i < LX_NTHREAD; i++) {
			struct lx_thread *t = &threads[i];

			if (t->state == LX_T_BLOCKED && t->block == LX_B_FUTEX &&
			    t->futex_owner == k.owner && t->futex_addr == k.addr &&
			    (t->futex_bitset & bitset) &&
			    (!best || t->wait_seq < best->wait_seq))
				best = t;
		}
		if (!best)
			break;
		if ((uint64_t)woken < n) {
			wake(best, 0);
			woken++;
		} else {
			best->futex_owner = to.owner;
			best->futex_addr = to.addr;
			best->wait_seq = ++wait_seq;
			nrequeue--;
		}
	}
	return woken;
}

static int64_t read_timespec(uint64_t uptr, uint64_t *ns)
{
	const int64_t *ts = (const int64_t *)uptr;

	if (lx_mm_uaccess(&current->proc->as, uptr, 16, 0))
		return -LX_EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -LX_EINVAL;
	*ns = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
	return 0;
}

/* The realtime clock's offset from lx_now_ns (sys.c's epoch). */
extern const uint64_t lx_epoch_ns;

static int64_t sys_futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout,
			 uint64_t uaddr2, uint64_t val3)
{
	struct lx_proc *p = current->proc;
	unsigned cmd = (unsigned)op & 127u;
	uint64_t deadline = 0, ns;
	int64_t err;

	if (uaddr & 3)
		return -LX_EINVAL;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && (uint32_t)val3 == 0)
			return -LX_EINVAL;
		if (lx_mm_uaccess(&p->as, uaddr, 4, 0))
			return -LX_EFAULT;
		if (timeout) {
			if ((err = read_timespec(timeout, &ns)))
				return err;
			if (cmd == FUTEX_WAIT)
				deadline = lx_now_ns() + ns;
			else if (op & FUTEX_CLOCK_REALTIME)
				deadline = ns > lx_epoch_ns ? ns - lx_epoch_ns : 1;
			else
				deadline = ns ? ns : 1;
		}
		if (*(volatile uint32_t *)uaddr != (uint32_t)val)
			return -LX_EAGAIN;
		{
			struct fkey k = futex_key(p, uaddr, op);

			current->futex_owner = k.owner;
			current->futex_addr = k.addr;
		}
		current->futex_bitset = cmd == FUTEX_WAIT ? ~0u : (uint32_t)val3;
		current->wait_seq = ++wait_seq;
		lx_stats.futex_waits++;
		return block(LX_B_FUTEX, deadline);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && (uint32_t)val3 == 0)
			return -LX_EINVAL;
		return futex_wake(futex_key(p, uaddr, op), (uint32_t)val,
				  cmd == FUTEX_WAKE ? ~0u : (uint32_t)val3, (struct fkey){ 0 }, 0);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if (cmd == FUTEX_CMP_REQUEUE) {
			if (lx_mm_uaccess(&p->as, uaddr, 4, 0))
				return -LX_EFAULT;
			if (*(volatile uint32_t *)uaddr != (uint32_t)val3)
				return -LX_EAGAIN;
		}
		return futex_wake(futex_key(p, uaddr, op), (uint32_t)val, ~0u,
				  futex_key(p, uaddr2, op), (uint32_t)timeout);
	default:
		return -LX_ENOSYS;
	}
}

/* ---- pipes' waiting (pipe.c) ---- */

void lx_proc_block_pipe(uint64_t pipe)
{
	current->futex_owner = NULL;
	current->futex_addr = pipe;
	block(LX_B_PIPE, 0);
}

void lx_proc_wake_pipe(uint64_t pipe)
{
	unsigned i;

	for (i = 1; i < LX_NTHREAD; i++)
		if (threads[i].state == LX_T_BLOCKED && threads[i].block == LX_B_PIPE &&
		    threads[i].futex_addr == pipe)
			wake(&threads[i], 0);
}

/* ---- ending threads and processes ---- */

static void wake_waiters_of(struct lx_proc *parent)
{
	unsigned i;

	for (i = 0; i < LX_NTHREAD; i++) {
		struct lx_thread *t = &threads[i];

		if (t->state == LX_T_BLOCKED &&
		    ((t->block == LX_B_WAIT && t->proc == parent) ||
		     (t->block == LX_B_FIRST && !parent)))
			wake(t, 0);
	}
}

/* End process p (not necessarily the current one's) with wait status ws:
 * its threads and address space go, it becomes a zombie for its parent. */
static void proc_end(struct lx_proc *p, int ws)
{
	unsigned i;

	for (i = 1; i < LX_NTHREAD; i++)
		if (threads[i].state != LX_T_FREE && threads[i].proc == p) {
			threads[i].state = LX_T_FREE;
			threads[i].proc = NULL;
		}
	p->nthreads = 0;
	for (i = 0; i < LX_NFD; i++) {
		lx_pipe_unref(&p->fd[i]);
		p->fd[i].kind = LX_FD_NONE;
	}
	lx_mm_destroy(&p->as);
	for (i = 0; i < LX_NPROC; i++)
		if (procs[i].used && procs[i].parent == p) {
			procs[i].parent = NULL;
			if (procs[i].zombie)
				procs[i].used = 0;   /* nobody will wait for it */
		}
	p->zombie = 1;
	p->wstatus = ws;
	if (p->parent)
		wake_waiters_of(p->parent);
	else if (p == first)
		wake_waiters_of(NULL);
	else
		p->used = 0;
}

static __attribute__((noreturn)) void exit_current_proc(int ws)
{
	struct lx_proc *p = current->proc;

	proc_end(p, ws);
	schedule();
	panic("a thread of ended pid %ld ran again", p->pid);
}

void lx_proc_fatal(int sig, uint64_t addr, uint64_t rip)
{
	struct lx_proc *p = current->proc;

	p->sig = sig;
	p->fault_addr = addr;
	p->fault_rip = rip;
	exit_current_proc(sig);
}

static __attribute__((noreturn)) void thread_exit(int code)
{
	struct lx_thread *t = current;
	struct lx_proc *p = t->proc;

	if (t->clear_tid && !lx_mm_uaccess(&p->as, t->clear_tid, 4, 1)) {
		*(volatile uint32_t *)t->clear_tid = 0;
		futex_wake(futex_key(p, t->clear_tid, 0), 1, ~0u, (struct fkey){ 0 }, 0);
	}
	if (p->nthreads == 1) {
		p->exit_code = code & 0xff;
		exit_current_proc((code & 0xff) << 8);
	}
	p->nthreads--;
	t->state = LX_T_FREE;
	t->proc = NULL;
	schedule();
	panic("exited thread %ld ran again", t->tid);
}

struct lx_proc *lx_proc_wait_first(void)
{
	while (!first->zombie)
		block(LX_B_FIRST, 0);
	return first;
}

void lx_proc_reap_all(void)
{
	unsigned i;

	for (i = 0; i < LX_NPROC; i++)
		if (procs[i].used && !procs[i].zombie)
			proc_end(&procs[i], 9);
}

/* ---- clone, fork, wait ---- */

static int64_t sys_clone(struct trapframe *tf, uint64_t flags, uint64_t newsp, uint64_t ptid,
			 uint64_t ctid, uint64_t tls)
{
	struct lx_proc *p = current->proc, *np = p;
	struct lx_thread *t;
	struct trapframe ctf = *tf;
	uint32_t tid32;

	if ((flags & CLONE_VM) && !(flags & CLONE_THREAD))
		return -LX_EINVAL;   /* a process sharing memory (vfork-style spawn): not supported */
	if ((flags & CLONE_THREAD) && !(flags & CLONE_VM))
		return -LX_EINVAL;
	if (!(flags & CLONE_VM)) {
		np = proc_alloc(p);
		if (!np)
			return -LX_EAGAIN;
		if (lx_mm_new(&np->as)) {
			np->used = 0;
			return -LX_ENOMEM;
		}
		if (lx_mm_fork(&p->as, &np->as)) {
			lx_mm_destroy(&np->as);
			np->used = 0;
			return -LX_ENOMEM;
		}
		memcpy(np->fd, p->fd, sizeof np->fd);
		for (unsigned i = 0; i < LX_NFD; i++)
			lx_pipe_ref(&np->fd[i]);
		memcpy(np->sigact, p->sigact, sizeof np->sigact);
	}
	t = thread_alloc(np);
	if (!t) {
		if (np != p) {
			for (unsigned i = 0; i < LX_NFD; i++)
				lx_pipe_unref(&np->fd[i]);
			lx_mm_destroy(&np->as);
			np->used = 0;
		}
		return -LX_EAGAIN;
	}
	if (np != p)
		np->pid = t->tid;
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])t->fx));
	t->fsbase = (flags & CLONE_SETTLS) ? tls : current->fsbase;
	t->gsbase = current->gsbase;
	t->sigmask = current->sigmask;
	tid32 = (uint32_t)t->tid;
	if ((flags & CLONE_PARENT_SETTID) && !lx_mm_uaccess(&p->as, ptid, 4, 1))
		*(volatile uint32_t *)ptid = tid32;
	if (flags & CLONE_CHILD_SETTID) {
		if (np == p) {
			if (!lx_mm_uaccess(&p->as, ctid, 4, 1))
				*(volatile uint32_t *)ctid = tid32;
		} else {
			lx_mm_copyout(&np->as, ctid, &tid32, 4);
		}
	}
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_tid = ctid;
	ctf.rax = 0;
	if (newsp)
		ctf.rsp = newsp;
	prepare_stack(t, &ctf);
	t->state = LX_T_RUNNABLE;
	return np == p ? t->tid : np->pid;
}

static int64_t sys_wait4(int64_t pid, uint64_t status, uint64_t options, uint64_t rusage)
{
	struct lx_proc *p = current->proc;

	for (;;) {
		int have = 0;
		unsigned i;

		for (i = 0; i < LX_NPROC; i++) {
			struct lx_proc *c = &procs[i];

			if (!c->used || c->parent != p || (pid > 0 && c->pid != pid))
				continue;
			have = 1;
			if (!c->zombie)
				continue;
			if (status) {
				if (lx_mm_uaccess(&p->as, status, 4, 1))
					return -LX_EFAULT;
				*(volatile int32_t *)status = c->wstatus;
			}
			if (rusage) {
				if (lx_mm_uaccess(&p->as, rusage, 144, 1))
					return -LX_EFAULT;
				memset((void *)rusage, 0, 144);
			}
			c->used = 0;
			return c->pid;
		}
		if (!have)
			return -LX_ECHILD;
		if (options & WNOHANG)
			return 0;
		block(LX_B_WAIT, 0);
	}
}

/* waitid(P_ALL/P_PID, id, siginfo, WEXITED[|WNOHANG|WNOWAIT]) */
static int64_t sys_waitid(uint64_t idtype, int64_t id, uint64_t info, uint64_t options)
{
	struct lx_proc *p = current->proc;

	if (idtype > 1 || !(options & 4))
		return -LX_EINVAL;
	for (;;) {
		int have = 0;
		unsigned i;

		for (i = 0; i < LX_NPROC; i++) {
			struct lx_proc *c = &procs[i];
			int32_t *si = (int32_t *)info;

			if (!c->used || c->parent != p || (idtype == 1 && c->pid != id))
				continue;
			have = 1;
			if (!c->zombie)
				continue;
			if (info) {
				if (lx_mm_uaccess(&p->as, info, 128, 1))
					return -LX_EFAULT;
				memset(si, 0, 128);
				si[0] = 17;                          /* SIGCHLD */
				si[2] = c->sig ? 2 : 1;              /* CLD_KILLED : CLD_EXITED */
				si[4] = (int32_t)c->pid;
				si[6] = c->sig ? c->sig : c->exit_code;
			}
			if (!(options & 0x01000000))         /* WNOWAIT */
				c->used = 0;
			return 0;
		}
		if (!have)
			return -LX_ECHILD;
		if (options & WNOHANG) {
			if (info && !lx_mm_uaccess(&p->as, info, 128, 1))
				memset((void *)info, 0, 128);
			return 0;
		}
		block(LX_B_WAIT, 0);
	}
}

/* ---- signals ---- */

static const char *const signames[32] = {
	[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP",
	[6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
	[11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG", [24] = "SIGXCPU", [25] = "SIGXFSZ",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO", [30] = "SIGPWR",
	[31] = "SIGSYS",
};

const char *lx_signame(int sig)
{
	return sig > 0 && sig < 32 && signames[sig] ? signames[sig] : "SIGRT";
}

static int64_t send_signal(struct lx_proc *target, int sig, uint64_t rip)
{
	if (sig == 0)
		return 0;
	if (sig < 0 || sig > 64)
		return -LX_EINVAL;
	/* Default action "ignore" (SIGCHLD, SIGCONT, SIGURG, SIGWINCH), or
	 * ignored by the program: nothing happens. */
	if (sig == 17 || sig == 18 || sig == 23 || sig == 28 ||
	    (sig != 9 && target->sigact[sig][0] == 1))
		return 0;
	if (target == current->proc)
		lx_proc_fatal(sig, 0, rip);
	target->sig = sig;
	proc_end(target, sig);
	return 0;
}

void lx_proc_signal_self(int sig, uint64_t rip)
{
	send_signal(current->proc, sig, rip);
}

static struct lx_proc *proc_by_pid(int64_t pid)
{
	unsigned i;

	if (pid <= 0)
		return current->proc;
	for (i = 0; i < LX_NPROC; i++)
		if (procs[i].used && !procs[i].zombie && procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

static struct lx_thread *thread_by_tid(int64_t tid)
{
	unsigned i;

	for (i = 1; i < LX_NTHREAD; i++)
		if (threads[i].state != LX_T_FREE && threads[i].tid == tid)
			return &threads[i];
	return NULL;
}

/* The calls about processes, threads and time; *handled = 0 for others. */
int64_t lx_proc_syscall(struct trapframe *tf, uint64_t nr, int *handled)
{
	uint64_t a0 = tf->rdi, a1 = tf->rsi, a2 = tf->rdx, a3 = tf->r10, a4 = tf->r8, a5 = tf->r9;
	struct lx_proc *p = current->proc;
	struct lx_thread *t;
	uint64_t ns;
	int64_t err;

	*handled = 1;
	switch (nr) {
	case 24:   /* sched_yield */
		schedule();
		return 0;
	case 35:   /* nanosleep(req, rem) */
		if ((err = read_timespec(a0, &ns)))
			return err;
		return block(LX_B_SLEEP, lx_now_ns() + ns + 1);
	case 230:  /* clock_nanosleep(clock, flags, req, rem) */
		if ((err = read_timespec(a2, &ns)))
			return err;
		if (a1 & 1) {   /* TIMER_ABSTIME */
			if (a0 == 0 || a0 == 5)
				ns = ns > lx_epoch_ns ? ns - lx_epoch_ns : 0;
			if (ns <= lx_now_ns())
				return 0;
			return block(LX_B_SLEEP, ns);
		}
		return block(LX_B_SLEEP, lx_now_ns() + ns + 1);
	case 39:   /* getpid */
		return p->pid;
	case 110:  /* getppid */
		return p->parent ? p->parent->pid : 0;
	case 186:  /* gettid */
		return current->tid;
	case 218:  /* set_tid_address */
		current->clear_tid = a0;
		return current->tid;
	case 158:  /* arch_prctl */
		switch (a0) {
		case 0x1001:  /* ARCH_SET_GS */
			current->gsbase = a1;
			cur_kgs = a1;
			wrmsr(MSR_KERNEL_GS_BASE, a1);
			return 0;
		case 0x1002:  /* ARCH_SET_FS */
			if (a1 >= LX_USER_TOP)
				return -LX_EPERM;
			current->fsbase = a1;
			cur_fs = a1;
			wrmsr(MSR_FS_BASE, a1);
			return 0;
		case 0x1003:  /* ARCH_GET_FS */
		case 0x1004:  /* ARCH_GET_GS */
			if (lx_mm_uaccess(&p->as, a1, 8, 1))
				return -LX_EFAULT;
			*(volatile uint64_t *)a1 = a0 == 0x1003 ? current->fsbase : current->gsbase;
			return 0;
		default:
			return -LX_EINVAL;
		}
	case 202:  /* futex */
		return sys_futex(a0, a1, a2, a3, a4, a5);
	case 56:   /* clone(flags, newsp, parent_tid, child_tid, tls) */
		return sys_clone(tf, a0, a1, a2, a3, a4);
	case 57:   /* fork */
	case 58:   /* vfork: a copy-on-write fork (the parent does not wait) */
		return sys_clone(tf, 17, 0, 0, 0, 0);
	case 435:  /* clone3: glibc falls back to clone */
		return -LX_ENOSYS;
	case 60:   /* exit: this thread */
		thread_exit((int)a0);
	case 231:  /* exit_group */
		p->exit_code = (int)a0 & 0xff;
		exit_current_proc(((int)a0 & 0xff) << 8);
	case 61:   /* wait4 */
		return sys_wait4((int64_t)(int32_t)a0, a1, a2, a3);
	case 247:  /* waitid */
		return sys_waitid(a0, (int64_t)(int32_t)a1, a2, a3);
	case 62: { /* kill(pid, sig) */
		struct lx_proc *target = proc_by_pid((int64_t)(int32_t)a0);

		if (!target)
			return -LX_ESRCH;
		return send_signal(target, (int)a1, tf->rip);
	}
	case 200:  /* tkill(tid, sig) */
	case 234:  /* tgkill(tgid, tid, sig) */
		t = thread_by_tid((int64_t)(int32_t)(nr == 200 ? a0 : a1));
		if (!t || (nr == 234 && t->proc->pid != (int64_t)(int32_t)a0))
			return -LX_ESRCH;
		return send_signal(t->proc, (int)(nr == 200 ? a1 : a2), tf->rip);
	case 13: { /* rt_sigaction(sig, act, oact, size) */
		uint64_t *sa;

		if (a0 < 1 || a0 > 64 || a3 != 8)
			return -LX_EINVAL;
		if (a1 && (a0 == 9 || a0 == 19))
			return -LX_EINVAL;
		sa = p->sigact[a0];
		if (a2) {
			if (lx_mm_uaccess(&p->as, a2, 32, 1))
				return -LX_EFAULT;
			memcpy((void *)a2, sa, 32);
		}
		if (a1) {
			if (lx_mm_uaccess(&p->as, a1, 32, 0))
				return -LX_EFAULT;
			memcpy(sa, (const void *)a1, 32);
		}
		return 0;
	}
	case 14: { /* rt_sigprocmask(how, set, oset, size) */
		uint64_t set = 0;

		if (a3 != 8)
			return -LX_EINVAL;
		if (a1) {
			if (lx_mm_uaccess(&p->as, a1, 8, 0))
				return -LX_EFAULT;
			set = *(const uint64_t *)a1;
			if (a0 > 2)
				return -LX_EINVAL;
		}
		if (a2) {
			if (lx_mm_uaccess(&p->as, a2, 8, 1))
				return -LX_EFAULT;
			*(uint64_t *)a2 = current->sigmask;
		}
		if (a1) {
			set &= ~((1ull << 8) | (1ull << 18));   /* SIGKILL, SIGSTOP */
			if (a0 == 0)
				current->sigmask |= set;
			else if (a0 == 1)
				current->sigmask &= ~set;
			else
				current->sigmask = set;
		}
		return 0;
	}
	case 131:  /* sigaltstack(ss, oss) */
		if (a1) {
			if (lx_mm_uaccess(&p->as, a1, 24, 1))
				return -LX_EFAULT;
			memcpy((void *)a1, current->altstack, 24);
		}
		if (a0) {
			if (lx_mm_uaccess(&p->as, a0, 24, 0))
				return -LX_EFAULT;
			memcpy(current->altstack, (const void *)a0, 24);
		}
		return 0;
	default:
		*handled = 0;
		return 0;
	}
}
