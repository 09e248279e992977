/*
 * fuzz_awscred.c - what lib/awscred.c makes of the documents an AWS
 * credential source returns: the JSON of the instance metadata service
 * and of the ECS/EKS container agent, their Expiration times, the shared
 * credentials file, and the container URL check that decides whether
 * the authorization token may be sent.
 *
 * Those parsers are static, and awscred.c is not to grow an API for
 * tests, so this target compiles awscred.c itself into the fuzzer and
 * calls them directly. The first input byte picks the parser; the rest
 * is the document.
 */
#include "awscred.c" /* config.h first, then the code under test */

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void _creds_json(const char *body)
{
	struct aws_creds c;
	char why[WHY_MAX];

	memset(&c, 0, sizeof(c));
	why[0] = '\0';
	if (_creds_from_json(body, "IMDS: role fuzz", &c, why, sizeof(why)) == 0) {
		FUZZ_ASSERT(_set(c.access_key) && _set(c.secret_key) && _set(c.session_token));
		aws_creds_clear(&c);
	} else {
		FUZZ_ASSERT(why[0] && !c.access_key && !c.secret_key && !c.session_token);
	}
}

static void _time(const char *s)
{
	time_t t = 0;

	(void)_parse_time(s, &t);
}

static void _ini(char *buf, const char *profile)
{
	struct _profile p = {0};

	_parse_ini(buf, profile, &p);
	if (!p.found)
		FUZZ_ASSERT(!p.ak && !p.sk && !p.tok);
}

static void _container_url(const char *url)
{
	if (aws_container_url_allowed(url))
		FUZZ_ASSERT(strncasecmp(url, "http", 4) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		_creds_json(text);
		break;
	case 1:
		_time(text);
		break;
	case 2:
		_ini(text, data[0] & 0x80 ? "prod" : "default");
		break;
	default:
		_container_url(text);
		break;
	}
	free(text);
	return 0;
}
