#!/bin/bash
# One operation per app: a second exits 4 naming the holder; a killed holder leaves no stale lock.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
before_activate = echo \$\$ > $T/hook.pid; touch $T/started; exec sleep 30
hook_timeout = 60
INI
A() { agent --config "$T/agent.ini" "$@"; }
make_release "$T/v1" "$T/web-1.tgz" v1
expect_exit 0 A install web "$T/web-1.tgz"

step "a running activation holds the lock"
"$CUTOVER_AGENT" --config "$T/agent.ini" activate web web-1 >/dev/null 2>&1 &
holder=$!
at_exit "kill -9 $holder; [ -f $T/hook.pid ] && kill \$(cat $T/hook.pid)"
for _ in $(seq 1 100); do [ -e "$T/started" ] && break; sleep 0.1; done
[ -e "$T/started" ] || fail "holder never started"

step "a second operation exits 4 at once, naming the holder"
expect_exit 4 A rollback web
printf '%s\n' "$ERR" | grep -q "pid $holder" || fail "holder not named: $ERR"
printf '%s\n' "$ERR" | grep -q "activate" || fail "holder command not named: $ERR"

step "status still answers and shows the lock"
expect_exit 0 A --json status web
printf '%s\n' "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["locked"] is True, s' || fail "$OUT"

step "--wait gives up after its time"
expect_exit 4 A --wait 1 prune web

step "SIGKILL of the holder: the next command runs at once and undoes nothing it should not"
kill -9 $holder; wait $holder 2>/dev/null
expect_exit 0 A prune web
expect_exit 0 A --json status web
printf '%s\n' "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["locked"] is False and s["current"]=="", s' || fail "$OUT"
pass
