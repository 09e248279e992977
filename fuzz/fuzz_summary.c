/*
 * fuzz_summary.c - the summary srun (step level) and the batch step (job
 * level) build from the node reports they receive.
 *
 * An input is lines: a line starting with '{' is one node report in JSON
 * (node_report_to_json() writes one line), any other non-empty line names
 * a node the summary expects. The reports are merged as the plugin merges
 * them, both ways per input:
 *  - step level (spank/local.c): job and step of the first report; like
 *    channel_collect(), reports of another job or step never reach it;
 *  - job level (spank/remote.c): every report of the first report's job,
 *    any step, merged by time window per node.
 * Each summary is printed (to /dev/null) and turned into JSON, which must
 * parse.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report.h"
#include "fuzz.h"

/* A summary line is a few hundred bytes; a long input only slows the
 * search down without reaching new code. */
#define MAX_LINES 64

static FILE *_null;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	_null = fopen("/dev/null", "w");
	if (!_null)
		abort();
	return 0;
}

/* A deep copy: each summary owns its reports, and decoding each line
 * once and copying is cheaper than decoding it twice. */
static struct node_report *_copy(const struct node_report *r)
{
	struct node_report *c = node_report_create();

	if (!c)
		abort();
	*c = *r;
	c->ifaces = NULL;
	if (r->nifaces) {
		c->ifaces = malloc(r->nifaces * sizeof(*c->ifaces));
		if (!c->ifaces)
			abort();
		memcpy(c->ifaces, r->ifaces, r->nifaces * sizeof(*c->ifaces));
	}
	return c;
}

static void _summarise(struct node_report **reps, size_t nrep, char **names, size_t nnames,
		       bool job_level)
{
	/* The first report names the job (and step) being summarised. */
	const char *job = nrep ? reps[0]->job_id : "1";
	const char *step = nrep ? reps[0]->step_id : "0";
	struct step_summary *s = step_summary_create(job, job_level ? NULL : step, job_level);
	char *json;
	cJSON *parsed;

	FUZZ_ASSERT(s);
	for (size_t i = 0; i < nrep; i++) {
		struct node_report *r;

		if (strcmp(reps[i]->job_id, job) != 0 ||
		    (!job_level && strcmp(reps[i]->step_id, step) != 0))
			continue;
		r = _copy(reps[i]);
		if (step_summary_add(s, r) < 0)
			node_report_destroy(r);
	}
	for (size_t i = 0; i < nnames; i++)
		step_summary_expect(s, names[i]);
	step_summary_print(s, _null, "efa-monitor: ");
	json = step_summary_to_json(s);
	FUZZ_ASSERT(json);
	parsed = cJSON_Parse(json);
	if (!parsed)
		dprintf(2, "step_summary_to_json gave invalid JSON:\n%s\n", json);
	FUZZ_ASSERT(parsed);
	cJSON_Delete(parsed);
	free(json);
	step_summary_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct node_report *reps[MAX_LINES];
	char *names[MAX_LINES], err[256];
	size_t nrep = 0, nnames = 0, lines = 0;

	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && lines < MAX_LINES;
	     l = strtok_r(NULL, "\n", &save), lines++) {
		struct node_report *r;

		if (l[0] != '{') {
			names[nnames++] = l;
			continue;
		}
		r = node_report_from_json(l, strlen(l), err, sizeof(err));
		if (r)
			reps[nrep++] = r;
	}
	_summarise(reps, nrep, names, nnames, false);
	_summarise(reps, nrep, names, nnames, true);
	for (size_t i = 0; i < nrep; i++)
		node_report_destroy(reps[i]);
	free(text);
	return 0;
}
