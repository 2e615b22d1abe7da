/*
 * SHA-256 digests as the journal, the wire and the command line show them:
 * 64 lower-case hex digits. Shared by the agent, the coordinator and tests.
 */
#include "config.h"

#include <string.h>

#include "err.h"
#include "hexdigest.h"

/* Digests are shown and compared as lower-case hex. */
void
sha256_hex(const unsigned char sha[32], char out[SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 0xf];
	}
	out[64] = '\0';
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A --sha256 argument: exactly 64 hex digits, either case. */
int
sha256_parse(const char *hex, unsigned char sha[32])
{
	int i;

	if (hex == NULL || strnlen(hex, 65) != 64)
		return CUT_ERR_CHECKSUM;
	for (i = 0; i < 32; i++) {
		int hi = hex_digit(hex[2 * i]);
		int lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return CUT_ERR_CHECKSUM;
		sha[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
