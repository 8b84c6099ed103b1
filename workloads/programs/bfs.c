/*
 * workloads/programs/bfs.c — breadth-first search over an R-MAT graph in
 * CSR form, verified by a second method.  A benchmark program of
 * memvirt's own (docs/programs.md).
 *
 * Usage: bfs [SCALE [EDGEFACTOR [ROOTS [SEED]]]]   (defaults 17 16 4 1)
 *
 * The graph has 2^SCALE vertices and EDGEFACTOR * 2^SCALE undirected
 * edges drawn by the R-MAT recursion (quadrant weights 57/19/19/5 in
 * integers, as Graph500 does, so no floating point), self loops dropped,
 * stored both ways in compressed sparse rows.  BFS runs top-down from
 * ROOTS roots (vertices of non-zero degree picked by the seed), keeping
 * each vertex's level and parent.
 *
 * Self-check, the Graph500 way plus a second method: the root has level
 * 0; every reached vertex but the root has a parent that is its neighbour
 * one level up; no edge joins levels more than one apart, or a reached
 * vertex to an unreached one; and the number of vertices reached equals
 * the size of the root's connected component found by union-find over the
 * edge list.  Exit 0 when all of it holds, 1 otherwise, 2 on bad
 * arguments.
 *
 * Prints the graph, one line per root (reached, depth, level sum), and
 * last `checksum HEX`.
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

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "bfs: out of memory\n");
		exit(1);
	}
	return p;
}

/* One R-MAT edge: at each of SCALE levels pick a quadrant. */
static void rmat_edge(uint64_t *s, unsigned scale, uint32_t *u, uint32_t *v)
{
	uint32_t a = 0, b = 0;
	for (unsigned l = 0; l < scale; l++) {
		unsigned r = (unsigned)(next(s) % 100);
		unsigned qu = r >= 57 + 19, qv = (r >= 57 && r < 57 + 19) || r >= 57 + 19 + 19;
		a = (a << 1) | qu;
		b = (b << 1) | qv;
	}
	*u = a;
	*v = b;
}

static uint32_t uf_find(uint32_t *p, uint32_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
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
		fprintf(stderr, "bfs: argument %d (%s) must be a number in %llu..%llu\n", i, argv[i], lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long scale, ef, nroots, seed;
	if (argc > 5 || arg(argc, argv, 1, 17, 2, 26, &scale) || arg(argc, argv, 2, 16, 1, 64, &ef) ||
	    arg(argc, argv, 3, 4, 1, 64, &nroots) || arg(argc, argv, 4, 1, 0, ~0ull, &seed)) {
		fprintf(stderr, "usage: bfs [SCALE [EDGEFACTOR [ROOTS [SEED]]]]\n");
		return 2;
	}
	uint32_t nv = 1u << scale;
	size_t ne_drawn = (size_t)ef << scale, ne = 0;
	uint64_t s = seed;

	/* The edge list, vertex labels scrambled so that degree is not index. */
	uint32_t *eu = xmalloc(ne_drawn * sizeof(uint32_t)), *ev = xmalloc(ne_drawn * sizeof(uint32_t));
	uint32_t *perm = xmalloc(nv * sizeof(uint32_t));
	for (uint32_t i = 0; i < nv; i++)
		perm[i] = i;
	for (uint32_t i = nv - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next(&s) % (i + 1)), x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (size_t i = 0; i < ne_drawn; i++) {
		uint32_t u, v;
		rmat_edge(&s, (unsigned)scale, &u, &v);
		if (u == v)
			continue;
		eu[ne] = perm[u];
		ev[ne] = perm[v];
		ne++;
	}

	/* CSR, both directions. */
	uint64_t *off = xmalloc(((size_t)nv + 1) * sizeof(uint64_t));
	uint32_t *adj = xmalloc(2 * ne * sizeof(uint32_t));
	memset(off, 0, ((size_t)nv + 1) * sizeof(uint64_t));
	for (size_t i = 0; i < ne; i++) {
		off[eu[i] + 1]++;
		off[ev[i] + 1]++;
	}
	uint32_t isolated = 0, maxdeg = 0;
	for (uint32_t i = 0; i < nv; i++) {
		isolated += off[i + 1] == 0;
		if (off[i + 1] > maxdeg)
			maxdeg = (uint32_t)off[i + 1];
		off[i + 1] += off[i];
	}
	uint64_t *fill = xmalloc((size_t)nv * sizeof(uint64_t));
	memcpy(fill, off, (size_t)nv * sizeof(uint64_t));
	for (size_t i = 0; i < ne; i++) {
		adj[fill[eu[i]]++] = ev[i];
		adj[fill[ev[i]]++] = eu[i];
	}
	free(fill);

	/* The second method's components. */
	uint32_t *uf = xmalloc(nv * sizeof(uint32_t));
	for (uint32_t i = 0; i < nv; i++)
		uf[i] = i;
	for (size_t i = 0; i < ne; i++) {
		uint32_t a = uf_find(uf, eu[i]), b = uf_find(uf, ev[i]);
		if (a != b)
			uf[a < b ? b : a] = a < b ? a : b;
	}
	uint32_t *compsize = xmalloc(nv * sizeof(uint32_t));
	memset(compsize, 0, nv * sizeof(uint32_t));
	for (uint32_t i = 0; i < nv; i++)
		compsize[uf_find(uf, i)]++;

	printf("bfs: %u vertices, %zu edges (%zu drawn), %u isolated, max degree %u\n", nv, ne, ne_drawn,
	       isolated, maxdeg);

	int32_t *level = xmalloc(nv * sizeof(int32_t));
	uint32_t *parent = xmalloc(nv * sizeof(uint32_t)), *queue = xmalloc(nv * sizeof(uint32_t));
	uint64_t acc = seed;
	size_t errors = 0;
	for (unsigned r = 0; r < nroots; r++) {
		uint32_t root;
		do
			root = (uint32_t)(next(&s) % nv);
		while (off[root + 1] == off[root]);

		for (uint32_t i = 0; i < nv; i++)
			level[i] = -1;
		level[root] = 0;
		parent[root] = root;
		size_t head = 0, tail = 0;
		queue[tail++] = root;
		while (head < tail) {
			uint32_t u = queue[head++];
			for (uint64_t e = off[u]; e < off[u + 1]; e++) {
				uint32_t v = adj[e];
				if (level[v] < 0) {
					level[v] = level[u] + 1;
					parent[v] = u;
					queue[tail++] = v;
				}
			}
		}

		/* Check the tree and every edge. */
		size_t bad = 0;
		if (level[root] != 0 || parent[root] != root)
			bad++;
		for (uint32_t v = 0; v < nv; v++) {
			if (level[v] <= 0)
				continue;
			uint32_t p = parent[v];
			int is_nb = 0;
			for (uint64_t e = off[v]; e < off[v + 1] && !is_nb; e++)
				is_nb = adj[e] == p;
			if (!is_nb || level[p] != level[v] - 1)
				bad++;
		}
		for (size_t i = 0; i < ne; i++) {
			int32_t a = level[eu[i]], b = level[ev[i]];
			if ((a < 0) != (b < 0) || (a >= 0 && (a - b > 1 || b - a > 1)))
				bad++;
		}
		uint64_t lsum = 0;
		int32_t depth = 0;
		for (uint32_t v = 0; v < nv; v++)
			if (level[v] >= 0) {
				lsum += (uint64_t)level[v];
				if (level[v] > depth)
					depth = level[v];
			}
		if (tail != compsize[uf_find(uf, root)])
			bad++;
		errors += bad;
		printf("root %u: reached %zu (component %u), depth %d, level sum %llu%s\n", root, tail,
		       compsize[uf_find(uf, root)], depth, (unsigned long long)lsum, bad ? ", WRONG" : "");
		acc = fold(fold(fold(acc, root), tail), lsum);
	}
	printf("verify: %s (%zu errors)\n", errors ? "FAILED" : "ok", errors);
	printf("checksum %016llx\n", (unsigned long long)acc);
	free(eu);
	free(ev);
	free(perm);
	free(off);
	free(adj);
	free(uf);
	free(compsize);
	free(level);
	free(parent);
	free(queue);
	return errors ? 1 : 0;
}
