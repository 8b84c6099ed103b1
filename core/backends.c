/*
 * core/backends.c — the table of in-tree backends and the plugin loader.
 *
 * A plugin is checked before anything runs: it must export
 * MV_BACKEND_ENTRY_SYMBOL, return ops with our ABI version, a size no
 * smaller than the first ABI's, a name, and the mandatory hooks.
 */
#include "core/backends.h"

#include "core/crashguard.h"
#include "core/registry.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct mv_backend_ops *const backends[] = {
	&native_backend_ops,
	&shadow_backend_ops,
	&ept_backend_ops,
	&kvm_ept_backend_ops,
	&kvm_shadow_backend_ops,
	&softtlb_backend_ops,
	&asid_backend_ops,
};

size_t be_count(void)
{
	return sizeof(backends) / sizeof(backends[0]);
}

const struct mv_backend_ops *be_at(size_t i)
{
	return i < be_count() ? backends[i] : NULL;
}

void be_names_text(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < be_count() && off < len; i++) {
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(backends[k]->name, backends[i]->name);
		if (!seen)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						backends[i]->name);
	}
}

void be_engines_text(const struct mv_backend_ops *ops, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < reg_engine_count(); i++)
		if (ops->engines & reg_engine_ops(i)->id)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? ", " : "",
						reg_engine_name(i));
}

/* The name of the engine with identity `id` (MV_ENGINE_*). */
static const char *engine_name(uint32_t id)
{
	for (size_t i = 0; i < reg_engine_count(); i++)
		if (reg_engine_ops(i)->id == id)
			return reg_engine_name(i);
	return "?";
}

bool be_is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') || (n > 3 && !strcmp(s + n - 3, ".so"));
}

void be_plugin_path(const char *name, char *buf, size_t len)
{
	/* dlopen() searches the library path for a name without '/', never
	 * the current folder, where `--backend x.so` means it. */
	snprintf(buf, len, "%s%s", strchr(name, '/') ? "" : "./", name);
}

/* dlopen() runs the plugin's constructors and the entry point is its
 * code: both under the crash guard, so that a plugin that crashes while
 * loading (or a truncated file the loader maps past its end: SIGBUS) is
 * reported, not the end of memvirt. */
struct load_call {
	const char *path;
	void *h;
	const struct mv_backend_ops *(*entry)(void);
	const struct mv_backend_ops *ops;
	const char *stage;
};

static int load_open(void *ctx)
{
	struct load_call *c = ctx;

	c->stage = "dlopen (the loader and the plugin's constructors)";
	c->h = dlopen(c->path, RTLD_NOW | RTLD_LOCAL);
	return 0;
}

static int load_entry(void *ctx)
{
	struct load_call *c = ctx;

	c->stage = MV_BACKEND_ENTRY_SYMBOL "()";
	c->ops = c->entry();
	return 0;
}

static int guarded(crash_guard_fn fn, struct load_call *c, char *err, size_t err_len)
{
	struct crash_report report;
	bool crashed;

	if (crash_guard_install() == 0) {
		crash_guard_run(fn, c, &report, &crashed);
		if (crashed) {
			/* The loader may be half-way through: the handle, if any, is
			 * left as it is, not closed. */
			snprintf(err, err_len, "backend plugin '%s' crashed while loading, in %s: %s", c->path, c->stage,
				 report.text);
			return -EINVAL;
		}
		return 0;
	}
	return fn(c);
}

/* A plugin's name is what runs are filed under: it must be a plain word
 * and not a built-in backend's, or its runs would pass for that one's. */
static int check_name(const char *path, const char *name, char *err, size_t err_len)
{
	size_t n = strnlen(name, 64);

	if (n == 0 || n == 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != n) {
		snprintf(err, err_len,
			 "backend plugin '%s' has a bad name: 1 to 63 letters, digits, '_', '-' or '.'", path);
		return -EINVAL;
	}
	for (size_t i = 0; i < be_count(); i++)
		if (!strcmp(backends[i]->name, name)) {
			snprintf(err, err_len,
				 "backend plugin '%s' calls itself '%s', the name of a built-in backend; give it a name of its own",
				 path, name);
			return -EINVAL;
		}
	return 0;
}

/* The loader maps what the headers say without checking it against the
 * file: a truncated plugin is a SIGBUS inside dlopen().  Say so first. */
static int check_complete(const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	Elf64_Ehdr eh;
	struct stat st;
	uint64_t size, need = 0;
	int rc = 0;

	if (!f)
		return 0; /* dlopen() says why */
	if (fstat(fileno(f), &st) || fread(&eh, sizeof(eh), 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64) {
		fclose(f);
		return 0; /* not a 64-bit ELF: dlopen() refuses it with its reason */
	}
	size = (uint64_t)st.st_size;
	need = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
	for (unsigned i = 0; i < eh.e_phnum && eh.e_phentsize >= sizeof(Elf64_Phdr); i++) {
		Elf64_Phdr ph;

		if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) || fread(&ph, sizeof(ph), 1, f) != 1) {
			need = UINT64_MAX;
			break;
		}
		if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > need)
			need = ph.p_offset + ph.p_filesz;
	}
	fclose(f);
	if (need > size) {
		if (need == UINT64_MAX)
			snprintf(err, err_len,
				 "backend plugin '%s' is not a complete shared object (truncated? its program headers lie past its end)",
				 path);
		else
			snprintf(err, err_len,
				 "backend plugin '%s' is not a complete shared object (truncated? its headers need %" PRIu64
				 " bytes, the file has %" PRIu64 ")",
				 path, need, size);
		rc = -EINVAL;
	}
	return rc;
}

static int load_plugin(const char *path, const struct mv_backend_ops **ops, void **dl,
		       char *err, size_t err_len)
{
	struct load_call c = {.path = path};
	const struct mv_backend_ops *o;
	void *h;
	int rc;

	if (access(path, R_OK) != 0) {
		snprintf(err, err_len, "backend plugin '%s': %s", path, strerror(errno));
		return -ENOENT;
	}
	rc = check_complete(path, err, err_len);
	rc = rc ? rc : guarded(load_open, &c, err, err_len);
	if (rc)
		return rc;
	h = c.h;
	if (!h) {
		snprintf(err, err_len, "backend plugin '%s' cannot be loaded: %s", path, dlerror());
		return -EINVAL;
	}
	*(void **)&c.entry = dlsym(h, MV_BACKEND_ENTRY_SYMBOL);
	if (!c.entry) {
		snprintf(err, err_len,
			 "backend plugin '%s' has no '%s' symbol; a plugin exports `const struct mv_backend_ops *%s(void)` (see docs/plugin-abi.md)",
			 path, MV_BACKEND_ENTRY_SYMBOL, MV_BACKEND_ENTRY_SYMBOL);
		dlclose(h);
		return -EINVAL;
	}
	rc = guarded(load_entry, &c, err, err_len);
	if (rc)
		return rc;
	o = c.ops;
	if (!o) {
		snprintf(err, err_len, "backend plugin '%s': %s() returned NULL", path,
			 MV_BACKEND_ENTRY_SYMBOL);
		dlclose(h);
		return -EINVAL;
	}
	if (o->abi_version != MV_BACKEND_ABI_VERSION) {
		snprintf(err, err_len,
			 "backend plugin '%s' was built for backend ABI %u, this memvirt speaks ABI %u; rebuild it against this memvirt's headers",
			 path, o->abi_version, MV_BACKEND_ABI_VERSION);
		dlclose(h);
		return -EINVAL;
	}
	if (o->size < MV_BACKEND_OPS_MIN_SIZE || !o->name || !o->description ||
	    !o->create || !o->destroy || !o->vm_init || !o->engines) {
		snprintf(err, err_len,
			 "backend plugin '%s' has malformed ops (size %u, needs at least %zu; name, description, engines, create, destroy and vm_init are required)",
			 path, o->size, (size_t)MV_BACKEND_OPS_MIN_SIZE);
		dlclose(h);
		return -EINVAL;
	}
	rc = check_name(path, o->name, err, err_len);
	if (rc) {
		dlclose(h);
		return rc;
	}
	*ops = o;
	*dl = h;
	return 0;
}

int be_resolve(const char *name_or_path, uint32_t engine, const struct mv_backend_ops **ops,
	       void **dl, char *err, size_t err_len)
{
	char names[256];

	*dl = NULL;
	if (be_is_path(name_or_path)) {
		char path[4096];

		be_plugin_path(name_or_path, path, sizeof(path));
		return load_plugin(path, ops, dl, err, err_len);
	}
	/* A name may exist once per engine (ept on soft and on kvm). */
	for (size_t i = 0; i < be_count(); i++)
		if (!strcmp(backends[i]->name, name_or_path) && (backends[i]->engines & engine)) {
			*ops = backends[i];
			return 0;
		}
	for (size_t i = 0; i < be_count(); i++)
		if (!strcmp(backends[i]->name, name_or_path)) {
			char engines[64];

			be_engines_text(backends[i], engines, sizeof(engines));
			snprintf(err, err_len, "backend '%s' runs on engine %s, not %s", name_or_path,
				 engines, engine_name(engine));
			return -ENOENT;
		}
	be_names_text(names, sizeof(names));
	snprintf(err, err_len, "unknown backend '%s'; accepted: %s, or a plugin path (PATH.so)",
		 name_or_path, names);
	return -ENOENT;
}

uint32_t be_needs(const struct mv_backend_ops *ops)
{
	if (ops->size >= offsetof(struct mv_backend_ops, needs) + sizeof(ops->needs) && ops->needs)
		return ops->needs;
	/* A plugin from before `needs`: a soft-engine backend programs its MMU. */
	return ops->engines & MV_ENGINE_SOFT ? MV_CAP_MMU : 0;
}

const struct mv_option *be_option_table(const struct mv_backend_ops *ops, size_t *count)
{
	*count = 0;
	if (ops->size < offsetof(struct mv_backend_ops, option_count) + sizeof(ops->option_count) ||
	    !ops->options)
		return NULL;
	*count = ops->option_count;
	return ops->options;
}

int be_options_canonical(const struct mv_backend_ops *ops, const char *text, char *buf, size_t len,
			 char *err, size_t err_len)
{
	struct mv_opt_value v[64];
	const struct mv_option *t;
	size_t n;

	t = be_option_table(ops, &n);
	if (!t || n > sizeof(v) / sizeof(v[0])) {
		snprintf(buf, len, "%s", text ? text : "");
		return 0;
	}
	mv_options_defaults(t, n, v);
	if (mv_options_parse(t, n, text, v, ops->name, err, err_len))
		return -EINVAL;
	mv_options_format(t, n, v, buf, len);
	return 0;
}

void be_unload(void *dl)
{
	if (dl)
		dlclose(dl);
}
