/*
 * bench/bench_spawn.c — see bench_spawn.h.
 */
#include "bench/bench_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_spawn(char *const argv[], bool with_stderr, struct bench_run *r)
{
	int pipefd[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	memset(r, 0, sizeof(*r));
	if (pipe(pipefd))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (with_stderr)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	double t0 = bench_now();
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		return -rc;
	}
	size_t len = 0;
	r->out = malloc(BENCH_MAX_OUT + 1);
	for (;;) {
		char buf[65536];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (r->out && len + (size_t)n <= BENCH_MAX_OUT) {
			memcpy(r->out + len, buf, (size_t)n);
			len += (size_t)n;
		}
	}
	close(pipefd[0]);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	r->wall_s = bench_now() - t0;
	r->maxrss_kib = ru.ru_maxrss;
	r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (r->out)
		r->out[len] = '\0';
	return 0;
}
