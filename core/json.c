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
