/*
 * tests/programs/src/mallocs.c — a malloc-heavy program: many sizes from
 * 1 byte to blocks big enough for mmap (1..8 MiB), realloc growing and
 * shrinking, calloc, free in a scrambled order, every block's contents
 * checked before it is freed.  Usage: mallocs [ROUNDS [SEED]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512

static uint64_t state;

static uint64_t rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

struct slot {
	unsigned char *p;
	size_t len;
	unsigned char tag;
};

static int intact(const struct slot *s)
{
	for (size_t i = 0; i < s->len; i += 1 + i / 64)
		if (s->p[i] != (unsigned char)(s->tag + i))
			return 0;
	return 1;
}

/* The same bytes intact() checks: dense at the start, then sparser, so
 * that a block of megabytes costs a few thousand stores, not millions. */
static void paint(struct slot *s, size_t from)
{
	for (size_t i = 0; i < s->len; i += 1 + i / 64)
		if (i >= from)
			s->p[i] = (unsigned char)(s->tag + i);
}

static size_t pick_size(void)
{
	uint64_t r = rnd();
	switch (r % 8) {
	case 0: return 1 + r % 16;
	case 1: case 2: return 16 + (r >> 8) % 512;
	case 3: case 4: return 512 + (r >> 8) % 8192;
	case 5: return 8192 + (r >> 8) % 131072;
	case 6: return 131072 + (r >> 8) % 262144;
	default: return (r >> 20) % 64 ? 1024 + (r >> 8) % 4096 : (1 + (r >> 8) % 8) << 20;
	}
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	state = argc > 2 ? strtoull(argv[2], NULL, 0) : 88172645463325252ull;
	if (!state)
		state = 1;
	struct slot s[SLOTS] = {{0}};
	unsigned long mallocs = 0, reallocs = 0, callocs = 0, frees = 0, corrupt = 0, big = 0;
	size_t peak = 0, live = 0;
	for (unsigned long r = 0; r < rounds; r++) {
		struct slot *x = &s[rnd() % SLOTS];
		uint64_t op = rnd() % 10;
		if (x->p && !intact(x))
			corrupt++;
		if (!x->p || op < 3) {
			if (x->p) {
				free(x->p);
				frees++;
				live -= x->len;
			}
			x->len = pick_size();
			x->tag = (unsigned char)rnd();
			if (op == 0) {
				x->p = calloc(1, x->len);
				callocs++;
				for (size_t i = 0; x->p && i < x->len; i += 4096)
					if (x->p[i])
						corrupt++;
			} else {
				x->p = malloc(x->len);
				mallocs++;
			}
			if (!x->p)
				return 1;
			big += x->len >= (1 << 20);
			paint(x, 0);
		} else if (op < 6) {
			size_t old = x->len, len = op == 3 ? old / 2 + 1 : old + pick_size();
			unsigned char *p = realloc(x->p, len);
			if (!p)
				return 1;
			reallocs++;
			x->p = p;
			x->len = len;
			live -= old;
			if (len > old)
				paint(x, old);
			else if (!intact(x))
				corrupt++;
		} else {
			continue;
		}
		live += x->len;
		if (live > peak)
			peak = live;
	}
	for (int i = 0; i < SLOTS; i++) {
		int j = (i * 389) % SLOTS;
		if (s[j].p) {
			corrupt += !intact(&s[j]);
			free(s[j].p);
			frees++;
		}
	}
	printf("mallocs %lu callocs %lu reallocs %lu frees %lu blocks>=1MiB %lu\n", mallocs, callocs, reallocs,
	       frees, big);
	printf("peak live %zu bytes, corrupt %lu\n", peak, corrupt);
	return corrupt ? 1 : 0;
}
