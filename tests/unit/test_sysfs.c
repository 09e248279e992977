/*
 * test_sysfs.c - the sysfs module: parsing counter text, re-reading held
 * files, short text files, symlinks and port rates.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs.h"
#include "testutil.h"

static char *_dir;
static int _dirfd = -1;

static void _setup(void)
{
	_dir = tu_mkdtemp("sysfs");
	_dirfd = open(_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(_dirfd, 0);
}

static void _teardown(void)
{
	if (_dirfd >= 0)
		close(_dirfd);
	_dirfd = -1;
	tu_rm_rf(_dir);
	free(_dir);
	_dir = NULL;
}

static char *_file(const char *name, const char *text)
{
	char *p = tu_strf("%s/%s", _dir, name);
	if (text)
		tu_write_file(p, text);
	return p;
}

/* ------------------------------------------------------------- parse -- */

#define LEN_STRLEN ((size_t)-1)

static const struct {
	const char *text;
	size_t len; /* LEN_STRLEN: strlen(text) */
	enum counter_state state;
	uint64_t value;
} _parse_cases[] = {
	{"0\n", LEN_STRLEN, COUNTER_OK, 0},
	{"123\n", LEN_STRLEN, COUNTER_OK, 123},
	{"  42 \n", LEN_STRLEN, COUNTER_OK, 42},
	{"\t7\r\n", LEN_STRLEN, COUNTER_OK, 7},
	{"18446744073709551615\n", LEN_STRLEN, COUNTER_OK, UINT64_MAX},
	{"00000000000000000000000000042\n", LEN_STRLEN, COUNTER_OK, 42},
	{"18446744073709551616", LEN_STRLEN, COUNTER_OVERFLOW, 0},
	{"18446744073709551620\n", LEN_STRLEN, COUNTER_OVERFLOW, 0},
	{"99999999999999999999\n", LEN_STRLEN, COUNTER_OVERFLOW, 0},
	{"184467440737095516150\n", LEN_STRLEN, COUNTER_OVERFLOW, 0},
	{"", LEN_STRLEN, COUNTER_EMPTY, 0},
	{"\n", LEN_STRLEN, COUNTER_EMPTY, 0},
	{" \t \n", LEN_STRLEN, COUNTER_EMPTY, 0},
	{"N/A (no PMA)\n", LEN_STRLEN, COUNTER_NA, 0},
	{"n/a\n", LEN_STRLEN, COUNTER_NA, 0},
	{"12abc", LEN_STRLEN, COUNTER_INVALID, 0},
	{"12abc\n", LEN_STRLEN, COUNTER_INVALID, 0},
	{"-1", LEN_STRLEN, COUNTER_INVALID, 0},
	{"+1", LEN_STRLEN, COUNTER_INVALID, 0},
	{"0x10", LEN_STRLEN, COUNTER_INVALID, 0},
	{"1 2", LEN_STRLEN, COUNTER_INVALID, 0},
	{"1.5", LEN_STRLEN, COUNTER_INVALID, 0},
	{"NA", LEN_STRLEN, COUNTER_INVALID, 0},
	{"18446744073709551616abc\n", LEN_STRLEN, COUNTER_INVALID, 0},
	/* Embedded NUL: in the middle it is garbage, at the end padding. */
	{"1\0" "2\n", 4, COUNTER_INVALID, 0},
	{"\0" "5\n", 3, COUNTER_INVALID, 0},
	{"77\n\0\0", 5, COUNTER_OK, 77},
	{"\0", 1, COUNTER_EMPTY, 0},
	/* Never reads past len. */
	{"12345", 2, COUNTER_OK, 12},
	{"9x", 1, COUNTER_OK, 9},
	{"5", 0, COUNTER_EMPTY, 0},
};

START_TEST(test_parse_table)
{
	const char *text = _parse_cases[_i].text;
	size_t len = _parse_cases[_i].len == LEN_STRLEN ? strlen(text) : _parse_cases[_i].len;
	uint64_t v = 0xdeadbeef;
	enum counter_state st = sysfs_parse_u64(text, len, &v);

	ck_assert_msg(st == _parse_cases[_i].state, "case %d: state %s, expected %s", _i,
		      counter_state_name(st), counter_state_name(_parse_cases[_i].state));
	if (st == COUNTER_OK)
		ck_assert_msg(v == _parse_cases[_i].value, "case %d: value %llu, expected %llu",
			      _i, (unsigned long long)v,
			      (unsigned long long)_parse_cases[_i].value);
}
END_TEST

START_TEST(test_state_names)
{
	static const char *names[COUNTER_STATE_COUNT] = {
		"ok", "missing", "unreadable", "empty", "n/a", "invalid", "overflow"};
	for (int s = 0; s < COUNTER_STATE_COUNT; s++)
		ck_assert_str_eq(counter_state_name((enum counter_state)s), names[s]);
	ck_assert_str_eq(counter_state_name(COUNTER_STATE_COUNT), "unknown");
	ck_assert_str_eq(counter_state_name((enum counter_state)-1), "unknown");
}
END_TEST

/* -------------------------------------------------------------- read -- */

START_TEST(test_pread_rereads_in_place)
{
	char *p = _file("tx_bytes", "5\n");
	uint64_t v;
	int err = -1;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(err, 0);

	/* Longer, then shorter: the held fd sees each rewrite from offset 0. */
	tu_rewrite_inplace(p, "1234567890123\n");
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, 1234567890123ull);
	tu_rewrite_inplace(p, "8\n");
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, 8);
	tu_rewrite_inplace(p, "N/A (no PMA)\n");
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_NA);
	tu_rewrite_inplace(p, "");
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_EMPTY);
	tu_rewrite_inplace(p, "18446744073709551615\n");
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, UINT64_MAX);
	/* A read(2) that moved the offset does not matter: pread is at 0. */
	char junk[4];
	ck_assert_int_eq(read(fd, junk, sizeof(junk)), 4);
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, UINT64_MAX);
	close(fd);
	free(p);
}
END_TEST

START_TEST(test_pread_long_file)
{
	char text[128];
	uint64_t v;
	int err;

	/* 63 bytes holding a number: fine. */
	memset(text, ' ', 60);
	memcpy(text + 60, "12\n", 4);
	ck_assert_uint_eq(strlen(text), 63);
	char *p = _file("short", text);
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "short", &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, 12);
	/* Over 64 bytes: not a counter. */
	memset(text, ' ', 100);
	memcpy(text + 100, "12\n", 4);
	char *q = _file("long", text);
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "long", &v, &err), COUNTER_INVALID);
	memset(text, '1', 100);
	text[100] = '\0';
	tu_write_file(q, text);
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "long", &v, &err), COUNTER_INVALID);
	free(p);
	free(q);
}
END_TEST

START_TEST(test_pread_embedded_nul)
{
	char *p = tu_strf("%s/nul", _dir);
	uint64_t v;
	int err;

	tu_write_mem(p, "4\0" "2\n", 4);
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "nul", &v, &err), COUNTER_INVALID);
	tu_write_mem(p, "42\n\0", 4);
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "nul", &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, 42);
	free(p);
}
END_TEST

START_TEST(test_pread_errors)
{
	uint64_t v = 1;
	int err = 0;
	int fd = open(_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sysfs_pread_u64(fd, &v, &err), COUNTER_UNREADABLE);
	ck_assert_int_eq(err, EISDIR);
	close(fd);

	err = 0;
	ck_assert_int_eq(sysfs_pread_u64(-1, &v, &err), COUNTER_UNREADABLE);
	ck_assert_int_eq(err, EBADF);
}
END_TEST

START_TEST(test_read_at)
{
	uint64_t v = 1;
	int err = -1;
	char *p = _file("rx_bytes", "31337\n");
	char *d = tu_strf("%s/adir", _dir);

	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "rx_bytes", &v, &err), COUNTER_OK);
	ck_assert_uint_eq(v, 31337);
	ck_assert_int_eq(err, 0);

	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "nope", &v, &err), COUNTER_MISSING);
	ck_assert_int_eq(err, ENOENT);

	ck_assert_int_eq(mkdir(d, 0755), 0);
	err = 0;
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "adir", &v, &err), COUNTER_UNREADABLE);
	ck_assert_int_eq(err, EISDIR);

	/* A path below a regular file: ENOTDIR is not "gone", it is unreadable. */
	err = 0;
	ck_assert_int_eq(sysfs_read_u64_at(_dirfd, "rx_bytes/x", &v, &err),
			 COUNTER_UNREADABLE);
	ck_assert_int_eq(err, ENOTDIR);

	/* No fd leaks: the next fd is the same after a hundred reads. */
	int probe = dup(0);
	close(probe);
	for (int i = 0; i < 100; i++) {
		sysfs_read_u64_at(_dirfd, "rx_bytes", &v, &err);
		sysfs_read_u64_at(_dirfd, "adir", &v, &err);
	}
	int probe2 = dup(0);
	close(probe2);
	ck_assert_int_eq(probe, probe2);
	free(p);
	free(d);
}
END_TEST

/* --------------------------------------------------------- text, links -- */

START_TEST(test_read_str)
{
	char buf[64];
	char small[4];
	char *a = _file("state", "4: ACTIVE\n");
	char *b = _file("padded", "  x \t\n\n");
	char *c = _file("empty", "");
	char *e = _file("long", "abcdef\n");

	ck_assert_int_eq(sysfs_read_str_at(_dirfd, "state", buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "4: ACTIVE");
	/* Trailing white space goes, leading stays. */
	ck_assert_int_eq(sysfs_read_str_at(_dirfd, "padded", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "  x");
	ck_assert_int_eq(sysfs_read_str_at(_dirfd, "empty", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	/* Truncated to the buffer, still terminated. */
	ck_assert_int_eq(sysfs_read_str_at(_dirfd, "long", small, sizeof(small)), 3);
	ck_assert_str_eq(small, "abc");

	strcpy(buf, "stale");
	errno = 0;
	ck_assert_int_eq(sysfs_read_str_at(_dirfd, "absent", buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(buf, "");

	strcpy(buf, "stale");
	errno = 0;
	ck_assert_int_eq(sysfs_read_str_at(_dirfd, ".", buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_str_eq(buf, "");

	errno = 0;
	ck_assert_int_eq(sysfs_read_str_at(_dirfd, "state", buf, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(a);
	free(b);
	free(c);
	free(e);
}
END_TEST

START_TEST(test_link_base)
{
	char buf[32];
	char tiny[3];
	char *l1 = tu_strf("%s/driver", _dir);
	char *l2 = tu_strf("%s/slash", _dir);
	char *l3 = tu_strf("%s/plain", _dir);
	char *f = _file("regular", "x\n");

	ck_assert_int_eq(symlink("../../../bus/pci/drivers/efa", l1), 0);
	ck_assert_int_eq(symlink("../../devices/pci0000:00/0000:10:1b.0/", l2), 0);
	ck_assert_int_eq(symlink("mlx5_core", l3), 0);

	ck_assert_int_eq(sysfs_link_base_at(_dirfd, "driver", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "efa");
	ck_assert_int_eq(sysfs_link_base_at(_dirfd, "slash", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "0000:10:1b.0");
	ck_assert_int_eq(sysfs_link_base_at(_dirfd, "plain", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "mlx5_core");

	errno = 0;
	ck_assert_int_eq(sysfs_link_base_at(_dirfd, "plain", tiny, sizeof(tiny)), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(sysfs_link_base_at(_dirfd, "regular", buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(sysfs_link_base_at(_dirfd, "absent", buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(l1);
	free(l2);
	free(l3);
	free(f);
}
END_TEST

/* -------------------------------------------------------------- rate -- */

static const struct {
	const char *text;
	int rc;
	uint64_t bps;
} _rate_cases[] = {
	{"100 Gb/sec (4X EDR)", 0, 100000000000ull},
	{"2.5 Gb/sec (1X SDR)", 0, 2500000000ull},
	{"200 Gb/sec (4X HDR)", 0, 200000000000ull},
	{"25 Gb/sec (1X EDR)", 0, 25000000000ull},
	{"400 Gb/sec (4X NDR)", 0, 400000000000ull},
	{"56 Gb/sec (4X FDR)", 0, 56000000000ull},
	{"10 Mb/sec", 0, 10000000ull},
	{"100 Gb/sec", 0, 100000000000ull},
	{"0 Gb/sec", 0, 0},
	{"", -1, 0},
	{"Gb/sec", -1, 0},
	{"fast", -1, 0},
	{"100", -1, 0},
	{"100 ", -1, 0},
	{"100 Kb/sec", -1, 0},
	{"100 GB/s", -1, 0},
	{"-1 Gb/sec", -1, 0},
	{"nan Gb/sec", -1, 0},
	{"inf Gb/sec", -1, 0},
	{"1e300 Gb/sec", -1, 0},
};

START_TEST(test_parse_rate_table)
{
	uint64_t bps = 12345;
	errno = 0;
	int rc = sysfs_parse_rate(_rate_cases[_i].text, &bps);

	ck_assert_msg(rc == _rate_cases[_i].rc, "'%s': rc %d, expected %d",
		      _rate_cases[_i].text, rc, _rate_cases[_i].rc);
	if (rc == 0)
		ck_assert_msg(bps == _rate_cases[_i].bps, "'%s': %llu bps, expected %llu",
			      _rate_cases[_i].text, (unsigned long long)bps,
			      (unsigned long long)_rate_cases[_i].bps);
	else
		ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static Suite *_suite(void)
{
	Suite *s = suite_create("sysfs");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_table, 0,
			    (int)(sizeof(_parse_cases) / sizeof(_parse_cases[0])));
	tcase_add_test(tc, test_state_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_pread_rereads_in_place);
	tcase_add_test(tc, test_pread_long_file);
	tcase_add_test(tc, test_pread_embedded_nul);
	tcase_add_test(tc, test_pread_errors);
	tcase_add_test(tc, test_read_at);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_checked_fixture(tc, _setup, _teardown);
	tcase_add_test(tc, test_read_str);
	tcase_add_test(tc, test_link_base);
	suite_add_tcase(s, tc);

	tc = tcase_create("rate");
	tcase_add_loop_test(tc, test_parse_rate_table, 0,
			    (int)(sizeof(_rate_cases) / sizeof(_rate_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(_suite());
}
