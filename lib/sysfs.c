/*
 * sysfs.c - see sysfs.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

/* A 64-bit decimal has at most 20 digits; sysfs pages are 4 KiB. Reading
 * a little more than a number lets us tell "too long" from "truncated". */
#define COUNTER_BUF 64

static const char *_state_names[COUNTER_STATE_COUNT] = {
	[COUNTER_OK] = "ok",
	[COUNTER_MISSING] = "missing",
	[COUNTER_UNREADABLE] = "unreadable",
	[COUNTER_EMPTY] = "empty",
	[COUNTER_NA] = "n/a",
	[COUNTER_INVALID] = "invalid",
	[COUNTER_OVERFLOW] = "overflow",
};

const char *counter_state_name(enum counter_state state)
{
	if ((unsigned)state >= COUNTER_STATE_COUNT)
		return "unknown";
	return _state_names[state];
}

static int _is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

enum counter_state sysfs_parse_u64(const char *buf, size_t len, uint64_t *value)
{
	size_t i = 0, end = len;
	uint64_t v = 0;
	int overflow = 0;

	*value = 0;
	while (i < end && _is_space(buf[i]))
		i++;
	while (end > i && (_is_space(buf[end - 1]) || buf[end - 1] == '\0'))
		end--;
	if (i == end)
		return COUNTER_EMPTY;
	if (end - i >= 3 && (buf[i] == 'N' || buf[i] == 'n') && buf[i + 1] == '/' &&
	    (buf[i + 2] == 'A' || buf[i + 2] == 'a'))
		return COUNTER_NA;
	for (; i < end; i++) {
		unsigned d = (unsigned char)buf[i] - '0';
		if (d > 9)
			return COUNTER_INVALID;
		if (v > (UINT64_MAX - d) / 10)
			overflow = 1;
		v = v * 10 + d;
	}
	if (overflow)
		return COUNTER_OVERFLOW;
	*value = v;
	return COUNTER_OK;
}

static enum counter_state _state_from_errno(int e)
{
	if (e == ENODEV || e == ENOENT || e == ESTALE || e == ENXIO)
		return COUNTER_MISSING;
	return COUNTER_UNREADABLE;
}

enum counter_state sysfs_pread_u64(int fd, uint64_t *value, int *err)
{
	char buf[COUNTER_BUF];
	ssize_t n;

	*err = 0;
	do {
		n = pread(fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		*err = errno;
		*value = 0;
		return _state_from_errno(errno);
	}
	if ((size_t)n == sizeof(buf)) {
		/* Longer than any number: not a counter we can trust. */
		*value = 0;
		return COUNTER_INVALID;
	}
	return sysfs_parse_u64(buf, (size_t)n, value);
}

enum counter_state sysfs_read_u64_at(int dirfd, const char *name,
				     uint64_t *value, int *err)
{
	enum counter_state st;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		*err = errno;
		*value = 0;
		return _state_from_errno(errno);
	}
	st = sysfs_pread_u64(fd, value, err);
	close(fd);
	return st;
}

int sysfs_read_str_at(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd, saved;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	buf[0] = '\0';
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	do {
		n = read(fd, buf, size - 1);
	} while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n < 0) {
		buf[0] = '\0';
		errno = saved;
		return -1;
	}
	while (n > 0 && (_is_space(buf[n - 1]) || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int sysfs_link_base_at(int dirfd, const char *name, char *buf, size_t size)
{
	char target[4096];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -1;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, base);
	return 0;
}

int sysfs_parse_rate(const char *text, uint64_t *bits_per_sec)
{
	char *end;
	double gbps;

	if (*text < '0' || *text > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	gbps = strtod(text, &end);
	if (end == text || errno || !(gbps >= 0) || gbps > 1e6) {
		errno = EINVAL;
		return -1;
	}
	while (*end == ' ')
		end++;
	double unit = strncmp(end, "Gb/sec", 6) == 0 ? 1e9 :
		      strncmp(end, "Mb/sec", 6) == 0 ? 1e6 : 0;
	/* "0x64" stops strtod at 'x' only after hex parsing: refuse both it
	 * and any text glued to the unit. */
	const char *hex = strpbrk(text, "xX");
	if (!unit || (end[6] != '\0' && end[6] != ' ') || (hex && hex < end)) {
		errno = EINVAL;
		return -1;
	}
	*bits_per_sec = (uint64_t)(gbps * unit + 0.5);
	return 0;
}
