/*
 * workloads/kernel/proc.c — processes, the scheduler, syscalls and traps.
 *
 * A process is a slot in a fixed table with its own kernel stack and
 * address space.  Slot 0 is the kernel's boot thread (pid 0): it starts the
 * workload's first process and reaps whatever is left at the end; it has no
 * user address space.  Scheduling is round robin over the slots; the APIC
 * timer preempts user code, yield and wait give the CPU up voluntarily.
 * Only running in user mode can be preempted (the kernel runs with IF off).
 *
 * Slot i's PCID is i (so slot 0, the kernel, has PCID 0).  pcid_owner
 * remembers which pid last ran with a PCID: loading CR3 for a different pid
 * flushes that PCID, loading it for the same one keeps its TLB entries.
 *
 * A process waits on one child (or any) and is made runnable by that
 * child's exit.  exit frees the address space at once; the parent's wait
 * frees the slot.  Orphans are handed to pid 0.
 */
#include "workloads/kernel/kern.h"

#define EINVAL 22
#define EAGAIN 11
#define ECHILD 10
#define EFAULT 14
#define ENOSYS 38

#define KSTACK_SIZE 16384

enum pstate { P_FREE, P_RUNNABLE, P_WAITING, P_ZOMBIE };

struct proc {
	int64_t pid;
	enum pstate state;
	struct proc *parent;
	uint64_t ksp;            /* saved kernel RSP while switched out */
	int64_t wait_for;        /* P_WAITING: the child pid, or -1 for any */
	uint64_t exit_value;
	struct aspace as;
};

struct kstats kstats;
static struct proc procs[NPROC];
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static int64_t pcid_owner[NPROC];
static struct proc *current;
static int64_t next_pid = 1;

static unsigned slot_of(const struct proc *p)
{
	return (unsigned)(p - procs);
}

static uint64_t kstack_top(const struct proc *p)
{
	return (uint64_t)&kstacks[slot_of(p)][KSTACK_SIZE];
}

struct aspace *proc_current_aspace(void)
{
	return &current->as;
}

void proc_init(void)
{
	procs[0].pid = 0;
	procs[0].state = P_RUNNABLE;
	procs[0].as.pml4 = mm_kernel_pml4();
	procs[0].as.pcid = 0;
	current = &procs[0];
	cpu_set_kstack(kstack_top(&procs[0]));
}

static void switch_to(struct proc *next)
{
	struct proc *prev = current;
	unsigned slot = slot_of(next);
	int owner_changed = pcid_owner[slot] != next->pid;

	if (next == prev)
		return;
	kstats.context_switches++;
	pcid_owner[slot] = next->pid;
	cpu_set_kstack(kstack_top(next));
	mm_load_cr3(&next->as, owner_changed);
	current = next;
	ctx_switch(&prev->ksp, next->ksp);
}

/* Give the CPU to the next runnable process after the current one. */
static void schedule(void)
{
	unsigned i, cur = slot_of(current);

	for (i = 1; i <= NPROC; i++) {
		struct proc *p = &procs[(cur + i) % NPROC];

		if (p->state == P_RUNNABLE) {
			switch_to(p);
			return;
		}
	}
	panic("no runnable process (pid %ld is %s)", current->pid,
	      current->state == P_WAITING ? "waiting" : "not runnable");
}

void proc_yield(void)
{
	schedule();
}

static struct proc *proc_alloc(void)
{
	unsigned i;

	for (i = 1; i < NPROC; i++)
		if (procs[i].state == P_FREE) {
			struct proc *p = &procs[i];

			p->pid = next_pid++;
			p->parent = current;
			p->wait_for = 0;
			p->exit_value = 0;
			kstats.processes++;
			return p;
		}
	return NULL;
}

/* Lay out p's kernel stack so that switching to it returns to user mode
 * through `ret` with the user registers in *tf. */
static void proc_prepare_stack(struct proc *p, const struct trapframe *tf, char *ret)
{
	uint64_t *sp = (uint64_t *)kstack_top(p);
	struct trapframe *ktf;
	int i;

	ktf = (struct trapframe *)((char *)sp - sizeof *ktf);
	*ktf = *tf;
	sp = (uint64_t *)ktf;
	*--sp = (uint64_t)ret;
	for (i = 0; i < 6; i++)      /* rbp rbx r12..r15 popped by ctx_switch */
		*--sp = 0;
	p->ksp = (uint64_t)sp;
}

/* New process running entry(copy of arg) in a fresh address space. */
static int64_t proc_spawn(uint64_t entry, const void *arg, uint64_t arglen)
{
	struct proc *p;
	struct trapframe tf = { 0 };
	uint64_t argva, len16 = (arglen + 15) & ~15ull;

	if (arglen > USER_SPAWN_ARG_MAX)
		return -EINVAL;
	p = proc_alloc();
	if (!p)
		return -EAGAIN;
	mm_aspace_new(&p->as, (uint16_t)slot_of(p));
	argva = USER_STACK_TOP - len16;
	if (arglen)
		memcpy(mm_user_page(&p->as, argva), arg, arglen);
	tf.rip = entry;
	tf.cs = 0x23;
	tf.ss = 0x1b;
	tf.rflags = 0x202;
	tf.rsp = argva - 8;          /* as if called: RSP + 8 is 16-byte aligned */
	tf.rdi = argva;
	tf.vector = TRAP_SYSCALL;
	proc_prepare_stack(p, &tf, syscall_return);
	p->state = P_RUNNABLE;
	return p->pid;
}

int64_t proc_spawn_init(const struct wl_args *args)
{
	return proc_spawn(mm_user_entry((uint64_t)&user_main), args, sizeof *args);
}

static int64_t proc_fork(const struct trapframe *tf)
{
	struct proc *p = proc_alloc();
	struct trapframe child_tf = *tf;

	if (!p)
		return -EAGAIN;
	mm_aspace_new(&p->as, (uint16_t)slot_of(p));
	/* mm_aspace_new's VMAs are replaced by the parent's. */
	mm_aspace_fork(&current->as, &p->as);
	child_tf.rax = 0;
	proc_prepare_stack(p, &child_tf, syscall_return);
	p->state = P_RUNNABLE;
	return p->pid;
}

static __attribute__((noreturn)) void proc_exit(uint64_t value)
{
	struct proc *p = current, *parent = p->parent;
	unsigned i;

	/* Leave the address space before tearing it down. */
	mm_load_cr3(&procs[0].as, 0);
	mm_aspace_destroy(&p->as);
	p->as.pml4 = procs[0].as.pml4;   /* switch_to may load it again */
	p->as.pcid = 0;
	for (i = 1; i < NPROC; i++)
		if (procs[i].state != P_FREE && procs[i].parent == p)
			procs[i].parent = &procs[0];
	p->exit_value = value;
	p->state = P_ZOMBIE;
	if (parent->state == P_WAITING &&
	    (parent->wait_for == p->pid || parent->wait_for == -1))
		parent->state = P_RUNNABLE;
	schedule();
	panic("pid %ld ran after exit", p->pid);
}

/* Reap child `pid` (-1: any child); 0 and its value, or -ECHILD. */
static int64_t proc_wait(int64_t pid, uint64_t *value)
{
	for (;;) {
		int have = 0;
		unsigned i;

		for (i = 1; i < NPROC; i++) {
			struct proc *c = &procs[i];

			if (c->state == P_FREE || c->parent != current ||
			    (pid != -1 && c->pid != pid))
				continue;
			have = 1;
			if (c->state == P_ZOMBIE) {
				*value = c->exit_value;
				c->state = P_FREE;
				return c->pid;
			}
		}
		if (!have)
			return -ECHILD;
		current->state = P_WAITING;
		current->wait_for = pid;
		schedule();
	}
}

uint64_t proc_wait_all(int64_t init_pid)
{
	uint64_t value = 0, ignored;

	if (proc_wait(init_pid, &value) < 0)
		panic("the first process vanished");
	while (proc_wait(-1, &ignored) >= 0)
		;
	return value;
}

static int user_range_ok(uint64_t p, uint64_t len)
{
	return p < USER_TOP && len <= USER_TOP - p && p >= (1ull << 39);
}

int64_t proc_syscall(struct trapframe *tf)
{
	uint64_t a0 = tf->rdi, a1 = tf->rsi, a2 = tf->rdx;

	kstats.syscalls++;
	switch (tf->rax) {
	case SYS_EXIT:
		proc_exit(a0);
	case SYS_WRITE:
		if (a0 != 1)
			return -EINVAL;
		if (!user_range_ok(a1, a2))
			return -EFAULT;
		con_write((const char *)a1, a2);
		return (int64_t)a2;
	case SYS_MMAP:
		return mm_mmap(&current->as, a0);
	case SYS_MUNMAP:
		return mm_munmap(&current->as, a0, a1, 1);
	case SYS_YIELD:
		schedule();
		return 0;
	case SYS_SPAWN: {
		uint8_t buf[USER_SPAWN_ARG_MAX];

		if (a2 > sizeof buf || !user_range_ok(a1, a2) ||
		    a0 < USER_IMAGE_BASE || a0 >= USER_MMAP_BASE)
			return -EINVAL;
		memcpy(buf, (const void *)a1, a2);
		return proc_spawn(a0, buf, a2);
	}
	case SYS_FORK:
		return proc_fork(tf);
	case SYS_WAIT: {
		uint64_t v = 0;
		int64_t r;

		if (!user_range_ok(a1, 8))
			return -EFAULT;
		r = proc_wait((int64_t)a0, &v);
		if (r >= 0)
			*(uint64_t *)a1 = v;
		return r < 0 ? r : 0;
	}
	case SYS_GETPID:
		return current->pid;
	default:
		return -ENOSYS;
	}
}

void syscall_dispatch(struct trapframe *tf)
{
	tf->rax = (uint64_t)proc_syscall(tf);
}

static const char *const trap_names[32] = {
	[0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "breakpoint",
	[4] = "overflow", [5] = "bound", [6] = "invalid opcode",
	[7] = "device not available", [8] = "double fault",
	[10] = "invalid TSS", [11] = "segment not present",
	[12] = "stack fault", [13] = "general protection",
	[14] = "page fault", [16] = "x87 error", [17] = "alignment check",
	[18] = "machine check", [19] = "SIMD error",
};

void trap_dispatch(struct trapframe *tf)
{
	if (tf->vector == 14) {
		uint64_t va = read_cr2();

		/* User addresses fault in for the process, whether user code or
		 * a syscall touched them. */
		if (va < USER_TOP && current->pid != 0 &&
		    mm_fault(&current->as, va, tf->err) == 0)
			return;
		panic("page fault at %lx (error %lx) rip %lx cs %lx rsp %lx rflags %lx in pid %ld%s",
		      va, tf->err, tf->rip, tf->cs, tf->rsp, tf->rflags, current->pid,
		      (tf->cs & 3) ? " (user)" : " (kernel)");
	}
	if (tf->vector == 0x20) {
		kstats.timer_ticks++;
		cpu_timer_eoi();
		if (tf->cs & 3)
			schedule();
		return;
	}
	if (tf->vector == 0xff)
		return;
	panic("%s (vector %lu, error %lx) at rip %lx rsp %lx in pid %ld%s",
	      tf->vector < 32 && trap_names[tf->vector] ? trap_names[tf->vector] : "trap",
	      tf->vector, tf->err, tf->rip, tf->rsp, current->pid,
	      (tf->cs & 3) ? " (user)" : " (kernel)");
}
