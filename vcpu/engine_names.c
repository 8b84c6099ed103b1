/*
 * vcpu/engine_names.c — names for the engine interface's enums, shared by
 * every engine and by the VMM's reports.
 */
#include "vcpu/engine.h"

static const char *const exit_reason_names[ENGINE_EXIT__COUNT] = {
	[ENGINE_EXIT_NONE] = "none",
	[ENGINE_EXIT_IO] = "io",
	[ENGINE_EXIT_MMIO] = "mmio",
	[ENGINE_EXIT_HLT] = "hlt",
	[ENGINE_EXIT_SHUTDOWN] = "shutdown",
	[ENGINE_EXIT_FAIL_ENTRY] = "fail_entry",
	[ENGINE_EXIT_INTERNAL_ERROR] = "internal_error",
	[ENGINE_EXIT_INTERCEPT] = "intercept",
	[ENGINE_EXIT_QUANTUM] = "quantum",
	[ENGINE_EXIT_INSN_LIMIT] = "insn_limit",
};
_Static_assert(sizeof(exit_reason_names) / sizeof(exit_reason_names[0]) == ENGINE_EXIT__COUNT,
	       "every exit reason has a name");

static const char *const intercept_names[ENGINE_ICPT__COUNT] = {
	[ENGINE_ICPT_CR3_READ] = "cr3_read",
	[ENGINE_ICPT_CR3_WRITE] = "cr3_write",
	[ENGINE_ICPT_CR0_WRITE] = "cr0_write",
	[ENGINE_ICPT_CR4_WRITE] = "cr4_write",
	[ENGINE_ICPT_INVLPG] = "invlpg",
	[ENGINE_ICPT_EXCEPTION] = "exception",
	[ENGINE_ICPT_MSR_READ] = "msr_read",
	[ENGINE_ICPT_MSR_WRITE] = "msr_write",
	[ENGINE_ICPT_HLT] = "hlt",
	[ENGINE_ICPT_IO] = "io",
	[ENGINE_ICPT_CPUID] = "cpuid",
	[ENGINE_ICPT_VMMCALL] = "vmmcall",
	[ENGINE_ICPT_NESTED_FAULT] = "nested_fault",
	[ENGINE_ICPT_TLB_WRITE] = "tlb_write",
};

const char *engine_exit_reason_name(enum engine_exit_reason reason)
{
	if ((unsigned)reason >= ENGINE_EXIT__COUNT || !exit_reason_names[reason])
		return "unknown";
	return exit_reason_names[reason];
}

const char *engine_intercept_name(enum engine_intercept cause)
{
	if ((unsigned)cause >= ENGINE_ICPT__COUNT || !intercept_names[cause])
		return "unknown";
	return intercept_names[cause];
}
