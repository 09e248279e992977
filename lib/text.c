/*
 * text.c - see text.h.
 *
 * Decoding follows RFC 3629 (Unicode's table 3-7 of well-formed byte
 * sequences): an overlong form, a surrogate, a code point above U+10FFFF
 * or a sequence cut short is invalid, and only its first byte is taken
 * as the fault; decoding resumes at the next byte, as a terminal would.
 */
#include "config.h"

#include <string.h>

#include "text.h"

bool text_printable(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return false;
	if (cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff ||
	    (cp >= 0xfff9 && cp <= 0xfffb))
		return false;
	if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
	    (cp & 0xfffe) == 0xfffe || cp > 0x10ffff)
		return false;
	if (cp >= 0xe0000 && cp <= 0xe007f)
		return false;
	return true;
}

/* The length of the well-formed UTF-8 sequence at 's' (NUL-terminated)
 * and its code point; 0 if it is not one. */
static size_t _decode(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, C0/C1 (overlong), F5..FF */
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

enum text_fault text_check(const char *s, size_t *at, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; p[i];) {
		uint32_t v = 0;
		size_t n = _decode(p + i, &v);
		enum text_fault f = TEXT_OK;

		if (n == 0)
			f = TEXT_INVALID;
		else if (v < 0x20 || v == 0x7f)
			f = TEXT_CONTROL;
		else if (!text_printable(v))
			f = TEXT_NONPRINTING;
		if (f != TEXT_OK) {
			if (at)
				*at = i;
			if (cp)
				*cp = v;
			return f;
		}
		i += n;
	}
	return TEXT_OK;
}

size_t text_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t r = 0, w = 0, replaced = 0;

	while (p[r]) {
		uint32_t v = 0;
		size_t n = _decode(p + r, &v);

		if (n == 0 || !text_printable(v)) {
			p[w++] = '?';
			r += n ? n : 1;
			replaced++;
			continue;
		}
		memmove(p + w, p + r, n);
		w += n;
		r += n;
	}
	p[w] = '\0';
	return replaced;
}
