/*
 * core/console.c — the guest console and its line protocol (console.h).
 */
#include "core/console.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void console_init(struct console *c, int vm, FILE *echo, struct ctr_set *stats)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->echo = echo;
	c->stats = stats;
}

/* "program ..." lines: the first end line counts (a kernel reports one). */
static void parse_program(struct console *c, const char *line)
{
	struct console_program *p = &c->program;
	unsigned long long sig, addr, rip;
	char name[16];
	int used = 0;

	if (p->exited || p->signalled || p->error)
		return;
	if (!strncmp(line, "error ", 6)) {
		p->error = true;
		snprintf(p->error_text, sizeof(p->error_text), "%s", line + 6);
		return;
	}
	if (!strncmp(line, "exit_status=", 12)) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(line + 12, &end, 10);
		if (errno || end == line + 12 || (*end && *end != ' ') || v < INT32_MIN || v > INT32_MAX)
			return;
		p->exited = true;
		p->exit_status = (int32_t)v;
		return;
	}
	if (sscanf(line, "signal=%llu name=%15s addr=%llx rip=%llx%n", &sig, name, &addr, &rip, &used) == 4 &&
	    !line[used] && sig < 256) {
		p->signalled = true;
		p->signal = (uint32_t)sig;
		snprintf(p->signal_name, sizeof(p->signal_name), "%s", name);
		p->addr = addr;
		p->rip = rip;
	}
}

bool console_program_failure(const struct console_program *p, char *buf, size_t len)
{
	if (p->error)
		snprintf(buf, len, "program error: %s", p->error_text);
	else if (p->signalled)
		snprintf(buf, len, "program killed by %s (signal %" PRIu32 ") at address 0x%" PRIx64 ", rip 0x%" PRIx64,
			 p->signal_name, p->signal, p->addr, p->rip);
	else if (p->exited && p->exit_status != 0)
		snprintf(buf, len, "program exited with status %" PRId32, p->exit_status);
	else if (!p->exited)
		snprintf(buf, len, "the guest did not say how the program ended (no 'program exit_status=' line)");
	else
		return false;
	return true;
}

static void parse_line(struct console *c, const char *line)
{
	const char *p;
	char *end;

	if (!strncmp(line, CONSOLE_BANNER, strlen(CONSOLE_BANNER))) {
		c->booted = true;
		return;
	}
	if (!strncmp(line, "program ", 8)) {
		parse_program(c, line + 8);
		return;
	}
	if (!strncmp(line, "result checksum=", 16)) {
		unsigned long long v;

		errno = 0;
		v = strtoull(line + 16, &end, 16);
		if (!errno && end != line + 16 && (*end == '\0' || *end == ' ')) {
			c->has_checksum = true;
			c->checksum = v;
		}
		return;
	}
	if (!strncmp(line, "stat ", 5) && (p = strchr(line + 5, '=')) != NULL) {
		char name[64];
		size_t n = (size_t)(p - (line + 5));
		unsigned long long v;

		if (n == 0 || n + 6 >= sizeof(name))
			return;
		errno = 0;
		v = strtoull(p + 1, &end, 10);
		if (errno || end == p + 1 || *end)
			return;
		snprintf(name, sizeof(name), "guest_%.*s", (int)n, line + 5);
		if (ctr_set(c->stats, c->vm, name, (double)v) || ctr_add(c->stats, -1, name, (double)v))
			c->stats_error = -ENOMEM;
	}
}

static void end_line(struct console *c)
{
	c->line[c->len] = '\0';
	if (c->echo) {
		if (c->vm >= 0)
			fprintf(c->echo, "[vm%d] %s\n", c->vm, c->line);
		else
			fprintf(c->echo, "%s\n", c->line);
	}
	parse_line(c, c->line);
	memcpy(c->tail[c->tail_next], c->line, c->len + 1);
	c->tail_next = (c->tail_next + 1) % CONSOLE_TAIL;
	c->len = 0;
}

void console_put(struct console *c, uint8_t byte)
{
	c->bytes++;
	if (byte == '\r')
		return;
	if (byte == '\n') {
		end_line(c);
		return;
	}
	/* Keep lines printable; a wild guest must not garble the terminal. */
	if (byte < 0x20 || byte > 0x7e)
		byte = '?';
	if (c->len == CONSOLE_LINE_MAX - 1)
		end_line(c);
	c->line[c->len++] = (char)byte;
}

void console_finish(struct console *c)
{
	if (c->len)
		end_line(c);
}

void console_tail(const struct console *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < CONSOLE_TAIL && off < len; i++) {
		const char *l = c->tail[(c->tail_next + i) % CONSOLE_TAIL];

		if (!l[0])
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " | " : "", l);
	}
}
