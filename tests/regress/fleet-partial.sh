#!/bin/sh
# A host whose sshd is killed during the switch: the rollout fails on
# another host, every reachable host is switched back, and the coordinator
# exits 5 naming the host it could not bring back.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 4))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 4
C="$CUTOVER -f $T/fleet.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2
expect_exit 0 $C deploy --batch 2 "$T/web-1.0.tgz"

step "sshd of a switched host killed while the next batch's health check runs"
sed -i "s|^health = .*|health = touch $T/h13.health \&\& sleep 2 \&\& test \"\$CUTOVER_RELEASE\" != web-2.0|" "$T/h13/agent.ini"
$C --json deploy --batch 2 "$T/web-2.0.tgz" > "$T/deploy.out" 2> "$T/deploy.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
i=0; while [ ! -e "$T/h13.health" ]; do i=$((i+1)); [ $i -le 200 ] || fail "h13 health never ran"; sleep 0.05; done
stop_host h11
set +e; wait $pid; rc=$?; set -e 2>/dev/null; set +e
cat "$T/deploy.err"
[ $rc = 5 ] || fail "exit $rc, want 5"
grep -q 'not brought back.*h11' "$T/deploy.err" || fail "h11 not named: $(cat "$T/deploy.err")"
python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
res = [e for e in ev if e["event"] == "result"][0]
assert res["exit"] == 5 and res["left_behind"] == "h11", res
' "$T/deploy.out" || fail "json: $(cat "$T/deploy.out")"
for h in h12 h13 h14; do [ "$(current_of $h)" = web-1.0 ] || fail "$h on $(current_of $h)"; done

pass
