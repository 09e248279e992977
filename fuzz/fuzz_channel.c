/*
 * fuzz_channel.c - what srun does with the bytes a node sends over the
 * job channel. Anyone who can reach srun's port can send them, so the
 * verifier and the decoder behind it must hold against any input.
 *
 * Each input is used twice:
 *  1. as a whole message, through channel_verify() with a fixed key. A
 *     mutated message almost never carries a valid HMAC, so this explores
 *     the header parser (magic, hex signature, length, newline, limits);
 *  2. as a payload, signed with the same key by channel_frame(). The
 *     verifier must accept that frame, hand back exactly the payload and
 *     refuse it under another key; the payload then goes to
 *     node_report_from_json() as it does in channel_collect(). This is how
 *     the fuzzer reaches the decoder behind the signature.
 */
#include "config.h"

#include <string.h>

#include "channel.h"
#include "report.h"
#include "fuzz.h"

/* Any 32-byte key will do; it is fixed so that the seed frames in
 * fuzz/corpus/channel (made with this key) verify. */
static const char _key[CHANNEL_KEY_HEX] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char _other_key[CHANNEL_KEY_HEX] =
    "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* channel_collect's next step: a verified payload becomes a report. */
static void _decode(const char *payload, size_t len)
{
	char err[256];
	struct node_report *r = node_report_from_json(payload, len, err, sizeof(err));

	FUZZ_ASSERT(r || err[0]);
	node_report_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan then catches a read past the end. */
	char *msg = malloc(size ? size : 1);
	char err[256];
	size_t off = 0, plen = 0, flen = 0;
	char *frame;

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	err[0] = '\0';
	if (channel_verify(_key, msg, size, &off, &plen, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(off <= size && plen == size - off);
		_decode(msg + off, plen);
	} else {
		FUZZ_ASSERT(err[0]);
	}

	frame = channel_frame(_key, msg, size, &flen);
	if (frame) {
		FUZZ_ASSERT(channel_verify(_key, frame, flen, &off, &plen, err, sizeof(err)) == 0);
		FUZZ_ASSERT(plen == size && off + plen == flen);
		FUZZ_ASSERT(size == 0 || memcmp(frame + off, msg, size) == 0);
		_decode(frame + off, plen);
		FUZZ_ASSERT(channel_verify(_other_key, frame, flen, &off, &plen, err, sizeof(err)) <
			    0);
		free(frame);
	} else {
		FUZZ_ASSERT(size > CHANNEL_MAX_PAYLOAD);
	}
	free(msg);
	return 0;
}
