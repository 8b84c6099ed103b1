/*
 * fuzz/stub_registry.c — the engine registry and backend table for the
 * sweep harness, which links core/runconf.c (the table of run options the
 * sweep parser reads) without the engines and backends.  The parser never
 * asks for an engine or a backend; a call here means it does, and aborts
 * so that the fuzzer reports the input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/backends.h"
#include "core/registry.h"

static void stub_reached(const char *name) __attribute__((noreturn));
static void stub_reached(const char *name)
{
	fprintf(stderr, "fuzz/stub_registry.c: %s called: the sweep parser is not expected to need it\n", name);
	abort();
}

size_t reg_engine_count(void) { stub_reached(__func__); }
const char *reg_engine_name(size_t i) { (void)i; stub_reached(__func__); }
const struct engine_ops *reg_engine_ops(size_t i) { (void)i; stub_reached(__func__); }
int reg_engine_find(const char *name, const struct engine_ops **ops) { (void)name; (void)ops; stub_reached(__func__); }
const char *reg_engine_names(void) { stub_reached(__func__); }
size_t be_count(void) { stub_reached(__func__); }
const struct mv_backend_ops *be_at(size_t i) { (void)i; stub_reached(__func__); }
void be_names_text(char *buf, size_t len) { (void)buf; (void)len; stub_reached(__func__); }
bool be_is_path(const char *name) { (void)name; stub_reached(__func__); }
void be_plugin_path(const char *name, char *buf, size_t len) { (void)name; (void)buf; (void)len; stub_reached(__func__); }
