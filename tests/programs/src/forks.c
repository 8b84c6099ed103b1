/*
 * tests/programs/src/forks.c — fork() and wait4(): children that compute,
 * write their own output and exit with their own status; the parent reaps
 * each child in order with wait4() and checks its status and rusage.
 * Output is written with write(2) (no stdio buffer is duplicated by
 * fork), parent lines only after the child it waits for has finished, so
 * the bytes' order does not depend on the schedule.  Usage: forks [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			_exit(99);
		s += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	char line[128];
	int bad = 0;
	static unsigned long shared[1024];
	for (int i = 0; i < 1024; i++)
		shared[i] = (unsigned long)i * 3;
	for (int c = 0; c < n; c++) {
		pid_t pid = fork();
		if (pid < 0) {
			say("fork failed\n");
			return 1;
		}
		if (pid == 0) {
			unsigned long acc = 0;
			for (int i = 0; i < 1024; i++) {
				shared[i] += (unsigned long)c;     /* copy-on-write: the parent must not see it */
				acc += shared[i] * (unsigned long)(c + 1);
			}
			snprintf(line, sizeof(line), "child %d acc %lu\n", c, acc);
			say(line);
			_exit(10 + c);
		}
		int st;
		struct rusage ru;
		pid_t got = wait4(pid, &st, 0, &ru);
		int ok = got == pid && WIFEXITED(st) && WEXITSTATUS(st) == 10 + c;
		bad += !ok;
		snprintf(line, sizeof(line), "parent: child %d %s, status %d\n", c, ok ? "reaped" : "WRONG",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		say(line);
	}
	unsigned long sum = 0;
	for (int i = 0; i < 1024; i++)
		sum += shared[i];
	snprintf(line, sizeof(line), "parent memory sum %lu (%s)\n", sum, sum == 3ul * 1023 * 1024 / 2 ? "unchanged" : "CHANGED");
	say(line);
	pid_t none = wait4(-1, NULL, WNOHANG, NULL);
	snprintf(line, sizeof(line), "no children left: %s\n", none < 0 ? "yes" : "no");
	say(line);
	return bad || none >= 0 || sum != 3ul * 1023 * 1024 / 2;
}
