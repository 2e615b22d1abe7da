#!/bin/sh
# Rollouts over a real sshd fleet: batches, health failure reversed on every
# host (exit 1), unreachable host at preflight (nothing changed), a second
# concurrent rollout refused, fleet rollback (undoing the last deploy only)
# and status, --json parsed.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 3))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 10
C="$CUTOVER -f $T/fleet.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2
make_release "$T/r3" "$T/web-3.0.tgz" v3
all_on() { for h in $FLEET_HOSTS; do [ "$(current_of "$h")" = "$1" ] || fail "$h is on $(current_of "$h"), not $1"; done; }

step "--dry-run prints batches and max_fail, changes nothing"
expect_exit 0 $C deploy --dry-run --batch 3 --max-fail 1 "$T/web-1.0.tgz"
echo "$OUT" | grep -q '^batch 4: h20$' || fail "plan: $OUT"
echo "$OUT" | grep -q 'max_fail 1' || fail "plan: $OUT"
all_on none

step "rollout to 10 hosts in batches of 3"
expect_exit 0 $C deploy --batch 3 "$T/web-1.0.tgz"
all_on web-1.0
[ "$(cat "$T/h15/root/current/index.html")" = v1 ] || fail "content"
expect_exit 0 $C --json deploy --batch 3 --canary 1 "$T/web-2.0.tgz"
all_on web-2.0
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
res = [e for e in ev if e["event"] == "result"]
assert len(res) == 1 and res[0]["outcome"] == "done" and res[0]["exit"] == 0, res
hosts = [e for e in ev if e["event"] == "host"]
assert len(hosts) == 10 and all(h["outcome"] == "switched" and h["previous"] == "web-1.0" for h in hosts), hosts
plan = [e for e in ev if e["event"] == "plan"]
assert plan[0]["canary"] is True and plan[0]["hosts"] == "h11", plan
assert len(plan) == 4, plan
' || fail "json: $OUT"

step "re-deploying the same release skips the upload and converges"
expect_exit 0 $C deploy --batch 5 "$T/web-2.0.tgz"
all_on web-2.0

step "a health check failing on one host mid-rollout reverses every host"
sed -i 's|^health = .*|health = test "$CUTOVER_RELEASE" != web-3.0|' "$T/h17/agent.ini"
expect_exit 1 $C deploy --batch 3 "$T/web-3.0.tgz"
all_on web-2.0
echo "$OUT" | grep -q '^h17 .*failed\|^h17 ' || fail "report: $OUT"
echo "$OUT" | grep -q 'reversed' || fail "report: $OUT"
sed -i 's|^health = .*|health = true|' "$T/h17/agent.ini"

step "max_fail tolerates that many failures"
sed -i 's|^health = .*|health = test "$CUTOVER_RELEASE" != web-3.0|' "$T/h19/agent.ini"
expect_exit 0 $C deploy --batch 5 --max-fail 1 "$T/web-3.0.tgz"
[ "$(current_of h19)" = web-2.0 ] || fail "h19 should have reversed itself"
[ "$(current_of h11)" = web-3.0 ] || fail "h11 should be on web-3.0"
sed -i 's|^health = .*|health = true|' "$T/h19/agent.ini"

step "fleet rollback undoes the last deploy; h19, which that deploy never switched, stays put"
expect_exit 0 $C rollback
all_on web-2.0
echo "$OUT" | grep -q '^h19 .*unchanged' || fail "rollback: $OUT"
expect_exit 0 $C status
# Rolled away from, web-3.0 left the history: the next target is web-1.0.
echo "$OUT" | grep -q '^h11 .*web-2.0 .*web-1.0' || fail "status: $OUT"
expect_exit 0 $C --json status
printf '%s\n' "$OUT" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
assert len(rows) == 10 and all(r["reachable"] for r in rows), rows
assert sorted(r["current"] for r in rows) == ["web-2.0"] * 10, rows
' || fail "status json"
$C rollback --hosts h19 --to web-2.0 >/dev/null 2>&1 || fail "rollback --to"
expect_exit 0 $C history --hosts h11
echo "$OUT" | grep -q 'op=rollback' || fail "history: $OUT"

step "an unreachable host at preflight aborts with nothing changed"
cat >> "$T/fleet.ini" <<EOF2

[host h99]
address = 127.0.0.99
EOF2
expect_exit 1 $C deploy "$T/web-3.0.tgz"
echo "$ERR$OUT" | grep -q 'h99.*Connection refused' || fail "message: $ERR $OUT"
all_on web-2.0
[ ! -d "$T/h11/root/releases/web-3.0" ] || [ -n "$(ls "$T/h11/root/releases/web-3.0")" ] || fail "partial"
expect_exit 0 $C deploy --hosts "h11,h12" "$T/web-3.0.tgz"
expect_exit 0 $C rollback --hosts "h11,h12"

step "a second concurrent rollout is refused at preflight (exit 4)"
# h20's health check holds the first rollout until the second was refused
# (bounded: 60 s), so a slow machine cannot let the first one finish early.
sed -i "s|^health = .*|health = i=0; while [ ! -e $T/second-done ] \&\& [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done|; s|^health_timeout = .*|health_timeout = 90|" "$T/h20/agent.ini"
$C deploy --hosts "$(echo $FLEET_HOSTS | tr ' ' ',')" --batch 10 "$T/web-3.0.tgz" > "$T/first.out" 2>&1 &
first=$!
at_exit "kill $first 2>/dev/null"
i=0; while [ "$(current_of h11)" != web-3.0 ]; do i=$((i+1)); [ $i -le 300 ] || fail "first rollout did not start"; sleep 0.1; done
expect_exit 4 $C deploy --hosts "$(echo $FLEET_HOSTS | tr ' ' ',')" "$T/web-1.0.tgz"
touch "$T/second-done"
wait $first || fail "first rollout failed: $(cat "$T/first.out")"
all_on web-3.0
sed -i 's|^health = .*|health = true|; s|^health_timeout = .*|health_timeout = 10|' "$T/h20/agent.ini"

step "a rollout to more hosts than parallel connections finishes (sessions do not hog slots)"
sed -i 's|^\[fleet\]$|[fleet]\nparallel = 3|' "$T/fleet.ini"
all_hosts=$(echo $FLEET_HOSTS | tr ' ' ',')
expect_exit 0 timeout 120 $C deploy --hosts "$all_hosts" --batch 4 "$T/web-1.0.tgz"
all_on web-1.0
expect_exit 0 timeout 60 $C rollback --hosts "$all_hosts"
all_on web-3.0

pass
