/*
 * sdk/options.c — the option-text parser of the SDK (memvirt/options.h).
 *
 * Items are cut at ',' and parsed one by one into a copy of the values,
 * which replaces the caller's only when every item was good: a refused
 * option text never leaves half its settings behind.
 */
#include "memvirt/options.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_OPTIONS 64

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

bool mv_parse_u64(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t v = 0;
	unsigned shift = 0, base = 10;
	bool digits = false;

	if (!p || !*p)
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
		digits = true;
	}
	if (!digits)
		return false;
	if (*p) {
		switch (*p) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return false;
		}
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
		if (*p == 'b' || *p == 'B')
			p++;
		if (*p)
			return false;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

void mv_options_defaults(const struct mv_option *opts, size_t count, struct mv_opt_value *values)
{
	for (size_t i = 0; i < count; i++) {
		memset(&values[i], 0, sizeof(values[i]));
		if (opts[i].def && mv_option_parse_value(&opts[i], opts[i].def, &values[i], NULL, 0))
			memset(&values[i], 0, sizeof(values[i])); /* a bad default: the table test says so */
		values[i].given = false;
	}
}

static size_t choices_text(const struct mv_option *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t c = 0; o->choices && o->choices[c]; c++)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", c ? "|" : "",
					o->choices[c]);
	return off;
}

int mv_option_parse_value(const struct mv_option *o, const char *text, struct mv_opt_value *out,
			  char *why, size_t why_len)
{
	struct mv_opt_value v = {.given = true};

	switch (o->type) {
	case MV_OPT_UINT:
		if (!mv_parse_u64(text, &v.u) || v.u < o->min || v.u > o->max) {
			say(why, why_len, "'%s=%s': expected a number from %" PRIu64 " to %" PRIu64, o->name, text,
			    o->min, o->max);
			return -EINVAL;
		}
		break;
	case MV_OPT_CHOICE: {
		char names[256];

		for (size_t c = 0; o->choices && o->choices[c]; c++)
			if (!strcasecmp(o->choices[c], text)) {
				v.u = c;
				*out = v;
				return 0;
			}
		choices_text(o, names, sizeof(names));
		say(why, why_len, "'%s=%s': expected %s", o->name, text, names);
		return -EINVAL;
	}
	case MV_OPT_BOOL:
		if (!strcmp(text, "1") || !strcasecmp(text, "on") || !strcasecmp(text, "yes") ||
		    !strcasecmp(text, "true"))
			v.u = 1;
		else if (!strcmp(text, "0") || !strcasecmp(text, "off") || !strcasecmp(text, "no") ||
			 !strcasecmp(text, "false"))
			v.u = 0;
		else {
			say(why, why_len, "'%s=%s': expected 0 or 1 (on/off)", o->name, text);
			return -EINVAL;
		}
		break;
	case MV_OPT_PAIR: {
		const char *colon = strchr(text, ':');
		char first[32];

		if (o->zero_ok && !strcmp(text, "0"))
			break;
		if (!colon || (size_t)(colon - text) >= sizeof(first))
			goto bad_pair;
		memcpy(first, text, (size_t)(colon - text));
		first[colon - text] = '\0';
		if (!mv_parse_u64(first, &v.u) || !mv_parse_u64(colon + 1, &v.u2) || v.u < o->min ||
		    v.u > o->max || v.u2 < o->min2 || v.u2 > o->max2)
			goto bad_pair;
		break;
bad_pair: {
		char a[48], b[48];
		const char *meta = o->metavar ? o->metavar : "A:B", *c = strchr(meta, ':');

		snprintf(a, sizeof(a), "%.*s", c ? (int)(c - meta) : 1, c ? meta : "A");
		snprintf(b, sizeof(b), "%s", c ? c + 1 : "B");
		say(why, why_len, "'%s=%s': expected %s with %s from %" PRIu64 " to %" PRIu64 " and %s from %" PRIu64
		    " to %" PRIu64 "%s", o->name, text, meta, a, o->min, o->max, b, o->min2, o->max2,
		    o->zero_ok ? ", or 0 for none" : "");
		return -EINVAL;
	}
	}
	case MV_OPT_REAL: {
		char *end;

		errno = 0;
		v.real = strtod(text, &end);
		if (end == text || *end || errno || !isfinite(v.real) || v.real < 0 || v.real > o->max_real ||
		    !((text[0] >= '0' && text[0] <= '9') || text[0] == '.')) {
			say(why, why_len, "'%s=%s': expected a number from 0 to %g", o->name, text, o->max_real);
			return -EINVAL;
		}
		break;
	}
	}
	*out = v;
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int mv_options_parse(const struct mv_option *opts, size_t count, const char *text,
		     struct mv_opt_value *values, const char *what, char *err, size_t err_len)
{
	struct mv_opt_value tmp[MAX_OPTIONS];
	char accepted[1024], why[256];
	const char *p = text;

	if (count > MAX_OPTIONS) {
		say(err, err_len, "%s: an option table of %zu entries (at most %d)", what, count, MAX_OPTIONS);
		return -EINVAL;
	}
	memcpy(tmp, values, count * sizeof(*tmp));
	if (!text || !*text)
		return 0;
	/* What is accepted: every key with its range and default, or, for a
	 * long table, the keys alone. */
	if (mv_options_accepted(opts, count, accepted, sizeof(accepted)) > 320) {
		size_t off = 0;

		for (size_t i = 0; i < count; i++)
			off += (size_t)snprintf(accepted + off, off < sizeof(accepted) ? sizeof(accepted) - off : 0,
						"%s%s", i ? ", " : "", opts[i].name);
	}
	if (has_control(text)) {
		say(err, err_len, "%s: option text with a control character (newline, tab...); accepted: %s",
		    what, count ? accepted : "none");
		return -EINVAL;
	}
	for (;;) {
		size_t n;
		char item[256], *eq;
		const struct mv_option *o = NULL;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, ", ");
		if (n == 0 || n >= sizeof(item)) {
			say(err, err_len, "%s: %s item%s%.*s%s (KEY=VALUE expected); accepted: %s", what,
			    n ? "overlong" : "empty", n ? " '" : "", (int)(n < 40 ? n : 40), p, n ? "...'" : "",
			    count ? accepted : "none");
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		eq = strchr(item, '=');
		if (!eq || eq == item || !eq[1]) {
			say(err, err_len, "%s: '%s' is not KEY=VALUE; accepted: %s", what, item,
			    count ? accepted : "none");
			return -EINVAL;
		}
		*eq = '\0';
		for (size_t i = 0; i < count; i++)
			if (!strcmp(opts[i].name, item))
				o = &opts[i];
		if (!o) {
			say(err, err_len, "%s: unknown option '%s'; accepted: %s", what, item,
			    count ? accepted : "none");
			return -EINVAL;
		}
		if (tmp[o - opts].given) {
			say(err, err_len, "%s: option '%s' given twice; accepted: %s", what, item, accepted);
			return -EINVAL;
		}
		if (mv_option_parse_value(o, eq + 1, &tmp[o - opts], why, sizeof(why))) {
			say(err, err_len, "%s: %s%s%s%s", what, why, o->help ? " (" : "", o->help ? o->help : "",
			    o->help ? ")" : "");
			return -EINVAL;
		}
		p += n;
		while (*p == ' ')
			p++;
		if (*p == ',') {
			p++;
			while (*p == ' ')
				p++;
			if (!*p || *p == ',') {
				say(err, err_len, "%s: empty item (KEY=VALUE expected) after ','; accepted: %s", what,
				    accepted);
				return -EINVAL;
			}
		}
	}
	memcpy(values, tmp, count * sizeof(*tmp));
	return 0;
}

size_t mv_option_format_value(const struct mv_option *o, const struct mv_opt_value *v, char *buf,
			      size_t len)
{
	switch (o->type) {
	case MV_OPT_UINT:
		return (size_t)snprintf(buf, len, "%" PRIu64, v->u);
	case MV_OPT_CHOICE:
		return (size_t)snprintf(buf, len, "%s", o->choices ? o->choices[v->u] : "?");
	case MV_OPT_BOOL:
		return (size_t)snprintf(buf, len, "%u", v->u ? 1u : 0u);
	case MV_OPT_PAIR:
		if (o->zero_ok && !v->u && !v->u2)
			return (size_t)snprintf(buf, len, "0");
		return (size_t)snprintf(buf, len, "%" PRIu64 ":%" PRIu64, v->u, v->u2);
	case MV_OPT_REAL:
		return (size_t)snprintf(buf, len, "%.17g", v->real);
	}
	return (size_t)snprintf(buf, len, "?");
}

size_t mv_options_format(const struct mv_option *opts, size_t count,
			 const struct mv_opt_value *values, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s=", i ? "," : "",
					opts[i].name);
		off += mv_option_format_value(&opts[i], &values[i], buf + (off < len ? off : len),
					      off < len ? len - off : 0);
	}
	return off;
}

size_t mv_options_accepted(const struct mv_option *opts, size_t count, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const struct mv_option *o = &opts[i];
		char shape[256], range[96] = "";

		switch (o->type) {
		case MV_OPT_UINT:
			snprintf(shape, sizeof(shape), "%s", o->metavar ? o->metavar : "N");
			snprintf(range, sizeof(range), "%" PRIu64 "..%" PRIu64 ", ", o->min, o->max);
			break;
		case MV_OPT_CHOICE:
			choices_text(o, shape, sizeof(shape));
			break;
		case MV_OPT_BOOL:
			snprintf(shape, sizeof(shape), "0|1");
			break;
		case MV_OPT_PAIR:
			snprintf(shape, sizeof(shape), "%s%s", o->metavar ? o->metavar : "A:B",
				 o->zero_ok ? "|0" : "");
			break;
		case MV_OPT_REAL:
			snprintf(shape, sizeof(shape), "%s", o->metavar ? o->metavar : "X");
			snprintf(range, sizeof(range), "0..%g, ", o->max_real);
			break;
		}
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s=%s (%sdefault %s)",
					i ? ", " : "", o->name, shape, range, o->def ? o->def : "none");
	}
	return off;
}
