/*
 * tests/programs/src/pipes.c — pipes between a program's own processes:
 * a child writes numbered records into a pipe and the parent reads them
 * all (more than one pipe buffer's worth, so both ends block in turn);
 * end of file once every writer has closed; a second pipe carries the
 * parent's reply back; a pipe's write end with no reader left gives
 * EPIPE when SIGPIPE is ignored.  Usage: pipes [RECORDS]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000;
	int down[2], up[2];
	if (pipe(down) || pipe(up))
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(down[0]);
		close(up[1]);
		char rec[32];
		for (long i = 0; i < n; i++) {
			int len = snprintf(rec, sizeof(rec), "record %06ld\n", i);
			if (write_all(down[1], rec, (size_t)len))
				_exit(2);
		}
		close(down[1]);
		char reply[64] = {0};
		ssize_t r = read(up[0], reply, sizeof(reply) - 1);
		_exit(r > 0 && !strncmp(reply, "got ", 4) ? 0 : 3);
	}
	close(down[1]);
	close(up[0]);
	char buf[1000];
	long bytes = 0, lines = 0, reads = 0;
	unsigned long sum = 0;
	ssize_t r;
	while ((r = read(down[0], buf, sizeof(buf))) > 0) {
		reads++;
		for (ssize_t i = 0; i < r; i++) {
			lines += buf[i] == '\n';
			sum = sum * 31 + (unsigned char)buf[i];
		}
		bytes += r;
	}
	close(down[0]);
	char reply[64];
	int len = snprintf(reply, sizeof(reply), "got %ld lines", lines);
	write_all(up[1], reply, (size_t)len);
	close(up[1]);
	int st;
	waitpid(pid, &st, 0);
	printf("pipe: %ld bytes, %ld lines, digest %016lx, read() returned data %s\n", bytes, lines, sum,
	       reads > 1 ? "more than once" : "once");
	printf("child: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "saw the reply, exited 0" : "FAILED");

	int lone[2];
	if (pipe(lone))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	close(lone[0]);
	ssize_t w = write(lone[1], "x", 1);
	printf("write with no reader: %s\n", w < 0 && errno == EPIPE ? "EPIPE" : "unexpected");
	return lines == n && WIFEXITED(st) && WEXITSTATUS(st) == 0 && w < 0 ? 0 : 1;
}
