/*
 * test_rate.c - deltas across resets and near 2^64, rates, units,
 * saturating arithmetic. Every expected figure is exact.
 */
#include "config.h"

#include "rate.h"
#include "testutil.h"

static const struct {
	uint64_t prev, cur, delta;
	bool reset;
} _delta_cases[] = {
	{100, 150, 50, false},
	{0, 0, 0, false},
	{7, 7, 0, false},
	{0, 123, 123, false},
	{150, 100, 100, true},  /* reset: restarted from zero */
	{1, 0, 0, true},
	{UINT64_MAX - 5, UINT64_MAX, 5, false},
	{UINT64_MAX, UINT64_MAX, 0, false},
	{UINT64_MAX, 3, 3, true}, /* never a 2^64-sized delta */
	{UINT64_MAX, 0, 0, true},
	{0, UINT64_MAX, UINT64_MAX, false},
	{1ull << 32, (1ull << 32) - 1, (1ull << 32) - 1, true},
};

START_TEST(test_delta_table)
{
	bool reset = !_delta_cases[_i].reset; /* must be overwritten either way */
	uint64_t d = counter_delta(_delta_cases[_i].prev, _delta_cases[_i].cur, &reset);

	ck_assert_msg(d == _delta_cases[_i].delta, "case %d: delta %llu, expected %llu", _i,
		      (unsigned long long)d, (unsigned long long)_delta_cases[_i].delta);
	ck_assert_msg(reset == _delta_cases[_i].reset, "case %d: reset %d", _i, reset);
}
END_TEST

START_TEST(test_rate_per_sec)
{
	ck_assert_double_eq(rate_per_sec(1000000000ull, 2000000000ull), 5e8);
	ck_assert_double_eq(rate_per_sec(5, 1000000000ull), 5.0);
	ck_assert_double_eq(rate_per_sec(3000000, 2000000000ull), 1.5e6);
	ck_assert_double_eq(rate_per_sec(1, 500000000ull), 2.0);
	ck_assert_double_eq(rate_per_sec(12345, 0), 0.0);
	ck_assert_double_eq(rate_per_sec(0, 1000), 0.0);
	ck_assert_double_eq(rate_per_sec(UINT64_MAX, 0), 0.0);
}
END_TEST

START_TEST(test_units)
{
	ck_assert_double_eq(rate_gbps(12.5e9), 100.0);
	ck_assert_double_eq(rate_gbps(25e9), 200.0);
	ck_assert_double_eq(rate_gbps(0.0), 0.0);
	ck_assert_double_eq(rate_mbps(125000.0), 1.0);
	ck_assert_double_eq(rate_mbps(12.5e6), 100.0);
	ck_assert_double_eq(rate_line_pct(12.5e9, 100000000000ull), 100.0);
	ck_assert_double_eq(rate_line_pct(6.25e9, 100000000000ull), 50.0);
	ck_assert_double_eq(rate_line_pct(6.25e9, 200000000000ull), 25.0);
	ck_assert_double_eq(rate_line_pct(1e9, 0), 0.0);
}
END_TEST

static const struct {
	uint64_t a, b, sum, product;
} _sat_cases[] = {
	{1, 2, 3, 2},
	{0, 0, 0, 0},
	{UINT64_MAX, 0, UINT64_MAX, 0},
	{0, UINT64_MAX, UINT64_MAX, 0},
	{UINT64_MAX, 1, UINT64_MAX, UINT64_MAX},
	{UINT64_MAX - 1, 1, UINT64_MAX, UINT64_MAX - 1},
	{UINT64_MAX - 1, 2, UINT64_MAX, UINT64_MAX},
	{UINT64_MAX / 4, 4, UINT64_MAX / 4 + 4, (UINT64_MAX / 4) * 4},
	{UINT64_MAX / 4 + 1, 4, UINT64_MAX / 4 + 5, UINT64_MAX},
	{1ull << 32, 1ull << 32, 1ull << 33, UINT64_MAX},
	{1ull << 31, 1ull << 32, (1ull << 31) + (1ull << 32), 1ull << 63},
	{UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
};

START_TEST(test_saturating_table)
{
	ck_assert_uint_eq(rate_add_sat(_sat_cases[_i].a, _sat_cases[_i].b), _sat_cases[_i].sum);
	ck_assert_uint_eq(rate_add_sat(_sat_cases[_i].b, _sat_cases[_i].a), _sat_cases[_i].sum);
	ck_assert_uint_eq(rate_mul_sat(_sat_cases[_i].a, _sat_cases[_i].b),
			  _sat_cases[_i].product);
	ck_assert_uint_eq(rate_mul_sat(_sat_cases[_i].b, _sat_cases[_i].a),
			  _sat_cases[_i].product);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("rate");
	TCase *tc;

	tc = tcase_create("delta");
	tcase_add_loop_test(tc, test_delta_table, 0,
			    (int)(sizeof(_delta_cases) / sizeof(_delta_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("rates");
	tcase_add_test(tc, test_rate_per_sec);
	tcase_add_test(tc, test_units);
	suite_add_tcase(s, tc);

	tc = tcase_create("saturating");
	tcase_add_loop_test(tc, test_saturating_table, 0,
			    (int)(sizeof(_sat_cases) / sizeof(_sat_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}
