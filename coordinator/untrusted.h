/*
 * What an agent says is input, not truth (cutover(1), SECURITY): a peer
 * that speaks the protocol may be compromised or not ours. Every frame is
 * checked here before the session acts on it, so nothing downstream (the
 * rollout journal's "TYPE key=value" lines, the JSON stream, the terminal)
 * sees a string an agent shaped:
 *  - values that are release IDs (current, previous, release, ...) or
 *    rollout IDs must match their grammar, or the frame is a protocol
 *    error and the host fails: a newline or blank in an ID could forge a
 *    journal record;
 *  - every other text of a RESULT, EVENT or ERROR has its control
 *    characters (C0, DEL, C1, bytes that are not UTF-8) escaped as \n, \t,
 *    \xNN, so a message cannot move the cursor, retitle the terminal or
 *    start a new line. RECORDs (history) keep C0 and DEL, which both of
 *    their printers escape (kv_print_field_value, JSON), but not C1 or
 *    broken UTF-8, which neither does.
 */
#ifndef CUT_UNTRUSTED_H
#define CUT_UNTRUSTED_H

#include <stddef.h>

struct msg;

/* 0, or CUT_ERR_PROTOCOL with the reason in why; m's texts are escaped in place. */
int untrusted_check(struct msg *m, char *why, size_t whylen);
/* s with control characters escaped (see above), into out (always terminated). */
void untrusted_escape(const char *s, char *out, size_t outlen);
/* A malloc'd escaped copy of s, or NULL when out of memory. */
char *untrusted_escape_dup(const char *s);

#endif
