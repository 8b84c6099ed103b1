/*
 * tests/sweep/segv_plugin.c — a backend plugin that crashes the process
 * that loads it: its constructor writes through a wild pointer while
 * dlopen() runs.  memvirt run guards dlopen() and would report that crash
 * itself, so the constructor first puts SIGSEGV back to its default
 * action: this plugin stands for the crash no handler in the process
 * survives.  `memvirt run --backend segv-plugin.so` therefore dies of
 * SIGSEGV, which is what the sweep runner must survive and record.
 */
#include <signal.h>
#include <stdint.h>

#include <memvirt/backend.h>

const struct mv_backend_ops *memvirt_backend(void);

/* Read through a volatile pointer so the compiler cannot see it is wild. */
static int *volatile segv_plugin_wild = (int *)(uintptr_t)8;

__attribute__((constructor)) static void segv_plugin_load(void)
{
	signal(SIGSEGV, SIG_DFL);
	*segv_plugin_wild = 1;
}

const struct mv_backend_ops *memvirt_backend(void)
{
	return 0;
}
