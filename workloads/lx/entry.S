/*
 * workloads/lx/entry.S — the Linux personality's ways into the kernel from
 * user mode and back: interrupt/exception stubs, the syscall entry, and
 * the kernel-stack switch between threads.  The same mechanism as the
 * workload kernel's workloads/kernel/entry.S (kept a separate copy so that
 * image's code does not move): both entries build a struct trapframe
 * (kern.h) on the thread's kernel stack.  The user's GS base is 0 while it
 * runs; the kernel's per-CPU block (kernel stack top at %gs:0, user RSP
 * scratch at %gs:8) is reached after swapgs, done exactly when coming from
 * or returning to CPL 3.
 *
 * The kvm_pvm fixup (#GP/#PF at syscall_entry from CPL 3 is that system
 * call) is the workload kernel's, described below.
 */
	.text

	.macro TRAP_NOERR n
	.globl trap_stub_\n
trap_stub_\n:
	pushq $0
	pushq $\n
	jmp trap_common
	.endm

	.macro TRAP_ERR n
	.globl trap_stub_\n
trap_stub_\n:
	pushq $\n
	jmp trap_common
	.endm

	TRAP_NOERR 0
	TRAP_NOERR 1
	TRAP_NOERR 2
	TRAP_NOERR 3
	TRAP_NOERR 4
	TRAP_NOERR 5
	TRAP_NOERR 6
	TRAP_NOERR 7
	TRAP_ERR 8
	TRAP_NOERR 9
	TRAP_ERR 10
	TRAP_ERR 11
	TRAP_ERR 12
	TRAP_ERR 13
	TRAP_ERR 14
	TRAP_NOERR 15
	TRAP_NOERR 16
	TRAP_ERR 17
	TRAP_NOERR 18
	TRAP_NOERR 19
	TRAP_NOERR 20
	TRAP_ERR 21
	TRAP_NOERR 22
	TRAP_NOERR 23
	TRAP_NOERR 24
	TRAP_NOERR 25
	TRAP_NOERR 26
	TRAP_NOERR 27
	TRAP_NOERR 28
	TRAP_ERR 29
	TRAP_ERR 30
	TRAP_NOERR 31
	TRAP_NOERR 32
	TRAP_NOERR 255

	.section .rodata
	.align 8
	.globl trap_stubs
trap_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12
	.quad trap_stub_\n
	.endr
	.quad fixup_stub_13, fixup_stub_14
	.irp n, 15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_stub_\n
	.endr
	.text

	.macro SAVE_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro RESTORE_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

trap_common:
	testb $3, 24(%rsp)              /* CS of the interrupted code */
	jz 1f
	swapgs
1:	SAVE_REGS
	cld
	movq %rsp, %rdi
	call trap_dispatch
	.globl trap_return
trap_return:
	RESTORE_REGS
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:	addq $16, %rsp                  /* vector, error code */
	iretq

	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:8
	movq %gs:0, %rsp
	pushq $0x1b                     /* user SS */
	pushq %gs:8                     /* user RSP */
	pushq %r11                      /* user RFLAGS */
	pushq $0x23                     /* user CS */
	pushq %rcx                      /* user RIP */
	pushq $0
	pushq $0x80                     /* TRAP_SYSCALL */
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call syscall_dispatch
	.globl syscall_return
syscall_return:
	RESTORE_REGS
	addq $16, %rsp
	popq %rcx                       /* RIP */
	addq $8, %rsp
	popq %r11                       /* RFLAGS */
	popq %rsp                       /* user RSP; interrupts stay off until sysretq */
	swapgs
	sysretq

/*
 * A system call that reached syscall_entry with CPL still 3.  A correct
 * `syscall` loads CS from STAR, so CPL 0; some hosts (one KVM that runs
 * guests on its shadow MMU without VMX/SVM) jump to LSTAR with RCX and
 * R11 set but leave CPL 3, and the entry's first instruction faults at
 * CPL 3: #PF (its page is supervisor-only) or #GP (swapgs).  #GP and #PF
 * come here first: a fault at syscall_entry from CPL 3 is that system
 * call.  The hardware frame on the kernel stack (error code, RIP, CS,
 * RFLAGS, RSP, SS) has the user RSP; RCX and R11 hold what `syscall` put
 * there; rewritten into the frame syscall_entry builds, it takes the
 * system call's own path and returns by sysretq.  Anything else goes on
 * to the usual stub.  On a correct host this costs two compares per #GP
 * and #PF.
 */
	.section .fixup.text, "ax"
	.macro FIXUP_STUB n
	.globl fixup_stub_\n
fixup_stub_\n:
	cmpq $syscall_entry, 8(%rsp)    /* RIP */
	jne trap_stub_\n
	testb $3, 16(%rsp)              /* CS */
	jz trap_stub_\n
	jmp syscall_at_cpl3
	.endm
	FIXUP_STUB 13
	FIXUP_STUB 14

syscall_at_cpl3:
	incq syscall_entry_fixups(%rip)
	movq $0, 0(%rsp)                /* error code */
	movq %rcx, 8(%rsp)              /* user RIP */
	movq $0x23, 16(%rsp)            /* user CS */
	movq %r11, 24(%rsp)             /* user RFLAGS */
	movq $0x1b, 40(%rsp)            /* user SS; 32(%rsp) is the user RSP */
	pushq $0x80                     /* TRAP_SYSCALL */
	swapgs
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call syscall_dispatch
	jmp syscall_return

	.section .fixup.data, "aw"
	.balign 8
	.globl syscall_entry_fixups
syscall_entry_fixups:
	.quad 0
	.text

/* void lx_ctx_switch(uint64_t *save_rsp, uint64_t next_rsp) */
	.globl lx_ctx_switch
lx_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.section .note.GNU-stack, "", @progbits
