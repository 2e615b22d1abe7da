/*
 * An app's signature policy applied to one install: cutover-agent(8),
 * SIGNATURES, and the allowed_signers, revoked_signers and
 * require_signature keys of cutover-agent.ini(5).
 *
 *	struct sigcheck sc;
 *	r = sigcheck_begin(&sc, &app->conf, signature_text_or_NULL, src, why, whylen);
 *	... read the archive through sc.src (unpack_archive or hash_source) ...
 *	r = sigcheck_end(&sc, why, whylen);	// before the release is committed
 *	sigcheck_to_kv(&sc, &journal_record);
 *	sigcheck_free(&sc);
 *
 * sigcheck_begin decides before any archive byte is read: no signature
 * under require_signature, a malformed one, one in another namespace, by a
 * revoked key or by a key allowed_signers does not list for "cutover" now:
 * CUT_ERR_BAD_ARCHIVE (exit 3) with one line in why; a broken
 * allowed_signers or revoked_signers file: CUT_ERR_CONFIG ("FILE:LINE: why").
 * A signature given to an app without allowed_signers is not checked. The
 * message digest (the signature's sha256 or sha512) is taken from sc.src
 * as the archive streams by, so the bytes are read once.
 */
#ifndef CUT_SIGCHECK_H
#define CUT_SIGCHECK_H

#include <openssl/evp.h>

#include "agent_conf.h"
#include "kv.h"
#include "source.h"
#include "sshsig.h"

#define SIGCHECK_PRINCIPALS_MAX	512

struct sigcheck {
	int active;			/* a signature is being verified */
	int verified;			/* sigcheck_end said yes */
	struct sshsig sig;
	EVP_MD_CTX *md;
	int md_failed;
	const struct byte_source *inner;
	struct byte_source src;		/* read the archive through this */
	char principals[SIGCHECK_PRINCIPALS_MAX];
};

int sigcheck_begin(struct sigcheck *sc, const struct app_conf *conf, const char *text,
    const struct byte_source *src, char *why, size_t whylen);
/* After the stream's end: CUT_OK (also when inactive) or CUT_ERR_BAD_ARCHIVE. */
int sigcheck_end(struct sigcheck *sc, char *why, size_t whylen);
/* When verified: signed_by (the principals) and signature_key (SHA256:...). */
void sigcheck_to_kv(const struct sigcheck *sc, struct kvlist *kv);
void sigcheck_free(struct sigcheck *sc);
/*
 * May release id, already installed, stand in for a signed install (the
 * have=true shortcut, which reads no bytes)? A signature text sent along
 * (or NULL) must pass sigcheck_begin's checks; under require_signature the
 * release's install must have verified a signature (fingerprint, from the
 * journal; "" none) by a key allowed_signers still allows and
 * revoked_signers does not list. CUT_OK, CUT_ERR_BAD_ARCHIVE or
 * CUT_ERR_CONFIG with why.
 */
int sigcheck_installed(const struct app_conf *conf, const char *id, const char *fingerprint,
    const char *text, char *why, size_t whylen);

#endif
