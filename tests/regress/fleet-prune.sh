#!/bin/sh
# cutover prune / pin / unpin over a real sshd fleet: a fleet prune keeps
# current, previous and pins; unpin lets the next prune remove the release;
# --exclude leaves a host untouched; a bad ID is refused before any host is
# asked (exit 3); hosts locked by a deploy exit 4; a down host exit 5
# (cutover(1)).
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 21))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 3
# keep = 10: only the prunes this test runs remove anything.
for h in $FLEET_HOSTS; do printf 'keep = 10\n' >> "$T/$h/agent.ini"; done
C="$CUTOVER -f $T/fleet.ini"
for v in 1 2 3 4; do make_release "$T/r$v" "$T/web-$v.0.tgz" "v$v"; done
# releases_of hNN: the release directories on hNN, space separated, sorted.
releases_of() { ls "$T/$1/root/releases" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }

step "four releases on every host"
for v in 1 2 3 4; do expect_exit 0 $C deploy "$T/web-$v.0.tgz"; done
for h in $FLEET_HOSTS; do
	[ "$(releases_of "$h")" = "web-1.0 web-2.0 web-3.0 web-4.0" ] || fail "$h: $(releases_of "$h")"
done

step "a bad release ID is refused before any host is asked (exit 3, one line)"
expect_exit 3 $C pin '../web-1.0'
[ "$(printf '%s\n' "$ERR" | grep -c .)" = 1 ] || fail "one line: $ERR"
echo "$ERR" | grep -q 'not a valid release ID' || fail "message: $ERR"
[ -z "$OUT" ] || fail "no host lines: $OUT"
expect_exit 2 $C prune --keep 0
expect_exit 2 $C pin
expect_exit 2 $C unpin a b

step "pin on every host: one line per host"
expect_exit 0 $C pin web-1.0
[ "$(printf '%s\n' "$OUT" | grep -c 'pinned web-1.0')" = 3 ] || fail "pin: $OUT"

step "prune --keep 1 keeps current, previous and the pin"
expect_exit 0 $C prune --keep 1
for h in $FLEET_HOSTS; do
	[ "$(releases_of "$h")" = "web-1.0 web-3.0 web-4.0" ] || fail "$h: $(releases_of "$h")"
	echo "$OUT" | grep -q "^$h .*web-2.0" || fail "$h line: $OUT"
done
[ "$(current_of h11)" = web-4.0 ] || fail "current moved: $(current_of h11)"

step "unpin, then prune --exclude h13: h13 untouched, the others lose web-1.0"
expect_exit 0 $C --json unpin web-1.0
printf '%s\n' "$OUT" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
assert len(rows) == 3 and all(r["event"] == "unpin" and r["ok"] and r["reachable"] for r in rows), rows
' || fail "unpin json: $OUT"
expect_exit 0 $C prune --keep 1 --exclude h13
echo "$ERR" | grep -qx 'cutover: skipped (--exclude): h13' || fail "notice: $ERR"
echo "$OUT" | grep -q '^h13' && fail "h13 was asked: $OUT"
for h in h11 h12; do
	[ "$(releases_of "$h")" = "web-3.0 web-4.0" ] || fail "$h: $(releases_of "$h")"
done
[ "$(releases_of h13)" = "web-1.0 web-3.0 web-4.0" ] || fail "h13 touched: $(releases_of h13)"
expect_exit 2 $C prune --exclude h99
echo "$ERR" | grep -q 'h99: no such host' || fail "message: $ERR"

step "--json prune: an excluded event, then one object per host"
expect_exit 0 $C --json prune --keep 1 --hosts h12,h13 --exclude h12
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
assert ev[0] == {"event": "excluded", "hosts": "h12", "reason": "--exclude"}, ev
rows = [e for e in ev if e["event"] == "prune"]
assert len(rows) == 1 and rows[0]["host"] == "h13" and rows[0]["ok"], rows
assert "web-1.0" in rows[0]["removed"], rows
' || fail "prune json: $OUT"
[ "$(releases_of h13)" = "web-3.0 web-4.0" ] || fail "h13: $(releases_of h13)"

step "a release no host has: every host refuses it (exit 3)"
expect_exit 3 $C pin web-9.9
[ "$(printf '%s\n' "$OUT" | grep -c FAILED)" = 3 ] || fail "pin: $OUT"

step "every host locked by a running deploy: exit 4, nothing removed"
for h in $FLEET_HOSTS; do sed -i 's|^health = .*|health = sleep 4|' "$T/$h/agent.ini"; done
$C deploy --batch 3 "$T/web-2.0.tgz" > "$T/deploy.out" 2>&1 &
dpid=$!
at_exit "kill $dpid 2>/dev/null"
i=0
until [ "$($C status 2>/dev/null | grep -c '^h1.* locked ')" = 3 ]; do
	i=$((i + 1)); [ $i -le 100 ] || fail "the deploy did not lock every host: $($C status 2>&1)"
	sleep 0.1
done
expect_exit 4 $C prune --keep 1
[ "$(printf '%s\n' "$OUT" | grep -c FAILED)" = 3 ] || fail "prune: $OUT"
wait $dpid || fail "deploy: $(cat "$T/deploy.out")"
for h in $FLEET_HOSTS; do sed -i 's|^health = .*|health = true|' "$T/$h/agent.ini"; done
[ "$(releases_of h11)" = "web-2.0 web-3.0 web-4.0" ] || fail "h11: $(releases_of h11)"

step "a down host: the others are done, exit 5 naming it"
stop_host h12
expect_exit 5 $C pin web-3.0
echo "$OUT" | grep -q '^h12 .*FAILED' || fail "h12 line: $OUT"
echo "$OUT" | grep -q '^h11 .*pinned web-3.0' || fail "h11 line: $OUT"

pass
