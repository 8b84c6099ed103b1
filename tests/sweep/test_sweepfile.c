/*
 * tests/sweep/test_sweepfile.c — the sweep file parser: a good file gives
 * the expected grid (size, order, canonical keys, run arguments), and each
 * malformed file is refused with the right FILE:LINE and cause.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sweep.h"
#include "check.h"

static const char good[] =
	"# backends against working-set sizes\n"
	"[sweep]\n"
	"name = demo\n"
	"engine = soft\n"
	"backend = native, shadow   # two backends\n"
	"workload = scan, gups\n"
	"tlb = \"l1=64:4,l2=1024:8\", \"l1=32:4,l2=0\"\n"
	"repetitions = 3\n"
	"\n"
	"[params]\n"
	"wss = 256K, 1M\n"
	"[params.scan]\n"
	"passes = 2\n";

static void expect_bad(const char *text, const char *want)
{
	struct sweep_file *f = NULL;
	char err[1024];
	int rc = sweep_parse_text("t.sweep", text, &f, err, sizeof(err));

	CHECK(rc == -EINVAL, "parse of bad file returned %d (want -EINVAL) for:\n%s", rc, text);
	CHECK(strstr(err, want) != NULL, "message '%s' lacks '%s' for:\n%s", err, want, text);
	CHECK(strchr(err, '\n') == NULL, "message is not one line: '%s'", err);
}

static int check_no_gups_passes(void *ctx, const char *key, bool is_param, const char *workload,
				const char *value, char *why, size_t why_len)
{
	int *calls = ctx;

	(*calls)++;
	if (is_param && !strcmp(key, "wss") && workload && !strcmp(workload, "gups") &&
	    !strcmp(value, "1048576")) {
		snprintf(why, why_len, "gups refuses wss %s", value);
		return -1;
	}
	return 0;
}

int main(void)
{
	struct sweep_file *f;
	struct sweep_point p, q;
	char err[1024];
	int rc, calls = 0;

	rc = sweep_parse_text("good.sweep", good, &f, err, sizeof(err));
	CHECK(rc == 0, "good file refused: %s", err);
	CHECK(!strcmp(f->name, "demo"), "name '%s'", f->name);
	CHECK_EQ_U64(f->repetitions, 3);
	/* scan: backend 2 x tlb 2 x wss 2 x passes 1 = 8; gups: 2 x 2 x 2 = 8;
	 * per repetition 16; times 3. */
	CHECK_EQ_U64(sweep_point_count(f), 48);

	/* Point 0: rep 0, scan, first of every list; the last axis varies fastest. */
	CHECK(sweep_point_at(f, 0, &p) == 0, "point 0");
	CHECK(!strcmp(p.key, "backend=native;engine=soft;param.passes=2;param.wss=262144;rep=0;tlb=l1=64:4,l2=1024:8;workload=scan"),
	      "key of point 0: %s", p.key);
	CHECK(p.rep == 0 && !strcmp(p.workload, "scan") && !strcmp(p.backend, "native"), "point 0 fields");
	CHECK(sweep_point_at(f, 1, &q) == 0, "point 1");
	CHECK(strstr(q.key, "param.passes=2;param.wss=1048576;") != NULL, "point 1 varies wss last: %s", q.key);
	/* The arguments of point 0, in order. */
	{
		const char *want[] = {"--engine", "soft", "--backend", "native", "--tlb", "l1=64:4,l2=1024:8",
				      "--param", "wss=262144", "--param", "passes=2", "--workload", "scan",
				      "--rep", "0"};
		CHECK(p.argc == (int)(sizeof(want) / sizeof(want[0])), "argc %d", p.argc);
		for (int i = 0; i < p.argc; i++)
			CHECK(!strcmp(p.argv[i], want[i]), "argv[%d] = '%s', want '%s'", i, p.argv[i], want[i]);
		CHECK(p.argv[p.argc] == NULL, "argv not NULL-terminated");
	}
	CHECK(!strcmp(p.params_json, "{\"wss\":262144,\"passes\":2}"), "params_json %s", p.params_json);
	/* Point 8: first gups point: no passes parameter. */
	CHECK(sweep_point_at(f, 8, &p) == 0, "point 8");
	CHECK(!strcmp(p.workload, "gups") && !strstr(p.key, "passes"), "point 8: %s", p.key);
	/* Point 16 is repetition 1 of point 0: same key but rep. */
	CHECK(sweep_point_at(f, 16, &p) == 0, "point 16");
	CHECK(p.rep == 1 && strstr(p.key, ";rep=1;") != NULL, "point 16: %s", p.key);
	CHECK(sweep_point_at(f, 48, &p) == -ERANGE, "point past the end");
	/* Every key distinct. */
	for (size_t i = 0; i < 48; i++)
		for (size_t j = i + 1; j < 48; j++) {
			CHECK(sweep_point_at(f, i, &p) == 0 && sweep_point_at(f, j, &q) == 0, "points");
			CHECK(strcmp(p.key, q.key) != 0, "points %zu and %zu share key %s", i, j, p.key);
		}
	/* Semantic check: the caller's verdict comes back with the value's line. */
	rc = sweep_check(f, check_no_gups_passes, &calls, err, sizeof(err));
	CHECK(rc == -EINVAL && !strcmp(err, "good.sweep:11: gups refuses wss 1048576"), "check: %d '%s'", rc, err);
	CHECK(calls > 5, "check called %d times", calls);
	sweep_free(f);

	/* The key does not depend on the file's order or number spelling. */
	{
		struct sweep_file *a, *b;

		CHECK(sweep_parse_text("a", "[sweep]\nbackend = shadow\nengine = soft\n[params]\nwss = 1M\n", &a, err,
				       sizeof(err)) == 0, "%s", err);
		CHECK(sweep_parse_text("b", "[params]\nwss=1048576\n[sweep]\nengine=soft\nbackend=shadow\n", &b, err,
				       sizeof(err)) == 0, "%s", err);
		CHECK(sweep_point_at(a, 0, &p) == 0 && sweep_point_at(b, 0, &q) == 0, "points");
		CHECK(!strcmp(p.key, q.key), "keys differ: '%s' vs '%s'", p.key, q.key);
		CHECK_EQ_U64(sweep_point_count(a), 1);
		CHECK(!strcmp(a->name, "a"), "default name from the file name: %s", a->name);
		sweep_free(a);
		sweep_free(b);
	}

	/* Malformed files: the line and the cause. */
	expect_bad("backend = native\n", "t.sweep:1: 'backend' outside a section");
	expect_bad("[sweep]\nbackend = native\n[bogus]\n", "t.sweep:3: unknown section [bogus]");
	expect_bad("[sweep]\n\nengine soft\n", "t.sweep:3: expected 'key = value");
	expect_bad("[sweep]\ncolour = red\n", "t.sweep:2: unknown key 'colour' in [sweep]; accepted: name,");
	expect_bad("[sweep]\nbackend = native,, shadow\n", "t.sweep:2: empty value in the list of 'backend'");
	expect_bad("[sweep]\nbackend = native,\n", "t.sweep:2: empty value");
	expect_bad("[sweep]\nbackend =\n", "t.sweep:2: no value for 'backend'");
	expect_bad("[sweep]\nbackend = native\nbackend = shadow\n", "t.sweep:3: 'backend' given twice");
	expect_bad("[sweep]\nbackend = native, native\n", "t.sweep:2: value 'native' given twice");
	expect_bad("[sweep]\nvms = 1, two\n", "t.sweep:2: bad number 'two' for 'vms'");
	expect_bad("[sweep]\n[params]\nwss = 1M, lots\n", "t.sweep:3: bad number 'lots' for 'wss'");
	expect_bad("[sweep]\nrepetitions = 2, 3\n", "t.sweep:2: 'repetitions' takes one value");
	expect_bad("[sweep]\nrepetitions = 0\n", "t.sweep:2: repetitions must be from 1 to 1000");
	expect_bad("[sweep]\ntlb = \"l1=64:4\n", "t.sweep:2: unterminated quoted value");
	expect_bad("[sweep]\ntlb = \"l1=64:4\" x\n", "t.sweep:2: text after a quoted value");
	expect_bad("[sweep]\nname = a\"b\n", "t.sweep:2: a '\"' inside a value");
	expect_bad("[sweep]\nworkload = scan\n[params.gups]\nwss = 1M\n", "t.sweep:4: parameters for workload 'gups'");
	expect_bad("[sweep\n", "t.sweep:1: bad section header");
	expect_bad("[sweep]\nbad key = 1\n", "t.sweep:2: bad key 'bad key'");

	/* A grid whose runs would not fit the argument buffers is refused
	 * at parse time, not half-way through the sweep. */
	{
		char text[2048], big[1001];

		memset(big, 'x', 1000);
		big[1000] = '\0';
		snprintf(text, sizeof(text), "[sweep]\nbackend = a, %s\nbackend-opt = %.200s\n", big, big);
		rc = sweep_parse_text("t.sweep", text, &f, err, sizeof(err));
		CHECK(rc == -EINVAL && strstr(err, "t.sweep: the runs of this grid have too many or too long options"),
		      "%d %s", rc, err);
	}

	/* A file that cannot be read. */
	rc = sweep_parse("/nonexistent/x.sweep", &f, err, sizeof(err));
	CHECK(rc == -ENOENT && strstr(err, "/nonexistent/x.sweep: cannot read the sweep file"), "%d %s", rc, err);
	printf("sweep file parser: all checks passed\n");
	return 0;
}
