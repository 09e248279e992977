/*
 * fuzz_sysfs.c - the text of counter and port files (lib/sysfs.c) and
 * counter names (lib/counter.c). A kernel or a driver bug, or a bind
 * mount over /sys, can put any bytes there.
 *
 * Each input is:
 *  - a counter file's content for sysfs_parse_u64(), checked against a
 *    plain reference parser written here (same states, same value);
 *  - the same content read back from a memfd by sysfs_pread_u64() (which
 *    reads at most 64 bytes) and sysfs_read_str_at() (which trims);
 *  - a port's rate file for sysfs_parse_rate();
 *  - a counter file name for counter_describe(), counter_is_ignored() and
 *    metric_parse().
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counter.h"
#include "sysfs.h"
#include "fuzz.h"

static int _memfd = -1;
static char _memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	_memfd = memfd_create("efa-monitor-fuzz-counter", MFD_CLOEXEC);
	if (_memfd < 0)
		abort();
	snprintf(_memfd_path, sizeof(_memfd_path), "/proc/self/fd/%d", _memfd);
	return 0;
}

static bool _space(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* What sysfs.h promises, written the obvious way. */
static enum counter_state _reference(const uint8_t *b, size_t len, uint64_t *value)
{
	size_t i = 0, end = len;
	uint64_t v = 0;
	bool overflow = false;

	*value = 0;
	while (i < end && _space(b[i]))
		i++;
	while (end > i && (_space(b[end - 1]) || b[end - 1] == '\0'))
		end--;
	if (i == end)
		return COUNTER_EMPTY;
	if (end - i >= 3 && (b[i] | 0x20) == 'n' && b[i + 1] == '/' && (b[i + 2] | 0x20) == 'a')
		return COUNTER_NA;
	for (; i < end; i++) {
		if (b[i] < '0' || b[i] > '9')
			return COUNTER_INVALID;
		overflow |= __builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, (uint64_t)(b[i] - '0'), &v);
	}
	if (overflow)
		return COUNTER_OVERFLOW;
	*value = v;
	return COUNTER_OK;
}

static void _counter_text(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	uint64_t got, want, via_fd;
	enum counter_state st, ref, st_fd;
	char *str;
	int err;

	if (!copy)
		return;
	memcpy(copy, data, size);
	st = sysfs_parse_u64((const char *)copy, size, &got);
	ref = _reference(copy, size, &want);
	FUZZ_ASSERT(st == ref && got == want);
	FUZZ_ASSERT(counter_state_name(st)[0]);

	if (ftruncate(_memfd, 0) < 0 || (size && pwrite(_memfd, copy, size, 0) != (ssize_t)size))
		abort();
	st_fd = sysfs_pread_u64(_memfd, &via_fd, &err);
	if (size < 64)
		FUZZ_ASSERT(st_fd == st && via_fd == got && err == 0);
	else
		FUZZ_ASSERT(st_fd == COUNTER_INVALID);

	/* A buffer as small as the input's first byte says, to exercise
	 * truncation as well as trimming. */
	size_t cap = size ? (size_t)data[0] % 80 + 1 : 1;
	str = malloc(cap);
	if (str) {
		int n = sysfs_read_str_at(AT_FDCWD, _memfd_path, str, cap);
		FUZZ_ASSERT(n >= 0 && (size_t)n < cap && str[n] == '\0');
		FUZZ_ASSERT(n == 0 || !_space((uint8_t)str[n - 1]));
		free(str);
	}
	free(copy);
}

static void _rate_text(const char *text)
{
	uint64_t bps = 0;

	if (sysfs_parse_rate(text, &bps) == 0)
		FUZZ_ASSERT(bps <= 1000000000000000ull);
}

static void _counter_name(const char *name)
{
	struct counter_desc d;
	enum metric_id m;

	for (int t = 0; t < DEVICE_TYPE_COUNT; t++) {
		counter_describe((enum device_type)t, name, &d);
		FUZZ_ASSERT(d.multiplier >= 1 && (d.metric == METRIC_NONE ||
						  (unsigned)d.metric < METRIC_COUNT));
	}
	(void)counter_is_ignored(name);
	m = metric_parse(name);
	FUZZ_ASSERT(m == METRIC_NONE || strcmp(metric_name(m), name) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);

	_counter_text(data, size);
	_rate_text(text);
	_counter_name(text);
	free(text);
	return 0;
}
