/*
 * known_hosts with OpenSSH's semantics (knownhosts.h); the file is read
 * and indexed once per run (knownhosts-file.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "knownhosts.h"
#include "knownhosts-file.h"

#define KH_NAMES_MAX	4

/* Case-insensitive glob of pat (plen bytes) against s: * and ?, as OpenSSH's match_pattern. */
static int
glob_match(const char *pat, size_t plen, const char *s)
{
	size_t p = 0, star = (size_t)-1;
	const char *mark = NULL;

	while (*s) {
		if (p < plen && pat[p] == '*') {
			star = p++;
			mark = s;
		} else if (p < plen && (pat[p] == '?' || tolower((unsigned char)pat[p]) == tolower((unsigned char)*s))) {
			p++, s++;
		} else if (star != (size_t)-1) {
			p = star + 1;
			s = ++mark;
		} else
			return 0;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

/* A comma list of patterns: 1 a pattern matches, -1 a !pattern matches (the line is out), 0 none. */
static int
pattern_list_match(const char *list, const char *host)
{
	int got = 0;

	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");
		int neg = *p == '!';

		if (n > (size_t)neg && glob_match(p + neg, n - (size_t)neg, host)) {
			if (neg)
				return -1;
			got = 1;
		}
		p += n + (p[n] == ',');
	}
	return got;
}

/* "|1|base64(salt)|base64(HMAC-SHA1(salt, name))", ssh-keygen -H. */
static int
hashed_match(const char *field, const char *name)
{
	const char *salt = field + 3, *bar = strchr(salt, '|');
	unsigned char s[64], h[64], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (bar == NULL || kh_b64_decode(salt, (size_t)(bar - salt), s, sizeof(s)) != 20 ||
	    kh_b64_decode(bar + 1, strlen(bar + 1), h, sizeof(h)) != 20)
		return 0;
	if (HMAC(EVP_sha1(), s, 20, (const unsigned char *)name, strlen(name), md, &mdlen) == NULL)
		return 0;
	return mdlen == 20 && memcmp(md, h, 20) == 0;
}

static int
hosts_match(const char *hosts, const char lookups[][KH_LOOKUP_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strncmp(hosts, "|1|", 3) == 0 ? hashed_match(hosts, lookups[i]) :
		    pattern_list_match(hosts, lookups[i]) == 1)
			return 1;
	}
	return 0;
}

/* Add type to the method list: rsa keys sign with the SHA-2 methods too. */
static void
add_type(char *types, size_t cap, const char *type)
{
	const char *methods = strcmp(type, "ssh-rsa") == 0 ? "rsa-sha2-512,rsa-sha2-256,ssh-rsa" : type;
	size_t used = strlen(types);

	if (strlen(type) > 60 || strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789@.-") != strlen(type))
		return;
	for (const char *p = types; *p;) {
		size_t n = strcspn(p, ",");

		if (n == strlen(type) && strncmp(p, type, n) == 0)
			return;
		p += n + (p[n] == ',');
	}
	if (used + strlen(methods) + 2 <= cap)
		snprintf(types + used, cap - used, "%s%s", used ? "," : "", methods);
}

/* The type string a key blob starts with. */
static void
blob_type(const unsigned char *key, size_t len, char *out, size_t cap)
{
	uint32_t n;

	out[0] = '\0';
	if (key == NULL || len < 4)
		return;
	n = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
	if (n < cap && n <= len - 4) {
		memcpy(out, key + 4, n);
		out[n] = '\0';
	}
}

/* What one pass over the file has found so far. */
struct pass {
	const char (*lookups)[KH_LOOKUP_MAX];
	size_t n;
	const unsigned char *key;
	size_t keylen;
	struct kh_scan *ks;
	int match, mismatch, ca, revoked;	/* first deciding lines, 0 none */
};

/* One line that may list the host (kh_file_each): ssh's rules for it. */
static int
visit(const struct kh_ent *e, void *arg)
{
	struct pass *ps = arg;

	if (!hosts_match(e->hosts, ps->lookups, ps->n))
		return 0;
	if (e->marker == KH_MRK_CA) {
		ps->ca = ps->ca ? ps->ca : e->line;
		return 0;
	}
	if (e->marker == KH_MRK_REVOKED) {
		if (ps->key && e->bloblen == ps->keylen && memcmp(e->blob, ps->key, e->bloblen) == 0)
			ps->revoked = ps->revoked ? ps->revoked : e->line;
		return 0;
	}
	add_type(ps->ks->types, sizeof(ps->ks->types), e->type);
	if (ps->key && strcmp(e->type, ps->ks->offered) == 0) {
		if (e->bloblen == ps->keylen && memcmp(e->blob, ps->key, e->bloblen) == 0)
			ps->match = ps->match ? ps->match : e->line;
		else
			ps->mismatch = 1;
	}
	return 0;
}

/* One pass over the file's lines for the lookup names; fills ks (types appended). */
static int
scan(const char *file, const char lookups[][KH_LOOKUP_MAX], size_t n, const unsigned char *key,
    size_t keylen, struct kh_scan *ks)
{
	const struct kh_file *f = kh_file_get(file);
	struct pass ps = { lookups, n, key, keylen, ks, 0, 0, 0, 0 };

	if (f == NULL || kh_file_each(f, lookups, n, visit, &ps) != 0) {
		ks->verdict = KH_ERROR;
		return -1;
	}
	ks->verdict = KH_NOTFOUND, ks->line = 0;
	if (ps.revoked)
		ks->verdict = KH_REVOKED, ks->line = ps.revoked;
	else if (ps.match)
		ks->verdict = KH_MATCH, ks->line = ps.match;
	else if (ps.mismatch)
		ks->verdict = KH_MISMATCH;
	else if (ps.ca)
		ks->verdict = KH_CERT_AUTHORITY, ks->line = ps.ca;
	return 0;
}

/* names as ssh looks them up: lower-cased, bracketed with the port unless it is 0 or 22. */
static void
lookup_names(const char *const *names, size_t n, long port, char lookups[][KH_LOOKUP_MAX])
{
	for (size_t i = 0; i < n; i++) {
		if (port == 0 || port == 22)
			snprintf(lookups[i], sizeof(lookups[i]), "%s", names[i]);
		else
			snprintf(lookups[i], sizeof(lookups[i]), "[%s]:%ld", names[i], port);
		for (char *c = lookups[i]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
}

int
kh_scan(const char *file, const char *const *names, size_t n, long port,
    const unsigned char *key, size_t keylen, struct kh_scan *ks)
{
	char lookups[KH_NAMES_MAX][KH_LOOKUP_MAX];
	struct kh_scan plain;

	memset(ks, 0, sizeof(*ks));
	blob_type(key, keylen, ks->offered, sizeof(ks->offered));
	if (n > KH_NAMES_MAX)
		n = KH_NAMES_MAX;
	lookup_names(names, n, port, lookups);
	if (scan(file, (const char (*)[KH_LOOKUP_MAX])lookups, n, key, keylen, ks) != 0)
		return -1;
	if (port == 22 || (ks->verdict != KH_NOTFOUND && ks->verdict != KH_CERT_AUTHORITY))
		return 0;
	/*
	 * ssh's fallback (sshconnect.c, "checking without port identifier"):
	 * no [host]:port key of this type at all, so a plain host line may vouch
	 * for the key, read-only: only an exact match counts; a changed or
	 * revoked plain key leaves the host unknown. A [host]:port line with
	 * another key is a changed key, never rescued by a plain line (libssh2
	 * 1.10 does rescue it).
	 */
	memset(&plain, 0, sizeof(plain));
	snprintf(plain.offered, sizeof(plain.offered), "%s", ks->offered);
	lookup_names(names, n, 22, lookups);
	if (scan(file, (const char (*)[KH_LOOKUP_MAX])lookups, n, key, keylen, &plain) != 0)
		return -1;
	if (ks->types[0] == '\0')
		memcpy(ks->types, plain.types, sizeof(ks->types));
	if (plain.verdict == KH_MATCH)
		ks->verdict = KH_MATCH, ks->line = plain.line;
	return 0;
}
