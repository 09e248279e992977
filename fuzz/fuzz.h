/*
 * fuzz.h - what every libFuzzer target of efa-monitor shares.
 *
 * Each target is one file, fuzz_<name>.c, that defines
 * LLVMFuzzerTestOneInput() and includes this header once. Nothing here
 * writes a file: libFuzzer's own corpus and crash files go where
 * fuzz/run.sh (or the person running the target) points them.
 */
#ifndef EFA_MONITOR_FUZZ_H
#define EFA_MONITOR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Swallow log messages: they are still formatted (log_vmsg runs
 * vsnprintf before the handler), so a bad format argument is still
 * caught, but a million executions do not print a million lines. */
static void _fuzz_log_discard(enum log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/*
 * Quiet the code under test: log messages at every level go nowhere, and
 * so does what it prints to stderr through stdio (the reporter's option
 * parser does). The sanitizers and libFuzzer write to file descriptor 2
 * directly, not through 'stderr', so their reports still show.
 */
static inline void fuzz_quiet(void)
{
	FILE *null = fopen("/dev/null", "w");

	log_set_level(LOG_LEVEL_DEBUG);
	log_set_handler(_fuzz_log_discard, NULL);
	if (null)
		stderr = null;
}

/* The input as a NUL-terminated string (it may hold earlier NULs), in a
 * heap block of exactly size + 1 bytes so ASan sees any over-read. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A property the code promised does not hold: report it as a crash. */
#define FUZZ_ASSERT(cond)                                                            \
	do {                                                                         \
		if (!(cond)) {                                                       \
			dprintf(2, "%s:%d: property failed: %s\n", __FILE__,       \
				__LINE__, #cond);                                    \
			abort();                                                     \
		}                                                                    \
	} while (0)

#endif
