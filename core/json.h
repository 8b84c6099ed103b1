/*
 * core/json.h — a small JSON writer into a growing buffer, for `--json`
 * output and the JSON columns of the results store.  It tracks commas
 * itself so callers only say what comes next.
 */
#ifndef MEMVIRT_CORE_JSON_H
#define MEMVIRT_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json {
	char *buf;
	size_t len, cap;
	bool need_comma;
	bool failed;     /* out of memory: the text is unusable */
};

void json_init(struct json *j);
void json_free(struct json *j);
/* The text, or NULL when it failed.  Owned by j. */
const char *json_text(const struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
/* Bytes that may hold anything (a program's output) as a JSON string:
 * valid UTF-8 as it is, NUL and control characters escaped, and each
 * byte that is not part of a valid UTF-8 sequence as \u00XX (its value
 * as a code point), so the text is always valid JSON. */
void json_string_bytes(struct json *j, const uint8_t *data, size_t len);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Already valid JSON text, inserted as a value. */
void json_raw(struct json *j, const char *text);

#endif
