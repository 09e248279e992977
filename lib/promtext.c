/*
 * promtext.c - see promtext.h.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

/* What a byte that is not valid UTF-8 becomes: U+FFFD. */
#define REPLACEMENT "\xef\xbf\xbd"

void promtext_init(struct promtext *t)
{
	memset(t, 0, sizeof(*t));
}

void promtext_free(struct promtext *t)
{
	free(t->buf);
	promtext_init(t);
}

void promtext_clear(struct promtext *t)
{
	t->len = 0;
	t->failed = false;
	if (t->buf)
		t->buf[0] = '\0';
}

/* Room for 'more' bytes of text and the NUL; false once out of memory. */
static bool _reserve(struct promtext *t, size_t more)
{
	if (t->failed)
		return false;
	if (more > SIZE_MAX / 4 - t->len) {
		t->failed = true;
		return false;
	}
	size_t need = t->len + more + 1;
	if (need <= t->cap)
		return true;
	size_t cap = t->cap ? t->cap : 4096;
	while (cap < need)
		cap *= 2;
	char *b = realloc(t->buf, cap);
	if (!b) {
		t->failed = true;
		return false;
	}
	t->buf = b;
	t->cap = cap;
	return true;
}

static void _append(struct promtext *t, const char *s, size_t n)
{
	if (!_reserve(t, n))
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void _puts(struct promtext *t, const char *s)
{
	_append(t, s, strlen(s));
}

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence 's' starts with,
 * or 0 if its first byte starts none (stray continuation, overlong form,
 * surrogate, beyond U+10FFFF, or cut short by the NUL).
 */
static size_t _utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Escape 'in' into 'out' (snprintf-like); 'label' also escapes quotes. */
static size_t _escape(char *out, size_t size, const char *in, bool label)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	while (*p) {
		size_t seq = _utf8_seq(p), len = 2;
		const char *piece;
		if (seq == 0) {
			piece = REPLACEMENT;
			len = 3;
			seq = 1;
		} else if (*p == '\\') {
			piece = "\\\\";
		} else if (*p == '\n') {
			piece = "\\n";
		} else if (*p == '"' && label) {
			piece = "\\\"";
		} else {
			piece = (const char *)p;
			len = seq;
		}
		p += seq;
		for (size_t i = 0; i < len; i++, n++)
			if (n + 1 < size)
				out[n] = piece[i];
	}
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}

size_t promtext_escape_label(char *out, size_t size, const char *in)
{
	return _escape(out, size, in, true);
}

size_t promtext_escape_help(char *out, size_t size, const char *in)
{
	return _escape(out, size, in, false);
}

static void _append_escaped(struct promtext *t, const char *in, bool label)
{
	const unsigned char *p = (const unsigned char *)in;

	/* Most values (device names, ids) need nothing: copy them as they are. */
	while (*p && *p < 0x80 && *p != '\\' && *p != '\n' && !(*p == '"' && label))
		p++;
	if (!*p) {
		_append(t, in, (size_t)(p - (const unsigned char *)in));
		return;
	}
	size_t need = _escape(NULL, 0, in, label);
	if (!_reserve(t, need))
		return;
	_escape(t->buf + t->len, need + 1, in, label);
	t->len += need;
}

void promtext_family(struct promtext *t, const char *name, const char *type, const char *help)
{
	_puts(t, "# HELP ");
	_puts(t, name);
	_puts(t, " ");
	_append_escaped(t, help, false);
	_puts(t, "\n# TYPE ");
	_puts(t, name);
	_puts(t, " ");
	_puts(t, type);
	_puts(t, "\n");
}

void promtext_sample(struct promtext *t, const char *name, const struct prom_label *labels,
		     size_t nlabels, const char *value)
{
	bool any = false;

	_puts(t, name);
	for (size_t i = 0; i < nlabels; i++) {
		if (!labels[i].value)
			continue;
		_puts(t, any ? "," : "{");
		_puts(t, labels[i].name);
		_puts(t, "=\"");
		_append_escaped(t, labels[i].value, true);
		_puts(t, "\"");
		any = true;
	}
	_puts(t, any ? "} " : " ");
	_puts(t, value);
	_puts(t, "\n");
}

void promtext_sample_u64(struct promtext *t, const char *name, const struct prom_label *labels,
			 size_t nlabels, uint64_t value)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRIu64, value);
	promtext_sample(t, name, labels, nlabels, num);
}
