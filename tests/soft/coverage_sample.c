/*
 * tests/soft/coverage_sample.c — freestanding C compiled with the guest
 * flags (workloads/meson.build) so that the mnemonic coverage check sees
 * what gcc emits for them even without the guest kernel: 128-bit
 * multiplies, divisions, rotates, bit scans, byte swaps, atomics, jump
 * tables, struct copies and clears, sign and zero extensions, conditional
 * moves and sets.  Never run; only disassembled.
 */
#include <stdint.h>

typedef unsigned __int128 u128;

struct blob {
	uint64_t a[12];
	uint8_t tag;
	int16_t s;
};

uint64_t cs_mulhi(uint64_t a, uint64_t b);
int64_t cs_sdiv(int64_t a, int64_t b);
uint32_t cs_udiv32(uint32_t a, uint32_t b);
uint8_t cs_umod8(uint8_t a, uint8_t b);
uint32_t cs_rotl(uint32_t x, unsigned k);
uint64_t cs_rotr64(uint64_t x, unsigned k);
int cs_ctz(uint64_t x);
int cs_clz(uint32_t x);
uint64_t cs_bswap(uint64_t x);
uint32_t cs_bswap32(uint32_t x);
int cs_atomics(int *p, long *q);
int cs_switch(int k, int x);
void cs_clear(struct blob *b);
void cs_copy(struct blob *d, const struct blob *s);
int64_t cs_ext(int8_t a, int16_t b, int32_t c, uint8_t d, uint16_t e);
int cs_cmp(long a, long b, unsigned long c, unsigned long d);
long cs_min(long a, long b);
int cs_bittest(uint64_t x, unsigned n);
uint64_t cs_bitset(uint64_t x, unsigned n);
uint64_t cs_shifts(uint64_t x, int64_t y, unsigned n);
u128 cs_add128(u128 a, u128 b);
u128 cs_shl128(u128 a, unsigned n);
uint64_t cs_loop(const uint32_t *p, unsigned long n);
long cs_neg_abs(long x);

uint64_t cs_mulhi(uint64_t a, uint64_t b) { return (uint64_t)(((u128)a * b) >> 64); }
int64_t cs_sdiv(int64_t a, int64_t b) { return a / b + a % b; }
uint32_t cs_udiv32(uint32_t a, uint32_t b) { return a / b; }
uint8_t cs_umod8(uint8_t a, uint8_t b) { return (uint8_t)(a % b); }
uint32_t cs_rotl(uint32_t x, unsigned k) { return (x << (k & 31)) | (x >> ((32 - k) & 31)); }
uint64_t cs_rotr64(uint64_t x, unsigned k) { return (x >> (k & 63)) | (x << ((64 - k) & 63)); }
int cs_ctz(uint64_t x) { return __builtin_ctzll(x); }
int cs_clz(uint32_t x) { return __builtin_clz(x); }
uint64_t cs_bswap(uint64_t x) { return __builtin_bswap64(x); }
uint32_t cs_bswap32(uint32_t x) { return __builtin_bswap32(x); }

int cs_atomics(int *p, long *q)
{
	int old = __atomic_fetch_add(p, 3, __ATOMIC_SEQ_CST);
	int expected = 5;
	__atomic_compare_exchange_n(p, &expected, 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	long x = __atomic_exchange_n(q, 7L, __ATOMIC_SEQ_CST);
	__atomic_store_n(p, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(q, 4L, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return old + expected + (int)x + (__atomic_add_fetch(q, 1, __ATOMIC_RELAXED) == 0);
}

int cs_switch(int k, int x)
{
	switch (k) {
	case 0: return x + 1;
	case 1: return x * 3;
	case 2: return x - 7;
	case 3: return x ^ 0x55;
	case 4: return x << 2;
	case 5: return x >> 1;
	case 6: return ~x;
	case 7: return -x;
	default: return 0;
	}
}

void cs_clear(struct blob *b) { *b = (struct blob){ 0 }; }
void cs_copy(struct blob *d, const struct blob *s) { *d = *s; }

int64_t cs_ext(int8_t a, int16_t b, int32_t c, uint8_t d, uint16_t e)
{
	return (int64_t)a + (int64_t)b * 3 + (int64_t)c * 5 + (int64_t)d * 7 + (int64_t)e * 11;
}

int cs_cmp(long a, long b, unsigned long c, unsigned long d)
{
	return (a < b) + 2 * (c > d) + 4 * (a == (long)c) + 8 * (b >= 0);
}

long cs_min(long a, long b) { return a < b ? a : b; }
int cs_bittest(uint64_t x, unsigned n) { return (x >> (n & 63)) & 1; }
uint64_t cs_bitset(uint64_t x, unsigned n) { return x | (1ull << (n & 63)); }
uint64_t cs_shifts(uint64_t x, int64_t y, unsigned n)
{
	return (x << (n & 63)) ^ (uint64_t)(y >> (n & 63)) ^ (x >> 3);
}
u128 cs_add128(u128 a, u128 b) { return a + b - (a >> 64); }
u128 cs_shl128(u128 a, unsigned n) { return a << (n & 127); }

uint64_t cs_loop(const uint32_t *p, unsigned long n)
{
	uint64_t s = 0;
	for (unsigned long i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

long cs_neg_abs(long x) { return x < 0 ? -x : x; }
