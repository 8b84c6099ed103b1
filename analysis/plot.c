/*
 * analysis/plot.c — runs gnuplot and embeds its output (see plot.h).
 */
#include "analysis/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


int an_plot_run(const char *script, const char *log, char *err, size_t err_len)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)"gnuplot", (char *)script, NULL};
	pid_t pid;
	int rc, status;

	if (posix_spawn_file_actions_init(&fa))
		return -ENOMEM;
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		snprintf(err, err_len, "cannot run gnuplot: %s (install Debian's gnuplot-nox)", strerror(rc));
		return rc == ENOENT ? -ENOENT : -rc;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, err_len, "gnuplot failed on %s (see %s)", script, log);
		return -EIO;
	}
	return 0;
}

int an_base64_file(FILE *out, const char *path)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char in[3 * 1024];
	size_t n, total = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -errno;
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		/* Full chunks are multiples of 3, so padding only ever ends the file. */
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned)in[i] << 16;
			size_t left = n - i;

			if (left > 1)
				v |= (unsigned)in[i + 1] << 8;
			if (left > 2)
				v |= in[i + 2];
			fputc(tab[v >> 18 & 63], out);
			fputc(tab[v >> 12 & 63], out);
			fputc(left > 1 ? tab[v >> 6 & 63] : '=', out);
			fputc(left > 2 ? tab[v & 63] : '=', out);
		}
		total += n;
		if (n < sizeof(in))
			break;
	}
	fclose(f);
	return total ? 0 : -ENODATA;
}
