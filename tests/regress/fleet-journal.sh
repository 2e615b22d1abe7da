#!/bin/sh
# The coordinator's own rollout journal: a coordinator killed (-9) in the
# middle of the switch leaves a rollout without an end record; `cutover
# status` shows which hosts it switched and their recorded previous
# releases; re-running the deploy converges every host; and after a string
# of killed rollouts, `cutover rollback` takes the hosts back to the
# releases recorded in the journal (not the agents' own idea of "previous").
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 6))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 4
C="$CUTOVER -f $T/fleet.ini"
for v in 1 2 3 4; do make_release "$T/r$v" "$T/web-$v.0.tgz" "v$v"; done
# health.sh HOST: hangs 2 s once when $T/hang-HOST exists (and says so).
cat > "$T/health.sh" <<EOF
#!/bin/sh
if [ -e "$T/hang-\$1" ]; then
	rm -f "$T/hang-\$1"; touch "$T/\$1.started"; sleep 2; touch "$T/\$1.done"
fi
exit 0
EOF
for h in $FLEET_HOSTS; do sed -i "s|^health = .*|health = sh $T/health.sh $h|" "$T/$h/agent.ini"; done
all_on() { for h in $FLEET_HOSTS; do [ "$(current_of "$h")" = "$1" ] || fail "$h is on $(current_of "$h"), not $1"; done; }

# kill_mid_switch ARCHIVE: start a deploy in batches of 2, kill -9 it while
# h13's health check (2nd batch) hangs, wait until that agent is done.
kill_mid_switch() {
	rm -f "$T/h13.started" "$T/h13.done"
	touch "$T/hang-h13"
	$C deploy --batch 2 "$1" > "$T/killed.out" 2>&1 &
	kpid=$!
	at_exit "kill -9 $kpid 2>/dev/null"
	i=0; while [ ! -e "$T/h13.started" ]; do
		i=$((i + 1)); [ $i -le 200 ] || { cat "$T/killed.out"; fail "h13 health never started"; }
		sleep 0.05
	done
	kill -9 $kpid
	wait $kpid 2>/dev/null
	i=0; while [ ! -e "$T/h13.done" ]; do
		i=$((i + 1)); [ $i -le 100 ] || fail "h13 health never ended"; sleep 0.05
	done
	# The orphaned agent lets go of its lock once its session is gone.
	i=0; while ! $C status --hosts h13 2>/dev/null | grep -q '^h13 .* free '; do
		i=$((i + 1)); [ $i -le 100 ] || fail "h13 stays locked"; sleep 0.1
	done
}

step "a first rollout finishes and is recorded as done"
expect_exit 0 $C deploy --batch 4 "$T/web-1.0.tgz"
all_on web-1.0
j=$(ls "$T/state/cutover/"*.journal) || fail "no journal under \$XDG_STATE_HOME/cutover"
grep -q '^start .*release=web-1.0 ' "$j" || fail "no start record: $(cat "$j")"
grep -q '^end .*outcome=done' "$j" || fail "no end record: $(cat "$j")"
expect_exit 0 $C status
echo "$OUT" | grep -q 'interrupted' && fail "status reports an interruption: $OUT"

step "coordinator killed while the 2nd batch switches: status shows it"
kill_mid_switch "$T/web-2.0.tgz"
tail -n 1 "$j" | grep -q '^end ' && fail "end record after kill -9: $(cat "$j")"
[ "$(current_of h11)" = web-2.0 ] || fail "h11 not switched before the kill"
[ "$(current_of h12)" = web-2.0 ] || fail "h12 not switched before the kill"
expect_exit 0 $C status
echo "$OUT"
echo "$OUT" | grep -q 'rollout of web-2.0 .*was interrupted' || fail "status: $OUT"
echo "$OUT" | grep -q '^  switched: *h11 h12$' || fail "switched hosts: $OUT"
echo "$OUT" | grep -q '^  maybe switched: *h13 h14 ' || fail "in-flight hosts: $OUT"
echo "$OUT" | grep -q '^  previous: *h11=web-1.0 h12=web-1.0 h13=web-1.0 h14=web-1.0$' || fail "previous: $OUT"
expect_exit 0 $C --json status
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
u = [e for e in ev if e["event"] == "unfinished_rollout"]
assert len(u) == 1 and u[0]["state"] == "interrupted" and u[0]["release"] == "web-2.0", u
assert u[0]["switched"] == "h11 h12", u
' || fail "json: $OUT"

step "re-running the deploy converges every host"
expect_exit 0 $C deploy --batch 2 "$T/web-2.0.tgz"
all_on web-2.0
expect_exit 0 $C status
echo "$OUT" | grep -q 'interrupted' && fail "still interrupted: $OUT"

step "killed twice in a row, then rollback: the hosts undo the last rollout only"
kill_mid_switch "$T/web-3.0.tgz"
[ "$(current_of h11)" = web-3.0 ] || fail "h11 not on web-3.0"
kill_mid_switch "$T/web-4.0.tgz"
[ "$(current_of h11)" = web-4.0 ] || fail "h11 not on web-4.0"
expect_exit 0 $C status
echo "$OUT"
echo "$OUT" | grep -q 'rollout of web-4.0 .*was interrupted' || fail "status: $OUT"
# The hosts ran web-2.0 before this string of unfinished rollouts.
echo "$OUT" | grep -q '^  previous: *h11=web-2.0 h12=web-2.0 ' || fail "previous: $OUT"
# h11's own agent would go back to web-3.0.
agent --config "$T/h11/agent.ini" status web | grep -q 'web-3.0' || fail "agent's previous is not web-3.0"
# The hosts say web-4.0's rollout switched them from web-3.0: that is what it undoes.
expect_exit 0 $C rollback
echo "$OUT"
all_on web-3.0
expect_exit 0 $C status
echo "$OUT" | grep -q 'interrupted' && fail "still interrupted after rollback: $OUT"
tail -n 1 "$j" | grep -q '^end .*outcome=rolled-back' || fail "no end record: $(tail -n 3 "$j")"
expect_exit 0 $C rollback --to web-2.0
all_on web-2.0

step "with nothing left to undo, rollback moves nobody"
expect_exit 0 $C rollback --hosts h11
[ "$(current_of h11)" = web-2.0 ] || fail "h11 moved to $(current_of h11)"

step "a torn or hostile journal line is ignored"
printf 'switched name=h11\nstart ts=1 release=../../x sha256=zz\nswitched name=$(reboot) release=a b\nend ts=9 outc' >> "$j"
expect_exit 0 $C status
echo "$OUT" | grep -q 'interrupted' && fail "garbage read as a rollout: $OUT"

pass
