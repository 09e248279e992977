/*
 * settings.c - see settings.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "settings.h"

#ifndef BINDIR
#define BINDIR "/usr/bin"
#endif

#define KEY(n, t, f, lo, hi, h) {n, t, offsetof(struct spank_config, f), lo, hi, h}

static const struct conf_key _keys[] = {
	KEY("reporter", CONF_STRING, reporter, 0, 0, "path of the efa-monitor program"),
	KEY("config", CONF_STRING, reporter_config, 0, 0,
	    "the reporter's config file (%n: node name, %j: job id, %s: step id)"),
	KEY("default", CONF_BOOL, default_on, 0, 0, "monitor every job (on) or only when asked (off)"),
	KEY("sysfs", CONF_STRING, sysfs, 0, 0, "sysfs root; %n is the node name"),
	KEY("interval", CONF_SECONDS, interval, 0.01, 3600, "reporter interval"),
	KEY("collect_timeout", CONF_SECONDS, collect_timeout, 0.1, 300,
	    "seconds to wait for node reports"),
	KEY("send_timeout", CONF_SECONDS, send_timeout, 0.1, 60, "seconds a node may take to report"),
	KEY("stop_timeout", CONF_SECONDS, stop_timeout, 0.1, 60,
	    "seconds the reporter gets to stop"),
	KEY("channel_host", CONF_STRING, channel_host, 0, 0, "address nodes use to reach srun"),
	KEY("sinks", CONF_STRING, sinks, 0, 0, "the per-job reporter's sinks"),
	KEY("log_dir", CONF_STRING, log_dir, 0, 0, "directory for per-job reporter logs"),
	{NULL, CONF_STRING, 0, 0, 0, NULL},
};

int spank_config_init(struct spank_config *c)
{
	memset(c, 0, sizeof(*c));
	c->default_on = false;
	c->interval = 10.0;
	c->collect_timeout = 10.0;
	c->send_timeout = 5.0;
	c->stop_timeout = 3.0;
	c->reporter = strdup(BINDIR "/efa-monitor");
	c->sysfs = strdup("/sys");
	c->sinks = strdup("log");
	if (!c->reporter || !c->sysfs || !c->sinks) {
		spank_config_free(c);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void spank_config_free(struct spank_config *c)
{
	conf_free(_keys, c);
}

int spank_config_parse(struct spank_config *c, int ac, char **av, char *err, size_t errlen)
{
	for (int i = 0; i < ac; i++) {
		char key[64], origin[80];
		const char *eq = strchr(av[i], '=');
		size_t n = eq ? (size_t)(eq - av[i]) : 0;

		if (!eq || n == 0 || n >= sizeof(key)) {
			snprintf(err, errlen, "plugstack.conf: argument '%s' is not key=value", av[i]);
			return -1;
		}
		memcpy(key, av[i], n);
		key[n] = '\0';
		snprintf(origin, sizeof(origin), "plugstack.conf argument %d", i + 1);
		if (conf_set(_keys, c, key, eq + 1, origin, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int _fail(char *err, size_t errlen, const char *what, const char *item)
{
	snprintf(err, errlen, "bad --efa-monitor option '%s': %s (allowed: %s)", item, what,
		 USER_OPTS_HELP);
	return -1;
}

int user_opts_parse(struct user_opts *o, const char *optarg, char *err, size_t errlen)
{
	struct user_opts n = {.given = true};
	char buf[4096 + 64];

	if (optarg && strlen(optarg) >= sizeof(buf)) {
		snprintf(err, errlen, "bad --efa-monitor options: longer than %zu characters",
			 sizeof(buf) - 1);
		return -1;
	}
	if (optarg && strcmp(optarg, "(null)") == 0)
		optarg = NULL;
	snprintf(buf, sizeof(buf), "%s", optarg ? optarg : "");
	for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (strcmp(item, "off") == 0) {
			n.off = true;
		} else if (eq && strncmp(item, "interval=", 9) == 0) {
			char *end;
			errno = 0;
			double v = strtod(eq + 1, &end);
			if (!eq[1] || *end || errno || !isfinite(v) || v < 0.1 || v > 3600)
				return _fail(err, errlen, "interval must be seconds from 0.1 to 3600",
					     item);
			n.interval = v;
		} else if (eq && strncmp(item, "json=", 5) == 0) {
			if (!eq[1])
				return _fail(err, errlen, "json needs a file name", item);
			if (strlen(eq + 1) >= sizeof(n.json))
				return _fail(err, errlen, "file name too long", item);
			snprintf(n.json, sizeof(n.json), "%s", eq + 1);
		} else {
			return _fail(err, errlen, "unknown option", item);
		}
	}
	*o = n;
	return 0;
}

int spank_config_expand(const char *pattern, const char *node, const char *job,
			const char *step, char *out, size_t outlen)
{
	size_t used = 0;

	for (const char *p = pattern; *p; p++) {
		const char *sub = NULL;
		char one[2] = {*p, '\0'};
		if (p[0] == '%' && p[1] == '%')
			sub = "%";
		else if (p[0] == '%' && p[1] == 'n')
			sub = node;
		else if (p[0] == '%' && p[1] == 'j')
			sub = job;
		else if (p[0] == '%' && p[1] == 's')
			sub = step;
		if (sub)
			p++;
		else
			sub = one;
		size_t len = strlen(sub);
		if (used + len >= outlen)
			return -1;
		memcpy(out + used, sub, len);
		used += len;
	}
	out[used] = '\0';
	return 0;
}

int user_opts_json_path(const struct user_opts *o, const char *job, const char *step,
			bool per_step, char *out, size_t outlen)
{
	char pattern[sizeof(o->json) + 8];
	const char *base, *dot;

	if (!per_step || strstr(o->json, "%s")) {
		snprintf(pattern, sizeof(pattern), "%s", o->json);
	} else {
		/* "dir/net.json" -> "dir/net.%s.json"; "net" -> "net.%s" */
		base = strrchr(o->json, '/');
		base = base ? base + 1 : o->json;
		dot = strrchr(base, '.');
		if (!dot || dot == base)
			dot = base + strlen(base);
		snprintf(pattern, sizeof(pattern), "%.*s.%%s%s", (int)(dot - o->json), o->json, dot);
	}
	return spank_config_expand(pattern, "", job, step, out, outlen);
}
