/*
 * bench/sweep-scale.c — how well `memvirt sweep -j N` uses the cores: the
 * same sweep (12 runs of scan, gups and ptchurn on the soft engine's
 * native and shadow backends, each a few tenths of a second) with -j 1
 * and with -j 2, each into a fresh database, interleaved, REPS times each
 * (default 3).  Prints the medians and, last, speedup_j2 = median time
 * with -j 1 / median time with -j 2 (2.0 is perfect on two cores), and
 * cpus=, the cores this machine has.
 *
 * It runs the memvirt of this build (or $MEMVIRT).
 * Usage: sweep-scale [--reps N] [--scale K]   (K multiplies each run's work)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memvirt-config.h"

#define MAX_REPS 15

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One sweep, its wall time; -1 when it did not end with every run ok. */
static double sweep(const char *memvirt, const char *dir, int jobs, int rep)
{
	char db[4200], sweep_file[4200], jobs_text[16];
	double t0, t;
	int status;
	pid_t pid;

	snprintf(db, sizeof(db), "%s/j%d-%d.db", dir, jobs, rep);
	snprintf(sweep_file, sizeof(sweep_file), "%s/scale.sweep", dir);
	snprintf(jobs_text, sizeof(jobs_text), "%d", jobs);
	fflush(NULL);
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(memvirt, "memvirt", "sweep", sweep_file, "--db", db, "-j", jobs_text, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	t = now_s() - t0;
	unlink(db);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

int main(int argc, char **argv)
{
	const char *memvirt = getenv("MEMVIRT");
	char path[4096], dir[] = "/tmp/memvirt-sweep-scale.XXXXXX", file[4200];
	double t1[MAX_REPS], t2[MAX_REPS], m1, m2;
	int reps = 3;
	unsigned long scale = 1;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
			scale = strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: sweep-scale [--reps N (1..%d)] [--scale K]\n", MAX_REPS);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || scale < 1 || scale > 1000) {
		fprintf(stderr, "sweep-scale: --reps 1..%d, --scale 1..1000\n", MAX_REPS);
		return 2;
	}
	if (!memvirt) {
		snprintf(path, sizeof(path), "%s/memvirt", MEMVIRT_BUILD_ROOT);
		memvirt = path;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "sweep-scale: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(file, sizeof(file), "%s/scale.sweep", dir);
	f = fopen(file, "w");
	if (!f) {
		fprintf(stderr, "sweep-scale: %s: %s\n", file, strerror(errno));
		return 1;
	}
	/* Runs of unlike length, as a real grid has: the runner must keep
	 * both cores busy while a long run goes on. */
	fprintf(f,
		"[sweep]\nname = scale\nengine = soft\nbackend = native, shadow\nworkload = scan, gups, ptchurn\n"
		"repetitions = 2\n"
		"[params.scan]\nwss = 1M\npasses = %lu\n"
		"[params.gups]\nwss = 4M\nupdates = %lu\n"
		"[params.ptchurn]\nrounds = %lu\n",
		20 * scale, 400000 * scale, 60 * scale);
	fclose(f);
	printf("memvirt: %s\nsweep: 12 runs (scan, gups, ptchurn x native, shadow x 2), %d repetitions each way\n",
	       memvirt, reps);
	for (int r = 0; r < reps; r++) {
		t1[r] = sweep(memvirt, dir, 1, r);
		t2[r] = sweep(memvirt, dir, 2, r);
		if (t1[r] < 0 || t2[r] < 0) {
			fprintf(stderr, "sweep-scale: a sweep failed (run it by hand: %s sweep %s -j 2)\n", memvirt, file);
			return 1;
		}
		printf("rep %d: -j 1 %.2f s, -j 2 %.2f s\n", r, t1[r], t2[r]);
	}
	m1 = median(t1, reps);
	m2 = median(t2, reps);
	unlink(file);
	rmdir(dir);
	printf("median: -j 1 %.2f s, -j 2 %.2f s\n", m1, m2);
	printf("sweep_j1_s=%.3f\nsweep_j2_s=%.3f\ncpus=%ld\nspeedup_j2=%.2f\n", m1, m2, sysconf(_SC_NPROCESSORS_ONLN),
	       m1 / m2);
	return 0;
}
