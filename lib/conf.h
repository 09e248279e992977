/*
 * conf.h - "key = value" configuration parsed from a table of keys.
 *
 * A program describes its configuration struct with a table of conf_key
 * (name, type, offset, bounds); defaults live in the program's own
 * initialiser. The same table parses a file, command-line overrides and
 * plugstack.conf arguments, so every key is checked the same way and
 * every error names the key, and the file and line it came from.
 */
#ifndef EFA_MONITOR_CONF_H
#define EFA_MONITOR_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum conf_type {
	CONF_STRING,  /* char * (strdup'ed; freed by conf_free) */
	CONF_BOOL,    /* bool: yes/no, true/false, on/off, 1/0 */
	CONF_UINT,    /* unsigned long, within [min, max] */
	CONF_SECONDS, /* double seconds, within [min, max] */
	CONF_LOGLEVEL /* enum log_level */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;       /* offsetof() in the configuration struct */
	double min, max;     /* for CONF_UINT and CONF_SECONDS */
	const char *help;
};

#define CONF_ERR_MAX 512

/*
 * Set 'key' to 'value' in 'cfg'. 'origin' says where it came from
 * ("/etc/efa-monitor.conf:12", "--interval"), for the message. Returns 0,
 * or -1 with a message in 'err' naming the key, the origin and what is
 * allowed (unknown key, bad value).
 */
int conf_set(const struct conf_key *table, void *cfg, const char *key,
	     const char *value, const char *origin, char *err, size_t errlen);

/*
 * Parse the file 'path': one "key = value" per line; '#' starts a comment
 * (at the start of a line or after white space); blank lines are skipped;
 * a value may be quoted with "…". Returns 0, or -1 with a message in 'err'
 * (a missing file is an error unless 'optional').
 */
int conf_parse_file(const struct conf_key *table, void *cfg, const char *path,
		    bool optional, char *err, size_t errlen);

/* The key named 'name', or NULL. */
const struct conf_key *conf_find(const struct conf_key *table, const char *name);

/* Free the strings that conf_set() stored in 'cfg'. */
void conf_free(const struct conf_key *table, void *cfg);

/* Parse a boolean word. Returns 0, or -1 (EINVAL). */
int conf_parse_bool(const char *s, bool *out);

#endif
