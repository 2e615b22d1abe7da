#!/bin/sh
# SIGTERM (and SIGINT) during a rollout: the coordinator stops switching,
# switches the already-switched hosts back node by node, and exits 1 with
# every host on its previous release and the journal closed.
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 7))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 6
C="$CUTOVER -f $T/fleet.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2
expect_exit 0 $C deploy --batch 6 "$T/web-1.0.tgz"
# h13 (2nd batch) sleeps in its health check for web-2.0.
sed -i "s|^health = .*|health = if [ \"\$CUTOVER_RELEASE\" = web-2.0 ]; then touch $T/h13.health; sleep 2; fi|" "$T/h13/agent.ini"

for sig in TERM INT; do
	step "SIG$sig while the 2nd batch's health check sleeps"
	rm -f "$T/h13.health"
	$C --json deploy --batch 2 "$T/web-2.0.tgz" > "$T/out" 2> "$T/err" &
	pid=$!
	at_exit "kill -9 $pid 2>/dev/null"
	i=0; while [ ! -e "$T/h13.health" ]; do
		i=$((i + 1)); [ $i -le 200 ] || { cat "$T/err"; fail "h13 health never ran"; }
		sleep 0.05
	done
	kill -$sig $pid
	set +e; wait $pid; rc=$?; set +e
	cat "$T/err"
	[ $rc = 1 ] || fail "exit $rc, want 1"
	for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-1.0 ] || fail "$h on $(current_of $h)"; done
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert any(e["event"] == "interrupt" for e in ev), ev
rev = [e["host"] for e in ev if e["event"] == "reversed" and "host" in e]
assert rev == ["h14", "h13", "h12", "h11"], rev   # newest first, one by one
assert not any(e.get("host") in ("h15", "h16") for e in ev if e["event"] == "switched"), ev
res = [e for e in ev if e["event"] == "result"][0]
assert res["exit"] == 1 and res["outcome"] == "reversed", res
' "$T/out" || fail "events: $(cat "$T/out")"
	j=$(ls "$T/state/cutover/"*.journal)
	tail -n 1 "$j" | grep -q '^end .*outcome=reversed' || fail "journal: $(tail -n 3 "$j")"
	expect_exit 0 $C status
	echo "$OUT" | grep -q 'interrupted' && fail "status: $OUT"
done

step "on a terminal: one progress line redrawn in place; no escapes otherwise"
grep -q "$(printf '\033')" "$T/err" && fail "escape sequences on a non-terminal: $(cat "$T/err")"
command -v script >/dev/null 2>&1 || skip "no script(1) for a pseudo-terminal"
script -qec "$C deploy --batch 3 $T/web-2.0.tgz" /dev/null > "$T/tty.out" 2>&1 < /dev/null || {
	cat "$T/tty.out"; fail "deploy under a terminal failed"; }
grep -q "$(printf '\r')\\[ *[0-9.]*s\\] switch 2/2 *staged 6/6  switched [0-9]  failed 0$(printf '\033')\\[K" "$T/tty.out" ||
    fail "no live line: $(od -c "$T/tty.out" | head -20)"
grep -q "staged 6/6  switched 6  failed 0" "$T/tty.out" || fail "final counts: $(cat -v "$T/tty.out")"
[ "$(grep -c 'h1[1-6] *switched *previous=web-1.0' "$T/tty.out")" = 6 ] || fail "report: $(cat -v "$T/tty.out")"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-2.0 ] || fail "$h on $(current_of $h)"; done

pass
