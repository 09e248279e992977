/*
 * text.h - what of a peer's text may reach a terminal.
 *
 * Node reports carry names and messages that end up in a job's output,
 * read on a terminal. A byte the terminal acts on (C0 and C1 controls,
 * which UTF-8 writes as C2 80 .. C2 9F) or a character that reorders or
 * hides what is shown (bidirectional overrides and isolates, line and
 * paragraph separators, zero-width characters) must never get there, and
 * neither may a byte sequence that is not UTF-8, which terminals decode
 * in ways of their own.
 */
#ifndef EFA_MONITOR_TEXT_H
#define EFA_MONITOR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why text_check() refused a string. */
enum text_fault {
	TEXT_OK = 0,
	TEXT_CONTROL,	  /* a C0 control or DEL */
	TEXT_INVALID,	  /* not UTF-8: a stray, overlong, surrogate or truncated sequence */
	TEXT_NONPRINTING, /* a C1 control or another non-printing code point */
};

/*
 * Whether code point 'cp' may be shown: not a C0 or C1 control, DEL, a
 * line or paragraph separator (U+2028, U+2029), a bidirectional control
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), a zero-width
 * or invisible formatting character (U+200B..U+200D, U+2060..U+2064,
 * U+FEFF), an interlinear annotation (U+FFF9..U+FFFB), a tag character
 * (U+E0000..U+E007F), a noncharacter (U+FDD0..U+FDEF, U+xxFFFE/F) or a
 * surrogate.
 */
bool text_printable(uint32_t cp);

/*
 * The first fault of NUL-terminated 's': returns TEXT_OK, or the fault
 * with its byte offset in '*at' and, for TEXT_NONPRINTING, the code point
 * in '*cp' (either may be NULL).
 */
enum text_fault text_check(const char *s, size_t *at, uint32_t *cp);

/*
 * Replace, in place, each byte that does not start a valid UTF-8 sequence
 * and each code point that is not printable by one '?'; the string only
 * shrinks. Returns the number of replacements.
 */
size_t text_scrub(char *s);

#endif
