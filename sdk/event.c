/*
 * sdk/event.c — the table of event types: name, the counter each feeds,
 * and a one-line description.  Everything that lists events (the bus's
 * counters, the database's event_types table, `memvirt list events`,
 * docs/results-schema.md) reads this table.
 */
#include <stddef.h>

#include "memvirt/event.h"

static const struct mv_event_desc event_table[MV_EV__COUNT] = {
	[MV_EV_VM_EXIT] = {"vm_exit", "vm_exits", "the guest stopped and the VMM ran (detail: exit reason)"},
	[MV_EV_VM_SWITCH] = {"vm_switch", "vm_switches", "the VMM switched the CPU to another guest VM (detail: previous VM)"},
	[MV_EV_SHADOW_FAULT_HIDDEN] = {"shadow_fault_hidden", "shadow_faults_hidden", "hidden page fault absorbed by the VMM: the guest table maps the page, the shadow did not yet"},
	[MV_EV_TRUE_FAULT_REFLECTED] = {"true_fault_reflected", "true_faults_reflected", "page fault reflected to the guest OS (detail: error code)"},
	[MV_EV_CR3_WRITE] = {"cr3_write", "cr3_writes", "guest wrote its page-table pointer (detail: 1 shadow-cache hit, 0 miss)"},
	[MV_EV_CR3_READ] = {"cr3_read", "cr3_reads", "guest read its page-table pointer"},
	[MV_EV_PT_WRITE_EMULATED] = {"pt_write_emulated", "pt_writes_emulated", "write to a write-protected guest page-table page, emulated by the VMM"},
	[MV_EV_SHADOW_RESYNC] = {"shadow_resync", "shadow_resyncs", "out-of-sync shadow page table brought back in sync"},
	[MV_EV_INVLPG] = {"invlpg", "invlpgs", "guest invalidated one translation"},
	[MV_EV_SHADOW_PAGE_ALLOC] = {"shadow_page_alloc", "shadow_pages_allocated", "shadow page-table page allocated"},
	[MV_EV_SHADOW_PAGE_ZAP] = {"shadow_page_zap", "shadow_pages_zapped", "shadow page-table page dropped"},
	[MV_EV_NESTED_FAULT] = {"nested_fault", "nested_faults", "nested page fault: GPA missing from the nested tables"},
	[MV_EV_TLB_FLUSH] = {"tlb_flush", "tlb_flushes", "TLB flush requested by the VMM or a backend (detail: cause)"},
	[MV_EV_GUEST_TLB_WRITE] = {"guest_tlb_write", "guest_tlb_writes", "architected TLB: the guest wrote a TLB entry"},
	[MV_EV_HIDDEN_REFILL] = {"hidden_refill", "hidden_refills", "architected TLB: real-TLB miss refilled from the VM's virtual TLB"},
	[MV_EV_REFLECTED_REFILL] = {"reflected_refill", "reflected_refills", "architected TLB: miss reflected to the guest's refill handler"},
	[MV_EV_TLB_REWRITE] = {"tlb_rewrite", "tlb_rewrites", "architected TLB: real TLB rewritten at a VM switch (detail: entries)"},
	[MV_EV_ASID_MAP_HIT] = {"asid_map_hit", "asid_map_hits", "ASID map table already had a real ASID for (VM, guest ASID)"},
	[MV_EV_ASID_ALLOC] = {"asid_alloc", "asid_allocs", "real ASID allocated to (VM, guest ASID)"},
	[MV_EV_ASID_RECYCLE] = {"asid_recycle", "asid_recycles", "real ASID taken back from its owner and flushed"},
	[MV_EV_IO] = {"io", "io_exits", "port I/O handled by the VMM (detail: port)"},
	[MV_EV_TIMER_INTERRUPT] = {"timer_interrupt", "timer_interrupts", "timer interrupt delivered to the guest"},
	[MV_EV_MSR_ACCESS] = {"msr_access", "msr_exits", "MSR access emulated by the VMM (detail: MSR index)"},
	[MV_EV_PLUGIN] = {"plugin", "plugin_events", "event of a plugin's own (detail: the plugin's)"},
};

const struct mv_event_desc *mv_event_describe(uint32_t type)
{
	if (type >= MV_EV__COUNT || !event_table[type].name)
		return NULL;
	return &event_table[type];
}
