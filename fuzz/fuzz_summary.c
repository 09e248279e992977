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

static void _summarise(char **lines, size_t n, bool job_level)
{
	char job[32] = "", step[32] = "", err[256];
	bool first = true;
	struct step_summary *s = NULL;
	char *json;
	cJSON *parsed;

	for (size_t i = 0; i < n; i++) {
		struct node_report *r;

		if (lines[i][0] != '{')
			continue;
		r = node_report_from_json(lines[i], strlen(lines[i]), err, sizeof(err));
		if (!r)
			continue;
		if (first) {
			memcpy(job, r->job_id, sizeof(job));
			memcpy(step, r->step_id, sizeof(step));
			s = step_summary_create(job, job_level ? NULL : step, job_level);
			FUZZ_ASSERT(s);
			first = false;
		}
		if (strcmp(r->job_id, job) != 0 || (!job_level && strcmp(r->step_id, step) != 0) ||
		    step_summary_add(s, r) < 0)
			node_report_destroy(r);
	}
	if (!s)
		s = step_summary_create("1", job_level ? NULL : "0", job_level);
	FUZZ_ASSERT(s);
	for (size_t i = 0; i < n; i++)
		if (lines[i][0] && lines[i][0] != '{')
			step_summary_expect(s, lines[i]);
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
	char *lines[MAX_LINES];
	size_t n = 0;

	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < MAX_LINES;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	_summarise(lines, n, false);
	_summarise(lines, n, true);
	free(text);
	return 0;
}
