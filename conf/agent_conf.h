/*
 * The agent's configuration: [app NAME] sections of an INI file (inih).
 *
 *	struct app_conf c;
 *	char err[512];
 *	r = agent_conf_load("/etc/cutover/agent.ini", "web", &c, err, sizeof(err));
 *	...
 *	app_conf_free(&c);
 *
 * agent_conf_load parses and validates the whole file (an error anywhere is
 * an error), then fills c from the named app. Errors come back as
 * CUT_ERR_CONFIG with "FILE:LINE: KEY: reason" in err. For a path APP (one
 * containing '/') use app_conf_defaults() and set root yourself.
 */
#ifndef CUT_AGENT_CONF_H
#define CUT_AGENT_CONF_H

#include <stddef.h>

struct app_conf {
	char *name;
#define KEY_STR(n, d, h) char *n;
#define KEY_INT(n, d, lo, hi, h) long long n;
#define KEY_SIZE(n, d, lo, hi, h) long long n;
#define KEY_BOOL(n, d, h) int n;
#include "keys.def"
#undef KEY_STR
#undef KEY_INT
#undef KEY_SIZE
#undef KEY_BOOL
};

int app_conf_defaults(struct app_conf *c);
int agent_conf_load(const char *file, const char *app, struct app_conf *c,
    char *err, size_t errlen);
void app_conf_free(struct app_conf *c);
/*
 * 1 when file (parsed and validated whole) has an [app NAME] section for
 * app, 0 when it has none; CUT_ERR_CONFIG with "FILE:LINE: why" in err when
 * the file is broken or unreadable. `serve` asks before it opens anything.
 */
/* Every [app NAME] of file (parsed and validated whole), as a strv.h vector. */
int agent_conf_app_names(const char *file, char ***names, char *err, size_t errlen);
int agent_conf_has_app(const char *file, const char *app, char *err, size_t errlen);

/*
 * Split the `shared` value into a NULL-terminated vector of validated
 * relative paths; CUT_ERR_CONFIG with the bad path in err.
 */
int app_conf_shared_paths(const struct app_conf *c, char ***out, char *err, size_t errlen);

#endif
