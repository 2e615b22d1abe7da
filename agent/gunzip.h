/*
 * The agent's own gzip decoder (RFC 1952) over zlib's raw inflate, used by
 * unpack.c instead of libarchive's gzip filter:
 *
 *	struct gunzip *g = gunzip_new(pull, ctx);
 *	while ((n = gunzip_read(g, &buf)) > 0)
 *		... n decompressed bytes at buf ...
 *	n == 0: every member ended with a matching CRC-32 and ISIZE
 *	n == GUNZIP_ERR_DATA: corrupt or hostile; gunzip_error(g) says why
 *	n == GUNZIP_ERR_SOURCE: pull() failed; its owner knows why
 *	gunzip_free(g);
 *
 * Why our own: memory stays bounded whatever the header says (optional
 * fields are skipped as they stream by, never buffered, and have caps:
 * libarchive 3.6's filter can be driven to allocate without bound by one
 * header, issue 14), and every member's CRC-32 and length are checked
 * (libarchive's filter checks neither). Costs one inflate pass, like any
 * gzip reader: the CRC is computed on the output as it is produced.
 *
 * Members follow each other (gzip -c a b > ab.gz); bytes after the last
 * member that do not start another one end the stream (trailing padding,
 * as gzip(1) allows), and are left to the caller, which hashes them.
 */
#ifndef CUT_GUNZIP_H
#define CUT_GUNZIP_H

#include <stddef.h>
#include <sys/types.h>

#define GUNZIP_ERR_DATA		(-1)
#define GUNZIP_ERR_SOURCE	(-2)

/* Caps on the header's zero-terminated fields (skipped, never stored). */
#define GUNZIP_NAME_MAX		4096
#define GUNZIP_COMMENT_MAX	65536

/* Next raw bytes: > 0, 0 at the end, < 0 on error (the owner keeps why). */
typedef ssize_t (*gunzip_pull_fn)(void *ctx, const unsigned char **buf);

struct gunzip;

/* NULL when out of memory. */
struct gunzip *gunzip_new(gunzip_pull_fn pull, void *ctx);
ssize_t gunzip_read(struct gunzip *g, const void **buf);
/* The reason for the last GUNZIP_ERR_DATA, one line. */
const char *gunzip_error(const struct gunzip *g);
/* Bytes of raw input left unread after the last member (junk), in the last pull. */
size_t gunzip_leftover(const struct gunzip *g);
void gunzip_free(struct gunzip *g);

#endif
