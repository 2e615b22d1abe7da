/*
 * The coordinator's fleet file: [fleet] defaults, [group NAME] host lists,
 * [host NAME] addresses; every [fleet] key may be overridden per group or
 * host (keys in fleet_keys.def). Parsed with inih.
 *
 *	struct fleet_conf fc;
 *	struct fleet_sel sel;
 *	char err[512];
 *	if ((r = fleet_conf_load(path, &fc, err, sizeof(err))) != 0) ... err
 *	if ((r = fleet_select(&fc, "web01,web02", NULL, "web02", &sel, err, sizeof(err))) != 0) ...
 *	for (i = 0; i < sel.n; i++) sel.hosts[i].address, sel.hosts[i].s.port ...
 *	fleet_sel_free(&sel);
 *	fleet_conf_free(&fc);
 *
 * Errors are CUT_ERR_CONFIG (exit 2) with "FILE:LINE: KEY: reason" in err,
 * or CUT_ERR_USAGE for a bad --hosts/--group/--exclude selection.
 *
 * Effective settings of a host: built-in defaults, then [fleet], then its
 * groups (only the --group one when selected that way, else every group
 * naming it, in file order), then its [host] section. Paths get ~ expanded
 * and an empty user becomes the local user when resolved.
 */
#ifndef CUT_FLEET_CONF_H
#define CUT_FLEET_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "name_index.h"

/* Index of each key, in fleet_keys.def order. */
enum fleet_key {
#define FKEY_STR(n, d, h) FK_##n,
#define FKEY_PATH(n, d, h) FK_##n,
#define FKEY_INT(n, d, lo, hi, h) FK_##n,
#define FKEY_BATCH(n, d, h) FK_##n,
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
	FK_COUNT_
};

/* Effective settings, typed. */
struct fleet_settings {
#define FKEY_STR(n, d, h) char *n;
#define FKEY_PATH(n, d, h) char *n;
#define FKEY_INT(n, d, lo, hi, h) long long n;
#define FKEY_BATCH(n, d, h) char *n;
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
	int identity_set;	/* identity is in the file: it goes before ssh-agent keys */
};

/* One section as written: raw values, NULL where the key is not set. */
struct fleet_section {
	enum { FSEC_FLEET, FSEC_GROUP, FSEC_HOST } kind;
	char *name;		/* group or host name; NULL for [fleet] */
	char *val[FK_COUNT_];
	char *address;		/* [host] only */
	char **hosts;		/* [group] only; NULL-terminated */
	int disabled;		/* enabled = no ([host] and [group] only) */
};

struct fleet_conf {
	char *file;
	struct fleet_section *sec;
	size_t nsec;
	/*
	 * Blue-green ([fleet] only, cutover.ini(5)): the two pools (group
	 * names, checked to exist, be non-empty and disjoint) and the switch
	 * command; NULL when blue_green is not set.
	 */
	char *pool[2];
	char *switch_cmd;
	int bg_line, switch_line;	/* where they were set, for errors */
	size_t cap;			/* sec allocated */
	size_t fleet_sec;		/* [fleet]'s index + 1, 0 none */
	struct name_index by_host;	/* [host NAME] -> its section */
	struct name_index by_group;	/* [group NAME] -> its section */
	struct name_index member;	/* host name -> each group listing it, in file order */
};

struct fleet_host {
	char *name;
	char *address;		/* defaults to name */
	struct fleet_settings s;
	/*
	 * jump = [USER@]HOST[:PORT]: the bastion, resolved like a host of the
	 * file (its [host] section and groups; its own jump is ignored) with
	 * USER and PORT overriding; NULL when the host is reached directly.
	 */
	struct fleet_host *jump;
};

/* A host the selection would have had but fences off, and why. */
struct fleet_excluded {
	char *name;
	const char *reason;	/* FLEET_WHY_DISABLED or FLEET_WHY_EXCLUDE */
};
#define FLEET_WHY_DISABLED	"enabled = no"
#define FLEET_WHY_EXCLUDE	"--exclude"

/* A resolved selection: rollout-wide settings plus hosts in order. */
struct fleet_sel {
	struct fleet_settings global;	/* [fleet] + the --group section */
	struct fleet_host *hosts;
	size_t n;
	struct fleet_excluded *excl;	/* fenced off, in selection order */
	size_t nexcl;
	struct name_index by_name;	/* hosts by name */
	struct name_index excl_by_name;	/* excl by name */
	size_t cap;			/* hosts allocated */
};

/* ./cutover.ini when it exists, else /etc/cutover/fleet.ini. */
const char *fleet_conf_default_path(void);

int fleet_conf_load(const char *file, struct fleet_conf *fc, char *err, size_t errlen);
void fleet_conf_free(struct fleet_conf *fc);

/*
 * Resolve hosts: hosts_csv ("a,b,c", spaces also separate), group, both
 * (the intersection: a --hosts name outside the group is an error; the
 * group's settings apply), or every host of the file in order of first
 * mention when both are NULL. Then fence: a host whose [host] or any of
 * whose groups says enabled = no, or named in exclude_csv, moves to
 * sel->excl (cutover.ini(5), cutover(1) --exclude). An unknown name in
 * exclude_csv, or nothing left, is CUT_ERR_USAGE.
 */
int fleet_select(const struct fleet_conf *fc, const char *hosts_csv, const char *group,
    const char *exclude_csv, struct fleet_sel *sel, char *err, size_t errlen);
/* "h13 h14" for the excluded hosts of one reason (all when reason is NULL), into buf. */
void fleet_sel_excluded(const struct fleet_sel *sel, const char *reason, char *buf, size_t len);
void fleet_sel_free(struct fleet_sel *sel);

/*
 * Hosts per batch for a batch value ("5" or "25%") over n hosts: at least
 * 1, at most n. CUT_ERR_CONFIG when the value is malformed.
 */
int fleet_batch_size(const char *batch, size_t n, size_t *out);

/* Print effective settings of a selection in INI form. */
void fleet_sel_dump(const struct fleet_conf *fc, const struct fleet_sel *sel, FILE *f);

#endif
