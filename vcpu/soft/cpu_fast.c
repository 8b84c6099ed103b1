/*
 * vcpu/soft/cpu_fast.c — handlers specialised per instruction form for
 * the forms compiled code runs most, and the choice of a decoded
 * instruction's handler and of where its block ends.
 *
 * A specialised handler is the generic executor's case for its form with
 * the decode-time facts (operand size, register or memory operand, ALU
 * kind) made constant: it must compute the same results, flags (lazy
 * state included), memory accesses in the same order and faults as
 * exec() in cpu_exec.c, since the counters and the guest's state must not
 * depend on which of the two ran.  Both use the helpers of cpu_ops.h.
 * Forms without a handler here run through soft_exec_generic().
 */
#include "vcpu/soft/cpu_ops.h"

#include <stddef.h>
#include <string.h>

bool soft_ends_block(const struct soft_dinsn *d)
{
	switch (d->op) {
	case SOFT_OP_CALL:
	case SOFT_OP_CALL_IND:
	case SOFT_OP_RET:
	case SOFT_OP_JMP:
	case SOFT_OP_JMP_IND:
	case SOFT_OP_JCC:
	case SOFT_OP_JRCXZ:
	/* A REP string instruction retires one count per iteration and
	 * watches stop_at itself. */
	case SOFT_OP_MOVS:
	case SOFT_OP_STOS:
	case SOFT_OP_CMPS:
	case SOFT_OP_SCAS:
	/* Setting IF makes a pending interrupt deliverable: stop_at moves. */
	case SOFT_OP_POPF:
	case SOFT_OP_INVALID:
		return true;
	default:
		/* System instructions change modes, translations and stop_at. */
		return d->op >= SOFT_OP_CLI;
	}
}

/* ---- bodies, instantiated below with constant forms ---- */

HOT uint64_t vcpu_field(const struct soft_vcpu *v, uint16_t off)
{
	uint64_t x;
	memcpy(&x, (const char *)v + off, sizeof(x));
	return x;
}

/* ea() for the forms the specialised handlers take, from the operands
 * soft_prepare_insn() precomputed: the same sum, without branches. */
HOT uint64_t ea_fast(const struct soft_vcpu *v, const struct soft_dinsn *d)
{
	const struct soft_cinsn *c = cinsn_of(d);
	return c->ea_disp + vcpu_field(v, c->ea_base) + (vcpu_field(v, c->ea_index) << d->scale);
}

/* ea_fast() of an operand without an index register. */
HOT uint64_t ea_noindex(const struct soft_vcpu *v, const struct soft_dinsn *d)
{
	const struct soft_cinsn *c = cinsn_of(d);
	return c->ea_disp + vcpu_field(v, c->ea_base);
}

/* ---- RIP and the count (soft_vcpu.blk_last) ---- */

/* Out of line: only the paths that leave the handler's inline fast path
 * need RIP and the count exact. */
__attribute__((noinline)) void soft_sync(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	sync_at(v, d);
}

bool soft_end_block(struct soft_vcpu *v, uint64_t rip)
{
	v->icount = v->blk_icount_end;
	v->rip = rip;
	return next_block(v);
}

/* The address of the instruction after d. */
HOT uint64_t next_rip(const struct soft_vcpu *v, const struct soft_dinsn *d)
{
	return v->blk_vbase + cinsn_of(d)->off + d->len;
}

/* The memory accesses of the handlers: mem_rd() and the others of
 * cpu_ops.h, with RIP and the count made exact before their full path,
 * which may fault, reset a code page or count a miss. */
static __attribute__((noinline)) uint64_t rd_miss(struct soft_vcpu *v,
						  const struct soft_dinsn *d, uint64_t va,
						  unsigned sz)
{
	uint8_t *p = host_ptr_miss(v, va, sz, SOFT_ACCESS_READ);
	if (likely(p))
		return ld(p, sz);
	soft_sync(v, d);
	return soft_mem_rd_slow(v, va, sz);
}

static __attribute__((noinline)) void wr_miss(struct soft_vcpu *v, const struct soft_dinsn *d,
					      uint64_t va, unsigned sz, uint64_t val)
{
	uint8_t *p = host_ptr_miss(v, va, sz, SOFT_ACCESS_WRITE);
	if (likely(p)) {
		st(p, sz, val);
		return;
	}
	soft_sync(v, d);
	soft_mem_wr_slow(v, va, sz, val);
}

static __attribute__((noinline)) void probe_wr_miss(struct soft_vcpu *v,
						    const struct soft_dinsn *d, uint64_t va,
						    unsigned sz)
{
	if (likely(host_ptr_miss(v, va, sz, SOFT_ACCESS_WRITE)))
		return;
	soft_sync(v, d);
	soft_mem_probe_wr_slow(v, va, sz);
}

static __attribute__((noinline)) bool try_wr_miss(struct soft_vcpu *v,
						  const struct soft_dinsn *d, uint64_t va,
						  unsigned sz, uint64_t val, struct soft_fault *f)
{
	uint8_t *p = host_ptr_miss(v, va, sz, SOFT_ACCESS_WRITE);
	if (likely(p)) {
		st(p, sz, val);
		return true;
	}
	soft_sync(v, d);
	return try_wr(v, va, sz, v->cpl == 3, val, f);
}

HOT uint64_t fmem_rd(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va, unsigned sz)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, SOFT_ACCESS_READ, &p)))
		return ld(p, sz);
	return rd_miss(v, d, va, sz);
}

HOT void fmem_wr(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va, unsigned sz,
		 uint64_t val)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p)))
		st(p, sz, val);
	else
		wr_miss(v, d, va, sz, val);
}

HOT void fmem_probe_wr(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va,
		       unsigned sz)
{
	uint8_t *p;
	if (unlikely(!dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p)))
		probe_wr_miss(v, d, va, sz);
}

HOT bool ftry_wr(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va, unsigned sz,
		 uint64_t val, struct soft_fault *f)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p))) {
		st(p, sz, val);
		return true;
	}
	return try_wr_miss(v, d, va, sz, val, f);
}

/* The first memory access of a handler instantiated twice (MEM_HANDLER):
 * in the handler proper (miss is its twin) only the inline hit, false
 * when it misses, nothing counted yet: the handler then hands the whole
 * instruction to its twin, whose own first access (miss NULL) takes the
 * miss path at once (the lookup it would repeat has just missed, and
 * looking changes nothing).  The fast path then makes no call and saves
 * no register. */
HOT bool first_rd(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va, unsigned sz,
		  soft_exec_fn miss, uint64_t *val)
{
	uint8_t *p;
	if (!miss) {
		*val = rd_miss(v, d, va, sz);
		return true;
	}
	if (unlikely(!dfast_hit(v, va, sz, SOFT_ACCESS_READ, &p)))
		return false;
	*val = ld(p, sz);
	return true;
}

HOT bool first_wr(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va, unsigned sz,
		  uint64_t val, soft_exec_fn miss)
{
	uint8_t *p;
	if (!miss) {
		wr_miss(v, d, va, sz, val);
		return true;
	}
	if (unlikely(!dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p)))
		return false;
	st(p, sz, val);
	return true;
}

HOT bool first_probe_wr(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t va,
			unsigned sz, soft_exec_fn miss)
{
	uint8_t *p;
	if (!miss) {
		probe_wr_miss(v, d, va, sz);
		return true;
	}
	return dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p);
}

/* A handler and its twin for a miss of its first access (first_rd()),
 * which must stay a function of its own: inlined, its calls would make
 * the handler save registers again. */
#define MEM_HANDLER(name, sz, call)                                                          \
	static __attribute__((noinline)) bool name##_miss(struct soft_vcpu *v,                \
							  const struct soft_dinsn *d)         \
	{ enum { SZ = sz }; const soft_exec_fn MISS = NULL; return call; }                     \
	static bool name(struct soft_vcpu *v, const struct soft_dinsn *d)                     \
	{ enum { SZ = sz }; const soft_exec_fn MISS = name##_miss; return call; }
#define SIZED_MEM_HANDLERS(name, call) MEM_HANDLER(name##_4, 4, call) MEM_HANDLER(name##_8, 8, call)


/* branch()'s check, the target then given to end_block(). */
HOT void fbranch(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t target)
{
	if (unlikely(!canonical(target))) {
		soft_sync(v, d);
		soft_raise(v, 13, true, 0);
	}
}

/* Every handler but a branch's ends like the generic executor's cases,
 * then runs the next entry of the block: the block's budget covers it
 * (start_block() runs a block cut short entry by entry through the
 * generic executor), and after the block's last, the next is its end
 * (soft_end_entry()). */
HOT bool retire(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	const struct soft_cinsn *c = cinsn_of(d) + 1;
	return c->fn(v, &c->d);
}

/* retire() for a handler that writes memory: the write may have reset
 * a page with decoded code, which ends the block with it (blk_last). */
HOT bool retire_write(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	return next_insn(v, d);
}

/* The handler of the end entry. */
static bool block_end_entry(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	return end_block(v, v->blk_vbase + cinsn_of(d)->off);
}

void soft_end_entry(struct soft_cinsn *c, unsigned off)
{
	memset(c, 0, sizeof(*c));
	c->fn = block_end_entry;
	c->off = (uint16_t)off;
}

/* A branch is the last entry of its block: the block ends at it. */
HOT bool branch_to(struct soft_vcpu *v, const struct soft_dinsn *d, uint64_t target)
{
	fbranch(v, d, target);
	return end_block(v, target);
}

/* A JCC of condition cc (its sub), instantiated per condition: cond()
 * then folds into the test of the lazy kind, and after a flag-setting
 * instruction fused with it, into a compare of its operands. */
/* A branch to target, an entry of the block running (c->loop): the
 * next block starts there as next_block() would start it, without looking
 * up the slot of an entry known to be in the fetch page, and ends with
 * the same last entry (blk_last, the branch).  RIP and the count, stale
 * while a block runs anyway, are written only for the run loop. */
static bool loop_to(struct soft_vcpu *v, const struct soft_cinsn *target)
{
	uint64_t icount = v->blk_icount_end;
	/* The block ran within its budget and nothing in it moved stop_at
	 * (what can ends its block): icount <= stop_at. */
	uint64_t budget = v->stop_at - icount;
	if (likely(budget >= target->left && v->chain_left != 0)) {
		v->chain_left--;
		v->blk_icount_end = icount + target->left;
		return target->fn(v, &target->d);
	}
	if (budget != 0 && v->chain_left != 0) {
		/* Cut short by the budget: as start_in_page(). */
		v->chain_left--;
		v->blk_icount_end = icount + 1;
		v->blk_last = &target->d;
		return soft_exec_generic(v, &target->d);
	}
	v->icount = icount;
	v->rip = v->blk_vbase + target->off;
	return true;
}

HOT bool jcc_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned cc)
{
	const struct soft_cinsn *c = cinsn_of(d);
	if (cond(v, cc)) {
		if (c->loop)
			return loop_to(v, c - (c->loop - 1));
		return branch_to(v, d, next_rip(v, d) + d->imm);
	}
	return branch_to(v, d, next_rip(v, d));
}

/* The end of a flag-setting instruction fused with the JCC of condition
 * cc after it (the last of the block, soft_fuse_jcc()): it retires, then
 * the JCC runs here (the block's budget covers both, see retire()). */
HOT bool then_jcc(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned cc)
{
	return jcc_body(v, &(cinsn_of(d) + 1)->d, cc);
}

/* A handler's jcc argument: not fused with a JCC. */
#define NO_JCC (-1)

/* retire(), or then_jcc() for the condition jcc, as the handler was
 * instantiated. */
HOT bool finish(struct soft_vcpu *v, const struct soft_dinsn *d, int jcc)
{
	return jcc >= 0 ? then_jcc(v, d, (unsigned)jcc) : retire(v, d);
}

/* Where an ALU form's operands are. */
enum fast_alu_form {
	FAST_GE_RR = 0,  /* reg dst, r/m register src */
	FAST_EG_RR,      /* r/m register dst, reg src */
	FAST_EI_R,       /* r/m register dst, immediate src */
	FAST_GE_M,       /* reg dst, memory src */
	FAST_EG_M,       /* memory dst, reg src */
	FAST_EI_M,       /* memory dst, immediate src */
	FAST_ALU_FORMS
};

HOT bool alu_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned kind, unsigned sz,
		  enum fast_alu_form form, int jcc, soft_exec_fn miss)
{
	uint64_t a, b, r;
	if (form == FAST_EG_M || form == FAST_EI_M) {
		b = form == FAST_EG_M ? reg_rd_w(v, d->reg, sz) : d->imm & szmask(sz);
		uint64_t addr = ea_fast(v, d);
		if (kind != SOFT_ALU_CMP) {
			if (!first_probe_wr(v, d, addr, sz, miss))
				return miss(v, d);
			a = fmem_rd(v, d, addr, sz);
		} else if (!first_rd(v, d, addr, sz, miss, &a)) {
			return miss(v, d);
		}
		if (kind == SOFT_ALU_CMP) {
			lazy(v, SOFT_CC_SUB, sz, (a - b) & szmask(sz), a, b);
			return finish(v, d, jcc);
		}
		/* As exec(): the flags become visible with the store only. */
		uint64_t sf = soft_flags(v);
		r = alu(v, kind, sz, a, b);
		struct soft_fault f;
		if (unlikely(!ftry_wr(v, d, addr, sz, r, &f))) {
			soft_set_flags(v, sf);
			soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, addr, sz);
		}
		return retire_write(v, d);
	}
	unsigned dst = form == FAST_GE_RR || form == FAST_GE_M ? d->reg : d->rm;
	a = reg_rd_w(v, dst, sz);
	switch (form) {
	case FAST_GE_RR: b = reg_rd_w(v, d->rm, sz); break;
	case FAST_EG_RR: b = reg_rd_w(v, d->reg, sz); break;
	case FAST_EI_R: b = d->imm & szmask(sz); break;
	default:
		if (!first_rd(v, d, ea_fast(v, d), sz, miss, &b))
			return miss(v, d);
		break;
	}
	if (kind == SOFT_ALU_CMP)
		lazy(v, SOFT_CC_SUB, sz, (a - b) & szmask(sz), a, b);
	else
		reg_wr(v, dst, sz, alu(v, kind, sz, a, b));
	return finish(v, d, jcc);
}

/* TEST r/m, reg and TEST r/m, imm: flags only. */
HOT bool test_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz,
		   enum fast_alu_form form, int jcc, soft_exec_fn miss)
{
	uint64_t b = form == FAST_EI_R || form == FAST_EI_M ? d->imm & szmask(sz)
							      : reg_rd_w(v, d->reg, sz);
	uint64_t a;
	if (form == FAST_EG_M || form == FAST_EI_M) {
		if (!first_rd(v, d, ea_fast(v, d), sz, miss, &a))
			return miss(v, d);
	} else {
		a = reg_rd_w(v, d->rm, sz);
	}
	lazy(v, SOFT_CC_LOGIC, sz, a & b, a, b);
	return finish(v, d, jcc);
}

/* Where a MOV's operands are. */
enum fast_mov_form {
	FAST_MOV_RR = 0,  /* reg <- r/m register (8b) or r/m <- reg (89) */
	FAST_MOV_LOAD,    /* reg <- memory */
	FAST_MOV_STORE,   /* memory <- reg */
	FAST_MOV_LOAD_B,  /* the two without an index register: the most common */
	FAST_MOV_STORE_B,
	FAST_MOV_RI,      /* register <- immediate (b8+r, c7 /0 register) */
	FAST_MOV_MI,      /* memory <- immediate */
	FAST_MOV_FORMS
};

HOT bool mov_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz,
		  enum fast_mov_form form, bool to_rm, soft_exec_fn miss)
{
	uint64_t x;
	switch (form) {
	case FAST_MOV_RR:
		if (to_rm)
			reg_wr(v, d->rm, sz, reg_rd_w(v, d->reg, sz));
		else
			reg_wr(v, d->reg, sz, reg_rd_w(v, d->rm, sz));
		break;
	case FAST_MOV_LOAD:
	case FAST_MOV_LOAD_B:
		if (!first_rd(v, d, form == FAST_MOV_LOAD ? ea_fast(v, d) : ea_noindex(v, d), sz,
			      miss, &x))
			return miss(v, d);
		reg_wr(v, d->reg, sz, x);
		break;
	case FAST_MOV_STORE:
	case FAST_MOV_STORE_B:
		if (!first_wr(v, d, form == FAST_MOV_STORE ? ea_fast(v, d) : ea_noindex(v, d), sz,
			      reg_rd_w(v, d->reg, sz), miss))
			return miss(v, d);
		break;
	case FAST_MOV_RI:
		reg_wr(v, to_rm ? d->rm : d->reg, sz, d->imm);
		break;
	default:
		if (!first_wr(v, d, ea_fast(v, d), sz, d->imm, miss))
			return miss(v, d);
		break;
	}
	return form == FAST_MOV_STORE || form == FAST_MOV_STORE_B || form == FAST_MOV_MI
		       ? retire_write(v, d) : retire(v, d);
}

/* ---- handlers ---- */

#define ALU_REG(name, kind, form, f)                                                         \
	static bool alu_##name##_##f##_4(struct soft_vcpu *v, const struct soft_dinsn *d)      \
	{ return alu_body(v, d, kind, 4, form, NO_JCC, NULL); }                                \
	static bool alu_##name##_##f##_8(struct soft_vcpu *v, const struct soft_dinsn *d)      \
	{ return alu_body(v, d, kind, 8, form, NO_JCC, NULL); }
#define ALU_MEM(name, kind, form, f)                                                         \
	SIZED_MEM_HANDLERS(alu_##name##_##f, alu_body(v, d, kind, SZ, form, NO_JCC, MISS))
#define ALU_HANDLERS(name, kind)                                                             \
	ALU_REG(name, kind, FAST_GE_RR, ge_rr) ALU_REG(name, kind, FAST_EG_RR, eg_rr)        \
	ALU_REG(name, kind, FAST_EI_R, ei_r) ALU_MEM(name, kind, FAST_GE_M, ge_m)            \
	ALU_MEM(name, kind, FAST_EG_M, eg_m) ALU_MEM(name, kind, FAST_EI_M, ei_m)
#define ALU_ROW(name)                                                                          \
	{ { alu_##name##_ge_rr_4, alu_##name##_ge_rr_8 }, { alu_##name##_eg_rr_4, alu_##name##_eg_rr_8 }, \
	  { alu_##name##_ei_r_4, alu_##name##_ei_r_8 }, { alu_##name##_ge_m_4, alu_##name##_ge_m_8 },   \
	  { alu_##name##_eg_m_4, alu_##name##_eg_m_8 }, { alu_##name##_ei_m_4, alu_##name##_ei_m_8 } }

ALU_HANDLERS(add, SOFT_ALU_ADD)
ALU_HANDLERS(or, SOFT_ALU_OR)
ALU_HANDLERS(and, SOFT_ALU_AND)
ALU_HANDLERS(sub, SOFT_ALU_SUB)
ALU_HANDLERS(xor, SOFT_ALU_XOR)
ALU_HANDLERS(cmp, SOFT_ALU_CMP)

/* [kind][form][size 4, 8]; ADC and SBB read CF and stay generic. */
static const soft_exec_fn alu_handlers[8][FAST_ALU_FORMS][2] = {
	[SOFT_ALU_ADD] = ALU_ROW(add),
	[SOFT_ALU_OR] = ALU_ROW(or),
	[SOFT_ALU_AND] = ALU_ROW(and),
	[SOFT_ALU_SUB] = ALU_ROW(sub),
	[SOFT_ALU_XOR] = ALU_ROW(xor),
	[SOFT_ALU_CMP] = ALU_ROW(cmp),
};

#define SIZED_HANDLERS(name, call)                                                             \
	static bool name##_4(struct soft_vcpu *v, const struct soft_dinsn *d) { enum { SZ = 4 }; return call; } \
	static bool name##_8(struct soft_vcpu *v, const struct soft_dinsn *d) { enum { SZ = 8 }; return call; }
#define SIZED(name) { name##_4, name##_8 }

SIZED_HANDLERS(test_eg_rr, test_body(v, d, SZ, FAST_EG_RR, NO_JCC, NULL))
SIZED_HANDLERS(test_ei_r, test_body(v, d, SZ, FAST_EI_R, NO_JCC, NULL))
SIZED_MEM_HANDLERS(test_eg_m, test_body(v, d, SZ, FAST_EG_M, NO_JCC, MISS))
SIZED_MEM_HANDLERS(test_ei_m, test_body(v, d, SZ, FAST_EI_M, NO_JCC, MISS))
SIZED_HANDLERS(mov_rr_to_reg, mov_body(v, d, SZ, FAST_MOV_RR, false, NULL))
SIZED_HANDLERS(mov_rr_to_rm, mov_body(v, d, SZ, FAST_MOV_RR, true, NULL))
SIZED_MEM_HANDLERS(mov_load, mov_body(v, d, SZ, FAST_MOV_LOAD, false, MISS))
SIZED_MEM_HANDLERS(mov_store, mov_body(v, d, SZ, FAST_MOV_STORE, false, MISS))
SIZED_MEM_HANDLERS(mov_load_b, mov_body(v, d, SZ, FAST_MOV_LOAD_B, false, MISS))
SIZED_MEM_HANDLERS(mov_store_b, mov_body(v, d, SZ, FAST_MOV_STORE_B, false, MISS))
SIZED_HANDLERS(mov_ri_reg, mov_body(v, d, SZ, FAST_MOV_RI, false, NULL))
SIZED_HANDLERS(mov_ri_rm, mov_body(v, d, SZ, FAST_MOV_RI, true, NULL))
SIZED_MEM_HANDLERS(mov_mi, mov_body(v, d, SZ, FAST_MOV_MI, false, MISS))

HOT bool lea_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz)
{
	reg_wr(v, d->reg, sz, ea_fast(v, d));
	return retire(v, d);
}
SIZED_HANDLERS(lea, lea_body(v, d, SZ))

HOT bool incdec_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz, bool inc,
		     int jcc)
{
	uint64_t a = reg_rd_w(v, d->rm, sz);
	uint64_t r = (inc ? a + 1 : a - 1) & szmask(sz);
	reg_wr(v, d->rm, sz, r);
	uint64_t cf = cc_cf(v);
	lazy(v, inc ? SOFT_CC_INC : SOFT_CC_DEC, sz, r, a, cf);
	return finish(v, d, jcc);
}
SIZED_HANDLERS(inc_r, incdec_body(v, d, SZ, true, NO_JCC))
SIZED_HANDLERS(dec_r, incdec_body(v, d, SZ, false, NO_JCC))

/* Fused with the JCC after them (soft_fuse_jcc()), per condition:
 * name[condition][size 4, 8]. */
#define FOR_CC(X, name, call)                                                                \
	X(name, call, 0) X(name, call, 1) X(name, call, 2) X(name, call, 3)                  \
	X(name, call, 4) X(name, call, 5) X(name, call, 6) X(name, call, 7)                  \
	X(name, call, 8) X(name, call, 9) X(name, call, 10) X(name, call, 11)                \
	X(name, call, 12) X(name, call, 13) X(name, call, 14) X(name, call, 15)
#define JCC_SIZED(name, call, cc)                                                            \
	static bool name##_##cc##_4(struct soft_vcpu *v, const struct soft_dinsn *d)          \
	{ enum { SZ = 4, CC = cc }; return call; }                                             \
	static bool name##_##cc##_8(struct soft_vcpu *v, const struct soft_dinsn *d)          \
	{ enum { SZ = 8, CC = cc }; return call; }
#define JCC_ROW(name, call, cc) { name##_##cc##_4, name##_##cc##_8 },
#define JCC_HANDLERS(name, call)                                                             \
	FOR_CC(JCC_SIZED, name, call)                                                        \
	static const soft_exec_fn name[16][2] = { FOR_CC(JCC_ROW, name, call) };

/* A memory form's first access missing, the twin of the CMP or TEST
 * alone runs it, and the JCC then runs from its own entry. */
#define TWIN(name) (SZ == 4 ? name##_4_miss : name##_8_miss)
JCC_HANDLERS(cmp_ge_rr_jcc, alu_body(v, d, SOFT_ALU_CMP, SZ, FAST_GE_RR, CC, NULL))
JCC_HANDLERS(cmp_eg_rr_jcc, alu_body(v, d, SOFT_ALU_CMP, SZ, FAST_EG_RR, CC, NULL))
JCC_HANDLERS(cmp_ei_r_jcc, alu_body(v, d, SOFT_ALU_CMP, SZ, FAST_EI_R, CC, NULL))
JCC_HANDLERS(cmp_ge_m_jcc, alu_body(v, d, SOFT_ALU_CMP, SZ, FAST_GE_M, CC, TWIN(alu_cmp_ge_m)))
JCC_HANDLERS(cmp_eg_m_jcc, alu_body(v, d, SOFT_ALU_CMP, SZ, FAST_EG_M, CC, TWIN(alu_cmp_eg_m)))
JCC_HANDLERS(cmp_ei_m_jcc, alu_body(v, d, SOFT_ALU_CMP, SZ, FAST_EI_M, CC, TWIN(alu_cmp_ei_m)))
JCC_HANDLERS(test_eg_rr_jcc, test_body(v, d, SZ, FAST_EG_RR, CC, NULL))
JCC_HANDLERS(test_ei_r_jcc, test_body(v, d, SZ, FAST_EI_R, CC, NULL))
JCC_HANDLERS(test_eg_m_jcc, test_body(v, d, SZ, FAST_EG_M, CC, TWIN(test_eg_m)))
JCC_HANDLERS(test_ei_m_jcc, test_body(v, d, SZ, FAST_EI_M, CC, TWIN(test_ei_m)))
JCC_HANDLERS(inc_r_jcc, incdec_body(v, d, SZ, true, CC))
JCC_HANDLERS(dec_r_jcc, incdec_body(v, d, SZ, false, CC))

/* shift()'s result alone. */
HOT uint64_t shift_value(unsigned kind, unsigned sz, uint64_t a, unsigned cnt)
{
	unsigned bits = sz * 8, e;
	cnt &= sz == 8 ? 0x3f : 0x1f;
	if (cnt == 0)
		return a;
	switch (kind) {
	case SOFT_SH_SHL: return (a << cnt) & szmask(sz);
	case SOFT_SH_SHR: return a >> cnt;
	case SOFT_SH_SAR: return (uint64_t)(sext(a, sz) >> cnt) & szmask(sz);
	case SOFT_SH_ROL:
		e = cnt % bits;
		return e ? ((a << e) | (a >> (bits - e))) & szmask(sz) : a;
	default: /* ROR */
		e = cnt % bits;
		return e ? ((a >> e) | (a << (bits - e))) & szmask(sz) : a;
	}
}

/* Shifts and rotates of a register by an immediate count (or 1); flags:
 * set them (the _nf forms: the block sets them again unseen). */
HOT bool shift_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz, unsigned kind,
		    bool flags)
{
	unsigned cnt = d->count == SOFT_CNT_1 ? 1 : (unsigned)d->imm;
	uint64_t a = reg_rd_w(v, d->rm, sz);
	reg_wr(v, d->rm, sz, flags ? shift(v, kind, sz, a, cnt) : shift_value(kind, sz, a, cnt));
	return retire(v, d);
}
SIZED_HANDLERS(rol_ri, shift_body(v, d, SZ, SOFT_SH_ROL, true))
SIZED_HANDLERS(ror_ri, shift_body(v, d, SZ, SOFT_SH_ROR, true))
SIZED_HANDLERS(shl_ri, shift_body(v, d, SZ, SOFT_SH_SHL, true))
SIZED_HANDLERS(shr_ri, shift_body(v, d, SZ, SOFT_SH_SHR, true))
SIZED_HANDLERS(sar_ri, shift_body(v, d, SZ, SOFT_SH_SAR, true))

/* [enum soft_shift][size 4, 8]; RCL/RCR stay generic (SAL is SHL). */
static const soft_exec_fn shift_handlers[8][2] = {
	[SOFT_SH_ROL] = SIZED(rol_ri),
	[SOFT_SH_ROR] = SIZED(ror_ri),
	[SOFT_SH_SHL] = SIZED(shl_ri),
	[SOFT_SH_SAL] = SIZED(shl_ri),
	[SOFT_SH_SHR] = SIZED(shr_ri),
	[SOFT_SH_SAR] = SIZED(sar_ri),
};

/* IMUL reg, r/m (register or memory) and IMUL reg, r/m, imm. */
HOT bool imul2_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz, bool mem,
		    bool with_imm, soft_exec_fn miss)
{
	uint64_t b;
	if (!mem)
		b = reg_rd_w(v, d->rm, sz);
	else if (!first_rd(v, d, ea_fast(v, d), sz, miss, &b))
		return miss(v, d);
	uint64_t a = with_imm ? d->imm : reg_rd_w(v, d->reg, sz);
	__int128 p = (__int128)sext(a, sz) * sext(b, sz);
	uint64_t lo = (uint64_t)p & szmask(sz);
	bool over = p != (__int128)sext(lo, sz);
	reg_wr(v, d->reg, sz, lo);
	lazy(v, SOFT_CC_MUL, sz, lo, 0, over);
	return retire(v, d);
}
SIZED_HANDLERS(imul_rr, imul2_body(v, d, SZ, false, false, NULL))
SIZED_MEM_HANDLERS(imul_rm, imul2_body(v, d, SZ, true, false, MISS))
SIZED_HANDLERS(imul_rri, imul2_body(v, d, SZ, false, true, NULL))
SIZED_MEM_HANDLERS(imul_rmi, imul2_body(v, d, SZ, true, true, MISS))

/* ---- results whose flags nobody sees ----
 *
 * A register instruction whose flags the rest of its block overwrites
 * before anything can read or show them (soft_finish_block()) runs a
 * handler that computes its result only: the same registers, lazy state
 * as the overwriting instruction leaves it.  Flags are seen by an
 * instruction that reads them and wherever the state may be looked at:
 * a fault or miss (any memory access), the generic executor, the block's
 * end; a block cut short by its budget runs its entries through the
 * generic executor (start_block()). */

HOT uint64_t alu_value(unsigned kind, unsigned sz, uint64_t a, uint64_t b)
{
	switch (kind) {
	case SOFT_ALU_ADD: return (a + b) & szmask(sz);
	case SOFT_ALU_OR: return a | b;
	case SOFT_ALU_AND: return a & b;
	case SOFT_ALU_XOR: return a ^ b;
	default: return (a - b) & szmask(sz); /* SUB */
	}
}

HOT bool alu_nf_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned kind, unsigned sz,
		     enum fast_alu_form form)
{
	unsigned dst = form == FAST_GE_RR ? d->reg : d->rm;
	uint64_t b = form == FAST_GE_RR ? reg_rd_w(v, d->rm, sz)
		   : form == FAST_EG_RR ? reg_rd_w(v, d->reg, sz) : d->imm & szmask(sz);
	reg_wr(v, dst, sz, alu_value(kind, sz, reg_rd_w(v, dst, sz), b));
	return retire(v, d);
}

#define ALU_NF(name, kind)                                                                   \
	SIZED_HANDLERS(alu_nf_##name##_ge_rr, alu_nf_body(v, d, kind, SZ, FAST_GE_RR))       \
	SIZED_HANDLERS(alu_nf_##name##_eg_rr, alu_nf_body(v, d, kind, SZ, FAST_EG_RR))       \
	SIZED_HANDLERS(alu_nf_##name##_ei_r, alu_nf_body(v, d, kind, SZ, FAST_EI_R))
#define ALU_NF_ROW(name)                                                                     \
	{ [FAST_GE_RR] = SIZED(alu_nf_##name##_ge_rr), [FAST_EG_RR] = SIZED(alu_nf_##name##_eg_rr), \
	  [FAST_EI_R] = SIZED(alu_nf_##name##_ei_r) }
ALU_NF(add, SOFT_ALU_ADD)
ALU_NF(or, SOFT_ALU_OR)
ALU_NF(and, SOFT_ALU_AND)
ALU_NF(sub, SOFT_ALU_SUB)
ALU_NF(xor, SOFT_ALU_XOR)
/* [kind][register form][size 4, 8] */
static const soft_exec_fn alu_nf[8][FAST_EI_R + 1][2] = {
	[SOFT_ALU_ADD] = ALU_NF_ROW(add), [SOFT_ALU_OR] = ALU_NF_ROW(or),
	[SOFT_ALU_AND] = ALU_NF_ROW(and), [SOFT_ALU_SUB] = ALU_NF_ROW(sub),
	[SOFT_ALU_XOR] = ALU_NF_ROW(xor),
};

HOT bool incdec_nf_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz, bool inc)
{
	uint64_t a = reg_rd_w(v, d->rm, sz);
	reg_wr(v, d->rm, sz, (inc ? a + 1 : a - 1) & szmask(sz));
	return retire(v, d);
}
SIZED_HANDLERS(inc_nf, incdec_nf_body(v, d, SZ, true))
SIZED_HANDLERS(dec_nf, incdec_nf_body(v, d, SZ, false))

SIZED_HANDLERS(rol_nf, shift_body(v, d, SZ, SOFT_SH_ROL, false))
SIZED_HANDLERS(ror_nf, shift_body(v, d, SZ, SOFT_SH_ROR, false))
SIZED_HANDLERS(shl_nf, shift_body(v, d, SZ, SOFT_SH_SHL, false))
SIZED_HANDLERS(shr_nf, shift_body(v, d, SZ, SOFT_SH_SHR, false))
SIZED_HANDLERS(sar_nf, shift_body(v, d, SZ, SOFT_SH_SAR, false))
static const soft_exec_fn shift_nf[8][2] = {
	[SOFT_SH_ROL] = SIZED(rol_nf), [SOFT_SH_ROR] = SIZED(ror_nf),
	[SOFT_SH_SHL] = SIZED(shl_nf), [SOFT_SH_SAL] = SIZED(shl_nf),
	[SOFT_SH_SHR] = SIZED(shr_nf), [SOFT_SH_SAR] = SIZED(sar_nf),
};

/* The low half of a product is the same signed or not. */
HOT bool imul_nf_body(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz, bool with_imm)
{
	uint64_t a = with_imm ? d->imm : reg_rd_w(v, d->reg, sz);
	reg_wr(v, d->reg, sz, (a * reg_rd_w(v, d->rm, sz)) & szmask(sz));
	return retire(v, d);
}
SIZED_HANDLERS(imul_rr_nf, imul_nf_body(v, d, SZ, false))
SIZED_HANDLERS(imul_rri_nf, imul_nf_body(v, d, SZ, true))

HOT bool push_body(struct soft_vcpu *v, const struct soft_dinsn *d, soft_exec_fn miss)
{
	uint64_t sp = v->r[4] - 8;
	if (!first_wr(v, d, sp, 8, reg_rd_w(v, d->reg, 8), miss))
		return miss(v, d);
	v->r[4] = sp;
	return retire_write(v, d);
}
MEM_HANDLER(push_r64, 8, push_body(v, d, MISS))

HOT bool pop_body(struct soft_vcpu *v, const struct soft_dinsn *d, soft_exec_fn miss)
{
	uint64_t a;
	if (!first_rd(v, d, v->r[4], 8, miss, &a))
		return miss(v, d);
	v->r[4] += 8;
	reg_wr(v, d->reg, 8, a);
	return retire(v, d);
}
MEM_HANDLER(pop_r64, 8, pop_body(v, d, MISS))

static bool nop(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	return retire(v, d);
}

/* Branches retire themselves, as in exec(). */
HOT bool call_body(struct soft_vcpu *v, const struct soft_dinsn *d, soft_exec_fn miss)
{
	uint64_t next = next_rip(v, d);
	uint64_t sp = v->r[4] - 8;
	if (!first_wr(v, d, sp, 8, next, miss))
		return miss(v, d);
	v->r[4] = sp;
	return branch_to(v, d, next + d->imm);
}
MEM_HANDLER(call_rel, 8, call_body(v, d, MISS))

HOT bool ret_body(struct soft_vcpu *v, const struct soft_dinsn *d, soft_exec_fn miss)
{
	uint64_t a;
	if (!first_rd(v, d, v->r[4], 8, miss, &a))
		return miss(v, d);
	fbranch(v, d, a);
	v->r[4] += 8;
	return end_block(v, a);
}
MEM_HANDLER(ret_near, 8, ret_body(v, d, MISS))

static bool jmp_rel(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	const struct soft_cinsn *c = cinsn_of(d);
	if (c->loop)
		return loop_to(v, c - (c->loop - 1));
	return branch_to(v, d, next_rip(v, d) + d->imm);
}

#define JCC_ONE(name, call, cc)                                                              \
	static bool name##_##cc(struct soft_vcpu *v, const struct soft_dinsn *d)              \
	{ enum { CC = cc }; return call; }
#define JCC_ONE_ENTRY(name, call, cc) name##_##cc,
FOR_CC(JCC_ONE, jcc_rel, jcc_body(v, d, CC))
/* [condition] */
static const soft_exec_fn jcc_rel[16] = { FOR_CC(JCC_ONE_ENTRY, jcc_rel, _) };

/* ---- selection ---- */

static unsigned size_index(const struct soft_dinsn *d)
{
	return d->osize == 8;
}

static bool alu_form(const struct soft_dinsn *d, enum fast_alu_form *form)
{
	switch (d->opnds) {
	case SOFT_P_GE: *form = d->mem ? FAST_GE_M : FAST_GE_RR; return true;
	case SOFT_P_EG: *form = d->mem ? FAST_EG_M : FAST_EG_RR; return true;
	case SOFT_P_EI: *form = d->mem ? FAST_EI_M : FAST_EI_R; return true;
	default: return false;
	}
}

static soft_exec_fn select_alu(const struct soft_dinsn *d)
{
	enum fast_alu_form form;
	if (!alu_form(d, &form))
		return NULL;
	if (d->op == SOFT_OP_TEST) {
		static const soft_exec_fn test[FAST_ALU_FORMS][2] = {
			[FAST_EG_RR] = SIZED(test_eg_rr), [FAST_EI_R] = SIZED(test_ei_r),
			[FAST_EG_M] = SIZED(test_eg_m), [FAST_EI_M] = SIZED(test_ei_m),
		};
		return test[form][size_index(d)];
	}
	/* A LOCKed RMW is executed like an unlocked one (one CPU). */
	return alu_handlers[d->sub & 7][form][size_index(d)];
}

/* The handlers fused with a following JCC, [form][condition][size 4, 8]. */
typedef const soft_exec_fn jcc_table[16][2];
static jcc_table *const cmp_jcc[FAST_ALU_FORMS] = {
	[FAST_GE_RR] = &cmp_ge_rr_jcc, [FAST_EG_RR] = &cmp_eg_rr_jcc,
	[FAST_EI_R] = &cmp_ei_r_jcc, [FAST_GE_M] = &cmp_ge_m_jcc,
	[FAST_EG_M] = &cmp_eg_m_jcc, [FAST_EI_M] = &cmp_ei_m_jcc,
};
static jcc_table *const test_jcc[FAST_ALU_FORMS] = {
	[FAST_EG_RR] = &test_eg_rr_jcc, [FAST_EI_R] = &test_ei_r_jcc,
	[FAST_EG_M] = &test_eg_m_jcc, [FAST_EI_M] = &test_ei_m_jcc,
};

static soft_exec_fn select_mov(const struct soft_dinsn *d)
{
	switch (d->opnds) {
	case SOFT_P_EG:
		if (!d->mem)
			return (soft_exec_fn[2])SIZED(mov_rr_to_rm)[size_index(d)];
		return d->index == SOFT_NOREG ? (soft_exec_fn[2])SIZED(mov_store_b)[size_index(d)]
					      : (soft_exec_fn[2])SIZED(mov_store)[size_index(d)];
	case SOFT_P_GE:
		if (!d->mem)
			return (soft_exec_fn[2])SIZED(mov_rr_to_reg)[size_index(d)];
		return d->index == SOFT_NOREG ? (soft_exec_fn[2])SIZED(mov_load_b)[size_index(d)]
					      : (soft_exec_fn[2])SIZED(mov_load)[size_index(d)];
	case SOFT_P_OI:
		return (soft_exec_fn[2])SIZED(mov_ri_reg)[size_index(d)];
	case SOFT_P_EI:
		return d->mem ? (soft_exec_fn[2])SIZED(mov_mi)[size_index(d)]
			      : (soft_exec_fn[2])SIZED(mov_ri_rm)[size_index(d)];
	default:
		return NULL;
	}
}

static soft_exec_fn select_fast(const struct soft_dinsn *d)
{
	/* Specialised handlers cover 32- and 64-bit operands without segment
	 * overrides or 32-bit addressing; the rest stays generic. */
	if ((d->osize != 4 && d->osize != 8) || d->seg || d->addr32)
		return NULL;
	/* The handlers index v->r with reg and rm unchecked (reg_rd_w()). */
	if (d->reg > 15 || (!d->mem && d->rm > 15))
		return NULL;
	switch (d->op) {
	case SOFT_OP_ALU:
	case SOFT_OP_TEST:
		return select_alu(d);
	case SOFT_OP_MOV:
		return select_mov(d);
	case SOFT_OP_LEA:
		return (soft_exec_fn[2])SIZED(lea)[size_index(d)];
	case SOFT_OP_INC:
		return d->mem ? NULL : (soft_exec_fn[2])SIZED(inc_r)[size_index(d)];
	case SOFT_OP_DEC:
		return d->mem ? NULL : (soft_exec_fn[2])SIZED(dec_r)[size_index(d)];
	case SOFT_OP_SHIFT:
		if (d->mem || (d->count != SOFT_CNT_1 && d->count != SOFT_CNT_IMM))
			return NULL;
		return shift_handlers[d->sub & 7][size_index(d)];
	case SOFT_OP_IMUL2:
		if (d->opnds == SOFT_P_GEI)
			return d->mem ? (soft_exec_fn[2])SIZED(imul_rmi)[size_index(d)]
				      : (soft_exec_fn[2])SIZED(imul_rri)[size_index(d)];
		return d->mem ? (soft_exec_fn[2])SIZED(imul_rm)[size_index(d)]
			      : (soft_exec_fn[2])SIZED(imul_rr)[size_index(d)];
	case SOFT_OP_PUSH:
		return d->opnds == SOFT_P_O && d->osize == 8 ? push_r64 : NULL;
	case SOFT_OP_POP:
		return d->opnds == SOFT_P_O && d->osize == 8 ? pop_r64 : NULL;
	case SOFT_OP_NOP:
		return nop;
	case SOFT_OP_CALL:
		return call_rel;
	case SOFT_OP_RET:
		return d->opnds == SOFT_P_I ? NULL : ret_near;
	case SOFT_OP_JMP:
		return jmp_rel;
	case SOFT_OP_JCC:
		return jcc_rel[d->sub & 15];
	default:
		return NULL;
	}
}

soft_exec_fn soft_select_handler(const struct soft_dinsn *d)
{
	soft_exec_fn fn = select_fast(d);
	return fn ? fn : soft_exec_generic;
}

soft_exec_fn soft_fuse_jcc(const struct soft_dinsn *d, const struct soft_dinsn *next)
{
	enum fast_alu_form form;
	if (next->op != SOFT_OP_JCC || select_fast(next) != jcc_rel[next->sub & 15] ||
	    !select_fast(d))
		return NULL;
	unsigned cc = next->sub & 15;
	switch (d->op) {
	case SOFT_OP_ALU:
		if (d->sub != SOFT_ALU_CMP || !alu_form(d, &form))
			return NULL;
		return (*cmp_jcc[form])[cc][size_index(d)];
	case SOFT_OP_TEST:
		return alu_form(d, &form) && test_jcc[form] ? (*test_jcc[form])[cc][size_index(d)]
						       : NULL;
	case SOFT_OP_INC:
		return inc_r_jcc[cc][size_index(d)];
	case SOFT_OP_DEC:
		return dec_r_jcc[cc][size_index(d)];
	default:
		return NULL;
	}
}

/* The handler of d computing its result only (its flags unseen), or NULL. */
static soft_exec_fn select_flagless(const struct soft_dinsn *d)
{
	if (!select_fast(d) || d->mem)
		return NULL;
	unsigned sz = size_index(d);
	enum fast_alu_form form;
	switch (d->op) {
	case SOFT_OP_ALU:
		if (!alu_form(d, &form) || form > FAST_EI_R)
			return NULL;
		return alu_nf[d->sub & 7][form][sz];
	case SOFT_OP_INC:
		return (soft_exec_fn[2])SIZED(inc_nf)[sz];
	case SOFT_OP_DEC:
		return (soft_exec_fn[2])SIZED(dec_nf)[sz];
	case SOFT_OP_SHIFT:
		return shift_nf[d->sub & 7][sz];
	case SOFT_OP_IMUL2:
		return d->opnds == SOFT_P_GEI ? (soft_exec_fn[2])SIZED(imul_rri_nf)[sz]
					      : (soft_exec_fn[2])SIZED(imul_rr_nf)[sz];
	default:
		return NULL;
	}
}

/* The arithmetic flags a specialised register form reads (*rd) and sets
 * (*wr, as the model defines them: all six after a shift, IMUL...), for
 * one that cannot fault or leave its block; false for any other, which
 * may show the flags. */
static bool flag_effect(const struct soft_dinsn *d, unsigned *rd, unsigned *wr)
{
	*rd = *wr = 0;
	if (!select_fast(d))
		return false;
	if (d->op == SOFT_OP_LEA)
		return true; /* no access: an address only */
	if (d->mem)
		return false;
	switch (d->op) {
	case SOFT_OP_ALU:
		if (!alu_handlers[d->sub & 7][0][0])
			return false; /* ADC, SBB: generic */
		*wr = SOFT_ARITH;
		return true;
	case SOFT_OP_TEST:
	case SOFT_OP_IMUL2:
		*wr = SOFT_ARITH;
		return true;
	case SOFT_OP_MOV:
	case SOFT_OP_NOP:
		return true;
	case SOFT_OP_INC:
	case SOFT_OP_DEC:
		*rd = SOFT_CF;
		*wr = SOFT_ARITH & ~SOFT_CF;
		return true;
	case SOFT_OP_SHIFT: {
		unsigned cnt = (d->count == SOFT_CNT_1 ? 1 : (unsigned)d->imm) &
			       (d->osize == 8 ? 0x3f : 0x1f);
		unsigned kind = d->sub & 7;
		if (cnt != 0)
			*wr = kind == SOFT_SH_ROL || kind == SOFT_SH_ROR ? SOFT_CF | SOFT_OF
									 : SOFT_ARITH;
		return true;
	}
	default:
		return false;
	}
}

/* Whether the flags c[0] sets are all set again by c[1..n) before
 * anything reads or may show them. */
static bool flags_unseen(const struct soft_cinsn *c, unsigned n)
{
	unsigned rd, pending;
	if (!flag_effect(&c->d, &rd, &pending) || pending == 0)
		return false;
	for (unsigned j = 1; j < n; j++) {
		unsigned wr;
		if (!flag_effect(&c[j].d, &rd, &wr) || (rd & pending))
			return false;
		pending &= ~wr;
		if (pending == 0)
			return true;
	}
	return false;
}

/* c->loop of a block's last entry c[n - 1]. */
static uint8_t loop_of(const struct soft_cinsn *c, unsigned n)
{
	const struct soft_cinsn *last = &c[n - 1];
	if (last->d.op != SOFT_OP_JCC && last->d.op != SOFT_OP_JMP)
		return 0;
	int64_t target = (int64_t)last->off + last->d.len + (int64_t)last->d.imm;
	for (unsigned k = 0; k < n; k++)
		if (c[k].off == target)
			return (uint8_t)(n - k);
	return 0;
}

void soft_finish_block(struct soft_cinsn *c, unsigned n)
{
	c[n - 1].loop = loop_of(c, n);
	for (unsigned i = 0; i < n; i++) {
		c[i].left = (uint8_t)(n - i);
		soft_exec_fn fn = i + 1 < n ? soft_fuse_jcc(&c[i].d, &c[i + 1].d) : NULL;
		if (!fn && flags_unseen(&c[i], n - i))
			fn = select_flagless(&c[i].d);
		if (fn)
			c[i].fn = fn;
	}
}

static uint16_t reg_offset(uint8_t r)
{
	if (r == SOFT_RIPREL)
		return (uint16_t)offsetof(struct soft_vcpu, blk_vbase);
	if (r == SOFT_NOREG || r > 15)
		return (uint16_t)offsetof(struct soft_vcpu, zero);
	return (uint16_t)(offsetof(struct soft_vcpu, r) + r * sizeof(uint64_t));
}

void soft_prepare_insn(struct soft_cinsn *c, unsigned off)
{
	const struct soft_dinsn *d = &c->d;
	c->fn = soft_select_handler(d);
	c->left = 1;
	c->loop = 0;
	c->off = (uint16_t)off;
	/* RIP-relative: blk_vbase + off + len is the next instruction's RIP. */
	c->ea_disp = (uint64_t)(int64_t)d->disp + (d->base == SOFT_RIPREL ? off + d->len : 0);
	c->ea_base = reg_offset(d->base);
	/* The index is never RIP (no such encoding). */
	c->ea_index = d->index == SOFT_RIPREL ? reg_offset(SOFT_NOREG) : reg_offset(d->index);
}
