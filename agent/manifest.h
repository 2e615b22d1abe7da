/*
 * The release manifest: an optional cutover-release.ini at the top of an
 * archive (cutover-agent(8), "RELEASE MANIFEST"), and the migration guard
 * built on its schema numbers.
 *
 *	[release]
 *	version = 1.4.2
 *	commit = 3f2c9e1
 *	committed_at = 2026-11-30T10:12:00Z
 *	schema = 5
 *	compatible_from = 4
 *
 * Install reads it from the staged tree (manifest_read), journals its
 * fields with the install (manifest_to_kv); the state replay takes them
 * back (manifest_from_kv) and keeps, per app, the highest schema ever
 * activated and that schema's compatible_from: the floor below which a
 * switch is refused (schema_guard).
 */
#ifndef CUT_MANIFEST_H
#define CUT_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#include "kv.h"

#define MANIFEST_FILE "cutover-release.ini"
#define MANIFEST_MAX_BYTES 65536
#define MANIFEST_VALUE_MAX 64
#define SCHEMA_MAX 2000000000LL

struct manifest {
	int present;			/* the archive had one */
	int has_schema;			/* schema (and so compatible_from) known */
	char version[MANIFEST_VALUE_MAX + 1];
	char commit[MANIFEST_VALUE_MAX + 1];
	char committed_at[32];		/* as written, validated RFC 3339 */
	long long committed_ms;		/* committed_at as Unix ms; 0 unknown */
	long long schema;
	long long compatible_from;	/* defaults to schema */
};

/*
 * Read dirfd/cutover-release.ini. CUT_OK with m->present 0 when there is
 * none; CUT_ERR_BAD_ARCHIVE with "cutover-release.ini:LINE: reason" in why
 * when it is unreadable, not a regular file, too big or invalid.
 */
int manifest_read(int dirfd, struct manifest *m, char *why, size_t whylen);
/* Its fields as journal record fields (only those present). */
int manifest_to_kv(const struct manifest *m, struct kvlist *rec);
/* The fields back from a journal record (an install's end). */
void manifest_from_kv(struct manifest *m, const struct kvlist *rec);
/* In a hook's child: CUTOVER_VERSION, _COMMIT, _COMMITTED_AT, _SCHEMA, _COMPATIBLE_FROM. */
void manifest_setenv(const struct manifest *m);

struct state;
/*
 * The migration guard: 0 when switching to release id is allowed, 1 when
 * its schema is below the applied schema's compatible_from (why says so,
 * naming both schemas). Releases without a schema are never refused.
 */
int schema_guard(const struct state *st, const char *id, char *why, size_t whylen);
/* status: the "schema:" line of the text and the schema_* result fields. */
void schema_status_text(FILE *m, const struct state *st, const char *prev);
void schema_status_fields(struct kvlist *res, const struct state *st, const char *prev);

#endif
