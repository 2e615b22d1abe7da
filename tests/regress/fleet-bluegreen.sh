#!/bin/sh
# Blue-green across host pools (cutover(1), "Blue-green"; cutover.ini(5)
# blue_green, switch) on real sshd hosts behind a real nginx load balancer:
# deploy goes to the idle pool and switches; requests flow throughout with
# none failed and the release changing only while switch runs; rollback
# switches back touching no host; a failed switch leaves the live pool live
# (exit 1, its output shown); rollback is refused (exit 3) when the other
# pool was redeployed, a host of it is down, or the migration guard says no;
# status and rollback read the live pool from the hosts (fresh HOME).
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 86))	# own ports: tests may run in parallel
LB_PORT=$((${FLEET_PORT_BASE:-2300} + 87))
WEB_PORT=$((${FLEET_PORT_BASE:-2300} + 88))
. "$top_srcdir/tests/lib-fleet.sh"
. "$top_srcdir/tests/lib-lb.sh"
lb_require

start_fleet 4
BLUE="h11 h12"; GREEN="h13 h14"
C="$CUTOVER -f $T/fleet.ini"
fresh_home() { XDG_STATE_HOME=$T/home-$1; HOME=$T/home-$1; export XDG_STATE_HOME HOME; mkdir -p "$HOME"; }
on() { _r=$1; shift; for h in "$@"; do [ "$(current_of "$h")" = "$_r" ] || fail "$h on $(current_of "$h"), not $_r"; done; }
# switches HOST: switch records in the host's journal.
switches() { grep -c "op=\(activate\|rollback\)	phase=end.*outcome=ok" "$T/$1/root/.cutover/journal"; }
# rel NAME [SCHEMA FLOOR]: an archive whose index.html says NAME, with a manifest when given.
rel() {
	mkdir -p "$T/src-$1"
	[ $# -gt 1 ] && printf '[release]\nschema = %s\ncompatible_from = %s\n' "$2" "$3" > "$T/src-$1/cutover-release.ini"
	make_release "$T/src-$1" "$T/$1.tgz" "$1"
}
for v in 1 2 5; do rel web-$v; done
rel web-3 1 1; rel web-4 2 2

step "config: blue_green needs two existing disjoint groups and switch (FILE:LINE, exit 2)"
cp "$T/fleet.ini" "$T/base.ini"
with() { { sed "/^\[fleet\]/a $1" "$T/base.ini"; printf '%s\n' "$2"; } > "$T/bad.ini"; }
with "blue_green = blue green" "[group blue]
hosts = h11 h12
[group green]
hosts = h12 h13"
expect_exit 2 "$CUTOVER" -f "$T/bad.ini" status
printf '%s\n' "$ERR" | grep -q "bad.ini:2: blue_green: h12 is in both blue and green" || fail "$ERR"
with "blue_green = blue green" "[group blue]
hosts = h11"
expect_exit 2 "$CUTOVER" -f "$T/bad.ini" status
printf '%s\n' "$ERR" | grep -q "bad.ini:2: blue_green: green: no such \[group\]" || fail "$ERR"
with "blue_green = blue" ""
expect_exit 2 "$CUTOVER" -f "$T/bad.ini" status
printf '%s\n' "$ERR" | grep -q "bad.ini:2: blue_green: .* is not two different group names" || fail "$ERR"
with "blue_green = blue green" "[group blue]
hosts = h11
[group green]
hosts = h13"
expect_exit 2 "$CUTOVER" -f "$T/bad.ini" status
printf '%s\n' "$ERR" | grep -q "bad.ini:2: blue_green: needs switch" || fail "$ERR"
with "switch = true" ""
expect_exit 2 "$CUTOVER" -f "$T/bad.ini" status
printf '%s\n' "$ERR" | grep -q "bad.ini:2: switch: set without blue_green" || fail "$ERR"
{ cat "$T/base.ini"; printf '[group blue]\nhosts = h11\nswitch = true\n'; } > "$T/bad.ini"
expect_exit 2 "$CUTOVER" -f "$T/bad.ini" status
printf '%s\n' "$ERR" | grep -q "switch: only in \[fleet\]" || fail "$ERR"
expect_exit 2 $C deploy --pool blue "$T/web-1.tgz"
printf '%s\n' "$ERR" | grep -q "needs blue_green" || fail "$ERR"

sed -i "/^\[fleet\]/a blue_green = blue green\nswitch = sh $T/lb/switch.sh" "$T/fleet.ini"
printf '\n[group blue]\nhosts = %s\n\n[group green]\nhosts = %s\n' "$BLUE" "$GREEN" >> "$T/fleet.ini"
lb_backends h11 h12 h13 h14
lb_start blue "$BLUE" green "$GREEN"

step "before any switch the first pool is live; --dry-run names both pools and sends nothing"
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q "^live pool: blue .*no switch recorded" || fail "status: $OUT"
expect_exit 0 $C deploy --dry-run "$T/web-1.tgz"
printf '%s\n' "$OUT" | grep -q "^blue-green: live pool blue (h11 h12).*deploying to idle pool green (h13 h14)" ||
    fail "plan: $OUT"
on none h11 h12 h13 h14
expect_exit 2 $C deploy --hosts h11 "$T/web-1.tgz"

step "bootstrap: deploy --pool blue puts the first release on blue and records it live"
expect_exit 0 $C deploy --pool blue "$T/web-1.tgz"
on web-1 $BLUE; on none $GREEN
[ "$(lb_get)" = web-1 ] || fail "the balancer serves '$(lb_get)'"

step "deploy web-2: the idle pool green, then the switch; requests flow, none fail"
lb_requests_start
sleep 0.5
expect_exit 0 $C --json deploy "$T/web-2.tgz"
printf '%s\n' "$OUT" | grep -q '"event":"deploy","live":"green","release":"web-2","idle":"blue","idle_release":"web-1"' ||
    fail "result: $OUT"
on web-2 $GREEN; on web-1 $BLUE
[ "$(lb_get)" = web-2 ] || fail "the balancer serves '$(lb_get)'"
grep -q "start .* green web-2 blue deploy" "$T/lb/switch.log" || fail "switch env: $(cat "$T/lb/switch.log")"

step "status from a fresh HOME: live pool green, who and when, both pools' releases"
fresh_home s1
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q "^live pool: green on web-2 (switched from blue by deploy, " || fail "status: $OUT"
printf '%s\n' "$OUT" | grep -q "^idle pool: blue on web-1" || fail "status: $OUT"
expect_exit 0 $C --json status
printf '%s\n' "$OUT" | grep '"event":"live_pool"' | grep -q '"pool":"green","release":"web-2","idle":"blue","idle_release":"web-1","recorded":true' ||
    fail "status --json: $OUT"

step "the agent's own status names the live pool, on a host of either pool"
for h in h11 h13; do
	expect_exit 0 "$CUTOVER_AGENT" --config "$T/$h/agent.ini" status web
	printf '%s\n' "$OUT" | grep -q "^live:     pool green (web-2) since .*, by " || fail "agent status on $h: $OUT"
done

step "rollback from a fresh HOME: switch back to blue, no host touched"
fresh_home r1
for h in h11 h12 h13 h14; do eval "sw_$h=$(switches $h)"; done
expect_exit 0 $C rollback --dry-run
printf '%s\n' "$OUT" | grep -q "would switch from pool green (web-2) to pool blue (web-1)" || fail "$OUT"
sleep 0.5
expect_exit 0 $C rollback --actor carol
printf '%s\n' "$OUT" | grep -q "^rollback: pool blue is live on web-1; pool green is idle on web-2" || fail "$OUT"
for h in h11 h12 h13 h14; do eval "[ \"\$(switches $h)\" = \"\$sw_$h\" ]" || fail "$h switched on a blue-green rollback"; done
on web-2 $GREEN; on web-1 $BLUE
[ "$(lb_get)" = web-1 ] || fail "the balancer serves '$(lb_get)'"
sleep 0.5
lb_requests_stop

step "the requests: all answered 200, the release changed only while switch ran"
python3 - "$T/lb/requests.log" "$T/lb/switch.log" <<'PY' || fail "request log: see above"
import sys
reqs = [l.split() for l in open(sys.argv[1])]
sw, cur = [], None
for l in open(sys.argv[2]):
    f = l.split()
    if f[0] == "start":
        cur = [int(f[1]), None, f[3]]
    elif f[0] == "end" and cur:
        cur[1] = int(f[1]); sw.append(cur); cur = None
sw = sw[-2:]  # the deploy's switch to web-2, the rollback's to web-1
serving = ["web-1", sw[0][2], sw[1][2]]
bad = [r for r in reqs if r[2] != "200"]
print("%d requests, %d failed; switches %s" % (len(reqs), len(bad), sw))
if bad or len(reqs) < 50:
    print("failed or too few:", bad[:5]); sys.exit(1)
for r in reqs:
    t0, t1, body = int(r[0]), int(r[1]), r[3]
    ok = set()
    for k in range(3):
        lo = sw[k - 1][0] if k else 0          # this release may be served from its switch's start
        hi = sw[k][1] if k < 2 else 1 << 62    # until the next switch has ended
        if t1 >= lo and t0 <= hi:
            ok.add(serving[k])
    if body not in ok:
        print("request", r, "served", body, "expected one of", ok); sys.exit(1)
seen = [r[3] for r in reqs]
if "web-2" not in seen or seen[0] != "web-1" or seen[-1] != "web-1":
    print("never saw the switch:", seen[:3], seen[-3:]); sys.exit(1)
PY

step "a failed switch: exit 1, what it printed, the live pool stays live, the idle pool keeps the release"
: > "$T/lb/refuse"
expect_exit 1 $C deploy "$T/web-3.tgz"
printf '%s\n' "$ERR" | grep -q "switch: | balancer refused the change: maintenance window" || fail "$ERR"
printf '%s\n' "$ERR" | grep -q "switch to pool green failed: exited with status 1; pool blue stays live" || fail "$ERR"
on web-3 $GREEN; on web-1 $BLUE
[ "$(lb_get)" = web-1 ] || fail "the balancer serves '$(lb_get)'"
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q "^live pool: blue on web-1" || fail "status: $OUT"
rm -f "$T/lb/refuse"

step "rollback refused (exit 3, nothing switched) when the other pool was redeployed since"
n=$(grep -c '^start' "$T/lb/switch.log")
expect_exit 3 $C rollback
printf '%s\n' "$ERR" | grep -q "refused: pool green no longer runs web-2 (h13 runs web-3; h14 runs web-3); nothing switched" || fail "$ERR"
[ "$(grep -c '^start' "$T/lb/switch.log")" = "$n" ] || fail "the switch ran"

step "deploy web-3 (schema 1) to green, then web-4 (schema 2, from 2) to blue"
expect_exit 0 $C deploy "$T/web-3.tgz"
[ "$(lb_get)" = web-3 ] || fail "the balancer serves '$(lb_get)'"
expect_exit 0 $C deploy "$T/web-4.tgz"
on web-4 $BLUE; on web-3 $GREEN
[ "$(lb_get)" = web-4 ] || fail "the balancer serves '$(lb_get)'"

step "rollback refused by the migration guard (exit 3); --force-schema switches"
expect_exit 3 $C rollback
printf '%s\n' "$ERR" | grep -q "refused: migration guard: web-3 runs against schema 1, but the applied schema runs releases from schema 2 on" || fail "$ERR"
[ "$(lb_get)" = web-4 ] || fail "the balancer serves '$(lb_get)'"
expect_exit 0 $C rollback --force-schema
[ "$(lb_get)" = web-3 ] || fail "the balancer serves '$(lb_get)'"

step "a host of the pool to go back to is down: refused (exit 3); status still knows the live pool"
expect_exit 0 $C deploy --pool blue "$T/web-5.tgz"
[ "$(lb_get)" = web-5 ] || fail "the balancer serves '$(lb_get)'"
stop_host h13
expect_exit 3 $C rollback
printf '%s\n' "$ERR" | grep -q "refused: pool green no longer runs web-3 (h13 unreachable)" || fail "$ERR"
expect_exit 5 $C status
printf '%s\n' "$OUT" | grep -q "^live pool: blue on web-5" || fail "status: $OUT"

step "newest record wins: a host that missed a switch holds an older record"
start_sshd h13
# Switch blue -> green with h12 down: h12 keeps the record of blue.
stop_host h12
expect_exit 0 $C rollback --force-schema
printf '%s\n' "$ERR" | grep -q "not recorded on h12" || fail "$ERR"
start_sshd h12
fresh_home s2
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q "^live pool: green on web-3" || fail "status: $OUT"
printf '%s\n' "$OUT" | grep -q "older switch record on: h12" || fail "status: $OUT"

step "rollback --to ID rolls the live pool back in place (no switch); --pool of the live pool is refused"
expect_exit 1 $C rollback --pool green
expect_exit 0 $C rollback --to web-2
on web-2 $GREEN

step "report counts the blue-green deploys and rollbacks; a failed switch is no deployment"
expect_exit 0 $C --json report
printf '%s\n' "$OUT" | python3 -c '
import json, sys
r = json.load(sys.stdin)
ro = r["rollouts"]
dep = {x["release"]: x for x in ro if x["kind"] == "deploy" and x["outcome"] != "aborted"}
back = [x for x in ro if x["kind"] == "rollback"]
print(r["deployments"], r["failed_deployments"], [(x["release"], x["outcome"]) for x in ro])
assert dep["web-2"]["outcome"] == "rolled-back", dep["web-2"]
assert dep["web-4"]["outcome"] == "rolled-back", dep["web-4"]
assert dep["web-1"]["outcome"] == "done", dep["web-1"]
assert [x["release"] for x in back if x["actor"] == "carol"] == ["web-1"], back
assert r["failed_deployments"] >= 3 and r["time_to_restore_median_s"] is not None, r
# The deploy whose switch failed never served: not-live, not a deployment; the
# re-run that only switched is one (rolled back later by rollback --to web-2).
w3 = [x["outcome"] for x in ro if x["kind"] == "deploy" and x["release"] == "web-3"]
assert w3 == ["not-live", "rolled-back"], w3
counted = [x for x in ro if x["kind"] == "deploy" and x["outcome"] not in ("aborted", "not-live")]
assert r["deployments"] == len(counted), (r["deployments"], len(counted))
' || fail "report: $OUT"

step "deploy by URL with a query string (a presigned URL): the idle pool gets it, then the switch"
# The archive is served by the live pool's own static server (h13), which this deploy never touches.
rel web-6
cp "$T/web-6.tgz" "$T/h13/root/current/web-6.tgz"
expect_exit 0 $C deploy "http://127.0.0.13:$WEB_PORT/web-6.tgz?X-Amz-Signature=abc" \
    --sha256 "$(sha256sum "$T/web-6.tgz" | cut -d' ' -f1)"
on web-6 $BLUE
[ "$(lb_get)" = web-6 ] || fail "the balancer serves '$(lb_get)'"
pass
