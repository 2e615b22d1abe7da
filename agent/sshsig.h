/*
 * OpenSSH signatures (`ssh-keygen -Y sign`, the SSHSIG format) checked with
 * libcrypto alone: cutover-agent(8), SIGNATURES.
 *
 *	struct sshsig s;
 *	char why[256];
 *	r = sshsig_parse(text, strlen(text), SSHSIG_NAMESPACE, &s, why, sizeof(why));
 *	EVP_DigestInit(ctx, sshsig_md(&s)); ... every archive byte ...
 *	r = sshsig_verify(&s, digest, digestlen, why, sizeof(why));
 *	sshsig_free(&s);
 *
 * sshsig_parse takes the armored text (-----BEGIN SSH SIGNATURE----- ...),
 * checks every length and field (version 1, the namespace, sha256|sha512,
 * a public key of a supported type, a signature of that key's type) and
 * loads the key; every failure is CUT_ERR_BAD_ARCHIVE with one line in why.
 * Supported keys: ssh-ed25519, ecdsa-sha2-nistp256/384/521, and ssh-rsa of
 * 2048 to 16384 bits signing with rsa-sha2-256 or rsa-sha2-512.
 */
#ifndef CUT_SSHSIG_H
#define CUT_SSHSIG_H

#include <stddef.h>

#include <openssl/evp.h>

#define SSHSIG_NAMESPACE	"cutover"
#define SSHSIG_TEXT_MAX		(64 * 1024)	/* armored text */
#define SSHSIG_FIELD_MAX	(16 * 1024)	/* any one field of the blob */
/* "SHA256:" + 43 base64 characters + NUL */
#define SSHSIG_FP_LEN		51
#define SSHSIG_TYPE_MAX		64

struct sshsig {
	unsigned char *blob;		/* the decoded signature blob (owned) */
	size_t bloblen;
	const unsigned char *key;	/* its public key, wire format (into blob) */
	size_t keylen;
	const unsigned char *ns, *reserved;	/* into blob, for the signed data */
	size_t nslen, reservedlen;
	char keytype[SSHSIG_TYPE_MAX];	/* "ssh-ed25519", ... */
	char hashalg[8];		/* "sha256" or "sha512" */
	char fingerprint[SSHSIG_FP_LEN];	/* of key: SHA256:... */
	EVP_PKEY *pkey;
	unsigned char *sig;		/* raw ed25519 signature or DER ECDSA-Sig (owned) */
	size_t siglen;
	const EVP_MD *sigmd;		/* NULL for ed25519 */
};

int sshsig_parse(const char *text, size_t len, const char *ns, struct sshsig *s,
    char *why, size_t whylen);
void sshsig_free(struct sshsig *s);
/* The digest the message is hashed with (the signature's hash_algorithm). */
const EVP_MD *sshsig_md(const struct sshsig *s);
/* CUT_OK when s signs the message whose sshsig_md digest is h; else CUT_ERR_BAD_ARCHIVE. */
int sshsig_verify(const struct sshsig *s, const unsigned char *h, size_t hlen,
    char *why, size_t whylen);

/* SHA256:base64 (no padding) of a wire-format public key, as ssh-keygen -l prints it. */
void sshkey_fingerprint(const unsigned char *key, size_t keylen, char out[SSHSIG_FP_LEN]);
/*
 * Decode base64 (whitespace skipped) into a fresh buffer; CUT_OK, or
 * CUT_ERR_BAD_ARCHIVE on a character outside the alphabet or bad padding.
 */
int sshsig_base64(const char *in, size_t inlen, unsigned char **out, size_t *outlen);
/* The key type a wire-format key names (its first string); CUT_OK or CUT_ERR_BAD_ARCHIVE. */
int sshkey_type(const unsigned char *key, size_t keylen, char type[SSHSIG_TYPE_MAX]);

#endif
