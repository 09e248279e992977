/*
 * sink_prom.c - placeholder until the sink lands.
 */
#include "config.h"

#include "log.h"
#include "sink.h"

static int _open(struct sink *s, const struct options *o)
{
	(void)s;
	(void)o;
	log_error("the prometheus sink is not built yet");
	return -1;
}

static int _write(struct sink *s, const struct report *r)
{
	(void)s;
	(void)r;
	return 0;
}

static void _close(struct sink *s)
{
	(void)s;
}

const struct sink_ops sink_prom_ops = {
	.name = "prometheus",
	.open = _open,
	.write = _write,
	.close = _close,
};
