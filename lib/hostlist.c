/*
 * hostlist.c - see hostlist.h.
 *
 * The byte bound counts what the caller ends up holding: each name with
 * its NUL plus its pointer. It is checked before each allocation, so a
 * long prefix times a wide range fails at the bound instead of after
 * hundreds of megabytes (an 8 KB prefix with [0-65535] was 527 MB).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

struct names {
	char **v;
	size_t n, cap;
	size_t bytes; /* names with their NULs and pointers, so far */
};

static int _push(struct names *a, const char *prefix, size_t plen, const char *num,
		 const char *suffix)
{
	size_t len = plen + strlen(num) + strlen(suffix) + 1;

	if (a->n >= HOSTLIST_MAX || len + sizeof(char *) > HOSTLIST_MAX_BYTES - a->bytes) {
		errno = E2BIG;
		return -1;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	char *s = malloc(len);
	if (!s)
		return -1;
	snprintf(s, len, "%.*s%s%s", (int)plen, prefix, num, suffix);
	a->v[a->n++] = s;
	a->bytes += len + sizeof(char *);
	return 0;
}

/* Expand one name: "prefix[ranges]suffix" or a plain name. */
/* 'len' decimal digits at 's' (1 to 18 of them, nothing else) into '*v'. */
static int _digits(const char *s, size_t len, unsigned long *v)
{
	if (len == 0 || len > 18)
		return -1;
	*v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return 0;
}

static int _expand_one(struct names *a, const char *item)
{
	const char *open = strchr(item, '['), *close;
	if (!open)
		return *item ? _push(a, item, strlen(item), "", "") : (errno = EINVAL, -1);
	close = strchr(open, ']');
	if (!close || close == open + 1 || strchr(close + 1, '[')) {
		errno = EINVAL;
		return -1;
	}
	char ranges[256];
	size_t rlen = (size_t)(close - open - 1);
	if (rlen >= sizeof(ranges)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(ranges, open + 1, rlen);
	ranges[rlen] = '\0';
	/* Each comma-separated range is N or N-M, digits only (no sign, no
	 * space), at most 18 of them (no overflow); none may be empty. */
	for (char *r = ranges, *next; r; r = next) {
		char *comma = strchr(r, ',');
		next = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		char *dash = strchr(r, '-');
		const char *lo_s = r, *hi_s = dash ? dash + 1 : r;
		size_t lo_len = dash ? (size_t)(dash - r) : strlen(r), hi_len = strlen(hi_s);
		unsigned long lo, hi;
		if (_digits(lo_s, lo_len, &lo) < 0 || _digits(hi_s, hi_len, &hi) < 0 || hi < lo) {
			errno = EINVAL;
			return -1;
		}
		int width = (int)lo_len;
		if (hi - lo >= HOSTLIST_MAX) {
			errno = E2BIG;
			return -1;
		}
		for (unsigned long k = 0; k <= hi - lo; k++) {
			char num[32];
			snprintf(num, sizeof(num), "%0*lu", width, lo + k);
			if (_push(a, item, (size_t)(open - item), num, close + 1) < 0)
				return -1;
		}
	}
	return 0;
}

int hostlist_expand(const char *list, char ***names, size_t *n)
{
	struct names a = {0};
	size_t len, start = 0;
	char *copy;
	int depth = 0;

	if (!list || !names || !n) {
		errno = EINVAL;
		return -1;
	}
	len = strlen(list);
	copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, list, len + 1);
	/* Split on commas outside brackets. */
	for (size_t i = 0; i <= len; i++) {
		if (copy[i] == '[')
			depth++;
		else if (copy[i] == ']')
			depth--;
		if ((copy[i] == ',' && depth == 0) || copy[i] == '\0') {
			copy[i] = '\0';
			if (depth != 0 || _expand_one(&a, copy + start) < 0) {
				int e = depth ? EINVAL : errno;
				hostlist_free(a.v, a.n);
				free(copy);
				errno = e;
				return -1;
			}
			start = i + 1;
		}
	}
	free(copy);
	*names = a.v;
	*n = a.n;
	return 0;
}

void hostlist_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
