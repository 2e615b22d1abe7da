/*
 * The app's journal: ROOT/.cutover/journal, append-only, one record per
 * line, fsync'ed after every append. It is the source of truth for
 * rollback targets, bad and pinned releases and checksums: never directory
 * mtimes or name order.
 *
 * Every state-changing operation appends a "begin" record (its intent)
 * before it acts and an "end" record (its outcome) after, so the next
 * command can tell that a killed operation left work half-done.
 *
 * Line format: TAB-separated key=value pairs; values escape backslash,
 * TAB, CR and LF as \\ \t \r \n. A torn last line (no newline, from a
 * crash or a full disk mid-write) is ignored by readers and cut off by the
 * next append, never completed: a prefix of a record can mean something
 * else. The file is owner-only (0600): hook output is in it.
 */
#ifndef CUT_JOURNAL_H
#define CUT_JOURNAL_H

#include "app.h"
#include "kv.h"

#define JOURNAL_FILE "journal"
/* Hook output kept per record: the tail, so the error at the end survives. */
#define JOURNAL_OUTPUT_MAX 4096

/*
 * Append rec (plus time; user, pid, ssh_client on begin records; the
 * identity fields on every record) and fsync.
 * op: install, activate, rollback, prune, pin, unpin, recover, check, rollout.
 * phase: "begin" or "end".
 */
int journal_append(struct app *app, const char *op, const char *phase,
    const struct kvlist *rec);

/*
 * The fields (ident.h: rollout, kind, actor, key) every record appended
 * from now on carries, after its own; NULL for none. The list is not
 * copied: it must stay valid until the next call.
 */
void journal_identity(const struct kvlist *fields);

/* Call fn for every complete record in order; stops early when fn returns non-zero. */
int journal_foreach(struct app *app, int (*fn)(void *ctx, const struct kvlist *rec), void *ctx);

#endif
