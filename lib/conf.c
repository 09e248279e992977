/*
 * conf.c - see conf.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"

const struct conf_key *conf_find(const struct conf_key *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"yes", "true", "on", "1", NULL};
	static const char *no[] = {"no", "false", "off", "0", NULL};
	for (int i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

static void _known_keys(const struct conf_key *table, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (; table->name && used < len; table++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", table->name);
}

int conf_set(const struct conf_key *table, void *cfg, const char *key,
	     const char *value, const char *origin, char *err, size_t errlen)
{
	const struct conf_key *k = conf_find(table, key);
	char *p = (char *)cfg;
	char *end;

	if (!k) {
		char known[384];
		_known_keys(table, known, sizeof(known));
		snprintf(err, errlen, "%s: unknown key '%s' (known keys: %s)", origin, key, known);
		return -1;
	}
	switch (k->type) {
	case CONF_STRING: {
		char **slot = (char **)(p + k->offset);
		char *copy = strdup(value);
		if (!copy) {
			snprintf(err, errlen, "%s: %s: out of memory", origin, key);
			return -1;
		}
		free(*slot);
		*slot = copy;
		return 0;
	}
	case CONF_BOOL:
		if (conf_parse_bool(value, (bool *)(p + k->offset)) < 0) {
			snprintf(err, errlen, "%s: bad value '%s' for '%s': expected yes or no",
				 origin, value, key);
			return -1;
		}
		return 0;
	case CONF_UINT: {
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		if (*value < '0' || *value > '9' || *end || errno || (double)v < k->min ||
		    (double)v > k->max) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected a whole number from %.0f to %.0f",
				 origin, value, key, k->min, k->max);
			return -1;
		}
		*(unsigned long *)(p + k->offset) = (unsigned long)v;
		return 0;
	}
	case CONF_SECONDS: {
		errno = 0;
		double v = strtod(value, &end);
		if (!*value || *end || errno || !isfinite(v) || v < k->min || v > k->max) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected seconds from %g to %g",
				 origin, value, key, k->min, k->max);
			return -1;
		}
		*(double *)(p + k->offset) = v;
		return 0;
	}
	case CONF_LOGLEVEL:
		if (log_level_parse(value, (enum log_level *)(p + k->offset)) < 0) {
			snprintf(err, errlen,
				 "%s: bad value '%s' for '%s': expected error, warn, info or debug",
				 origin, value, key);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "%s: %s: unsupported key type", origin, key);
	return -1;
}

static char *_trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Parse one line into key and value (in place). 1: a setting; 0: blank
 * or comment; -1: malformed, with 'why' set. */
static int _split_line(char *line, char **key, char **value, const char **why)
{
	char *s = _trim(line), *eq, *v;

	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq) {
		*why = "expected 'key = value'";
		return -1;
	}
	*eq = '\0';
	*key = _trim(s);
	if (!**key) {
		*why = "missing key before '='";
		return -1;
	}
	v = _trim(eq + 1);
	if (*v == '"') {
		char *close = strchr(v + 1, '"');
		if (!close) {
			*why = "unterminated quote";
			return -1;
		}
		*close = '\0';
		if (*_trim(close + 1) && *_trim(close + 1) != '#') {
			*why = "text after the closing quote";
			return -1;
		}
		*value = v + 1;
		return 1;
	}
	/* A '#' after white space starts a comment. */
	for (char *c = v; *c; c++)
		if (*c == '#' && (c == v || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	*value = _trim(v);
	return 1;
}

int conf_parse_file(const struct conf_key *table, void *cfg, const char *path,
		    bool optional, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;

	if (!f) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *key = NULL, *value = NULL, origin[4200];
		const char *why = NULL;
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line too long", origin);
			rc = -1;
			break;
		}
		int r = _split_line(line, &key, &value, &why);
		if (r == 0)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", origin, why);
			rc = -1;
			break;
		}
		if (conf_set(table, cfg, key, value, origin, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

void conf_free(const struct conf_key *table, void *cfg)
{
	for (; table->name; table++) {
		if (table->type != CONF_STRING)
			continue;
		char **slot = (char **)((char *)cfg + table->offset);
		free(*slot);
		*slot = NULL;
	}
}
