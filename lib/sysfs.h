/*
 * sysfs.h - reading the small text files of sysfs without ever failing.
 *
 * A counter file may be missing, unreadable, empty, "N/A (no PMA)",
 * non-numeric or larger than 64 bits. None of these is an error of the
 * caller's: each read returns a state that says which, and the value only
 * means something in COUNTER_OK.
 */
#ifndef EFA_MONITOR_SYSFS_H
#define EFA_MONITOR_SYSFS_H

#include <stddef.h>
#include <stdint.h>

enum counter_state {
	COUNTER_OK = 0,
	COUNTER_MISSING,    /* expected but absent, or gone with its device */
	COUNTER_UNREADABLE, /* open() or read() failed (EACCES, EISDIR, EIO …) */
	COUNTER_EMPTY,      /* zero bytes, or only white space */
	COUNTER_NA,         /* "N/A …", as iWARP devices without a PMA say */
	COUNTER_INVALID,    /* not an unsigned decimal number */
	COUNTER_OVERFLOW,   /* a decimal number above 2^64-1 */
	COUNTER_STATE_COUNT
};

/* "ok", "missing", "unreadable", "empty", "n/a", "invalid", "overflow". */
const char *counter_state_name(enum counter_state state);

/*
 * Parse the text of a counter file: an unsigned decimal number with
 * optional leading and trailing white space. Never reads past 'len'.
 */
enum counter_state sysfs_parse_u64(const char *buf, size_t len, uint64_t *value);

/*
 * Re-read the counter held open on 'fd' (pread at offset 0: sysfs renders
 * a fresh value each time a file is read from its start). On a read error
 * returns COUNTER_UNREADABLE, or COUNTER_MISSING when the file's device
 * has gone (ENODEV, ENOENT, ESTALE); '*err' gets errno (0 otherwise).
 */
enum counter_state sysfs_pread_u64(int fd, uint64_t *value, int *err);

/* Open 'name' under 'dirfd' and read it once, as above. */
enum counter_state sysfs_read_u64_at(int dirfd, const char *name,
				     uint64_t *value, int *err);

/*
 * Read a short text file into 'buf' with trailing white space removed.
 * Returns its length, or -1 with errno set (the buffer then holds "").
 */
int sysfs_read_str_at(int dirfd, const char *name, char *buf, size_t size);

/*
 * Read the symlink 'name' under 'dirfd' and put its last path component
 * in 'buf' (e.g. device/driver -> "efa"). Returns 0, or -1 with errno.
 */
int sysfs_link_base_at(int dirfd, const char *name, char *buf, size_t size);

/*
 * Parse a port's rate file ("100 Gb/sec (4X EDR)", "25 Gb/sec (1X EDR)",
 * "2.5 Gb/sec (1X SDR)") into bits per second. Returns 0, or -1 (EINVAL).
 */
int sysfs_parse_rate(const char *text, uint64_t *bits_per_sec);

#endif
