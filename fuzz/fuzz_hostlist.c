/*
 * fuzz_hostlist.c - hostlist_expand(), which turns SLURM_STEP_NODELIST and
 * SLURM_JOB_NODELIST ("gpu-a[001-016,020],login1") into the nodes whose
 * reports srun waits for.
 *
 * Besides not crashing or leaking, a list that expands gives 1 to 65536
 * names, none empty and none holding a comma or an opening bracket (those
 * belong to the list syntax); a list that does not gives EINVAL, E2BIG or
 * ENOMEM.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hostlist.h"
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
	char *list = fuzz_strndup(data, size);
	char **names = NULL;
	size_t n = 0;

	errno = 0;
	if (hostlist_expand(list, &names, &n) == 0) {
		FUZZ_ASSERT(n >= 1 && n <= 65536);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(names[i][0] && !strpbrk(names[i], ",["));
		hostlist_free(names, n);
	} else {
		FUZZ_ASSERT(errno == EINVAL || errno == E2BIG || errno == ENOMEM);
	}
	free(list);
	return 0;
}
