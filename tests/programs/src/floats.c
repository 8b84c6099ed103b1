/*
 * tests/programs/src/floats.c — printf of floats, doubles and long
 * doubles (x87 80-bit), strtod/strtold, and arithmetic whose results
 * depend on SSE and x87 rounding; every byte it prints is compared with
 * the same binary's output on the host.  Usage: floats [N]
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	double d = 1.0, h = 0.0;
	long double ld = 1.0L, lh = 0.0L;
	float f = 1.0f;

	for (int i = 1; i <= n; i++) {
		d = d * 1.0001 + 1.0 / i;
		h += 1.0 / ((double)i * i);
		ld = ld * 1.0001L + 1.0L / i;
		lh += 1.0L / ((long double)i * i);
		f = f * 1.5f - 0.25f * f;
	}
	printf("double %.17g %e %a %f\n", d, h, h, d / 3);
	printf("long double %.21Lg %Le %La\n", ld, lh, lh);
	printf("float %.9g %g\n", (double)f, (double)(f / 7.0f));
	printf("strtod %.17g strtold %.21Lg\n", strtod("2.718281828459045235360287", NULL),
	       strtold("3.141592653589793238462643383279", NULL));
	printf("special %f %f %g %Lg\n", 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0 < 0 ? -1.0 : 1.0,
	       (long double)1e4000L * 0.0L);
	printf("tiny %g %Lg %.3e\n", 4.9406564584124654e-324, 3.6451995318824746025e-4951L, 1e-310);
	printf("int conv %lld %llu %d\n", (long long)(d * 1e6), (unsigned long long)(ld * 1e9L), (int)(h * 1e9));
	return 0;
}
