#!/bin/bash
# SIGTERM (a cancelled CI job) mid-health-check reverses like a failed check;
# SIGTERM mid-upload from stdin removes the staging tree. No stale lock either way.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
health = touch $T/checking; sleep 30
health_timeout = 60
health_retries = 1
INI
A() { agent --config "$T/agent.ini" "$@"; }
make_release "$T/v1" "$T/web-1.tgz" v1
make_release "$T/v2" "$T/web-2.tgz" v2
sed -i 's/^health = .*/health = true/' "$T/agent.ini"
expect_exit 0 A deploy web "$T/web-1.tgz"
sed -i "s|^health = .*|health = touch $T/checking; exec sleep 30|" "$T/agent.ini"

step "SIGTERM during the health check: exit 1, previous release current"
"$CUTOVER_AGENT" --config "$T/agent.ini" deploy web "$T/web-2.tgz" >"$T/d.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
for _ in $(seq 1 100); do [ -e "$T/checking" ] && break; sleep 0.1; done
[ -e "$T/checking" ] || fail "health check never started"
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/d.out")"
[ "$(readlink "$R/current")" = releases/web-1 ] || fail "current is $(readlink "$R/current")"
grep -q "interrupted" "$T/d.out" || fail "no interruption message: $(cat "$T/d.out")"

step "SIGTERM while reading the archive from stdin: staging removed, exit 1"
sed -i 's/^health = .*/health = true/' "$T/agent.ini"
mkfifo "$T/fifo"
"$CUTOVER_AGENT" --config "$T/agent.ini" install web - --release web-3 <"$T/fifo" >"$T/i.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
exec 7>"$T/fifo"
head -c 2000 "$T/web-2.tgz" >&7
for _ in $(seq 1 100); do [ -n "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] && break; sleep 0.05; done
[ -n "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "install never started staging"
kill -TERM $pid
wait $pid; rc=$?
exec 7>&-
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/i.out")"
[ -z "$(ls -A "$R/.cutover/staging")" ] || fail "staging left: $(ls -A "$R/.cutover/staging")"
[ ! -e "$R/releases/web-3" ] || fail "partial release"
expect_exit 0 A deploy web "$T/web-2.tgz"
pass
