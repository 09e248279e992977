/*
 * fuzz_report.c - node_report_from_json(), the decoder every node report
 * passes through (from the channel, and from the reporter's report_fd).
 *
 * Besides not crashing or leaking, a report the decoder accepts must
 * survive a round trip: node_report_to_json() of it decodes again, and
 * encoding that gives the same text (every 64-bit figure is a decimal
 * string, every rate a finite number, so nothing may drift).
 */
#include "config.h"

#include <string.h>

#include "report.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not NUL-terminated, as it comes off the wire. */
	char *text = malloc(size ? size : 1);
	char err[256];
	struct node_report *r, *again;
	char *json, *json2;

	if (!text)
		return 0;
	memcpy(text, data, size);
	r = node_report_from_json(text, size, err, sizeof(err));
	free(text);
	if (!r) {
		FUZZ_ASSERT(err[0]);
		return 0;
	}
	json = node_report_to_json(r);
	FUZZ_ASSERT(json);
	again = node_report_from_json(json, strlen(json), err, sizeof(err));
	if (!again)
		dprintf(2, "re-decoding failed: %s\n%s\n", err, json);
	FUZZ_ASSERT(again);
	FUZZ_ASSERT(again->nifaces == r->nifaces && again->status == r->status);
	json2 = node_report_to_json(again);
	FUZZ_ASSERT(json2 && strcmp(json, json2) == 0);
	free(json);
	free(json2);
	node_report_destroy(again);
	node_report_destroy(r);
	return 0;
}
