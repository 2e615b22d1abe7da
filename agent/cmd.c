#include "config.h"

#include <stddef.h>

#include "cmds.h"

const struct agent_cmd agent_cmds[] = {
	{ "install", "APP ARCHIVE|URL [--release ID] [--sha256 HEX] [--signature FILE]",
	    "unpack ARCHIVE (path or -; tar, .tar.gz/.xz/.zst/.bz2, or zip) into releases/ID;\n           do not activate; "
	    "an http(s) URL is fetched and needs --sha256; ARCHIVE.sig (URL.sig,\n           or --signature FILE) is its "
	    "ssh-keygen -Y sign -n cutover signature",
	    agent_cmd_install },
	{ "activate", "APP ID [--force-schema]",
	    "point current at releases/ID (hooks, health check)", agent_cmd_activate },
	{ "deploy", "APP ARCHIVE|URL [--release ID] [--sha256 HEX] [--signature FILE] [--force-schema]",
	    "install, then activate; on a failed health check restore the previous release",
	    agent_cmd_deploy },
	{ "rollback", "APP [--to ID] [--force-schema]",
	    "current -> previous good release (or ID)", agent_cmd_rollback },
	{ "drill", "APP",
	    "rehearse a rollback: previous release, health check, back, health check",
	    agent_cmd_drill },
	{ "status", "APP",
	    "current and previous release, lock state, kept releases", agent_cmd_status },
	{ "history", "APP",
	    "the journal: every install/activate/rollback/prune", agent_cmd_history },
	{ "prune", "APP [--keep N]",
	    "delete old releases, never current/previous/pinned", agent_cmd_prune },
	{ "pin", "APP ID", "protect a release from prune", agent_cmd_pin },
	{ "unpin", "APP ID", "remove a pin", agent_cmd_unpin },
	{ "check", "[APP]",
	    "validate agent.ini and each app's ROOT; print what would block a deploy (exit 0 or 2)",
	    agent_cmd_check },
	{ "serve", "[--app NAME]... [--allow-paths] [--idle-timeout SECONDS]",
	    "speak the wire protocol on stdin/stdout (for the coordinator): configured apps "
	    "only (--app: these), paths only with --allow-paths; exit after SECONDS "
	    "(default 60, 0 never) of silence", agent_cmd_serve },
	{ NULL, NULL, NULL, NULL }
};
