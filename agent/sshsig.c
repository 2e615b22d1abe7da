/*
 * The SSHSIG signature format of OpenSSH (`ssh-keygen -Y sign`): the armor,
 * the blob and the signed data, read with the bounded buffer of proto/buf.h
 * and verified with libcrypto. Layouts: proto/PROTOCOL section 13; what is
 * checked and why: cutover-agent(8), SIGNATURES.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include "buf.h"
#include "err.h"
#include "escape.h"
#include "sshsig.h"

#define ARMOR_BEGIN	"-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END	"-----END SSH SIGNATURE-----"
#define MAGIC		"SSHSIG"
#define MAGIC_LEN	6
#define SIG_VERSION	1
#define ED25519_KEY_LEN	32
#define ED25519_SIG_LEN	64
#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	16384

/* The ECDSA curves: SSH name, curve id in the key, OpenSSL group, digest, point size. */
static const struct curve {
	const char *type, *id, *group;
	const EVP_MD *(*md)(void);
	size_t point;	/* 0x04 || X || Y */
} curves[] = {
	{ "ecdsa-sha2-nistp256", "nistp256", "prime256v1", EVP_sha256, 65 },
	{ "ecdsa-sha2-nistp384", "nistp384", "secp384r1", EVP_sha384, 97 },
	{ "ecdsa-sha2-nistp521", "nistp521", "secp521r1", EVP_sha512, 133 },
};

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return CUT_ERR_BAD_ARCHIVE;
}

static int
b64char(int c)
{
	/* Not isalnum(): unpacking may run in a UTF-8 locale. */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/';
}

int
sshsig_base64(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	char *clean;
	size_t n = 0, pad = 0;
	int got;

	*out = NULL;
	*outlen = 0;
	if ((clean = malloc(inlen + 1)) == NULL)
		return CUT_ERR_ALLOC;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		/* '=' only as the last one or two characters. */
		if (c == '=' ? ++pad > 2 : (pad > 0 || !b64char(c))) {
			free(clean);
			return CUT_ERR_BAD_ARCHIVE;
		}
		clean[n++] = (char)c;
	}
	if (n == 0 || n % 4 != 0 || n > INT32_MAX) {
		free(clean);
		return CUT_ERR_BAD_ARCHIVE;
	}
	if ((*out = malloc(n / 4 * 3)) == NULL) {
		free(clean);
		return CUT_ERR_ALLOC;
	}
	got = EVP_DecodeBlock(*out, (const unsigned char *)clean, (int)n);
	free(clean);
	if (got < 0 || (size_t)got < pad) {
		free(*out);
		*out = NULL;
		return CUT_ERR_BAD_ARCHIVE;
	}
	*outlen = (size_t)got - pad;	/* EVP_DecodeBlock counts the padding as bytes */
	return CUT_OK;
}

void
sshkey_fingerprint(const unsigned char *key, size_t keylen, char out[SSHSIG_FP_LEN])
{
	unsigned char md[32];
	unsigned char b64[48];
	unsigned int mdlen = 0;
	int n;

	strcpy(out, "SHA256:");
	if (EVP_Digest(key, keylen, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		strcpy(out, "SHA256:?");
		return;
	}
	n = EVP_EncodeBlock(b64, md, 32);	/* 44 characters, the last one '=' */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	memcpy(out + 7, b64, (size_t)n);
	out[7 + n] = '\0';
}

/*
 * A name field (key type, hash algorithm) into a C string: printable
 * ASCII only, as SSH names are, so it can be quoted in a message as is.
 */
static int
get_name(struct buf *b, char *out, size_t cap)
{
	const unsigned char *p;
	size_t len;

	if (buf_get_string_direct(b, &p, &len, cap - 1) != CUT_OK)
		return CUT_ERR_BAD_ARCHIVE;
	for (size_t i = 0; i < len; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return CUT_ERR_BAD_ARCHIVE;
	memcpy(out, p, len);
	out[len] = '\0';
	return CUT_OK;
}

int
sshkey_type(const unsigned char *key, size_t keylen, char type[SSHSIG_TYPE_MAX])
{
	struct buf b;

	buf_view(&b, key, keylen);
	type[0] = '\0';
	return get_name(&b, type, SSHSIG_TYPE_MAX);
}

static const struct curve *
find_curve(const char *type)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(curves[i].type, type) == 0)
			return &curves[i];
	return NULL;
}

/* The public key of type ("EC", "RSA") that the parameters in bld describe, or NULL. */
static EVP_PKEY *
public_key_from(OSSL_PARAM_BLD *bld, const char *type)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY *pk = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* An ECDSA public key: string curve id, string Q (uncompressed point). */
static EVP_PKEY *
ecdsa_key(struct buf *b, const struct curve *c, const char **err)
{
	const unsigned char *q;
	size_t qlen;
	char id[32];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pk = NULL;

	*err = "malformed ECDSA public key";
	if (get_name(b, id, sizeof(id)) != CUT_OK ||
	    buf_get_string_direct(b, &q, &qlen, SSHSIG_FIELD_MAX) != CUT_OK)
		return NULL;
	if (strcmp(id, c->id) != 0) {
		*err = "ECDSA public key names another curve than its type";
		return NULL;
	}
	if (qlen != c->point || q[0] != 0x04) {
		*err = "ECDSA public key is not an uncompressed point of its curve";
		return NULL;
	}
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) == 1)
		pk = public_key_from(bld, "EC");
	OSSL_PARAM_BLD_free(bld);
	if (pk == NULL)
		*err = "ECDSA public key is not a point on its curve";
	return pk;
}

/* An SSH mpint that must be positive and minimally encoded, into a BIGNUM. */
static BIGNUM *
get_mpint(struct buf *b)
{
	const unsigned char *p;
	size_t len;

	if (buf_get_string_direct(b, &p, &len, RSA_MAX_BITS / 8 + 1) != CUT_OK || len == 0 || (p[0] & 0x80) ||
	    (len > 1 && p[0] == 0 && !(p[1] & 0x80)))
		return NULL;
	return BN_bin2bn(p, (int)len, NULL);
}

/* An RSA public key: mpint e, mpint n; 2048 to 16384 bits. */
static EVP_PKEY *
rsa_key(struct buf *b, const char **err)
{
	BIGNUM *e = get_mpint(b), *n = get_mpint(b);
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pk = NULL;

	*err = "malformed ssh-rsa public key";
	if (e != NULL && n != NULL && (BN_num_bits(n) < RSA_MIN_BITS || BN_num_bits(n) > RSA_MAX_BITS))
		*err = "ssh-rsa key size refused (2048 to 16384 bits)";
	else if (e != NULL && n != NULL && BN_is_odd(e) && !BN_is_one(e) &&
	    (bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pk = public_key_from(bld, "RSA");
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return pk;
}

/* The public key blob into an EVP_PKEY, its whole length used. */
static int
load_key(struct sshsig *s, char *why, size_t whylen)
{
	struct buf b;
	const unsigned char *raw;
	size_t rawlen;
	const struct curve *c;
	const char *err = "malformed public key";

	buf_view(&b, s->key, s->keylen);
	if (get_name(&b, s->keytype, sizeof(s->keytype)) != CUT_OK)
		return fail(why, whylen, "signature: malformed public key");
	if (strcmp(s->keytype, "ssh-ed25519") == 0) {
		if (buf_get_string_direct(&b, &raw, &rawlen, SSHSIG_FIELD_MAX) != CUT_OK ||
		    rawlen != ED25519_KEY_LEN)
			return fail(why, whylen, "signature: malformed ssh-ed25519 public key");
		s->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, rawlen);
		err = "cannot load the ssh-ed25519 public key";
	} else if (strcmp(s->keytype, "ssh-rsa") == 0) {
		s->pkey = rsa_key(&b, &err);
	} else if ((c = find_curve(s->keytype)) != NULL) {
		s->pkey = ecdsa_key(&b, c, &err);
		s->sigmd = c->md();
	} else if (strstr(s->keytype, "-cert-v01@openssh.com") != NULL) {
		return fail(why, whylen, "signature made with a certificate (%s): only plain keys "
		    "are verified; list the signing key itself in allowed_signers", s->keytype);
	} else {
		return fail(why, whylen, "signature key type %.64s is not supported (use ssh-ed25519, "
		    "ecdsa-sha2-nistp256/384/521 or ssh-rsa)", s->keytype);
	}
	if (s->pkey == NULL)
		return fail(why, whylen, "signature: %s", err);
	if (buf_len(&b) != 0)
		return fail(why, whylen, "signature: %zu bytes after the %s public key",
		    buf_len(&b), s->keytype);
	return CUT_OK;
}

/* ECDSA's string(mpint r || mpint s) as the DER ECDSA-Sig-Value libcrypto verifies. */
static int
ecdsa_sig(struct sshsig *s, const unsigned char *p, size_t len)
{
	struct buf b;
	BIGNUM *r, *sv = NULL;
	ECDSA_SIG *es;
	unsigned char *der = NULL;
	int n;

	buf_view(&b, p, len);
	if ((r = get_mpint(&b)) == NULL || (sv = get_mpint(&b)) == NULL || buf_len(&b) != 0 ||
	    (es = ECDSA_SIG_new()) == NULL) {
		BN_free(r);
		BN_free(sv);
		return CUT_ERR_BAD_ARCHIVE;
	}
	ECDSA_SIG_set0(es, r, sv);	/* es owns r and sv now */
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return CUT_ERR_BAD_ARCHIVE;
	s->sig = der;
	s->siglen = (size_t)n;
	return CUT_OK;
}

/* A raw signature copied into s->sig, left-padded with zeros to want bytes. */
static int
copy_sig(struct sshsig *s, const unsigned char *raw, size_t rawlen, size_t want)
{
	if ((s->sig = calloc(1, want)) == NULL)
		return CUT_ERR_ALLOC;
	memcpy(s->sig + (want - rawlen), raw, rawlen);
	s->siglen = want;
	return CUT_OK;
}

/* RSA: rsa-sha2-256 or rsa-sha2-512 (never SHA-1), at most the modulus long. */
static int
rsa_sig(struct sshsig *s, const char *type, const unsigned char *raw, size_t rawlen,
    char *why, size_t whylen)
{
	size_t modlen = (size_t)EVP_PKEY_get_size(s->pkey);

	if (strcmp(type, "rsa-sha2-512") == 0)
		s->sigmd = EVP_sha512();
	else if (strcmp(type, "rsa-sha2-256") == 0)
		s->sigmd = EVP_sha256();
	else
		return fail(why, whylen, "signature: a %s signature from an ssh-rsa key (want "
		    "rsa-sha2-256 or rsa-sha2-512)", type);
	if (rawlen == 0 || rawlen > modlen)
		return fail(why, whylen, "signature: %s signature is %zu bytes for a %zu-byte key",
		    type, rawlen, modlen);
	return copy_sig(s, raw, rawlen, modlen);
}

/* The signature field: string type (the key's), string bytes; nothing after. */
static int
load_sig(struct sshsig *s, const unsigned char *p, size_t len, char *why, size_t whylen)
{
	struct buf b;
	char type[SSHSIG_TYPE_MAX];
	const unsigned char *raw;
	size_t rawlen;

	buf_view(&b, p, len);
	if (get_name(&b, type, sizeof(type)) != CUT_OK ||
	    buf_get_string_direct(&b, &raw, &rawlen, SSHSIG_FIELD_MAX) != CUT_OK || buf_len(&b) != 0)
		return fail(why, whylen, "signature: malformed signature field");
	if (strcmp(s->keytype, "ssh-rsa") == 0)
		return rsa_sig(s, type, raw, rawlen, why, whylen);
	if (strcmp(type, s->keytype) != 0)
		return fail(why, whylen, "signature: a %s signature from a %s key", type, s->keytype);
	if (s->sigmd == NULL) {
		if (rawlen != ED25519_SIG_LEN)
			return fail(why, whylen, "signature: ssh-ed25519 signature is %zu bytes, not 64",
			    rawlen);
		return copy_sig(s, raw, rawlen, rawlen);
	}
	if (ecdsa_sig(s, raw, rawlen) != CUT_OK)
		return fail(why, whylen, "signature: malformed %s signature", s->keytype);
	return CUT_OK;
}

/* The armor's base64 body, decoded into s->blob. */
static int
dearmor(const char *text, size_t len, struct sshsig *s, char *why, size_t whylen)
{
	const char *p = text, *end = text + len, *body, *stop;
	size_t blen = strlen(ARMOR_BEGIN), elen = strlen(ARMOR_END);
	int r;

	if (len > SSHSIG_TEXT_MAX)
		return fail(why, whylen, "signature is %zu bytes, more than the %d allowed", len,
		    SSHSIG_TEXT_MAX);
	if (memchr(text, '\0', len) != NULL)
		return fail(why, whylen, "signature contains a NUL byte");
	while (p < end && isspace((unsigned char)*p))
		p++;
	if ((size_t)(end - p) < blen || memcmp(p, ARMOR_BEGIN, blen) != 0)
		return fail(why, whylen, "signature does not start with \"" ARMOR_BEGIN "\"");
	body = p + blen;
	for (stop = body; stop + elen <= end && memcmp(stop, ARMOR_END, elen) != 0; stop++)
		;
	if (stop + elen > end)
		return fail(why, whylen, "signature is cut off: no \"" ARMOR_END "\"");
	for (p = stop + elen; p < end; p++)
		if (!isspace((unsigned char)*p))
			return fail(why, whylen, "signature: text after \"" ARMOR_END "\"");
	r = sshsig_base64(body, (size_t)(stop - body), &s->blob, &s->bloblen);
	if (r == CUT_ERR_BAD_ARCHIVE)
		return fail(why, whylen, "signature: the armored text is not valid base64");
	return r;
}

/* The blob's fields; pointers into s->blob. */
static int
read_blob(struct sshsig *s, const char *ns, char *why, size_t whylen)
{
	struct buf b;
	uint32_t version;
	const unsigned char *sigp;
	size_t siglen;
	int r;

	buf_view(&b, s->blob, s->bloblen);
	if (s->bloblen < MAGIC_LEN || memcmp(s->blob, MAGIC, MAGIC_LEN) != 0)
		return fail(why, whylen, "signature: not an SSHSIG blob (no \"SSHSIG\" magic)");
	(void)buf_consume(&b, MAGIC_LEN);
	if (buf_get_u32(&b, &version) != CUT_OK)
		return fail(why, whylen, "signature: truncated (no version)");
	if (version != SIG_VERSION)
		return fail(why, whylen, "signature: SSHSIG version %u is not supported (only 1)",
		    (unsigned)version);
	if (buf_get_string_direct(&b, &s->key, &s->keylen, SSHSIG_FIELD_MAX) != CUT_OK ||
	    buf_get_string_direct(&b, &s->ns, &s->nslen, SSHSIG_FIELD_MAX) != CUT_OK ||
	    buf_get_string_direct(&b, &s->reserved, &s->reservedlen, SSHSIG_FIELD_MAX) != CUT_OK ||
	    get_name(&b, s->hashalg, sizeof(s->hashalg)) != CUT_OK ||
	    buf_get_string_direct(&b, &sigp, &siglen, SSHSIG_FIELD_MAX) != CUT_OK)
		return fail(why, whylen, "signature: truncated or malformed SSHSIG blob");
	if (buf_len(&b) != 0)
		return fail(why, whylen, "signature: %zu bytes after the SSHSIG blob", buf_len(&b));
	if (s->nslen != strlen(ns) || memcmp(s->ns, ns, s->nslen) != 0) {
		char raw[65], esc[300];

		memcpy(raw, s->ns, s->nslen < 64 ? s->nslen : 64);
		raw[s->nslen < 64 ? s->nslen : 64] = '\0';
		text_escape(raw, esc, sizeof(esc), 64, 1);
		return fail(why, whylen, "signature namespace is \"%s\", not \"%s\" (sign with "
		    "ssh-keygen -Y sign -n %s)", esc, ns, ns);
	}
	if (strcmp(s->hashalg, "sha256") != 0 && strcmp(s->hashalg, "sha512") != 0)
		return fail(why, whylen, "signature hash algorithm \"%s\" is not sha256 or sha512",
		    s->hashalg);
	if ((r = load_key(s, why, whylen)) != CUT_OK)
		return r;
	sshkey_fingerprint(s->key, s->keylen, s->fingerprint);
	return load_sig(s, sigp, siglen, why, whylen);
}

int
sshsig_parse(const char *text, size_t len, const char *ns, struct sshsig *s,
    char *why, size_t whylen)
{
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = dearmor(text, len, s, why, whylen)) == CUT_OK)
		r = read_blob(s, ns, why, whylen);
	if (r == CUT_ERR_ALLOC)
		snprintf(why, whylen, "signature: out of memory");
	if (r != CUT_OK)
		sshsig_free(s);
	return r;
}

void
sshsig_free(struct sshsig *s)
{
	EVP_PKEY_free(s->pkey);
	free(s->sig);
	free(s->blob);
	memset(s, 0, sizeof(*s));
}

const EVP_MD *
sshsig_md(const struct sshsig *s)
{
	return strcmp(s->hashalg, "sha256") == 0 ? EVP_sha256() : EVP_sha512();
}

/* What the key signed: "SSHSIG" string(namespace) string(reserved) string(hash_alg) string(H(message)). */
static int
signed_data(const struct sshsig *s, const unsigned char *h, size_t hlen, struct buf *out)
{
	int r;

	buf_init(out, 4 * SSHSIG_FIELD_MAX + 64);
	if ((r = buf_put(out, MAGIC, MAGIC_LEN)) != CUT_OK ||
	    (r = buf_put_string(out, s->ns, s->nslen)) != CUT_OK ||
	    (r = buf_put_string(out, s->reserved, s->reservedlen)) != CUT_OK ||
	    (r = buf_put_cstring(out, s->hashalg)) != CUT_OK ||
	    (r = buf_put_string(out, h, hlen)) != CUT_OK)
		buf_free(out);
	return r;
}

int
sshsig_verify(const struct sshsig *s, const unsigned char *h, size_t hlen,
    char *why, size_t whylen)
{
	struct buf data;
	EVP_MD_CTX *ctx;
	int ok = 0, r;

	if (s->pkey == NULL || hlen != (size_t)EVP_MD_get_size(sshsig_md(s)))
		return fail(why, whylen, "signature: internal error: no key or wrong digest size");
	if ((r = signed_data(s, h, hlen, &data)) != CUT_OK)
		return r;
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, s->sigmd, NULL, s->pkey) == 1)
		ok = EVP_DigestVerify(ctx, s->sig, s->siglen, buf_ptr(&data), buf_len(&data)) == 1;
	EVP_MD_CTX_free(ctx);
	buf_free(&data);
	if (!ok)
		return fail(why, whylen, "signature by %s %s does not match the archive's bytes",
		    s->keytype, s->fingerprint);
	return CUT_OK;
}
