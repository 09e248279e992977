/*
 * testutil.h - helpers shared by the Check unit suites.
 *
 * Temporary directories live under $TEST_TMPDIR (set by the Makefile;
 * /tmp otherwise). efasim runs through $EFASIM (the command prefix, e.g.
 * "/usr/bin/python3 /abs/tests/efasim"). Every helper ck_asserts its own
 * success, so a test only reads as a sequence of steps.
 */
#ifndef EFA_MONITOR_TESTUTIL_H
#define EFA_MONITOR_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* A fresh, empty directory; free() the returned path. */
char *tu_mkdtemp(const char *tag);

/* printf into a malloc'ed string (ck_asserts on ENOMEM). */
char *tu_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run "$EFASIM <args>" through system(); ck_assert it exits 0. */
void tu_efasim(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, returning the exit status (-1 if it did not exit). */
int tu_efasim_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Create or truncate 'path' and write 'text' (same inode if it exists). */
void tu_write_file(const char *path, const char *text);
/* The same with a length, for text holding NUL bytes. */
void tu_write_mem(const char *path, const void *data, size_t len);
/* Rewrite an existing file in place: pwrite at 0, then ftruncate. */
void tu_rewrite_inplace(const char *path, const char *text);
/* The whole file as a NUL-terminated string (free it); NULL if absent. */
char *tu_read_file(const char *path);

/* rm -rf 'path' (no-op if absent). */
void tu_rm_rf(const char *path);

/* Count how often 'needle' occurs in 'hay'. */
size_t tu_count_substr(const char *hay, const char *needle);

/* ---- log capture: a log handler that records every message ---- */

#define TU_LOG_MAX 256

struct tu_log_entry {
	enum log_level level;
	char msg[1024];
};

/* Install the capturing handler (and clear what it holds). */
void tu_log_capture(void);
/* Restore the default handler and level INFO. */
void tu_log_restore(void);
void tu_log_clear(void);
size_t tu_log_count(void);
const struct tu_log_entry *tu_log_get(size_t i);
/* Messages at 'level' (or any level if level < 0) containing every one of
 * the NULL-terminated substrings. */
size_t tu_log_find(int level, ...) __attribute__((sentinel));
/* Print what was captured to stderr (for failure diagnosis). */
void tu_log_dump(void);

/* ---- running a suite ---- */

/* Run 's' (CK_FORK unless CK_FORK=no), print the summary; returns the
 * exit status for main(). */
int tu_run_suite(Suite *s);

#endif
