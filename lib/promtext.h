/*
 * promtext.h - the Prometheus text exposition format (0.0.4), as
 * node_exporter's textfile collector and promtool read it.
 *
 * A growable buffer that metric families and samples are appended to,
 * with the format's escaping in one place:
 *   - label values escape backslash, double quote and line feed
 *     (\\ \" \n);
 *   - HELP text escapes backslash and line feed;
 *   - a byte that is not part of valid UTF-8 becomes U+FFFD, because
 *     Prometheus rejects a file with such a label value whole.
 * Metric and label names are not checked: callers pass constants.
 *
 * Appends never fail one by one: running out of memory sets 'failed'
 * and later appends do nothing, so a caller checks once at the end.
 */
#ifndef EFA_MONITOR_PROMTEXT_H
#define EFA_MONITOR_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct promtext {
	char *buf;  /* NUL-terminated once anything was appended; NULL before */
	size_t len; /* bytes of text, without the NUL */
	size_t cap;
	bool failed; /* an append ran out of memory: the text is incomplete */
};

struct prom_label {
	const char *name;
	const char *value; /* NULL: the label is left out */
};

/* An empty buffer (no allocation until the first append). */
void promtext_init(struct promtext *t);
/* Free the buffer; 't' is empty again. */
void promtext_free(struct promtext *t);
/* Empty the text and clear 'failed', keeping the allocation for reuse. */
void promtext_clear(struct promtext *t);

/* "# HELP <name> <help>\n# TYPE <name> <type>\n", 'help' escaped. */
void promtext_family(struct promtext *t, const char *name, const char *type, const char *help);

/*
 * One sample line: '<name>{<l1>="<v1>",...} <value>\n'. Labels whose
 * value is NULL are left out; without any, the braces are too. 'value'
 * is written as given (a number in the format's float syntax).
 */
void promtext_sample(struct promtext *t, const char *name, const struct prom_label *labels,
		     size_t nlabels, const char *value);
/* The same with an unsigned integer value. */
void promtext_sample_u64(struct promtext *t, const char *name, const struct prom_label *labels,
			 size_t nlabels, uint64_t value);

/*
 * Escape 'in' as a label value (without the quotes) into 'out', writing
 * at most 'size' bytes including the NUL (nothing if size is 0). Returns
 * the length of the whole escaped text, like snprintf: the output was cut
 * if the result is >= size.
 */
size_t promtext_escape_label(char *out, size_t size, const char *in);

/* The same with the HELP text rules (quotes are kept as they are). */
size_t promtext_escape_help(char *out, size_t size, const char *in);

#endif
