/*
 * core/sweep.c — sweep file parser and grid enumeration (see sweep.h
 * and docs/sweep-format.md).
 *
 * The parser reads line by line and stops at the first problem, so the
 * message names one line and one cause.  Points are not materialised: a
 * point is decoded from its index by mixed-radix arithmetic over the axes
 * that apply to its workload, so a large grid costs no memory.
 */
#include "core/sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/runconf.h"

/* The keys of the [sweep] section: the sweep's own two, then every run
 * option a sweep may set (core/runconf.h), which are passed to `memvirt
 * run` as --KEY VALUE. */
struct sweep_key_desc {
	const char *key;
	enum sweep_kind kind;
	bool list;        /* may take several values (an axis of the grid) */
	bool axis;        /* passed to memvirt run as --KEY */
};

static const struct sweep_key_desc sweep_own_keys[] = {
	{.key = "name", .kind = SWEEP_TEXT, .list = false, .axis = false},
	{.key = "repetitions", .kind = SWEEP_NUMBER, .list = false, .axis = false},
};

static void set_err(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

void sweep_free(struct sweep_file *f)
{
	if (!f)
		return;
	for (size_t a = 0; a < f->axis_count; a++)
		for (size_t v = 0; v < f->axes[a].count; v++)
			free(f->axes[a].values[v]);
	free(f->path);
	free(f->text);
	free(f);
}

static const struct sweep_key_desc *key_desc(const char *key, struct sweep_key_desc *buf)
{
	const struct rc_option *o;

	for (size_t i = 0; i < sizeof(sweep_own_keys) / sizeof(sweep_own_keys[0]); i++)
		if (!strcmp(sweep_own_keys[i].key, key))
			return &sweep_own_keys[i];
	o = rc_find(key);
	if (!o || !(o->flags & RC_F_SWEEP))
		return NULL;
	*buf = (struct sweep_key_desc){
		.key = o->name,
		.kind = o->kind == RC_NUMBER ? SWEEP_NUMBER : SWEEP_TEXT,
		.list = o->flags & RC_F_LIST,
		.axis = true,
	};
	return buf;
}

/* "name, repetitions, engine, ..." for messages. */
static void key_names(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(sweep_own_keys) / sizeof(sweep_own_keys[0]); i++)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? ", " : "",
					sweep_own_keys[i].key);
	for (size_t i = 0; i < rc_option_count; i++)
		if (rc_options[i].flags & RC_F_SWEEP)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, ", %s", rc_options[i].name);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Cut the comment off a line (a '#' outside quotes). */
static void strip_comment(char *line)
{
	bool quoted = false;

	for (char *p = line; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '\\' && quoted && p[1])
			p++;
		else if (*p == '#' && !quoted) {
			*p = '\0';
			return;
		}
	}
}

/* Split "v1, "v,2", v3" into values; -EINVAL with why on a bad list. */
static int split_values(char *text, struct sweep_axis *ax, unsigned line, char *why, size_t why_len)
{
	char *p = text;

	for (;;) {
		char buf[1024];
		size_t n = 0;
		bool quoted = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			quoted = true;
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				if (n + 1 < sizeof(buf))
					buf[n++] = *p;
				p++;
			}
			if (*p != '"') {
				set_err(why, why_len, "unterminated quoted value (a '\"' is missing)");
				return -EINVAL;
			}
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',') {
				set_err(why, why_len, "text after a quoted value: '%s' (separate values with ',')", p);
				return -EINVAL;
			}
		} else {
			while (*p && *p != ',') {
				if (*p == '"') {
					set_err(why, why_len, "a '\"' inside a value: quote the whole value");
					return -EINVAL;
				}
				if (n + 1 < sizeof(buf))
					buf[n++] = *p;
				p++;
			}
			while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
				n--;
		}
		buf[n] = '\0';
		if (!n && !quoted) {
			set_err(why, why_len, "empty value in the list of '%s'", ax->key);
			return -EINVAL;
		}
		if (n + 1 >= sizeof(buf)) {
			set_err(why, why_len, "value longer than %zu characters", sizeof(buf) - 2);
			return -EINVAL;
		}
		if (ax->count == SWEEP_MAX_VALUES) {
			set_err(why, why_len, "more than %d values for '%s'", SWEEP_MAX_VALUES, ax->key);
			return -EINVAL;
		}
		if (ax->kind == SWEEP_NUMBER) {
			uint64_t v;
			char num[32];

			if (!cli_parse_u64(buf, &v)) {
				set_err(why, why_len,
					"bad number '%s' for '%s' (decimal or 0x hex, optional K/M/G/T suffix)",
					buf, ax->key);
				return -EINVAL;
			}
			snprintf(num, sizeof(num), "%" PRIu64, v);
			ax->values[ax->count] = strdup(num);
		} else {
			ax->values[ax->count] = strdup(buf);
		}
		if (!ax->values[ax->count]) {
			set_err(why, why_len, "out of memory");
			return -ENOMEM;
		}
		for (size_t k = 0; k < ax->count; k++)
			if (!strcmp(ax->values[k], ax->values[ax->count])) {
				set_err(why, why_len, "value '%s' given twice for '%s'", buf, ax->key);
				free(ax->values[ax->count]);
				ax->values[ax->count] = NULL;
				return -EINVAL;
			}
		ax->value_line[ax->count++] = line;
		if (!*p)
			return 0;
		p++; /* the ',' */
	}
}

static struct sweep_axis *find_axis(struct sweep_file *f, const char *key, bool is_param,
				    const char *workload)
{
	for (size_t a = 0; a < f->axis_count; a++)
		if (f->axes[a].is_param == is_param && !strcmp(f->axes[a].key, key) &&
		    !strcmp(f->axes[a].workload, workload))
			return &f->axes[a];
	return NULL;
}

static const struct sweep_axis *find_option(const struct sweep_file *f, const char *key)
{
	for (size_t a = 0; a < f->axis_count; a++)
		if (!f->axes[a].is_param && !strcmp(f->axes[a].key, key))
			return &f->axes[a];
	return NULL;
}

static int check_fits(const struct sweep_file *f, char *why, size_t why_len);

/* A sweep file is UTF-8 text: control characters other than tab, CR and
 * newline, or bytes that are not UTF-8, mean it is something else, and
 * are not echoed into a terminal in an error message.  0, or -EINVAL with
 * the first such byte's place. */
static int check_text(const char *path, const unsigned char *t, char *err, size_t err_len)
{
	unsigned line = 1, col = 1;

	for (size_t i = 0; t[i]; i++, col++) {
		unsigned c = t[i], more = 0;

		if (c == '\n') {
			line++;
			col = 0;
			continue;
		}
		if (c < 0x20 && c != '\t' && c != '\r') {
			set_err(err, err_len, "%s:%u:%u: not a text file (control character 0x%02x)", path, line, col, c);
			return -EINVAL;
		}
		if (c == 0x7f) {
			set_err(err, err_len, "%s:%u:%u: not a text file (control character 0x7f)", path, line, col);
			return -EINVAL;
		}
		if (c < 0x80)
			continue;
		more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		for (unsigned k = 1; more && k <= more; k++)
			if ((t[i + k] & 0xc0) != 0x80)
				more = 0;
		if (!more) {
			set_err(err, err_len, "%s:%u:%u: not UTF-8 text (byte 0x%02x)", path, line, col, c);
			return -EINVAL;
		}
		i += more;
	}
	return 0;
}

int sweep_parse_text(const char *path, const char *text, struct sweep_file **out, char *err,
		     size_t err_len)
{
	enum { SEC_NONE, SEC_SWEEP, SEC_PARAMS } section = SEC_NONE;
	char workload[32] = "";
	struct sweep_file *f;
	const char *p = text;
	unsigned line = 0;
	char why[512];
	int rc = 0;

	/* An editor's UTF-8 byte-order mark is not part of the first line. */
	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	rc = check_text(path, (const unsigned char *)p, err, err_len);
	if (rc) {
		*out = NULL;
		return rc;
	}

	f = calloc(1, sizeof(*f));
	if (!f) {
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	f->path = strdup(path);
	f->text = strdup(text);
	f->repetitions = 1;
	if (!f->path || !f->text) {
		sweep_free(f);
		set_err(err, err_len, "out of memory");
		return -ENOMEM;
	}
	{
		const char *base = strrchr(path, '/');
		const char *dot;

		base = base ? base + 1 : path;
		dot = strrchr(base, '.');
		snprintf(f->name, sizeof(f->name), "%.*s",
			 (int)(dot && dot != base ? (size_t)(dot - base) : strlen(base)), base);
	}
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[4096], *s, *eq;

		line++;
		if (n >= sizeof(buf)) {
			set_err(why, sizeof(why), "line longer than %zu characters", sizeof(buf) - 1);
			rc = -EINVAL;
			goto bad;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p = nl ? nl + 1 : p + n;
		strip_comment(buf);
		s = trim(buf);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (!close || trim(close + 1)[0]) {
				set_err(why, sizeof(why), "bad section header '%s': expected [sweep], [params] or [params.WORKLOAD]", s);
				rc = -EINVAL;
				goto bad;
			}
			*close = '\0';
			s = trim(s + 1);
			if (!strcmp(s, "sweep")) {
				section = SEC_SWEEP;
			} else if (!strcmp(s, "params")) {
				section = SEC_PARAMS;
				workload[0] = '\0';
			} else if (!strncmp(s, "params.", 7) && valid_name(s + 7) && strlen(s + 7) < sizeof(workload)) {
				section = SEC_PARAMS;
				snprintf(workload, sizeof(workload), "%s", s + 7);
			} else {
				set_err(why, sizeof(why), "unknown section [%s]: expected [sweep], [params] or [params.WORKLOAD]", s);
				rc = -EINVAL;
				goto bad;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			set_err(why, sizeof(why), "expected 'key = value[, value...]', a [section] or a # comment, got '%s'", s);
			rc = -EINVAL;
			goto bad;
		}
		*eq = '\0';
		{
			char *key = trim(s), *vals = trim(eq + 1);
			const struct sweep_key_desc *kd = NULL;
			struct sweep_key_desc kd_buf;
			struct sweep_axis *ax;
			bool is_param = section == SEC_PARAMS;

			if (section == SEC_NONE) {
				set_err(why, sizeof(why), "'%s' outside a section: start the file with [sweep]", key);
				rc = -EINVAL;
				goto bad;
			}
			if (!valid_name(key) || strlen(key) >= sizeof(ax->key)) {
				set_err(why, sizeof(why), "bad key '%s' (letters, digits, '-' and '_')", key);
				rc = -EINVAL;
				goto bad;
			}
			if (!is_param) {
				kd = key_desc(key, &kd_buf);
				if (!kd) {
					char names[512];
					const char *close = rc_suggest(key, RC_F_SWEEP);

					if (!close && !strcmp(key, "param"))
						close = "[params] section";
					key_names(names, sizeof(names));
					set_err(why, sizeof(why), "unknown key '%s' in [sweep]%s%s%s; accepted: %s", key,
						close ? " (did you mean '" : "", close ? close : "", close ? "'?)" : "", names);
					rc = -EINVAL;
					goto bad;
				}
			}
			if (!*vals) {
				set_err(why, sizeof(why), "no value for '%s'", key);
				rc = -EINVAL;
				goto bad;
			}
			if (find_axis(f, key, is_param, is_param ? workload : "")) {
				set_err(why, sizeof(why), "'%s' given twice in this section (list values on one line: %s = a, b)",
					key, key);
				rc = -EINVAL;
				goto bad;
			}
			if (f->axis_count == SWEEP_MAX_AXES) {
				set_err(why, sizeof(why), "more than %d keys", SWEEP_MAX_AXES);
				rc = -EINVAL;
				goto bad;
			}
			ax = &f->axes[f->axis_count++];
			snprintf(ax->key, sizeof(ax->key), "%s", key);
			ax->is_param = is_param;
			snprintf(ax->workload, sizeof(ax->workload), "%s", is_param ? workload : "");
			/* Workload parameters are numbers (workloads/catalog.h). */
			ax->kind = is_param ? SWEEP_NUMBER : kd->kind;
			ax->line = line;
			rc = split_values(vals, ax, line, why, sizeof(why));
			if (rc)
				goto bad;
			if (kd && !kd->list && ax->count > 1) {
				set_err(why, sizeof(why), "'%s' takes one value, not a list", key);
				rc = -EINVAL;
				goto bad;
			}
			if (kd && !kd->axis) {
				/* Sweep-level settings, not grid axes: once each. */
				unsigned *seen = !strcmp(key, "name") ? &f->name_line : &f->repetitions_line;

				if (*seen) {
					set_err(why, sizeof(why), "'%s' given twice (first on line %u)", key, *seen);
					rc = -EINVAL;
					goto bad;
				}
				*seen = line;
				if (!strcmp(key, "name")) {
					if (strlen(ax->values[0]) >= sizeof(f->name)) {
						set_err(why, sizeof(why), "name longer than %zu characters", sizeof(f->name) - 1);
						rc = -EINVAL;
						goto bad;
					}
					snprintf(f->name, sizeof(f->name), "%s", ax->values[0]);
				} else {
					uint64_t r = strtoull(ax->values[0], NULL, 10);

					if (r < 1 || r > 1000) {
						set_err(why, sizeof(why), "repetitions must be from 1 to 1000, not %s", ax->values[0]);
						rc = -EINVAL;
						goto bad;
					}
					f->repetitions = (uint32_t)r;
				}
				for (size_t v = 0; v < ax->count; v++)
					free(ax->values[v]);
				f->axis_count--;
				memset(ax, 0, sizeof(*ax));
			}
		}
	}
	/* [params.NAME] must name a workload the sweep runs. */
	for (size_t a = 0; a < f->axis_count; a++) {
		const struct sweep_axis *ax = &f->axes[a], *wl;
		bool found = false;

		if (!ax->is_param || !ax->workload[0])
			continue;
		wl = find_option(f, "workload");
		for (size_t v = 0; wl && v < wl->count; v++)
			found |= !strcmp(wl->values[v], ax->workload);
		if (!found) {
			line = ax->line;
			set_err(why, sizeof(why), "parameters for workload '%s', which the sweep does not run (add it to workload =)",
				ax->workload);
			rc = -EINVAL;
			goto bad;
		}
	}
	/* A parameter set for all workloads and for one of them: which wins
	 * would be a guess, so neither does. */
	for (size_t a = 0; a < f->axis_count; a++) {
		const struct sweep_axis *ax = &f->axes[a], *all;

		if (!ax->is_param || !ax->workload[0])
			continue;
		all = find_axis(f, ax->key, true, "");
		if (all) {
			line = ax->line;
			set_err(why, sizeof(why),
				"parameter '%s' is set for every workload in [params] (line %u) and for %s here: set it in one place",
				ax->key, all->line, ax->workload);
			rc = -EINVAL;
			goto bad;
		}
	}
	if (sweep_point_count(f) > SWEEP_MAX_POINTS) {
		char n[32];

		if (sweep_point_count(f) == SIZE_MAX)
			snprintf(n, sizeof(n), "more than %zu", (size_t)SIZE_MAX - 1);
		else
			snprintf(n, sizeof(n), "%zu", sweep_point_count(f));
		set_err(err, err_len, "%s: the grid has %s runs, more than the limit of %u: split it into several sweep files (docs/sweep-format.md)",
			path, n, SWEEP_MAX_POINTS);
		sweep_free(f);
		return -EINVAL;
	}
	rc = check_fits(f, why, sizeof(why));
	if (rc) {
		set_err(err, err_len, "%s: %s", path, why);
		sweep_free(f);
		return rc;
	}
	*out = f;
	return 0;
bad:
	set_err(err, err_len, "%s:%u: %s", path, line, why);
	sweep_free(f);
	return rc;
}

int sweep_parse(const char *path, struct sweep_file **out, char *err, size_t err_len)
{
	FILE *fp = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (!fp) {
		rc = -errno;
		set_err(err, err_len, "%s: cannot read the sweep file: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nt;

			cap = cap ? cap * 2 : 8192;
			if (cap > (4u << 20)) {
				fclose(fp);
				free(text);
				set_err(err, err_len, "%s: sweep file larger than 4 MiB", path);
				return -EINVAL;
			}
			nt = realloc(text, cap);
			if (!nt) {
				fclose(fp);
				free(text);
				set_err(err, err_len, "out of memory");
				return -ENOMEM;
			}
			text = nt;
		}
		size_t n = fread(text + len, 1, 4096, fp);

		len += n;
		if (n < 4096)
			break;
	}
	if (ferror(fp)) {
		fclose(fp);
		free(text);
		set_err(err, err_len, "%s: read error", path);
		return -EIO;
	}
	fclose(fp);
	text[len] = '\0';
	if (strlen(text) != len) {
		free(text);
		set_err(err, err_len, "%s: not a text file (it holds a NUL byte)", path);
		return -EINVAL;
	}
	rc = sweep_parse_text(path, text, out, err, err_len);
	free(text);
	return rc;
}

/* ---- semantic check ---- */

int sweep_check(const struct sweep_file *f, sweep_check_fn check, void *ctx, char *err,
		size_t err_len)
{
	const struct sweep_axis *wl = find_option(f, "workload");
	char why[512];

	for (size_t a = 0; a < f->axis_count; a++) {
		const struct sweep_axis *ax = &f->axes[a];

		for (size_t v = 0; v < ax->count; v++) {
			why[0] = '\0';
			if (!ax->is_param) {
				if (check(ctx, ax->key, false, NULL, ax->values[v], why, sizeof(why)))
					goto bad;
				continue;
			}
			if (ax->workload[0]) {
				if (check(ctx, ax->key, true, ax->workload, ax->values[v], why, sizeof(why)))
					goto bad;
				continue;
			}
			/* A [params] key applies to every workload of the sweep
			 * (memvirt run's default workload when none is named). */
			if (!wl) {
				if (check(ctx, ax->key, true, NULL, ax->values[v], why, sizeof(why)))
					goto bad;
				continue;
			}
			for (size_t w = 0; w < wl->count; w++)
				if (check(ctx, ax->key, true, wl->values[w], ax->values[v], why, sizeof(why)))
					goto bad;
			continue;
bad:
			set_err(err, err_len, "%s:%u: %s", f->path, ax->value_line[v], why[0] ? why : "bad value");
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- the grid ---- */

/* Does axis ax take part in points of workload w (NULL: the default)? */
static bool axis_applies(const struct sweep_axis *ax, const char *w)
{
	if (!strcmp(ax->key, "workload") && !ax->is_param)
		return false; /* handled apart */
	if (ax->is_param && ax->workload[0])
		return w && !strcmp(ax->workload, w);
	return true;
}

/* Counts saturate at SIZE_MAX: a grid that large is refused at parse
 * time, never enumerated with a wrapped count. */
static size_t mul_sat(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

static size_t block_size(const struct sweep_file *f, const char *w)
{
	size_t n = 1;

	for (size_t a = 0; a < f->axis_count; a++)
		if (axis_applies(&f->axes[a], w))
			n = mul_sat(n, f->axes[a].count);
	return n;
}

static size_t per_rep(const struct sweep_file *f)
{
	const struct sweep_axis *wl = find_option(f, "workload");
	size_t n = 0;

	if (!wl)
		return block_size(f, NULL);
	for (size_t w = 0; w < wl->count; w++) {
		size_t b = block_size(f, wl->values[w]);

		n = n > SIZE_MAX - b ? SIZE_MAX : n + b;
	}
	return n;
}

size_t sweep_point_count(const struct sweep_file *f)
{
	return mul_sat(per_rep(f), f->repetitions);
}

struct kv {
	char name[80];
	const char *value;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->name, ((const struct kv *)b)->name);
}

/* Append one argument to the point (copied into p->args). */
static int add_arg(struct sweep_point *p, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int add_arg(struct sweep_point *p, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->argc + 1 >= SWEEP_MAX_ARGS || *off >= sizeof(p->args))
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(p->args + *off, sizeof(p->args) - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 > sizeof(p->args) - *off)
		return -E2BIG;
	p->argv[p->argc++] = p->args + *off;
	p->argv[p->argc] = NULL;
	*off += (size_t)n + 1;
	return 0;
}

int sweep_point_at(const struct sweep_file *f, size_t index, struct sweep_point *p)
{
	const struct sweep_axis *wl = find_option(f, "workload");
	size_t per = per_rep(f), rest, off = 0, koff = 0, nkv = 0, poff = 0, loff = 0;
	const char *w = NULL;
	struct kv kvs[SWEEP_MAX_AXES + 2];
	char rep_text[16];
	int rc = 0;

	if (index >= per * f->repetitions)
		return -ERANGE;
	memset(p, 0, sizeof(*p));
	p->index = index;
	p->rep = (uint32_t)(index / per);
	p->seed = 1;
	rest = index % per;
	if (wl) {
		size_t w_i = 0;

		while (rest >= block_size(f, wl->values[w_i])) {
			rest -= block_size(f, wl->values[w_i]);
			w_i++;
		}
		w = wl->values[w_i];
		p->workload = w;
		snprintf(kvs[nkv].name, sizeof(kvs[nkv].name), "workload");
		kvs[nkv++].value = w;
	}
	/* Mixed radix over the applicable axes, the last one fastest. */
	{
		size_t choice[SWEEP_MAX_AXES];

		for (size_t a = f->axis_count; a-- > 0;) {
			const struct sweep_axis *ax = &f->axes[a];

			choice[a] = 0;
			if (!axis_applies(ax, w))
				continue;
			choice[a] = rest % ax->count;
			rest /= ax->count;
		}
		poff += (size_t)snprintf(p->params_json, sizeof(p->params_json), "{");
		for (size_t a = 0; a < f->axis_count; a++) {
			const struct sweep_axis *ax = &f->axes[a];
			const char *v;

			if (!axis_applies(ax, w))
				continue;
			v = ax->values[choice[a]];
			if (ax->is_param) {
				snprintf(kvs[nkv].name, sizeof(kvs[nkv].name), "param.%s", ax->key);
				rc |= add_arg(p, &off, "--param");
				rc |= add_arg(p, &off, "%s=%s", ax->key, v);
				if (poff < sizeof(p->params_json))
					poff += (size_t)snprintf(p->params_json + poff, sizeof(p->params_json) - poff,
								 "%s\"%s\":%s", poff > 1 ? "," : "", ax->key, v);
			} else {
				snprintf(kvs[nkv].name, sizeof(kvs[nkv].name), "%s", ax->key);
				rc |= add_arg(p, &off, "--%s", ax->key);
				rc |= add_arg(p, &off, "%s", v);
				if (!strcmp(ax->key, "engine"))
					p->engine = v;
				else if (!strcmp(ax->key, "backend"))
					p->backend = v;
				else if (!strcmp(ax->key, "vms"))
					p->vms = strtoull(v, NULL, 10);
				else if (!strcmp(ax->key, "seed"))
					p->seed = strtoull(v, NULL, 10);
			}
			kvs[nkv++].value = v;
		}
		if (poff < sizeof(p->params_json))
			snprintf(p->params_json + poff, sizeof(p->params_json) - poff, "}");
	}
	if (w) {
		rc |= add_arg(p, &off, "--workload");
		rc |= add_arg(p, &off, "%s", w);
	}
	snprintf(rep_text, sizeof(rep_text), "%" PRIu32, p->rep);
	snprintf(kvs[nkv].name, sizeof(kvs[nkv].name), "rep");
	kvs[nkv++].value = rep_text;
	rc |= add_arg(p, &off, "--rep");
	rc |= add_arg(p, &off, "%s", rep_text);
	if (rc)
		return -E2BIG;
	/* The key: sorted name=value pairs, so file order does not matter. */
	qsort(kvs, nkv, sizeof(kvs[0]), kv_cmp);
	for (size_t i = 0; i < nkv; i++) {
		int n = snprintf(p->key + koff, sizeof(p->key) - koff, "%s%s=%s", i ? ";" : "",
				 kvs[i].name, kvs[i].value);

		if (n < 0 || (size_t)n >= sizeof(p->key) - koff)
			return -E2BIG;
		koff += (size_t)n;
	}
	{
		/* A program point is named by its program's base name, as the
		 * store's workload column names it ("program:NAME"). */
		const char *prog = NULL;

		for (size_t i = 0; i < nkv; i++)
			if (!strcmp(kvs[i].name, "program"))
				prog = kvs[i].value;
		if (prog && strrchr(prog, '/'))
			prog = strrchr(prog, '/') + 1;
		loff += (size_t)snprintf(p->label, sizeof(p->label), "%s/%s %s%s",
					 p->engine ? p->engine : rc_find("engine")->def,
					 p->backend ? p->backend : rc_find("backend")->def, prog ? "program:" : "",
					 prog ? prog : w ? w : rc_find("workload")->def);
	}
	for (size_t i = 0; i < nkv && loff < sizeof(p->label); i++) {
		if (!strcmp(kvs[i].name, "engine") || !strcmp(kvs[i].name, "backend") ||
		    !strcmp(kvs[i].name, "workload") || !strcmp(kvs[i].name, "rep") || !strcmp(kvs[i].name, "program"))
			continue;
		loff += (size_t)snprintf(p->label + loff, sizeof(p->label) - loff, " %s=%s",
					 !strncmp(kvs[i].name, "param.", 6) ? kvs[i].name + 6 : kvs[i].name,
					 kvs[i].value);
	}
	if (loff < sizeof(p->label))
		snprintf(p->label + loff, sizeof(p->label) - loff, " rep %" PRIu32, p->rep);
	return 0;
}

/* Every point of a workload has the same options, with values of varying
 * length: check the longest values of each workload's block fit, so a
 * grid is refused at parse time rather than half-way through a sweep. */
static int check_fits(const struct sweep_file *f, char *why, size_t why_len)
{
	struct sweep_file *longest = malloc(sizeof(*longest));
	const struct sweep_axis *wl = find_option(f, "workload");
	struct sweep_point *p = malloc(sizeof(*p));
	int rc = 0;

	if (!longest || !p) {
		free(longest);
		free(p);
		set_err(why, why_len, "out of memory");
		return -ENOMEM;
	}
	/* A copy whose every axis holds only its longest value. */
	*longest = *f;
	longest->repetitions = 1000;
	for (size_t a = 0; a < f->axis_count; a++) {
		size_t best = 0;

		for (size_t v = 1; v < f->axes[a].count; v++)
			if (strlen(f->axes[a].values[v]) > strlen(f->axes[a].values[best]))
				best = v;
		if (!strcmp(f->axes[a].key, "workload") && !f->axes[a].is_param)
			continue; /* each workload is tried below */
		longest->axes[a].values[0] = f->axes[a].values[best];
		longest->axes[a].count = 1;
	}
	for (size_t w = 0; w < (wl ? wl->count : 1) && !rc; w++) {
		struct sweep_axis *lw = NULL;

		for (size_t a = 0; a < longest->axis_count; a++)
			if (!strcmp(longest->axes[a].key, "workload") && !longest->axes[a].is_param)
				lw = &longest->axes[a];
		if (lw) {
			lw->values[0] = wl->values[w];
			lw->count = 1;
		}
		/* The last point: the largest repetition number. */
		if (sweep_point_at(longest, sweep_point_count(longest) - 1, p)) {
			set_err(why, why_len,
				"the runs of this grid%s%s have too many or too long options (at most %d arguments, %zu characters of options, %zu of key)",
				wl ? " for workload " : "", wl ? wl->values[w] : "", SWEEP_MAX_ARGS, sizeof(p->args),
				sizeof(p->key));
			rc = -EINVAL;
		}
	}
	free(longest);
	free(p);
	return rc;
}
