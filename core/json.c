/*
 * core/json.c — the JSON writer (see json.h).
 */
#include "core/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

const char *json_text(const struct json *j)
{
	if (j->failed)
		return NULL;
	return j->buf ? j->buf : "";
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 256;
		char *b;

		while (cap < j->len + n + 1)
			cap *= 2;
		b = realloc(j->buf, cap);
		if (!b) {
			j->failed = true;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Before a value or a key: the comma that separates it from the last. */
static void separate(struct json *j)
{
	if (j->need_comma)
		put(j, ",", 1);
	j->need_comma = true;
}

void json_object_begin(struct json *j)
{
	separate(j);
	put(j, "{", 1);
	j->need_comma = false;
}

void json_object_end(struct json *j)
{
	put(j, "}", 1);
	j->need_comma = true;
}

void json_array_begin(struct json *j)
{
	separate(j);
	put(j, "[", 1);
	j->need_comma = false;
}

void json_array_end(struct json *j)
{
	put(j, "]", 1);
	j->need_comma = true;
}

static void quoted(struct json *j, const char *s)
{
	put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		switch (c) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				puts_(j, esc);
			} else {
				put(j, (const char *)&c, 1);
			}
		}
	}
	put(j, "\"", 1);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 when
 * there is none: no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t k = 1; k < need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

void json_string_bytes(struct json *j, const uint8_t *data, size_t len)
{
	separate(j);
	put(j, "\"", 1);
	for (size_t i = 0; i < len;) {
		uint8_t c = data[i];
		size_t n = utf8_len(data + i, len - i);
		char esc[8];

		if (n > 1) {
			put(j, (const char *)data + i, n);
			i += n;
			continue;
		}
		i++;
		switch (c) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f || !n) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				puts_(j, esc);
			} else {
				put(j, (const char *)&c, 1);
			}
		}
	}
	put(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	quoted(j, key);
	put(j, ":", 1);
	j->need_comma = false;
}

void json_string(struct json *j, const char *s)
{
	separate(j);
	if (s)
		quoted(j, s);
	else
		puts_(j, "null");
}

void json_u64(struct json *j, uint64_t v)
{
	char b[32];

	separate(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void json_i64(struct json *j, int64_t v)
{
	char b[32];

	separate(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void json_double(struct json *j, double v)
{
	char b[64];

	separate(j);
	if (!isfinite(v)) {
		puts_(j, "null");
		return;
	}
	if (v == (double)(int64_t)v && fabs(v) < 9e15)
		snprintf(b, sizeof(b), "%" PRId64, (int64_t)v);
	else
		snprintf(b, sizeof(b), "%.17g", v);
	puts_(j, b);
}

void json_bool(struct json *j, bool v)
{
	separate(j);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	separate(j);
	puts_(j, "null");
}

void json_raw(struct json *j, const char *text)
{
	separate(j);
	puts_(j, text);
}
