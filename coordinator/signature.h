/*
 * ARCHIVE.sig: the `ssh-keygen -Y sign -n cutover` signature a deploy finds
 * beside its archive and sends to every agent that takes one (cap sig,
 * protocol 1.4). The agent checks it against the archive's bytes as they
 * arrive, so a signed archive is sent as it is, never recompressed:
 * cutover(1), deploy, "Signatures".
 */
#ifndef CUT_SIGNATURE_H
#define CUT_SIGNATURE_H

#include "proto.h"

/* The most a signature may hold: one kv string of the protocol. */
#define SIGNATURE_MAX	(PROTO_STRING_MAX - 1)

/* 1 when ARCHIVE.sig exists beside archive (for the plan; nothing read). */
int signature_present(const char *archive);
/*
 * Read ARCHIVE.sig into a fresh NUL-terminated string (*out NULL when there
 * is none). 0, or the exit code after one error line: unreadable, not a
 * regular file, larger than SIGNATURE_MAX, a NUL byte inside.
 */
int signature_read(const char *archive, char **out);

#endif
