/*
 * The allowed_signers and revoked_signers files of an app (cutover-agent.ini(5)):
 * which keys may sign its releases, and which may not any more.
 *
 * allowed_signers has OpenSSH's format (ssh-keygen(1), ALLOWED SIGNERS), one
 * key a line:
 *	PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]
 * OPTIONS: namespaces="PATTERNS" (the key counts only for a namespace they
 * match), valid-after="TIME", valid-before="TIME" (YYYYMMDD[HHMM[SS]], a
 * trailing Z for UTC, else local time), cert-authority (the line is skipped:
 * certificates are not verified). revoked_signers: KEYTYPE BASE64 [COMMENT]
 * a line. In both, blank lines and lines starting with # are skipped, and
 * the whole file is checked on every read: an error on any line is
 * CUT_ERR_CONFIG with "FILE:LINE: why".
 */
#ifndef CUT_SIGNERS_H
#define CUT_SIGNERS_H

#include <stddef.h>
#include <time.h>

#define SIGNERS_LINE_MAX	(16 * 1024)
#define SIGNERS_LINES_MAX	100000

/*
 * What to look for: a wire-format key, or (key NULL) the key whose SHA256:
 * fingerprint is fingerprint; fingerprint is always set (messages name it).
 */
struct signer_query {
	const unsigned char *key;
	size_t keylen;
	const char *fingerprint;
	const char *ns;		/* the namespace the signature is for */
	time_t now;
};

/*
 * Is the key listed for ns and valid at now? CUT_OK with principals (the
 * principals of every line that allows it, comma-separated), or
 * CUT_ERR_BAD_ARCHIVE with why (not listed; listed only for other
 * namespaces; outside its validity), or CUT_ERR_CONFIG (file error).
 */
int signers_allowed(const char *file, const struct signer_query *q, char *principals,
    size_t plen, char *why, size_t whylen);
/* CUT_OK when the key is not in the revoked file, CUT_ERR_BAD_ARCHIVE when it is, or CUT_ERR_CONFIG. */
int signers_revoked(const char *file, const struct signer_query *q, char *why, size_t whylen);
/* Check a whole file; CUT_OK or CUT_ERR_CONFIG. revoked: the revoked_signers format. */
int signers_check(const char *file, int revoked, char *why, size_t whylen);

#endif
