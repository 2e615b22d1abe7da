/* SHA-256 digests as hex (see hexdigest.c). */
#ifndef CUT_HEXDIGEST_H
#define CUT_HEXDIGEST_H

#define SHA256_HEX_LEN 64	/* hex digits of a SHA-256; buffers add 1 for the NUL */

/* Value of one hex digit (either case), or -1. */
int hex_digit(int c);
/* Lower-case hex of a SHA-256 into out[SHA256_HEX_LEN + 1]. */
void sha256_hex(const unsigned char sha[32], char out[SHA256_HEX_LEN + 1]);
/* Parse 64 hex digits; 0 or CUT_ERR_CHECKSUM when malformed. */
int sha256_parse(const char *hex, unsigned char sha[32]);

#endif
