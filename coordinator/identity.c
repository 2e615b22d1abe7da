/* Rollout IDs and actors (identity.h). */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "identity.h"
#include "log.h"

/* CI systems' "who started this" variables, most specific first. */
static const char *const ci_user_vars[] = {
	"GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR", "CIRCLE_USERNAME",
	"BUILD_USER_ID", "DRONE_COMMIT_AUTHOR", "BITBUCKET_STEP_TRIGGERER_UUID",
};

int
identity_rollout_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ROLLOUT_ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

static int
actor_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ACTOR_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static const char *
default_actor(void)
{
	const char *v = getenv("CUTOVER_ACTOR");
	const struct passwd *pw;

	if (v && *v)
		return v;
	for (size_t i = 0; i < sizeof(ci_user_vars) / sizeof(ci_user_vars[0]); i++)
		if ((v = getenv(ci_user_vars[i])) != NULL && *v)
			return v;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name && *pw->pw_name)
		return pw->pw_name;
	return (v = getenv("USER")) && *v ? v : "unknown";
}

int
identity_new(struct identity *id, const char *kind, const char *actor_opt)
{
	unsigned char rnd[4] = { 0 };
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *actor = actor_opt ? actor_opt : default_actor();

	if (!actor_valid(actor)) {
		log_error("--actor \"%.40s\": want 1 to %d printable characters", actor, ACTOR_MAX);
		return CUT_EXIT_USAGE;
	}
	/* Unique enough to tell rollouts apart; the time orders them for a reader. */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memcpy(rnd, &now, sizeof(rnd));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id->rollout, sizeof(id->rollout), "%s-%02x%02x%02x%02x", when, rnd[0], rnd[1], rnd[2], rnd[3]);
	id->kind = kind;
	snprintf(id->actor, sizeof(id->actor), "%s", actor);
	return 0;
}
