/*
 * workloads/kernel/console.c — output on COM1 and the exit port.
 *
 * One OUT per byte to the COM1 data register, without polling the line
 * status: memvirt's engines and QEMU both take the byte at once, and a
 * polling loop would be instructions the engines count.  kprintf knows the
 * conversions the kernel uses: %s %c %d %u %x %p with l/ll and a zero-padded
 * width.
 */
#include <stdarg.h>
#include "workloads/kernel/kern.h"

void con_putc(char c)
{
	outb(MV_PORT_CONSOLE, (uint8_t)c);
}

void con_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		con_putc(s[i]);
}

static void put_num(uint64_t v, unsigned base, int neg, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		con_putc(pad);
	while (n)
		con_putc(buf[--n]);
}

static void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int longs = 0, width = 0;
		char pad = ' ';
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			con_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *str = va_arg(ap, const char *);

			con_write(str, kstrlen(str));
			break;
		}
		case 'c':
			con_putc((char)va_arg(ap, int));
			break;
		case 'd':
			s = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(s < 0 ? (uint64_t)-s : (uint64_t)s, 10, s < 0, width, pad);
			break;
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(u, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case 'p':
			con_write("0x", 2);
			put_num((uint64_t)va_arg(ap, void *), 16, 0, 0, ' ');
			break;
		case '%':
			con_putc('%');
			break;
		default:
			con_putc('?');
			return;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void kexit(uint32_t status)
{
	outl(MV_PORT_EXIT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void panic(const char *fmt, ...)
{
	va_list ap;

	con_write("panic: ", 7);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	con_putc('\n');
	kexit(2);
}
