/*
 * test_promtext.c - the Prometheus text format: label value and HELP
 * escaping (including bytes that are not UTF-8), snprintf-like cutting,
 * and the exact text of families and samples.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "promtext.h"
#include "testutil.h"

#define FFFD "\xef\xbf\xbd"

static const struct {
	const char *in, *label, *help;
} _escape_cases[] = {
	{"", "", ""},
	{"rdmap16s27", "rdmap16s27", "rdmap16s27"},
	{"a\\b", "a\\\\b", "a\\\\b"},
	{"say \"hi\"", "say \\\"hi\\\"", "say \"hi\""},
	{"two\nlines\n", "two\\nlines\\n", "two\\nlines\\n"},
	{"\\\"\n", "\\\\\\\"\\n", "\\\\\"\\n"},
	{"tab\tand\rcr", "tab\tand\rcr", "tab\tand\rcr"},   /* only three escapes exist */
	{"5 \xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80", "5 \xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80",
	 "5 \xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80"},          /* valid UTF-8 kept */
	{"x\x80y", "x" FFFD "y", "x" FFFD "y"},                 /* stray continuation */
	{"\xc0\xaf", FFFD FFFD, FFFD FFFD},                     /* overlong '/' */
	{"\xe0\x80\xaf", FFFD FFFD FFFD, FFFD FFFD FFFD},       /* overlong, 3 bytes */
	{"\xed\xa0\x80", FFFD FFFD FFFD, FFFD FFFD FFFD},       /* surrogate U+D800 */
	{"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD}, /* > U+10FFFF */
	{"\xff\"", FFFD "\\\"", FFFD "\""},
	{"end\xe2\x82", "end" FFFD FFFD, "end" FFFD FFFD},      /* cut short */
	{"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"}, /* U+10FFFF itself */
};

START_TEST(test_escape_table)
{
	char out[128];
	size_t n;

	n = promtext_escape_label(out, sizeof(out), _escape_cases[_i].in);
	ck_assert_str_eq(out, _escape_cases[_i].label);
	ck_assert_uint_eq(n, strlen(_escape_cases[_i].label));
	n = promtext_escape_help(out, sizeof(out), _escape_cases[_i].in);
	ck_assert_str_eq(out, _escape_cases[_i].help);
	ck_assert_uint_eq(n, strlen(_escape_cases[_i].help));
}
END_TEST

START_TEST(test_escape_cut)
{
	char out[8];

	/* Size 0: nothing written, the full length returned. */
	memset(out, 'X', sizeof(out));
	ck_assert_uint_eq(promtext_escape_label(out, 0, "a\"b"), 4);
	ck_assert_int_eq(out[0], 'X');
	/* Exactly enough room. */
	ck_assert_uint_eq(promtext_escape_label(out, 5, "a\"b"), 4);
	ck_assert_str_eq(out, "a\\\"b");
	/* One byte short: cut, still terminated, the full length returned. */
	memset(out, 'X', sizeof(out));
	ck_assert_uint_eq(promtext_escape_label(out, 4, "a\"b"), 4);
	ck_assert_str_eq(out, "a\\\"");
	ck_assert_int_eq(out[4], 'X');
	ck_assert_uint_eq(promtext_escape_label(out, 1, "abc"), 3);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_family_and_samples)
{
	struct promtext t;
	const struct prom_label labels[] = {
		{"device", "rdmap16s27"},
		{"port", "1"},
		{"job_id", NULL}, /* left out */
		{"note", "a \"q\"\\\n"},
	};
	const struct prom_label none[] = {{"job_id", NULL}, {"step_id", NULL}};

	promtext_init(&t);
	ck_assert_ptr_null(t.buf);
	ck_assert_uint_eq(t.len, 0);
	promtext_family(&t, "efa_monitor_transmit_bytes_total", "counter",
			"Bytes \"sent\"\\ (x 4)\nsecond line");
	promtext_sample_u64(&t, "efa_monitor_transmit_bytes_total", labels, 4, 25000000);
	promtext_sample_u64(&t, "efa_monitor_transmit_bytes_total", labels, 2, UINT64_MAX);
	promtext_sample(&t, "efa_monitor_last_sample_timestamp_seconds", none, 2,
			"1712345678.123");
	promtext_sample_u64(&t, "up", NULL, 0, 0);
	ck_assert(!t.failed);
	ck_assert_str_eq(
		t.buf,
		"# HELP efa_monitor_transmit_bytes_total Bytes \"sent\"\\\\ (x 4)\\nsecond line\n"
		"# TYPE efa_monitor_transmit_bytes_total counter\n"
		"efa_monitor_transmit_bytes_total{device=\"rdmap16s27\",port=\"1\","
		"note=\"a \\\"q\\\"\\\\\\n\"} 25000000\n"
		"efa_monitor_transmit_bytes_total{device=\"rdmap16s27\",port=\"1\"} "
		"18446744073709551615\n"
		"efa_monitor_last_sample_timestamp_seconds 1712345678.123\n"
		"up 0\n");
	ck_assert_uint_eq(t.len, strlen(t.buf));
	promtext_free(&t);
	ck_assert_ptr_null(t.buf);
	ck_assert_uint_eq(t.len, 0);
	ck_assert_uint_eq(t.cap, 0);
}
END_TEST

START_TEST(test_growth_and_clear)
{
	struct promtext t;
	const struct prom_label l[] = {{"i", NULL}};
	char num[16], expect[64];

	promtext_init(&t);
	/* Far past the first allocation: every line where it belongs. */
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(num, sizeof(num), "%u", i);
		const struct prom_label li[] = {{"i", num}};
		promtext_sample_u64(&t, "m", li, 1, i * 3ull);
	}
	ck_assert(!t.failed);
	ck_assert_uint_eq(tu_count_substr(t.buf, "\n"), 5000);
	ck_assert_uint_eq(t.len, strlen(t.buf));
	ck_assert_uint_ge(t.cap, t.len + 1);
	snprintf(expect, sizeof(expect), "\nm{i=\"4321\"} %llu\n", 4321 * 3ull);
	ck_assert_ptr_nonnull(strstr(t.buf, expect));
	ck_assert(strncmp(t.buf, "m{i=\"0\"} 0\nm{i=\"1\"} 3\n", 22) == 0);

	/* Clear keeps the allocation and starts over. */
	size_t cap = t.cap;
	char *buf = t.buf;
	promtext_clear(&t);
	ck_assert_uint_eq(t.len, 0);
	ck_assert_str_eq(t.buf, "");
	promtext_sample(&t, "m", l, 1, "1.5");
	ck_assert_str_eq(t.buf, "m 1.5\n");
	ck_assert_uint_eq(t.cap, cap);
	ck_assert_ptr_eq(t.buf, buf);
	promtext_free(&t);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("promtext");
	TCase *tc;

	tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_escape_table, 0,
			    (int)(sizeof(_escape_cases) / sizeof(_escape_cases[0])));
	tcase_add_test(tc, test_escape_cut);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_family_and_samples);
	tcase_add_test(tc, test_growth_and_clear);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}
