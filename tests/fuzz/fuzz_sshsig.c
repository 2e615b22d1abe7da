/*
 * libFuzzer target for the signature parsers (cutover-agent(8),
 * SIGNATURES): agent/sshsig.c and agent/signers.c. The first byte picks
 * what the rest is:
 *   even: the armored text of a signature (sshsig_parse, then a verify
 *         that must fail: the digest is of nothing signed);
 *   odd:  a raw SSHSIG blob, armored here, so the fuzzer reaches the blob
 *         fields without having to keep base64 intact.
 * The rest is also read as an allowed_signers file and as a
 * revoked_signers file, looked up with the parsed key when there is one.
 *
 * Checks beyond "no crash, no sanitizer report": every refusal gives one
 * non-empty line; a file error names FILE:LINE or FILE.
 * Seeds: tests/fuzz/corpus-sshsig (signatures made by ssh-keygen -Y sign).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "signers.h"
#include "sshsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];

static void
check_why(int r, const char *why, int file)
{
	if (r == CUT_OK)
		return;
	if (why[0] == '\0' || strchr(why, '\n') != NULL ||
	    (file && strncmp(why, path, strlen(path)) != 0)) {
		fprintf(stderr, "fuzz_sshsig: bad error message \"%s\"\n", why);
		abort();
	}
}

/* The blob as ssh-keygen would armor it. */
static char *
armor(const uint8_t *blob, size_t len)
{
	size_t b64 = 4 * ((len + 2) / 3);
	char *out = malloc(b64 + 128);	/* EVP_EncodeBlock writes b64 bytes and a NUL */
	int n;

	if (out == NULL)
		return NULL;
	strcpy(out, "-----BEGIN SSH SIGNATURE-----\n");
	n = EVP_EncodeBlock((unsigned char *)out + strlen(out), blob, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	strcat(out, "\n-----END SSH SIGNATURE-----\n");
	return out;
}

static void
signers(const uint8_t *data, size_t size, const struct sshsig *s)
{
	static const unsigned char dummy[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9' };
	struct signer_query q = { .key = dummy, .keylen = sizeof(dummy), .fingerprint = "SHA256:x",
	    .ns = SSHSIG_NAMESPACE, .now = 1700000000 };
	char why[512] = "", principals[512];
	FILE *f = fopen(path, "w");
	int r;

	if (f == NULL)
		return;
	fwrite(data, 1, size, f);
	fclose(f);
	if (s->key != NULL) {
		q.key = s->key;
		q.keylen = s->keylen;
		q.fingerprint = s->fingerprint;
	}
	r = signers_allowed(path, &q, principals, sizeof(principals), why, sizeof(why));
	check_why(r, why, r == CUT_ERR_CONFIG);
	why[0] = '\0';
	r = signers_revoked(path, &q, why, sizeof(why));
	check_why(r, why, r == CUT_ERR_CONFIG);
	/* By fingerprint, as the have=true shortcut looks a key up. */
	q.key = NULL;
	why[0] = '\0';
	r = signers_allowed(path, &q, principals, sizeof(principals), why, sizeof(why));
	check_why(r, why, r == CUT_ERR_CONFIG);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshsig s;
	unsigned char h[64] = { 0 };
	char why[512] = "", *text;
	int r;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/fuzz-signers.%ld",
		    getenv("FUZZ_SCRATCH") ? getenv("FUZZ_SCRATCH") : "/tmp", (long)getpid());
	if (size < 1 || size > SSHSIG_TEXT_MAX)
		return 0;
	if (data[0] & 1) {
		if ((text = armor(data + 1, size - 1)) == NULL)
			return 0;
	} else {
		if ((text = malloc(size)) == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
	}
	r = sshsig_parse(text, strlen(text), SSHSIG_NAMESPACE, &s, why, sizeof(why));
	check_why(r, why, 0);
	if (r == CUT_OK) {
		why[0] = '\0';
		r = sshsig_verify(&s, h, (size_t)EVP_MD_get_size(sshsig_md(&s)), why, sizeof(why));
		if (r == CUT_OK) {
			fprintf(stderr, "fuzz_sshsig: a signature verified over a zero digest\n");
			abort();
		}
		check_why(r, why, 0);
	}
	signers(data + 1, size - 1, &s);
	sshsig_free(&s);
	free(text);
	unlink(path);
	return 0;
}
