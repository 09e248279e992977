/*
 * fuzz_options.c - the reporter's configuration: lib/conf.c's file parser
 * and key table (through the reporter's real table, options_keys) and
 * reporter/options.c's command line, which share every key.
 *
 * An input is the config file's text, then optionally a NUL byte and
 * command-line arguments separated by NUL bytes (as they arrive in argv):
 * without the NUL, conf_parse_file() alone reads the text; with it,
 * options_parse() reads the file and then the arguments. The file is
 * handed to the parser as /proc/self/fd/N of a memfd: conf_parse_file()
 * wants a path, and nothing must land on disk. Arguments that would name
 * another config file (-c, --config) are dropped: the fuzzer must not
 * make the parser open arbitrary paths such as a FIFO or /dev/stdin.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "options.h"
#include "fuzz.h"

#define MAX_ARGS 64

static int _memfd = -1;
static char _config_arg[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	_memfd = memfd_create("efa-monitor-fuzz.conf", MFD_CLOEXEC);
	if (_memfd < 0)
		abort();
	snprintf(_config_arg, sizeof(_config_arg), "--config=/proc/self/fd/%d", _memfd);
	return 0;
}

static bool _names_config(const char *arg)
{
	return strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0 ||
	       strncmp(arg, "--config=", 9) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t conf_len = nul ? (size_t)(nul - data) : size;
	char *args = nul ? fuzz_strndup(nul + 1, size - conf_len - 1) : fuzz_strndup(data, 0);
	size_t args_len = nul ? size - conf_len - 1 : 0;
	char *argv[MAX_ARGS + 3];
	int argc = 0;
	struct options o;
	char err[CONF_ERR_MAX];

	if (ftruncate(_memfd, 0) < 0 ||
	    (conf_len && pwrite(_memfd, data, conf_len, 0) != (ssize_t)conf_len))
		abort();

	/* The file alone, as /etc/efa-monitor.conf is read; with arguments,
	 * the command line over the file, as "efa-monitor run ..." parses it
	 * (options_parse reads the file first, the same way). */
	FUZZ_ASSERT(options_init(&o) == 0);
	if (!nul) {
		if (conf_parse_file(options_keys, &o, _config_arg + 9, false, err, sizeof(err)) < 0)
			FUZZ_ASSERT(err[0]);
		options_free(&o);
		free(args);
		return 0;
	}
	argv[argc++] = "efa-monitor";
	argv[argc++] = _config_arg;
	for (size_t i = 0; i < args_len && argc < MAX_ARGS + 2;) {
		char *a = args + i;

		i += strlen(a) + 1;
		if (!_names_config(a))
			argv[argc++] = a;
	}
	argv[argc] = NULL;
	int first = options_parse(&o, argc, argv);
	FUZZ_ASSERT(first == -1 || (first >= 2 && first <= argc));
	options_free(&o);
	free(args);
	return 0;
}
