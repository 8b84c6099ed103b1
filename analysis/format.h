/*
 * analysis/format.h — how the analysis writes numbers and text into CSV,
 * JSON, HTML and gnuplot files.  Numbers keep every digit (the shortest
 * text that reads back as the same double); a missing number is an empty
 * CSV cell, JSON null, and "–" only where a person reads it.
 */
#ifndef MEMVIRT_ANALYSIS_FORMAT_H
#define MEMVIRT_ANALYSIS_FORMAT_H

#include <stddef.h>
#include <stdio.h>

/* The shortest "%.Ng" that reads back as v; "" for NaN and infinities. */
void an_fmt_exact(double v, char *buf, size_t len);
/* For people: 6 significant digits, "-" when missing. */
void an_fmt_short(double v, char *buf, size_t len);
/* A p-value for people: "-" when missing, 1.2e-05 or 0.0312. */
void an_fmt_p(double p, char *buf, size_t len);
/* A fraction as a signed percentage with 2 decimals ("+12.34%"), "-"
 * when missing. */
void an_fmt_percent(double fraction, char *buf, size_t len);

void an_csv_text(FILE *f, const char *s);   /* quoted, "" doubled */
void an_csv_number(FILE *f, double v);      /* exact, empty when missing */
void an_html_text(FILE *f, const char *s);
void an_json_text(FILE *f, const char *s);  /* a JSON string */
void an_json_number(FILE *f, double v);     /* exact, null when missing */
void an_gp_text(FILE *f, const char *s);    /* a gnuplot string */

#endif
