/*
 * tests/sweep/segv_plugin.c — a backend plugin that crashes the process
 * that loads it: its constructor writes through a wild pointer while
 * dlopen() runs, outside any crash guard.  `memvirt run --backend
 * segv-plugin.so` therefore dies of SIGSEGV, which is what the sweep
 * runner must survive and record.
 */
#include <stdint.h>

#include <memvirt/backend.h>

const struct mv_backend_ops *memvirt_backend(void);

/* Read through a volatile pointer so the compiler cannot see it is wild. */
static int *volatile segv_plugin_wild = (int *)(uintptr_t)8;

__attribute__((constructor)) static void segv_plugin_load(void)
{
	*segv_plugin_wild = 1;
}

const struct mv_backend_ops *memvirt_backend(void)
{
	return 0;
}
