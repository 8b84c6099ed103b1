/*
 * vcpu/soft/cpu.h — internal to the soft engine: the vCPU state, the
 * machine, the predecode cache and the functions the CPU's files share.
 * Not a public header: the VMM uses soft.h and vcpu/engine.h.
 *
 * Invariants:
 * - v->rip is the address of the instruction being executed until it
 *   retires; a fault unwinds (longjmp to the run loop) with RIP intact and
 *   no architectural state changed, because instructions write memory
 *   before registers and flags.  Inside a block the specialised handlers
 *   do not update RIP and the instruction count (see
 *   soft_vcpu.blk_last): both follow from the running entry's place in
 *   the block, and are made exact (soft_sync()) before anything else can
 *   see them: a miss or fault of a memory access, a fault of a branch,
 *   the generic executor, the block's end.
 * - Arithmetic flags are lazy: while cc_op != SOFT_CC_EAGER the six
 *   arithmetic bits of rflags are stale and cc_res/cc_s1/cc_s2/cc_size say
 *   how to compute them (soft_flags()).
 * - stop_at <= the instruction count at which anything asynchronous must
 *   be looked at (timer, quantum, limit, a pending interrupt); the hot
 *   loop compares the count with it once per instruction.
 * - A code page's predecoded instructions describe the bytes currently in
 *   machine memory: every guest store to a page with decoded code resets it,
 *   and ends the block being run (blk_last of the vCPU whose registers
 *   are loaded becomes the instruction that wrote: the entries after it
 *   may be reused by the next decode).
 * - The run loop runs a block of n instructions without looking at stop_at
 *   only when icount + n <= stop_at, so everything asynchronous is seen at
 *   the same instruction boundary as when it looked before each one; an
 *   instruction that can move stop_at ends its block.  Each handler but
 *   the last of the run (blk_last) calls the next one.
 */
#ifndef MEMVIRT_VCPU_SOFT_CPU_H
#define MEMVIRT_VCPU_SOFT_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "vcpu/soft/insn.h"
#include "vcpu/soft/mmu.h"
#include "vcpu/soft/soft.h"
#include "vcpu/soft/archtlb.h"
#include "vcpu/soft/fpu.h"

#define SOFT_PAGE 4096u
#define SOFT_NEVER UINT64_MAX

struct soft_vcpu;

/* Executes one decoded instruction (at blk_vbase + its entry's off):
 * retires it or unwinds on a fault.  Returns false when the run must stop
 * (an exit is filled in, RIP and the count exact). */
typedef bool (*soft_exec_fn)(struct soft_vcpu *v, const struct soft_dinsn *d);

/* A predecoded instruction: its handler (specialised for its form when
 * there is one, cpu_fast.c) and how many instructions its block has left.
 * A block is a straight run decoded in one go inside one page, ending with
 * the first instruction that may leave it (a branch, a system instruction,
 * a string instruction, POPF) or change what the run loop must look at
 * between instructions; every instruction but the last retires exactly one
 * count and falls through to the next entry of the array. */
struct soft_cinsn {
	soft_exec_fn fn;
	uint8_t left;                /* this one and those after it in its block, 1..64 */
	/* A block's last entry, a relative JMP or JCC: 1 + how many entries
	 * back its target is when that is an entry of the same block (a loop
	 * inside the page), else 0. */
	uint8_t loop;
	uint16_t off;                /* its offset in its page (RIP's low 12 bits) */
	/* The memory operand's address without branches, for the specialised
	 * handlers (no segment override, 64-bit addressing):
	 * ea_disp + *(base) + (*(index) << scale), base and index byte offsets
	 * of uint64_t fields of struct soft_vcpu (a register, blk_vbase for a
	 * RIP-relative operand with off and the length folded into ea_disp,
	 * or the zero field for none). */
	uint16_t ea_base, ea_index;
	uint64_t ea_disp;
	struct soft_dinsn d;
};

/* Predecoded instructions of one 4 KiB page of machine memory. */
struct soft_code_page {
	uint16_t slot[SOFT_PAGE];    /* 0: not decoded; else 1 + index in insns */
	uint32_t n, cap;
	struct soft_cinsn *insns;
};

struct soft_machine {
	uint8_t *mem;
	uint64_t mem_size;
	bool own_mem;
	struct soft_mmu *mmu;
	struct soft_code_page **code; /* per machine page, NULL: never held code */
	/* Bit p set: code[p] is not NULL.  What the data path asks on every
	 * write and every fill (soft_has_code()): a bit per page stays in
	 * the host's caches where a pointer per page does not. */
	uint64_t *code_bits;
	uint64_t npages;
	struct soft_vcpu *loaded;     /* whose MMU registers are in the MMU */
	uint64_t decodes, code_resets;
};

/* Whether machine page `page` (< npages) has ever held decoded code. */
static inline bool soft_has_code(const struct soft_machine *m, uint64_t page)
{
	return (m->code_bits[page / 64] >> (page % 64)) & 1;
}

enum soft_cc {
	SOFT_CC_EAGER = 0,
	SOFT_CC_ADD,
	SOFT_CC_SUB,
	SOFT_CC_LOGIC,
	SOFT_CC_INC,   /* cc_s2 holds the CF to keep */
	SOFT_CC_DEC,
	SOFT_CC_SHL,   /* cc_s1: the value shifted, cc_s2: the count (1..63) */
	SOFT_CC_SHR,
	SOFT_CC_SAR,
	SOFT_CC_MUL,   /* cc_s2: 1 when the product overflowed (CF = OF) */
	/* A rotate over another lazy kind: that kind's flags (cc_rot_kind,
	 * cc_res, cc_rot_s1, cc_rot_s2, cc_size) with CF and OF replaced by
	 * the bits in cc_s2.  Rotates set CF and OF only, and what follows
	 * them nearly always sets every flag again: this saves computing the
	 * ones they keep. */
	SOFT_CC_ROT,
};

/* Segment register numbers (as in the modrm.reg of mov to/from sreg). */
enum { SOFT_ES = 0, SOFT_CS, SOFT_SS, SOFT_DS, SOFT_FS, SOFT_GS, SOFT_NSEG };

struct soft_apic {
	uint64_t base_msr;
	uint32_t lvt_timer, initial, divide_cfg, tpr, svr;
	uint64_t deadline;        /* instruction count at which the timer fires, or NEVER */
	uint64_t irr[4], isr[4];
};

/* Why the run loop was unwound. */
enum soft_unwind { SOFT_UNWIND_EXC = 1, SOFT_UNWIND_EXIT };

struct soft_vm;

/* The CPU's cache of data lookups, per virtual page and mode: what
 * the L1 data TLB's 4 KiB set held for it (the entry a hit counts on, the
 * host address of the machine page, which accesses it allows), good while
 * the data TLB's gen has not moved.  A host-side shortcut: every hit
 * through it is counted on the entry exactly as the MMU counts one. */
#define SOFT_DFAST 64
struct soft_dfast {
	uint64_t tag;             /* virtual page << 1 | user; a gen of 0 never matches */
	uint64_t gen;
	uint64_t host;            /* host address of the page minus its virtual address */
	struct soft_tlb_entry *e;
	uint32_t rights;          /* 1 << SOFT_ACCESS_READ / WRITE */
} __attribute__((aligned(64))); /* a power of two: the index is a shift and a mask */

struct soft_vcpu {
	uint64_t r[16];
	uint64_t rip, rflags;
	uint32_t cc_op, cc_size;
	uint64_t cc_res, cc_s1, cc_s2;
	uint32_t cc_rot_kind;     /* SOFT_CC_ROT: the kind under the rotate */
	uint64_t cc_rot_s1, cc_rot_s2;

	struct engine_segment seg[SOFT_NSEG], tr, ldt;
	struct engine_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_offset;
	unsigned cpl;

	uint64_t icount, idle;
	uint64_t quantum, quantum_end, limit;
	uint64_t stop_at;
	uint64_t sti_until;       /* interrupts blocked while icount < sti_until */
	struct soft_apic apic;
	bool halted, shutdown;

	/* An IN waiting for the VMM's data: completed at the next run. */
	bool in_pending;
	uint8_t in_size;
	uint64_t in_next_rip;
	/* An exception raised inside an instruction, being unwound. */
	uint8_t exc_vec;
	bool exc_has_err;
	uint32_t exc_err;
	uint64_t exc_cr2;
	/* An event to deliver before the next instruction (injected, or one
	 * whose delivery hit a nested page fault). */
	bool inj_pending, inj_has_err;
	bool inj_delivering;      /* soft_deliver_event() of the injected event */
	/* The pending event is one whose delivery faulted (a VM exit came in
	 * between): a fault the VMM reflects now happened while delivering
	 * it, and combines with it as the CPU's would. */
	bool inj_redeliver;
	bool inj_shutdown;        /* the combination is a triple fault */
	uint8_t inj_shutdown_second;
	uint8_t inj_kind;         /* enum soft_event_kind of the pending event */
	uint8_t inj_vec;
	uint32_t inj_err;
	uint64_t inj_cr2;

	struct soft_intercepts icpt;
	struct soft_mmu_regs mregs;
	struct soft_atlb atlb;    /* architected-TLB registers (archtlb.c) */
	struct engine_exit exit;

	/* Current fetch block: the virtual code page RIP is in, its machine
	 * page and its predecode page.  fetch_vpage = NEVER forces a new
	 * translation (after anything that may change it). */
	uint64_t fetch_vpage, fetch_hpage;
	struct soft_code_page *fetch_cp;
	/* The block being run: entries of one page up to blk_last (the
	 * block's budget), blk_vbase the virtual address of that page,
	 * blk_icount_end the count once blk_last has retired.  While it runs
	 * rip and icount are stale (also at its start when it follows a block
	 * of the same page, loop_to()): the running entry c is at blk_vbase +
	 * c->off with blk_icount_end - (entries from c to blk_last)
	 * instructions retired before it; soft_sync() makes them exact and
	 * records c in blk_synced (for soft_code_reset()). */
	const struct soft_dinsn *blk_last, *blk_synced;
	uint64_t blk_vbase, blk_icount_end;
	/* Blocks that may still start from the end of another before the run
	 * loop is back (bounds the handlers' call depth). */
	unsigned chain_left;
	const uint64_t zero;      /* always 0: the absent base or index (soft_cinsn) */
	struct soft_dfast dfast[SOFT_DFAST];

	struct soft_fpu fpu;      /* x87 and SSE state (fpu.h) */

	struct soft_machine *m;
	struct soft_mmu *mmu;     /* m->mmu, for the data accesses of a run (soft_cpu_run()) */
	struct soft_vm *vm;
	uint16_t index;           /* vCPU number in events */
	jmp_buf unwind;

	/* Statistics. */
	uint64_t n_exceptions, n_interrupts, n_double_faults, n_ud;
	uint64_t n_exits[ENGINE_EXIT__COUNT];
	uint64_t n_intercepts[ENGINE_ICPT__COUNT];
};

struct soft_vm {
	engine_post_fn post;          /* engine events go here; may be NULL */
	void *post_ctx;
	struct soft_machine *m;
	bool own_machine;
	uint64_t phys_base, phys_limit;
	bool have_memory;
	uint16_t vm_index;
	unsigned nvcpus;
	struct soft_vcpu *vcpus[8];
};

static inline struct soft_vcpu *soft_vcpu_of(struct engine_vcpu *v)
{
	return (struct soft_vcpu *)(void *)v;
}

/* ---- shared between the CPU's files ---- */

/* cpu_exec.c */
int soft_cpu_run(struct soft_vcpu *v);
/* The generic executor: every form (cpu_exec.c). */
bool soft_exec_generic(struct soft_vcpu *v, const struct soft_dinsn *d);
/* cpu_fast.c: the handler for a decoded instruction (the generic one when
 * its form has no specialised handler), and whether it ends a block. */
soft_exec_fn soft_select_handler(const struct soft_dinsn *d);
/* The handler of d fused with the JCC `next` right after it in the same
 * block (both run from one call), or NULL when there is none. */
soft_exec_fn soft_fuse_jcc(const struct soft_dinsn *d, const struct soft_dinsn *next);
/* Fills in the entry after a block's last, which ends the block when the
 * last is not a branch (RIP goes to off in the page): the handlers that
 * cannot end their block early run the next entry without a test. */
void soft_end_entry(struct soft_cinsn *c, unsigned off);
/* The n entries of a block just decoded: how many are left from each,
 * and the handlers that depend on the entries after them (fused with a
 * JCC, results only where the flags are overwritten unseen). */
void soft_finish_block(struct soft_cinsn *c, unsigned n);
/* Fills in a decoded instruction's handler and precomputed operands;
 * off: its offset in its page. */
void soft_prepare_insn(struct soft_cinsn *c, unsigned off);
/* Makes RIP and the instruction count exact for the running entry d of
 * the block (see soft_vcpu.blk_last); cpu_fast.c. */
void soft_sync(struct soft_vcpu *v, const struct soft_dinsn *d);
bool soft_ends_block(const struct soft_dinsn *d);
uint64_t soft_flags(struct soft_vcpu *v);          /* full RFLAGS, flags materialized */
void soft_set_flags(struct soft_vcpu *v, uint64_t rflags);
void soft_cpu_reset(struct soft_vcpu *v);
void soft_code_reset(struct soft_machine *m, uint64_t page);

/* cpu_sse.c: executes an SSE/SSE2 form (SOFT_OP_SSE); the caller retires
 * it.  Unwinds on a fault (#UD, #NM, #GP, #XM, memory). */
void soft_exec_sse(struct soft_vcpu *v, const struct soft_dinsn *d);
/* One data access of n bytes (9..416) at va in the current mode,
 * counted as one access (two translations when it crosses a page, both
 * before a byte moves): buf is read into or written from; NULL checks
 * the translation only (a write probe).  Unwinds on a fault. */
void soft_access_n(struct soft_vcpu *v, uint64_t va, unsigned n, enum soft_access acc, void *buf);
/* The FPU and SSE state at reset (MXCSR 0x1f80, FCW as FNINIT leaves it). */
void soft_fpu_reset(struct soft_fpu *f);

/* cpu_sys.c: exceptions, system instructions, MSRs, CPUID, APIC. */
_Noreturn void soft_raise(struct soft_vcpu *v, uint8_t vec, bool has_err, uint32_t err);
_Noreturn void soft_raise_fault(struct soft_vcpu *v, const struct soft_fault *f,
				 enum soft_access acc, uint64_t va, unsigned size);
_Noreturn void soft_exit_unwind(struct soft_vcpu *v);
enum soft_event_kind { SOFT_EV_EXC = 0, SOFT_EV_SOFTINT, SOFT_EV_EXTINT };
/* Deliver an event through the IDT (or to the VMM when intercepted),
 * handling double and triple faults.  ret_rip: the RIP pushed. */
/* End the run with a triple fault: `second` while delivering `first`. */
void soft_triple_fault(struct soft_vcpu *v, unsigned first, unsigned second);
void soft_deliver_event(struct soft_vcpu *v, uint8_t vec, bool has_err, uint32_t err,
			uint64_t cr2, enum soft_event_kind kind, uint64_t ret_rip);
/* Executes a system instruction; returns true when the run must stop
 * (an exit was filled in), having retired the instruction or not as
 * the instruction's semantics say. */
bool soft_exec_sys(struct soft_vcpu *v, const struct soft_dinsn *d);
void soft_update_mmu(struct soft_vcpu *v);
void soft_load_mmu(struct soft_vcpu *v);
void soft_recompute_stop(struct soft_vcpu *v);
/* Runs the asynchronous checks; true when the run must stop. */
bool soft_async(struct soft_vcpu *v);
void soft_apic_reset(struct soft_apic *a);
bool soft_intercepted(const struct soft_vcpu *v, enum engine_intercept cause);
void soft_intercept_exit(struct soft_vcpu *v, enum engine_intercept cause, uint64_t info1,
			 uint64_t info2, uint8_t len);

/* Memory helpers (cpu_exec.c) usable by the system code: system accesses
 * are supervisor accesses.  They unwind on a fault. */
uint64_t soft_read(struct soft_vcpu *v, uint64_t va, unsigned size, bool sys);
void soft_write(struct soft_vcpu *v, uint64_t va, unsigned size, uint64_t val, bool sys);
/* Non-unwinding variants for event delivery: false with *f on a fault. */
bool soft_try_read(struct soft_vcpu *v, uint64_t va, unsigned size, uint64_t *val,
		   struct soft_fault *f);
bool soft_try_write(struct soft_vcpu *v, uint64_t va, unsigned size, uint64_t val,
		    struct soft_fault *f);


/* Shared by the files of the CPU's system side (cpu_sys.c, cpu_event.c,
 * cpu_apic.c, cpu_msr.c). */
bool soft_read_desc(struct soft_vcpu *v, uint16_t sel, uint64_t *lo, uint64_t *hi,
		      struct soft_fault *f, bool *gp);
void soft_unpack_seg(struct engine_segment *s, uint16_t sel, uint64_t d);
const char *soft_vec_name(unsigned v);
void soft_fault_exit(struct soft_vcpu *v, const struct soft_fault *f, enum soft_access acc,
		       unsigned size);
void soft_load_seg(struct soft_vcpu *v, unsigned sr, uint16_t sel, unsigned cpl);
bool soft_apic_msr_read(struct soft_vcpu *v, uint32_t msr, uint64_t *val);
bool soft_apic_msr_write(struct soft_vcpu *v, uint32_t msr, uint64_t val);
void soft_apic_timer_expire(struct soft_vcpu *v);
int soft_apic_pending(const struct soft_vcpu *v);
unsigned soft_apic_divisor(const struct soft_apic *a);
bool soft_msr_read(struct soft_vcpu *v, uint32_t msr, uint64_t *val);
bool soft_msr_write(struct soft_vcpu *v, uint32_t msr, uint64_t val);
void soft_cpuid(struct soft_vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);

#endif
