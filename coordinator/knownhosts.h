/*
 * known_hosts read the way OpenSSH's ssh reads it (sshd(8), "SSH_KNOWN_HOSTS
 * FILE FORMAT"; cutover.ini(5), known_hosts), not the way libssh2 1.10's
 * libssh2_knownhost_checkp does:
 *  - a host on port P other than 22 is looked up as "[host]:P"; only when
 *    no such line has a key of the offered type does a plain "host" line
 *    count, and then only an exact match (ssh's "checking without port
 *    identifier"). A [host]:P line with another key is a changed key even
 *    if a plain line has this one (libssh2_knownhost_checkp accepts that);
 *  - patterns: comma lists, * and ?, !negation, hashed |1|salt|hmac names,
 *    case-insensitive;
 *  - keys are compared by type: the types known for the host become the
 *    session's host key preference before the handshake, so a host known by
 *    its ECDSA key that offers ed25519 first is still checked against ECDSA;
 *  - "@revoked" lines: that key is refused for the hosts they match;
 *  - "@cert-authority" lines: host certificates are not supported, so a host
 *    only they vouch for is refused, saying so.
 *
 *	struct kh_scan ks;
 *	kh_scan(file, names, 2, port, NULL, 0, &ks)   -> ks.types: "ssh-ed25519,..."
 *	kh_scan(file, names, 2, port, key, len, &ks)  -> ks.verdict, ks.line
 */
#ifndef CUT_KNOWNHOSTS_H
#define CUT_KNOWNHOSTS_H

#include <stddef.h>

enum kh_verdict {
	KH_NOTFOUND = 0,	/* no line for the host with the offered key's type */
	KH_MATCH,		/* a plain line has this very key */
	KH_MISMATCH,		/* lines of that type for the host, none with this key */
	KH_REVOKED,		/* an @revoked line for the host has this key */
	KH_CERT_AUTHORITY,	/* only @cert-authority lines match the host */
	KH_ERROR		/* the file cannot be read (errno) */
};

struct kh_scan {
	enum kh_verdict verdict;
	int line;		/* the deciding line (REVOKED, CERT_AUTHORITY, MATCH), 0 none */
	char types[256];	/* host key methods for libssh2_session_method_pref, "" none */
	char offered[64];	/* the offered key's type */
};

/* Scan file for the host known as names[0..n) on port; key NULL: only types. */
int kh_scan(const char *file, const char *const *names, size_t n, long port,
    const unsigned char *key, size_t keylen, struct kh_scan *ks);

#endif
