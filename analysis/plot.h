/*
 * analysis/plot.h — plots by gnuplot (Debian's gnuplot-nox): the report
 * writes a data file and a script per plot, and this module runs gnuplot
 * on the script and embeds the PNG it made as base64.
 */
#ifndef MEMVIRT_ANALYSIS_PLOT_H
#define MEMVIRT_ANALYSIS_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* Run `gnuplot SCRIPT` (found on PATH), its messages going to LOG.
 * Returns 0, -ENOENT when gnuplot is not installed, -EIO when it failed
 * (err names the log).  Blocks until gnuplot ends. */
int an_plot_run(const char *script, const char *log, char *err, size_t err_len)
	__attribute__((warn_unused_result));

/* Copy a file into out as base64.  0, or a negative errno; -ENODATA for an
 * empty file. */
int an_base64_file(FILE *out, const char *path) __attribute__((warn_unused_result));

#endif
