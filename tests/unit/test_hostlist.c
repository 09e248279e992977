/*
 * test_hostlist.c - Slurm node lists: plain names, ranges with padding,
 * several groups, malformed lists, and the bounds on names and bytes that
 * keep a hostile list from making srun allocate without limit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"
#include "testutil.h"

START_TEST(test_expand_forms)
{
	char **v = NULL;
	size_t n = 0;

	ck_assert_int_eq(hostlist_expand("n[1-3,7],gpu-a[01-02]x,login", &v, &n), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(v[0], "n1");
	ck_assert_str_eq(v[2], "n3");
	ck_assert_str_eq(v[3], "n7");
	ck_assert_str_eq(v[4], "gpu-a01x");
	ck_assert_str_eq(v[5], "gpu-a02x");
	ck_assert_str_eq(v[6], "login");
	hostlist_free(v, n);
}
END_TEST

START_TEST(test_expand_malformed)
{
	const char *bad[] = {"",     "n[",	 "n[]",	 "n[1-]", "n[3-1]",
			     "n[a]", "n[1]x[2]", "a,,b", "n1]",	  "n[1-2",
			     /* found by fuzz_hostlist and by reading around it: a
			      * group of nothing but commas, empty ranges, signs,
			      * spaces, numbers past 18 digits */
			     "q[,]", "a,q[,,]", "n[1,,2]", "n[,1]", "n[1,]", "n[ 1]", "n[+1]",
			     "n[1- 2]", "a[18446744073709551615]", "a[99999999999999999999]",
			     "a[1-1234567890123456789]"};
	char **v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(hostlist_expand(bad[i], &v, &n) == -1, "accepted '%s'", bad[i]);
		ck_assert_msg(errno == EINVAL, "'%s': errno %d", bad[i], errno);
	}
	errno = 0;
	ck_assert_int_eq(hostlist_expand(NULL, &v, &n), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* A list of one bracket group: 'plen' bytes of prefix, then [lo-hi]. */
static char *_wide(size_t plen, unsigned lo, unsigned hi)
{
	char *s = malloc(plen + 32);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', plen);
	snprintf(s + plen, 32, "[%u-%u]", lo, hi);
	return s;
}

START_TEST(test_expand_name_bound)
{
	char *list = _wide(1, 0, 65535);
	char **v = NULL;
	size_t n = 0;

	ck_assert_int_eq(hostlist_expand(list, &v, &n), 0);
	ck_assert_uint_eq(n, HOSTLIST_MAX);
	ck_assert_str_eq(v[65535], "a65535");
	hostlist_free(v, n);
	free(list);
	/* One more name, in a second item, is too many. */
	list = tu_strf("a[0-65535],b");
	errno = 0;
	ck_assert_int_eq(hostlist_expand(list, &v, &n), -1);
	ck_assert_int_eq(errno, E2BIG);
	free(list);
}
END_TEST

START_TEST(test_expand_byte_bound)
{
	char **v = NULL;
	size_t n = 0, bytes = 0;
	/* The case that allocated 527 MB: an 8 KB prefix times 65536. */
	char *list = _wide(8192, 0, 65535);

	errno = 0;
	ck_assert_int_eq(hostlist_expand(list, &v, &n), -1);
	ck_assert_int_eq(errno, E2BIG);
	free(list);

	/* 200-byte names, 65536 of them: 13.7 MB with the pointers, under. */
	list = _wide(195, 0, 65535);
	ck_assert_int_eq(hostlist_expand(list, &v, &n), 0);
	ck_assert_uint_eq(n, 65536);
	for (size_t i = 0; i < n; i++)
		bytes += strlen(v[i]) + 1 + sizeof(char *);
	ck_assert_uint_le(bytes, HOSTLIST_MAX_BYTES);
	hostlist_free(v, n);
	free(list);

	/* 256-byte names, 65536 of them: 17.3 MB, over. */
	list = _wide(251, 0, 65535);
	errno = 0;
	ck_assert_int_eq(hostlist_expand(list, &v, &n), -1);
	ck_assert_int_eq(errno, E2BIG);
	free(list);

	/* The bound is over the whole list, not per item. */
	char *a = _wide(251, 0, 40000), *b = _wide(251, 0, 40000);
	list = tu_strf("%s,%s", a, b);
	errno = 0;
	ck_assert_int_eq(hostlist_expand(list, &v, &n), -1);
	ck_assert_int_eq(errno, E2BIG);
	free(list);
	free(a);
	free(b);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("hostlist");
	TCase *tc = tcase_create("expand");

	tcase_add_test(tc, test_expand_forms);
	tcase_add_test(tc, test_expand_malformed);
	tcase_add_test(tc, test_expand_name_bound);
	tcase_add_test(tc, test_expand_byte_bound);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}
