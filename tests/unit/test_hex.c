/*
 * test_hex.c - hex encoding and decoding: every byte value both ways,
 * either case on input, and the first bad character rejected.
 */
#include "config.h"

#include <string.h>

#include "hex.h"
#include "testutil.h"

START_TEST(test_every_byte_round_trips)
{
	unsigned char raw[256], back[256];
	char hex[513];

	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char)i;
	hex_encode(raw, sizeof(raw), hex);
	ck_assert_uint_eq(strlen(hex), 512);
	ck_assert(strncmp(hex, "000102", 6) == 0);
	ck_assert_str_eq(hex + 500, "fafbfcfdfeff");
	ck_assert_int_eq(hex_decode(hex, back, sizeof(back)), 0);
	ck_assert_mem_eq(back, raw, sizeof(raw));
}
END_TEST

START_TEST(test_encode_empty_and_known)
{
	char out[9] = "xxxxxxxx";
	const unsigned char dead[] = {0xde, 0xad, 0xbe, 0xef};

	hex_encode(dead, 0, out);
	ck_assert_str_eq(out, "");
	hex_encode(dead, sizeof(dead), out);
	ck_assert_str_eq(out, "deadbeef");
}
END_TEST

START_TEST(test_digits)
{
	ck_assert_int_eq(hex_digit('0'), 0);
	ck_assert_int_eq(hex_digit('9'), 9);
	ck_assert_int_eq(hex_digit('a'), 10);
	ck_assert_int_eq(hex_digit('F'), 15);
	ck_assert_int_eq(hex_digit('g'), -1);
	ck_assert_int_eq(hex_digit('G'), -1);
	ck_assert_int_eq(hex_digit('/'), -1);
	ck_assert_int_eq(hex_digit(':'), -1);
	ck_assert_int_eq(hex_digit('@'), -1);
	ck_assert_int_eq(hex_digit('`'), -1);
	ck_assert_int_eq(hex_digit('\0'), -1);
}
END_TEST

START_TEST(test_decode_mixed_case_and_bad)
{
	unsigned char raw[4];

	ck_assert_int_eq(hex_decode("DeAdBeEf", raw, 4), 0);
	ck_assert_mem_eq(raw, "\xde\xad\xbe\xef", 4);
	ck_assert_int_eq(hex_decode("deadbeeg", raw, 4), -1);
	ck_assert_int_eq(hex_decode("0x00", raw, 2), -1);
	/* A short string: the NUL is the first bad character. */
	ck_assert_int_eq(hex_decode("abc", raw, 2), -1);
	ck_assert_int_eq(hex_decode("", raw, 1), -1);
	ck_assert_int_eq(hex_decode("", raw, 0), 0);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("hex");
	TCase *tc = tcase_create("hex");

	tcase_add_test(tc, test_every_byte_round_trips);
	tcase_add_test(tc, test_encode_empty_and_known);
	tcase_add_test(tc, test_digits);
	tcase_add_test(tc, test_decode_mixed_case_and_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}
