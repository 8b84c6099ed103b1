/*
 * tests/mmu/test_config.c — --tlb text: defaults, accepted forms, and
 * every kind of bad text rejected with a one-line message that names it,
 * leaving the configuration untouched.
 */
#include <errno.h>
#include <string.h>

#include "tests/check.h"
#include "vcpu/soft/mmu.h"

static void reject(const char *text, const char *must_mention)
{
	struct soft_mmu_config c, before;
	char err[1024];

	soft_mmu_config_default(&c);
	before = c;
	int rc = soft_mmu_config_parse(text, &c, err, sizeof(err));
	CHECK(rc == -EINVAL, "'%s' accepted (rc %d)", text, rc);
	CHECK(strstr(err, must_mention) != NULL, "'%s': message '%s' does not mention '%s'", text,
	      err, must_mention);
	CHECK(strchr(err, '\n') == NULL, "'%s': message is not one line: '%s'", text, err);
	CHECK(memcmp(&c, &before, sizeof(c)) == 0, "'%s': config changed on error", text);
}

int main(void)
{
	struct soft_mmu_config c;
	char err[256];

	soft_mmu_config_default(&c);
	CHECK_EQ_U64(c.l1_entries, 64);
	CHECK_EQ_U64(c.l1_ways, 4);
	CHECK_EQ_U64(c.repl, SOFT_TLB_LRU);
	CHECK_EQ_U64(c.l2_entries, 1024);
	CHECK_EQ_U64(c.l2_ways, 8);
	CHECK_EQ_U64(c.pwc_entries, 16);
	CHECK_EQ_U64(c.asid_bits, 12);

	CHECK(soft_mmu_config_parse("l1=32:2,l2=0,repl=random,pwc=0,asid-bits=8,seed=7,arch=128", &c,
				    err, sizeof(err)) == 0,
	      "%s", err);
	CHECK_EQ_U64(c.l1_entries, 32);
	CHECK_EQ_U64(c.l1_ways, 2);
	CHECK_EQ_U64(c.l2_entries, 0);
	CHECK_EQ_U64(c.repl, SOFT_TLB_RANDOM);
	CHECK_EQ_U64(c.pwc_entries, 0);
	CHECK_EQ_U64(c.asid_bits, 8);
	CHECK_EQ_U64(c.seed, 7);
	CHECK_EQ_U64(c.arch_entries, 128);
	/* A subset keeps the rest. */
	CHECK(soft_mmu_config_parse("l2=512:4", &c, err, sizeof(err)) == 0, "%s", err);
	CHECK_EQ_U64(c.l2_entries, 512);
	CHECK_EQ_U64(c.l2_ways, 4);
	CHECK_EQ_U64(c.l1_entries, 32);
	/* Fully associative: one set. */
	CHECK(soft_mmu_config_parse("l1=16:16", &c, err, sizeof(err)) == 0, "%s", err);

	reject("", "empty");
	reject("l1", "KEY=VALUE");
	reject("l1=", "KEY=VALUE");
	reject("=4", "KEY=VALUE");
	reject("bogus=1", "unknown option 'bogus'");
	reject("l1=64", "ENTRIES:WAYS");
	reject("l1=0", "ENTRIES:WAYS");
	reject("l1=64:0", "WAYS from 1 to 64");
	reject("l1=x:4", "ENTRIES from 1 to 1048576");
	reject("l1=48:4", "power of two");
	reject("l1=64:3", "power of two");
	reject("l1=48:3", "power of two");
	reject("l1=128:128", "WAYS from 1 to 64");
	reject("l2=100:8", "power of two");
	reject("repl=fifo", "expected lru|random");
	reject("pwc=-1", "pwc");
	reject("pwc=99999", "pwc");
	reject("asid-bits=33", "from 0 to 32");
	reject("seed=abc", "seed");
	reject("l1=64:4,,l2=0", "empty item (KEY=VALUE");
	reject("l1=64:4,repl=lru,oops", "'oops'");
	return 0;
}
