/*
 * The signature policy of an install; see sigcheck.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "sigcheck.h"
#include "signers.h"

/*
 * The byte_source sc.src: the inner source's bytes, hashed as they pass
 * when a signature is being verified. The inner source is looked at only
 * here, so it may be set up after sigcheck_begin (a URL's fetch starts
 * after the install's begin record).
 */
static ssize_t
hashing_read(void *ctx, const void **buf)
{
	struct sigcheck *sc = ctx;
	ssize_t n = sc->inner->read(sc->inner->ctx, buf);

	if (sc->active && n > 0 && EVP_DigestUpdate(sc->md, *buf, (size_t)n) != 1)
		sc->md_failed = 1;
	return n;
}

/* Revoked first: a revoked key is refused whatever allowed_signers says. */
static int
key_policy(const struct app_conf *conf, const struct signer_query *q, char *principals,
    size_t plen, char *why, size_t whylen)
{
	int r;

	if (conf->revoked_signers != NULL && conf->revoked_signers[0] != '\0' &&
	    (r = signers_revoked(conf->revoked_signers, q, why, whylen)) != CUT_OK)
		return r;
	return signers_allowed(conf->allowed_signers, q, principals, plen, why, whylen);
}

int
sigcheck_begin(struct sigcheck *sc, const struct app_conf *conf, const char *text,
    const struct byte_source *src, char *why, size_t whylen)
{
	struct signer_query q = { .ns = SSHSIG_NAMESPACE, .now = time(NULL) };
	int r;

	memset(sc, 0, sizeof(*sc));
	sc->inner = src;
	sc->src.read = hashing_read;
	sc->src.ctx = sc;
	if (text == NULL || text[0] == '\0') {
		if (!conf->require_signature)
			return CUT_OK;
		snprintf(why, whylen, "no signature, and require_signature is set: sign the archive "
		    "with ssh-keygen -Y sign -n %s and ship ARCHIVE.sig with it", SSHSIG_NAMESPACE);
		return CUT_ERR_BAD_ARCHIVE;
	}
	if (conf->allowed_signers == NULL || conf->allowed_signers[0] == '\0')
		return CUT_OK;	/* nothing to check it against: cutover-agent(8), SIGNATURES */
	if ((r = sshsig_parse(text, strlen(text), SSHSIG_NAMESPACE, &sc->sig, why, whylen)) != CUT_OK)
		return r;
	q.key = sc->sig.key;
	q.keylen = sc->sig.keylen;
	q.fingerprint = sc->sig.fingerprint;
	if ((r = key_policy(conf, &q, sc->principals, sizeof(sc->principals), why, whylen)) != CUT_OK) {
		sshsig_free(&sc->sig);
		return r;
	}
	if ((sc->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(sc->md, sshsig_md(&sc->sig), NULL) != 1) {
		snprintf(why, whylen, "signature: cannot start %s", sc->sig.hashalg);
		sigcheck_free(sc);
		return CUT_ERR_ALLOC;
	}
	sc->active = 1;
	return CUT_OK;
}

int
sigcheck_end(struct sigcheck *sc, char *why, size_t whylen)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;

	if (!sc->active)
		return CUT_OK;
	if (sc->md_failed || EVP_DigestFinal_ex(sc->md, h, &hlen) != 1) {
		snprintf(why, whylen, "signature: cannot compute %s of the archive", sc->sig.hashalg);
		return CUT_ERR_INTERNAL;
	}
	if (sshsig_verify(&sc->sig, h, hlen, why, whylen) != CUT_OK)
		return CUT_ERR_BAD_ARCHIVE;
	sc->verified = 1;
	return CUT_OK;
}

void
sigcheck_to_kv(const struct sigcheck *sc, struct kvlist *kv)
{
	if (!sc->verified)
		return;
	kv_add(kv, "signed_by", sc->principals);
	kv_add(kv, "signature_key", sc->sig.fingerprint);
}

void
sigcheck_free(struct sigcheck *sc)
{
	EVP_MD_CTX_free(sc->md);
	sc->md = NULL;
	sshsig_free(&sc->sig);
	sc->active = 0;
}

/* A source that is never read: sigcheck_installed checks a signature's key only. */
static ssize_t
no_read(void *ctx, const void **buf)
{
	(void)ctx;
	*buf = NULL;
	return 0;
}

int
sigcheck_installed(const struct app_conf *conf, const char *id, const char *fingerprint,
    const char *text, char *why, size_t whylen)
{
	struct signer_query q = { .fingerprint = fingerprint, .ns = SSHSIG_NAMESPACE,
	    .now = time(NULL) };
	char principals[SIGCHECK_PRINCIPALS_MAX];
	struct byte_source none = { no_read, NULL };
	struct sigcheck sc;

	/* A signature sent along is still refused for its key, namespace or form. */
	if (text != NULL && text[0] != '\0') {
		int r = sigcheck_begin(&sc, conf, text, &none, why, whylen);

		sigcheck_free(&sc);
		if (r != CUT_OK)
			return r;
	}
	if (!conf->require_signature)
		return CUT_OK;
	if (fingerprint == NULL || fingerprint[0] == '\0') {
		snprintf(why, whylen, "release %s is installed, but without a verified signature "
		    "(require_signature): remove it, or deploy the signed archive as a new release ID", id);
		return CUT_ERR_BAD_ARCHIVE;
	}
	return key_policy(conf, &q, principals, sizeof(principals), why, whylen);
}
