#!/bin/bash
# Shared paths become links into ROOT/shared/, seeded on first use.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
shared = log tmp/pids config/database.yml
INI
A() { agent --config "$T/agent.ini" "$@"; }
mkdir -p "$T/v1/config" "$T/v1/log"
echo "db: v1" > "$T/v1/config/database.yml"
echo "old log" > "$T/v1/log/app.log"
make_release "$T/v1" "$T/web-1.tgz" v1
mkdir -p "$T/v2/config"
echo "db: from release 2" > "$T/v2/config/database.yml"
make_release "$T/v2" "$T/web-2.tgz" v2

step "first deploy seeds shared/ from the release"
expect_exit 0 A deploy web "$T/web-1.tgz"
[ "$(readlink "$R/releases/web-1/log")" = "../../shared/log" ] || fail "log link: $(readlink "$R/releases/web-1/log")"
[ "$(readlink "$R/releases/web-1/tmp/pids")" = "../../../shared/tmp/pids" ] || fail "pids link: $(readlink "$R/releases/web-1/tmp/pids")"
[ "$(cat "$R/current/config/database.yml")" = "db: v1" ] || fail "database.yml not seeded"
[ -d "$R/shared/tmp/pids" ] || fail "shared dir not created"

step "later releases link to the same shared files"
echo "written by v1" > "$R/current/log/app.log"
expect_exit 0 A deploy web "$T/web-2.tgz"
[ "$(cat "$R/current/log/app.log")" = "written by v1" ] || fail "log not shared"
[ "$(cat "$R/current/config/database.yml")" = "db: v1" ] || fail "shared file replaced by the release's copy"

step "a release with a symlink where a shared parent should be is refused"
mkdir -p "$T/v3" && ln -s /tmp "$T/v3/tmp"
make_release "$T/v3" "$T/web-3.tgz" v3
A install web "$T/web-3.tgz" >/dev/null 2>&1
[ ! -e "$R/releases/web-3" ] || fail "release installed through a symlinked shared parent"
[ -z "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "staging left behind"

step "bad shared paths in the config are configuration errors"
printf '[app x]\nroot = %s\nshared = ../etc\n' "$T/rx" > "$T/bad.ini"
expect_exit 2 agent --config "$T/bad.ini" status x
printf '%s\n' "$ERR" | grep -q '"../etc"' || fail "error does not name the path: $ERR"
pass
