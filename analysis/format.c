/*
 * analysis/format.c — numbers and text for the analysis' outputs (see
 * format.h).
 */
#include "analysis/format.h"

#include <math.h>
#include <stdlib.h>

void an_fmt_exact(double v, char *buf, size_t len)
{
	if (!isfinite(v)) {
		if (len)
			buf[0] = '\0';
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, len, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void an_fmt_short(double v, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (fabs(v) >= 1e5 && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v); /* cycle and nanosecond counts: every digit */
	else
		snprintf(buf, len, "%.6g", v);
}

void an_fmt_p(double p, char *buf, size_t len)
{
	if (!isfinite(p))
		snprintf(buf, len, "-");
	else if (p < 1e-4)
		snprintf(buf, len, "%.1e", p);
	else
		snprintf(buf, len, "%.4f", p);
}

void an_fmt_percent(double fraction, char *buf, size_t len)
{
	if (!isfinite(fraction))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.2f%%", 100.0 * fraction);
}

void an_csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void an_csv_number(FILE *f, double v)
{
	char buf[40];

	an_fmt_exact(v, buf, sizeof(buf));
	fputs(buf, f);
}

void an_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

void an_json_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void an_json_number(FILE *f, double v)
{
	char buf[40];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	an_fmt_exact(v, buf, sizeof(buf));
	fputs(buf, f);
}

void an_gp_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
