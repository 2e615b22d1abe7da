/*
 * Safe, streaming extraction of a release archive into a staging directory.
 *
 *	struct unpack_limits lim = { .max_entries = ..., .max_bytes = ... };
 *	struct unpack_stats st;
 *	char why[512];
 *	r = unpack_archive(&src, stagingfd, &lim, sink, &st, why, sizeof(why));
 *
 * Reads the source once, computing the SHA-256 of the raw archive bytes as
 * they go by (so it equals `sha256sum ARCHIVE`). Accepts tar (plain, gzip,
 * xz, zstd, bzip2) and zip (also behind a self-extractor's stub). gzip is
 * decoded by gunzip.c (bounded memory, CRC-32 and length of every member
 * checked, to the last trailer even after the tar's end). A zip is spooled
 * into an unnamed file in destfd and read from its central directory
 * (modes, symlinks, UTF-8 names). Names are read in a UTF-8 LC_CTYPE
 * (this thread only), so UTF-8 names round-trip byte-exactly. Refuses,
 * with CUT_ERR_BAD_ARCHIVE and a one-line reason naming the member in `why`:
 *   - paths that are absolute or contain "..", or that would be written
 *     through a symlink; symlinks and hard links whose target leaves the tree;
 *   - device nodes, FIFOs, sockets;
 *   - more than max_entries members or max_bytes unpacked bytes;
 *   - truncated or corrupt data (a gzip CRC-32 or length mismatch
 *     included), encrypted members, data beyond a member's declared size;
 *   - compressions other than gzip/xz/zstd/bzip2 and formats other than
 *     tar/zip, named ("compression lz4 is not supported", "7z archives are
 *     not supported"), and anything that is not an archive.
 * Set-uid/set-gid bits are stripped; ownership is not restored.
 *
 * destfd must be a new, empty directory (the staging directory): the only
 * symlinks below it are then the archive's own, which unpack_archive()
 * tracks to refuse any member written through one. The process's working
 * directory is destfd while it runs (fchdir; the agent is single-threaded)
 * and is always restored. Nothing is fsync'ed: the caller syncs the tree.
 *
 * Symlink targets must be relative, with ".." only as leading components
 * and no deeper than the link's own directory ("../lib/x" is fine,
 * "a/../../x" and "/x" are not); zip symlinks follow the same rules.
 *
 * SIGINT/SIGTERM/SIGHUP (interrupt.h) stop it between reads and blocks:
 * CUT_ERR_FAILED, why "interrupted by signal N".
 *
 * Returns 0 (st filled: sha256 valid, a final progress event sent),
 * CUT_ERR_BAD_ARCHIVE (hostile, corrupt, over a cap, not an archive),
 * CUT_ERR_SYSTEM (disk full etc.; errno kept), CUT_ERR_ALLOC, or the
 * source's own error (e.g. CUT_ERR_EOF when an upload stops halfway; why
 * is then "archive stream cut off"). why always says what happened, with
 * the member quoted and control bytes escaped: "\"a/../x\": path escapes
 * the release". On error the caller removes the staging directory and,
 * for a stream, discards the rest of it: the source is drained to its end
 * only on success. unpack_archive never touches anything outside destfd
 * (with lim->dedupe it reads the base tree and hard-links files of it into
 * destfd; it never opens a linked file for writing).
 * Progress events {"event":"unpack","entries":N,"bytes":N} go to sink
 * (may be NULL) every 4 MiB unpacked and at the end.
 */
#ifndef CUT_UNPACK_H
#define CUT_UNPACK_H

#include <stddef.h>

#include "hexdigest.h"
#include "sha256.h"
#include "sink.h"
#include "source.h"

struct dedupe;

struct unpack_limits {
	long long max_entries;	/* members, all types */
	long long max_bytes;	/* sum of regular-file sizes written */
	/*
	 * NULL, or link each regular member identical to the base tree's
	 * file at its path instead of writing it (dedupe.h). Never opens a
	 * linked file for writing: a hard-link member carrying data into one
	 * is refused (CUT_ERR_BAD_ARCHIVE).
	 */
	struct dedupe *dedupe;
};

struct unpack_stats {
	long long entries;
	long long bytes;		/* unpacked bytes (written or linked) */
	long long dedupe_files;		/* regular files linked, not written */
	long long dedupe_bytes;		/* their bytes */
	long long archive_bytes;	/* raw bytes read from the source */
	/* Name bytes hashed checking members against symlink members: at most
	 * the names' total length (one pass each), which tests hold it to. */
	long long link_check_bytes;
	unsigned char sha256[SHA256_LEN];	/* of the raw archive bytes */
};

int unpack_archive(const struct byte_source *src, int destfd,
    const struct unpack_limits *lim, const struct sink *sink,
    struct unpack_stats *st, char *why, size_t whylen);

/*
 * Drain src, computing only its SHA-256 and length (used when the release
 * already exists and we only need to compare checksums).
 */
int hash_source(const struct byte_source *src, unsigned char sha256[SHA256_LEN],
    long long *bytes);

#endif
