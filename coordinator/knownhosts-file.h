/*
 * A known_hosts file read once per run into memory (knownhosts.c decides
 * what its lines mean): one entry per key line, its key decoded, and an
 * index from plain host names to the lines that list them, so checking N
 * hosts against a file of N lines costs N lookups, not N^2 line parses.
 * Lines the index cannot answer for (hashed |1| names, * and ? patterns,
 * !negations) are offered to every lookup, as ssh(1) reads them.
 *
 *	const struct kh_file *f = kh_file_get(path);      // NULL: errno says why
 *	kh_file_each(f, names, n, fn, arg);   // fn for each line that may match, in file order
 *
 * The file is read again when its size, mtime or inode changed since.
 */
#ifndef CUT_KNOWNHOSTS_FILE_H
#define CUT_KNOWNHOSTS_FILE_H

#include <stddef.h>

#define KH_LOOKUP_MAX	300	/* a lookup name: "[host]:port", lower-cased */

enum kh_marker { KH_MRK_NONE, KH_MRK_REVOKED, KH_MRK_CA, KH_MRK_OTHER };

struct kh_ent {
	int line;		/* 1-based line number in the file */
	enum kh_marker marker;
	const char *hosts;	/* the host pattern field as written */
	const char *type;	/* the key type field */
	const unsigned char *blob;	/* the decoded key */
	size_t bloblen;		/* 0 when the base64 was malformed */
};

struct kh_file;

/* The file at path, read and indexed on first use (and after it changed). */
const struct kh_file *kh_file_get(const char *path);
/*
 * Call fn(entry, arg) for every line that may list one of the n lookup
 * names (lower-cased), in file order; fn still checks the patterns. A
 * non-zero return from fn stops the walk and is returned. -1: no memory.
 */
int kh_file_each(const struct kh_file *f, const char lookups[][KH_LOOKUP_MAX], size_t n,
    int (*fn)(const struct kh_ent *e, void *arg), void *arg);
/* Standard base64 into out; the decoded length, 0 when malformed or too long. */
size_t kh_b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap);

#endif
