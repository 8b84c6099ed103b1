/*
 * workloads/programs/btree.c — a B-tree of 64-bit keys: insert N keys,
 * look up M keys, verify.  A benchmark program of memvirt's own
 * (docs/programs.md), run natively or under `memvirt run --program`.
 *
 * Usage: btree [KEYS [LOOKUPS [SEED]]]   (defaults 400000 800000 1)
 *
 * Keys come from a splitmix64 generator seeded with SEED, drawn from
 * [0, 4*KEYS) so that some repeat (an insert of a present key updates its
 * value).  Each key's value is a hash of the key and of the insert's
 * index.  Half of the lookups ask for an inserted key, half for any key
 * of the range.
 *
 * Self-check, by a second method: every inserted key, in a plain array
 * sorted with qsort() and deduplicated (the last insert wins), must be
 * exactly the tree's in-order sequence with the same values; every lookup
 * must agree with a binary search of that array; every node must hold
 * T-1..2T-1 keys (the root 1..2T-1) in order, all leaves at one depth.
 * Exit 0 when all of it holds, 1 otherwise, 2 on bad arguments.
 *
 * Prints a few result lines and last `checksum HEX`, a fold of the
 * lookups' results and of the tree's shape.  Deterministic: no time, no
 * randomness from the system.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BT_T 16                 /* minimum degree: nodes hold T-1..2T-1 keys */
#define BT_MAXK (2 * BT_T - 1)

struct bt_node {
	int n;                  /* keys held */
	int leaf;
	uint64_t key[BT_MAXK];
	uint64_t val[BT_MAXK];
	struct bt_node *child[BT_MAXK + 1];
};

struct kv {
	uint64_t key, val, order;
};

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

static struct bt_node *node_new(int leaf)
{
	struct bt_node *x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(stderr, "btree: out of memory\n");
		exit(1);
	}
	x->leaf = leaf;
	return x;
}

/* Splits the full child i of x (x is not full). */
static void split_child(struct bt_node *x, int i)
{
	struct bt_node *y = x->child[i];
	struct bt_node *z = node_new(y->leaf);
	z->n = BT_T - 1;
	memcpy(z->key, y->key + BT_T, (BT_T - 1) * sizeof(uint64_t));
	memcpy(z->val, y->val + BT_T, (BT_T - 1) * sizeof(uint64_t));
	if (!y->leaf)
		memcpy(z->child, y->child + BT_T, BT_T * sizeof(z->child[0]));
	y->n = BT_T - 1;
	memmove(x->child + i + 2, x->child + i + 1, (size_t)(x->n - i) * sizeof(x->child[0]));
	x->child[i + 1] = z;
	memmove(x->key + i + 1, x->key + i, (size_t)(x->n - i) * sizeof(uint64_t));
	memmove(x->val + i + 1, x->val + i, (size_t)(x->n - i) * sizeof(uint64_t));
	x->key[i] = y->key[BT_T - 1];
	x->val[i] = y->val[BT_T - 1];
	x->n++;
}

/* Index of the first key >= k in x. */
static int lower(const struct bt_node *x, uint64_t k)
{
	int lo = 0, hi = x->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (x->key[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Inserts or updates k; returns 1 when k was new. */
static int bt_insert(struct bt_node **root, uint64_t k, uint64_t v)
{
	struct bt_node *x = *root;
	if (x->n == BT_MAXK) {
		struct bt_node *s = node_new(0);
		s->child[0] = x;
		split_child(s, 0);
		*root = x = s;
	}
	for (;;) {
		int i = lower(x, k);
		if (i < x->n && x->key[i] == k) {
			x->val[i] = v;
			return 0;
		}
		if (x->leaf) {
			memmove(x->key + i + 1, x->key + i, (size_t)(x->n - i) * sizeof(uint64_t));
			memmove(x->val + i + 1, x->val + i, (size_t)(x->n - i) * sizeof(uint64_t));
			x->key[i] = k;
			x->val[i] = v;
			x->n++;
			return 1;
		}
		if (x->child[i]->n == BT_MAXK) {
			/* The key may be the one that moves up. */
			split_child(x, i);
			if (x->key[i] == k) {
				x->val[i] = v;
				return 0;
			}
			if (k > x->key[i])
				i++;
		}
		x = x->child[i];
	}
}

static int bt_lookup(const struct bt_node *x, uint64_t k, uint64_t *v)
{
	while (x) {
		int i = lower(x, k);
		if (i < x->n && x->key[i] == k) {
			*v = x->val[i];
			return 1;
		}
		if (x->leaf)
			return 0;
		x = x->child[i];
	}
	return 0;
}

struct walk {
	const struct kv *ref;   /* the sorted, deduplicated inserts */
	size_t nref, pos;
	int leaf_depth;
	size_t nodes, bad;
};

static void bt_check(const struct bt_node *x, int depth, int is_root, struct walk *w)
{
	w->nodes++;
	if (x->n > BT_MAXK || x->n < (is_root ? 1 : BT_T - 1))
		w->bad++;
	for (int i = 1; i < x->n; i++)
		if (x->key[i - 1] >= x->key[i])
			w->bad++;
	if (x->leaf) {
		if (w->leaf_depth < 0)
			w->leaf_depth = depth;
		else if (w->leaf_depth != depth)
			w->bad++;
	}
	for (int i = 0; i <= x->n; i++) {
		if (!x->leaf)
			bt_check(x->child[i], depth + 1, 0, w);
		if (i == x->n)
			break;
		if (w->pos >= w->nref || w->ref[w->pos].key != x->key[i] || w->ref[w->pos].val != x->val[i])
			w->bad++;
		w->pos++;
	}
}

static void bt_free(struct bt_node *x)
{
	if (!x->leaf)
		for (int i = 0; i <= x->n; i++)
			bt_free(x->child[i]);
	free(x);
}

/* By key, and for one key the later insert last. */
static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static const struct kv *ref_find(const struct kv *ref, size_t n, uint64_t k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ref[mid].key < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ref[lo].key == k ? &ref[lo] : NULL;
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
		fprintf(stderr, "btree: argument %d (%s) must be a number in %llu..%llu\n", i, argv[i], lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long nkeys, nlook, seed;
	if (argc > 4 || arg(argc, argv, 1, 400000, 1, 1ull << 28, &nkeys) ||
	    arg(argc, argv, 2, 800000, 0, 1ull << 32, &nlook) ||
	    arg(argc, argv, 3, 1, 0, ~0ull, &seed)) {
		fprintf(stderr, "usage: btree [KEYS [LOOKUPS [SEED]]]\n");
		return 2;
	}
	struct kv *ins = malloc(nkeys * sizeof(*ins));
	if (!ins) {
		fprintf(stderr, "btree: out of memory\n");
		return 1;
	}
	uint64_t s = seed;
	struct bt_node *root = node_new(1);
	size_t fresh = 0;
	for (size_t i = 0; i < nkeys; i++) {
		uint64_t k = next(&s) % (4 * nkeys);
		uint64_t v = mix(k ^ (i << 32));
		ins[i] = (struct kv){k, v, i};
		fresh += (size_t)bt_insert(&root, k, v);
	}

	/* The second method: sort the inserts, keep each key's last. */
	qsort(ins, nkeys, sizeof(*ins), kv_cmp);
	size_t nref = 0;
	for (size_t i = 0; i < nkeys; i++) {
		if (nref && ins[nref - 1].key == ins[i].key)
			ins[nref - 1] = ins[i];
		else
			ins[nref++] = ins[i];
	}

	struct walk w = {ins, nref, 0, -1, 0, 0};
	bt_check(root, 0, 1, &w);
	size_t bad = w.bad + (w.pos != nref) + (fresh != nref);

	uint64_t acc = seed, hits = 0, vsum = 0;
	size_t wrong = 0;
	for (size_t i = 0; i < nlook; i++) {
		uint64_t k = (i & 1) ? next(&s) % (4 * nkeys) : ins[next(&s) % nref].key;
		uint64_t v = 0;
		int found = bt_lookup(root, k, &v);
		const struct kv *r = ref_find(ins, nref, k);
		if (found != (r != NULL) || (found && v != r->val))
			wrong++;
		if (found) {
			hits++;
			vsum += v;
			acc = fold(acc, v);
		} else {
			acc = fold(acc, k);
		}
	}
	acc = fold(fold(acc, nref), (uint64_t)w.nodes);

	printf("btree: %llu inserts, %zu distinct keys, %zu nodes, height %d, min degree %d\n",
	       nkeys, nref, w.nodes, w.leaf_depth + 1, BT_T);
	printf("lookups: %llu, hits %llu, value sum %016llx\n", nlook, (unsigned long long)hits,
	       (unsigned long long)vsum);
	printf("verify: %s (%zu structure errors, %zu wrong lookups)\n", bad || wrong ? "FAILED" : "ok", bad,
	       wrong);
	printf("checksum %016llx\n", (unsigned long long)acc);
	bt_free(root);
	free(ins);
	return bad || wrong ? 1 : 0;
}
