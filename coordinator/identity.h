/*
 * Who and what a fleet operation is, on every host's journal: a rollout ID
 * made once per operation, its kind (deploy, rollback, drill, abort...)
 * and the actor (--actor, else $CUTOVER_ACTOR, else the CI system's user
 * variable, else the local user). See cutover(1), "Who did it".
 */
#ifndef CUT_IDENTITY_H
#define CUT_IDENTITY_H

#include <stddef.h>

#define ROLLOUT_ID_MAX	64
#define ACTOR_MAX	128

struct identity {
	char rollout[ROLLOUT_ID_MAX + 1];
	const char *kind;
	char actor[ACTOR_MAX + 1];
};

/*
 * Fill id: a new rollout ID (UTC time + random), kind, and the actor from
 * actor_opt or the environment. 0, or exit code 2 with one line on stderr
 * when the actor is not printable or too long.
 */
int identity_new(struct identity *id, const char *kind, const char *actor_opt);
/* 1 when s is a valid rollout ID ([A-Za-z0-9._:-], 1..64). */
int identity_rollout_valid(const char *s);

#endif
