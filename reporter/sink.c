/*
 * sink.c - see sink.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink.h"

static const struct sink_ops *_all[] = {&sink_log_ops, &sink_cloudwatch_ops, &sink_emf_ops,
					&sink_prom_ops, NULL};

#define SINKS_MAX 8

struct sink_set {
	size_t n;
	struct sink sinks[SINKS_MAX];
};

static const struct sink_ops *_lookup(const char *name)
{
	for (size_t i = 0; _all[i]; i++)
		if (strcmp(_all[i]->name, name) == 0)
			return _all[i];
	return NULL;
}

struct sink_set *sink_set_open(const char *names, const struct options *o)
{
	struct sink_set *set = calloc(1, sizeof(*set));
	char *copy = strdup(names ? names : "");
	char *save = NULL;

	if (!set || !copy) {
		log_error("out of memory opening sinks");
		goto fail;
	}
	for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		const struct sink_ops *ops = _lookup(tok);
		if (!ops) {
			char known[128] = "";
			for (size_t i = 0; _all[i]; i++) {
				strncat(known, i ? ", " : "", sizeof(known) - strlen(known) - 1);
				strncat(known, _all[i]->name, sizeof(known) - strlen(known) - 1);
			}
			log_error("unknown sink '%s' in sinks = %s (known sinks: %s)", tok, names, known);
			goto fail;
		}
		if (set->n == SINKS_MAX) {
			log_error("too many sinks in '%s' (at most %d)", names, SINKS_MAX);
			goto fail;
		}
		struct sink *s = &set->sinks[set->n];
		s->ops = ops;
		if (ops->open(s, o) < 0)
			goto fail;
		set->n++;
	}
	free(copy);
	return set;
fail:
	free(copy);
	sink_set_close(set);
	return NULL;
}

void sink_set_write(struct sink_set *set, const struct report *r)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->sinks[i].ops->write(&set->sinks[i], r) < 0)
			set->sinks[i].errors++;
}

void sink_set_flush(struct sink_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->sinks[i].ops->flush && set->sinks[i].ops->flush(&set->sinks[i]) < 0)
			set->sinks[i].errors++;
}

void sink_set_reopen(struct sink_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->sinks[i].ops->reopen)
			set->sinks[i].ops->reopen(&set->sinks[i]);
}

void sink_set_close(struct sink_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		struct sink *s = &set->sinks[i];
		if (s->errors)
			log_warn("sink %s: %llu failed writes", s->ops->name,
				 (unsigned long long)s->errors);
		s->ops->close(s);
	}
	free(set);
}

void sink_aws_config(const struct options *o, struct cw_client_config *cc)
{
	if (!o->imds)
		setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	if (o->imds_endpoint)
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", o->imds_endpoint, 1);
	cc->endpoint = o->cw_endpoint;
	cc->region = o->cw_region;
	cc->profile = o->aws_profile;
	cc->instance_id = o->instance_id ? o->instance_id : !o->imds ? o->node_name : NULL;
}
