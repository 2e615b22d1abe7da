#!/bin/sh
# cutover-agent check [APP] (issue 11): validates agent.ini and each app's
# ROOT and prints what would block a deploy; exit 0 or 2, changes nothing.
# cutover-agent(8), check.
. "$top_srcdir/tests/lib.sh"

make_release "$T/r1" "$T/web-1.tgz" v1
cat > "$T/agent.ini" <<INI
[app web]
root = $T/web
after_activate = true
health = test -f index.html
[app api]
root = $T/api
after_activate = ./bin/run
health = no-such-program-xyz --check
INI
A() { agent --config "$T/agent.ini" "$@"; }

step "a fresh host: ROOT missing is a note; a hook program not in PATH blocks"
expect_exit 2 A check
printf '%s\n' "$OUT" > "$T/check.out"
grep -qx 'web: ok' "$T/check.out" || fail "web: $OUT"
grep -q "^web: note: $T/web does not exist yet: the first deploy creates it" "$T/check.out" || fail "$OUT"
grep -q '^api: would block a deploy: health: "no-such-program-xyz" is not an executable program in PATH' \
    "$T/check.out" || fail "api: $OUT"
[ ! -e "$T/web" ] && [ ! -e "$T/api" ] || fail "check created a ROOT"

step "check APP: only that app"
expect_exit 0 A check web
[ "$(printf '%s\n' "$OUT" | grep -c '^api')" = 0 ] || fail "$OUT"
expect_exit 2 A check nosuch
case $ERR in *"no [app nosuch] section"*) ;; *) fail "$ERR" ;; esac

step "after a deploy: relative hook paths are looked up in the current release"
sed -i 's/^health = no-such.*/health = true/' "$T/agent.ini"
expect_exit 0 A deploy api "$T/web-1.tgz"
expect_exit 0 A check api
[ "$OUT" = "api: ok" ] || fail "$OUT"
chmod -x "$T/api/current/bin/run"
expect_exit 2 A check api
case $OUT in *'after_activate: "./bin/run" is not an executable program'*) ;; *) fail "$OUT" ;; esac
chmod +x "$T/api/current/bin/run"

step "a world-writable ROOT blocks; --json gives one object per app"
chmod o+w "$T/api"
expect_exit 2 A --json check api
echo "$OUT" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["app"] == "api" and d["ok"] is False, d
assert "writable by everyone" in d["problems"], d' || fail "json: $OUT"
chmod o-w "$T/api"

step "a broken agent.ini: exit 2 naming file and line"
printf '[app x]\nkeep = many\n' >> "$T/agent.ini"
expect_exit 2 A check
case $ERR in *"$T/agent.ini:"*"keep"*) ;; *) fail "$ERR" ;; esac

step "a path APP needs no config"
expect_exit 0 agent --config /nonexistent check "$T/web"
case $OUT in *"$T/web: ok"*) ;; *) fail "$OUT" ;; esac
pass
