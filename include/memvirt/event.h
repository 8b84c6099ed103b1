/*
 * memvirt/event.h — typed events that engines, the VMM and memory backends
 * (in-tree or plugins) post to the event bus.
 *
 * Part of the plugin SDK: the numbering is append-only (a type's number
 * never changes, new types go at the end) because plugins compiled against
 * an older header post events by number and the results database stores
 * the number.  Names and descriptions live in one table (core/event.c) from
 * which the counters, the database's event_types table, the docs and the
 * --json output are all derived.
 */
#ifndef MEMVIRT_EVENT_H
#define MEMVIRT_EVENT_H

#include <stdint.h>

enum mv_event_type {
	MV_EV_VM_EXIT = 0,           /* detail: engine exit reason */
	MV_EV_VM_SWITCH,             /* vm: incoming VM; detail: outgoing VM */
	MV_EV_SHADOW_FAULT_HIDDEN,   /* guest PT maps it, the shadow did not yet */
	MV_EV_TRUE_FAULT_REFLECTED,  /* fault the guest must see; detail: error code */
	MV_EV_CR3_WRITE,             /* gpa: new guest CR3; detail: 1 shadow-cache hit, 0 miss */
	MV_EV_CR3_READ,
	MV_EV_PT_WRITE_EMULATED,     /* gpa: guest page-table entry written */
	MV_EV_SHADOW_RESYNC,         /* an out-of-sync shadow table brought back in sync */
	MV_EV_INVLPG,                /* gva: address */
	MV_EV_SHADOW_PAGE_ALLOC,
	MV_EV_SHADOW_PAGE_ZAP,
	MV_EV_NESTED_FAULT,          /* gpa: address missing in the nested tables */
	MV_EV_TLB_FLUSH,             /* detail: cause */
	MV_EV_GUEST_TLB_WRITE,       /* architected TLB: guest wrote an entry */
	MV_EV_HIDDEN_REFILL,         /* architected TLB: refilled from the virtual TLB */
	MV_EV_REFLECTED_REFILL,      /* architected TLB: miss reflected to the guest */
	MV_EV_TLB_REWRITE,           /* detail: entries rewritten at a VM switch */
	MV_EV_ASID_MAP_HIT,
	MV_EV_ASID_ALLOC,
	MV_EV_ASID_RECYCLE,
	MV_EV_IO,                    /* detail: port */
	MV_EV_TIMER_INTERRUPT,
	MV_EV_MSR_ACCESS,            /* detail: MSR index */
	MV_EV_PLUGIN,                /* free for plugins; detail is theirs */
	MV_EV__COUNT
};

/* One event.  Fields a type does not use are 0. */
struct mv_event {
	uint32_t type;        /* enum mv_event_type */
	uint16_t vm;
	uint16_t vcpu;
	uint64_t icount;      /* guest instructions retired when it happened */
	uint64_t gva, gpa, hpa;
	uint32_t asid;
	uint32_t reserved;
	uint64_t detail;
};

struct mv_event_desc {
	const char *name;      /* singular, e.g. "shadow_fault_hidden" */
	const char *counter;   /* the counter it feeds, e.g. "shadow_faults_hidden" */
	const char *help;      /* one line */
};

/* NULL for a type out of range. */
const struct mv_event_desc *mv_event_describe(uint32_t type);

#endif
