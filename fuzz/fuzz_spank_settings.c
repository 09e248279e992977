/*
 * fuzz_spank_settings.c - the SPANK plugin's two inputs (spank/settings.c),
 * parsed inside srun, sbatch, salloc and slurmstepd: a crash here takes a
 * Slurm process down with it.
 *
 * Each input is used three ways:
 *  - as the user's --efa-monitor=OPTS (user_opts_parse); parsing the same
 *    OPTS twice must give the same result (the plugin does, from the
 *    environment and then the command line);
 *  - as plugstack.conf arguments, split at white space as Slurm splits
 *    them (spank_config_parse over spank_config_init's defaults);
 *  - as a pattern for spank_config_expand ("%n", "%j", "%s"), into a heap
 *    buffer whose size the first byte chooses, so ASan sees any write past
 *    it; a pattern that fits must come back NUL-terminated inside it.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "settings.h"
#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void _user_opts(const char *text)
{
	struct user_opts a, b;
	char err[512];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	int rc = user_opts_parse(&a, text, err, sizeof(err));
	FUZZ_ASSERT(user_opts_parse(&b, text, err, sizeof(err)) == rc);
	if (rc == 0)
		FUZZ_ASSERT(a.given && b.given && a.off == b.off && a.interval == b.interval &&
			    strcmp(a.json, b.json) == 0);
}

static void _plugstack(char *text)
{
	struct spank_config c;
	char *av[MAX_ARGS];
	int ac = 0;
	char err[512];

	for (char *save = NULL, *w = strtok_r(text, " \t\n", &save); w && ac < MAX_ARGS;
	     w = strtok_r(NULL, " \t\n", &save))
		av[ac++] = w;
	FUZZ_ASSERT(spank_config_init(&c) == 0);
	if (spank_config_parse(&c, ac, av, err, sizeof(err)) < 0)
		FUZZ_ASSERT(err[0]);
	spank_config_free(&c);
}

static void _expand(const char *pattern, size_t outlen)
{
	char *out = malloc(outlen);

	if (!out)
		return;
	if (spank_config_expand(pattern, "gpu-st-p5-17", "4242", "batch", out, outlen) == 0)
		FUZZ_ASSERT(strlen(out) < outlen);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);

	_user_opts(text);
	_expand(text, size ? (size_t)data[0] + 1 : 1);
	_plugstack(text); /* last: strtok_r cuts 'text' up */
	free(text);
	return 0;
}
