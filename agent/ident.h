/*
 * Who an operation belongs to: the fields journal_append (journal.h) adds
 * to every record an operation writes, begin and end alike.
 *
 *	rollout	the coordinator's rollout ID	(serve: the request's `rollout` arg)
 *	kind	deploy, rollback, drill, ...	(serve: the `kind` arg)
 *	actor	the person or pipeline		(serve: the `actor` arg; the command
 *						line: $CUTOVER_ACTOR, else the login name)
 *	key	SHA256:... of the SSH key sshd authenticated, when sshd exposes it
 *		(ExposeAuthInfo yes: SSH_USER_AUTH names a file of "publickey TYPE
 *		BASE64" lines; see sshd_config(5))
 *
 *	struct kvlist who = KVLIST_INIT;
 *	if ((r = ident_from_args(&req->kv, &who, why, sizeof(why))) != CUT_OK)
 *		return op_fail(res, r, "%s", why);	// exit 3, names the arg
 *	ident_add_ssh_key(&who);
 *	journal_identity(&who);				// journal.h
 *
 * cutover-agent(8), "JOURNAL" describes the fields.
 */
#ifndef CUT_IDENT_H
#define CUT_IDENT_H

#include <stddef.h>

#include "kv.h"

#define IDENT_ROLLOUT_MAX	64	/* [A-Za-z0-9._:-]{1,64} */
#define IDENT_ACTOR_MAX		128	/* bytes of printable UTF-8 */
#define IDENT_KIND_MAX		16

/*
 * Each returns CUT_OK, or CUT_ERR_BAD_ID (exit 3) with one line in why
 * naming what (the arg or variable name) and the rule it broke.
 */
int ident_check_rollout(const char *what, const char *v, char *why, size_t whylen);
int ident_check_kind(const char *what, const char *v, char *why, size_t whylen);
int ident_check_actor(const char *what, const char *v, char *why, size_t whylen);

/*
 * The optional args rollout, kind and actor of a request, checked, added
 * to out in that order. Absent or empty args are left out.
 */
int ident_from_args(const struct kvlist *args, struct kvlist *out, char *why, size_t whylen);

/*
 * The OpenSSH-style fingerprint ("SHA256:" + unpadded base64, as
 * ssh-keygen -l prints it) of the first publickey in the file named by
 * SSH_USER_AUTH, into out. 0 when found, -1 when there is none (no
 * variable, unreadable file, no well-formed publickey line).
 */
int ident_ssh_key(char *out, size_t outlen);
/* out gains "key" when ident_ssh_key finds one. */
void ident_add_ssh_key(struct kvlist *out);

#endif
