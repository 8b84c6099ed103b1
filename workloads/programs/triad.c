/*
 * workloads/programs/triad.c — the four STREAM kernels (copy, scale, add,
 * triad) over arrays of doubles, verified element by element.  A
 * benchmark program of memvirt's own (docs/programs.md); the one of the
 * suite whose output is floating point printed with printf.
 *
 * Usage: triad [ELEMENTS [ITERATIONS [SEED]]]   (defaults 2000000 20 1)
 *
 * a[j] starts at 1 + k/4096 with k < 4096 from the seeded generator, b at
 * 2, c at 0, scalar q = 3.  Each iteration runs c = a; b = q*c;
 * c = a + b; a = b + q*c, as STREAM does.
 *
 * Self-check: after one iteration a[j] = a0[j] * (2q + q^2), b[j] =
 * q * a0[j] * (2q + q^2)^(i-1) and so on: every element is compared with
 * its closed form, computed from its own starting value, to a relative
 * error of 1e-12 (the kernels round once per operation, the closed form
 * differently).  Exit 0 when every element agrees, 1 otherwise, 2 on bad
 * arguments.
 *
 * The figures printed are computed from the counts, never from time: the
 * bytes each kernel moves per iteration and in all, the bytes per flop of
 * each, the arrays' sums and means (%.17g and %e), and last `checksum
 * HEX`, a fold of the sums' bit patterns.  The same binary gives the same
 * bits on any correct x86-64, so the checksum checks SSE arithmetic and
 * printf's conversions too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix(*s);
}

static uint64_t fold(uint64_t acc, uint64_t v)
{
	return (((acc << 5) | (acc >> 59)) ^ v) * 0x100000001b3ull;
}

static uint64_t bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static double rel_err(double got, double want)
{
	double d = got - want;
	if (d < 0)
		d = -d;
	return want != 0 ? d / (want < 0 ? -want : want) : d;
}

static int arg(int argc, char **argv, int i, unsigned long long def, unsigned long long lo,
	       unsigned long long hi, unsigned long long *out)
{
	if (argc <= i) {
		*out = def;
		return 0;
	}
	char *end;
	*out = strtoull(argv[i], &end, 0);
	if (!*argv[i] || *end || *out < lo || *out > hi) {
		fprintf(stderr, "triad: argument %d (%s) must be a number in %llu..%llu\n", i, argv[i], lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long n, iters, seed;
	if (argc > 4 || arg(argc, argv, 1, 2000000, 1, 1ull << 28, &n) ||
	    arg(argc, argv, 2, 20, 1, 40, &iters) || arg(argc, argv, 3, 1, 0, ~0ull, &seed)) {
		fprintf(stderr, "usage: triad [ELEMENTS [ITERATIONS [SEED]]]\n");
		return 2;
	}
	double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double));
	double *c = malloc(n * sizeof(double)), *a0 = malloc(n * sizeof(double));
	if (!a || !b || !c || !a0) {
		fprintf(stderr, "triad: out of memory\n");
		return 1;
	}
	uint64_t s = seed;
	const double q = 3.0;
	for (size_t j = 0; j < n; j++) {
		a0[j] = a[j] = 1.0 + (double)(next(&s) % 4096) / 4096.0;
		b[j] = 2.0;
		c[j] = 0.0;
	}
	for (unsigned long long it = 0; it < iters; it++) {
		for (size_t j = 0; j < n; j++)
			c[j] = a[j];
		for (size_t j = 0; j < n; j++)
			b[j] = q * c[j];
		for (size_t j = 0; j < n; j++)
			c[j] = a[j] + b[j];
		for (size_t j = 0; j < n; j++)
			a[j] = b[j] + q * c[j];
	}

	/* Closed forms: with g = 2q + q^2, after i iterations a = a0 g^i,
	 * b = q a0 g^(i-1), c = (1 + q) a0 g^(i-1). */
	double g = 2 * q + q * q, gi1 = 1.0;
	for (unsigned long long it = 1; it < iters; it++)
		gi1 *= g;
	double worst = 0;
	size_t bad = 0;
	for (size_t j = 0; j < n; j++) {
		double ea = rel_err(a[j], a0[j] * gi1 * g), eb = rel_err(b[j], q * a0[j] * gi1);
		double ec = rel_err(c[j], (1 + q) * a0[j] * gi1);
		double e = ea > eb ? ea : eb;
		e = e > ec ? e : ec;
		if (e > worst)
			worst = e;
		if (!(e <= 1e-12))
			bad++;
	}

	double sa = 0, sb = 0, sc = 0;
	for (size_t j = 0; j < n; j++) {
		sa += a[j];
		sb += b[j];
		sc += c[j];
	}
	/* STREAM's accounting: copy and scale move 2 arrays, add and triad 3. */
	const char *name[4] = {"copy", "scale", "add", "triad"};
	const double arrays[4] = {2, 2, 3, 3}, flops[4] = {0, 1, 1, 2};
	double total = 0;
	printf("triad: %llu elements of %zu bytes, %llu iterations, scalar %.1f\n", n, sizeof(double), iters, q);
	for (int k = 0; k < 4; k++) {
		double bytes = arrays[k] * (double)sizeof(double) * (double)n;
		total += bytes * (double)iters;
		if (flops[k] > 0)
			printf("%-6s %12.3f MiB/iteration  %.4f bytes/flop\n", name[k], bytes / (1024.0 * 1024.0),
			       bytes / (flops[k] * (double)n));
		else
			printf("%-6s %12.3f MiB/iteration  no flops\n", name[k], bytes / (1024.0 * 1024.0));
	}
	printf("moved: %.6e bytes (%.3f GiB)\n", total, total / (1024.0 * 1024.0 * 1024.0));
	printf("sums: a %.17g b %.17g c %.17g\n", sa, sb, sc);
	printf("means: a %e b %e c %e, worst relative error %.3g\n", sa / (double)n, sb / (double)n,
	       sc / (double)n, worst);
	printf("verify: %s (%zu elements off)\n", bad ? "FAILED" : "ok", bad);
	printf("checksum %016llx\n", (unsigned long long)fold(fold(fold(seed, bits(sa)), bits(sb)), bits(sc)));
	free(a);
	free(b);
	free(c);
	free(a0);
	return bad ? 1 : 0;
}
