/*
 * fuzz/fuzz_console.c — the guest console and its line protocol
 * (core/console.c) on an arbitrary byte stream from a guest.
 *
 * The first input byte picks the VM number (-1: the whole run) and
 * whether lines are echoed (to /dev/null); the rest is what the guest
 * writes to COM1.  Promises held (core/console.h): lines stay shorter
 * than CONSOLE_LINE_MAX and printable; "stat" lines become guest_NAME
 * counters; the tail joins the last lines within the buffer it is given.
 */
#include "core/console.h"
#include "core/counters.h"
#include "fuzz/fuzz.h"

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void check_printable(const char *s, size_t max, const char *what)
{
	size_t n = strnlen(s, max);

	FUZZ_CHECK(n < max, "%s without a NUL in %zu bytes", what, max);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x7e,
			   "%s holds byte 0x%02x at %zu", what, (unsigned char)s[i], i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctr_set stats;
	struct console c;
	char tail[CONSOLE_TAIL * (CONSOLE_LINE_MAX + 3)];
	size_t tail_len;

	if (!size)
		return 0;
	ctr_init(&stats);
	console_init(&c, (data[0] & 0x40) ? -1 : (int)(data[0] & 0x0f), (data[0] & 0x80) ? devnull() : NULL,
		     &stats);
	for (size_t i = 1; i < size; i++) {
		console_put(&c, data[i]);
		FUZZ_CHECK(c.len < CONSOLE_LINE_MAX, "line length %u after byte %zu", c.len, i);
	}
	console_finish(&c);
	FUZZ_CHECK(c.len == 0, "%u bytes left after console_finish", c.len);
	FUZZ_CHECK(c.bytes == size - 1, "%llu bytes counted of %zu", (unsigned long long)c.bytes, size - 1);
	FUZZ_CHECK(c.tail_next < CONSOLE_TAIL, "tail_next %u", c.tail_next);
	for (unsigned i = 0; i < CONSOLE_TAIL; i++)
		check_printable(c.tail[i], CONSOLE_LINE_MAX, "a tail line");
	for (size_t i = 0; i < stats.count; i++) {
		FUZZ_CHECK(!strncmp(stats.items[i].name, "guest_", 6), "counter '%s'", stats.items[i].name);
		FUZZ_CHECK(stats.items[i].vm == c.vm || stats.items[i].vm == -1, "counter of vm %d", stats.items[i].vm);
	}
	/* Every tail buffer size from 1 up, so truncation is exercised. */
	tail_len = 1 + (size_t)data[0] % sizeof(tail);
	memset(tail, 'X', sizeof(tail));
	console_tail(&c, tail, tail_len);
	check_printable(tail, tail_len, "the tail");
	console_tail(&c, tail, sizeof(tail));
	check_printable(tail, sizeof(tail), "the whole tail");
	ctr_free(&stats);
	return 0;
}
