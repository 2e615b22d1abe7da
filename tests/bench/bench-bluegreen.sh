#!/bin/sh
# Benchmark of issue 16: time from `cutover rollback` to the load balancer
# (nginx on loopback, the GUIDE's lb-switch) serving only the previous
# release, blue-green (switch back, no host touched) against a rolling
# rollback of the same hosts behind the same balancer, same run; median of
# 3 each. "Serving only": the first response of the final unbroken run of
# previous-release answers (polled every 2 ms, 400 ms of them in a row).
# Both commands first read every host's status over ssh (connection setup
# dominates on loopback); the blue-green one then only runs the switch, the
# rolling one switches every host (health check "true" here: a real app's
# restart and health check add to it, per batch).
#	tests/bench/bench-bluegreen.sh      (make bench sets the paths)
# Environment: CUTOVER, CUTOVER_AGENT, HOSTS (default 20: two pools of 10),
# RESTART_S (default 1: the rolling rollback is measured again with an app
# that takes that long to restart, played by a before_activate hook),
# FLEET_PORT_BASE (ports +89..+91).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 89))
LB_PORT=$((${FLEET_PORT_BASE:-2300} + 90))
WEB_PORT=$((${FLEET_PORT_BASE:-2300} + 91))
. "$top_srcdir/tests/lib-fleet.sh"
. "$top_srcdir/tests/lib-lb.sh"
lb_require
HOSTS=${HOSTS:-20}
RESTART_S=${RESTART_S:-1}

start_fleet "$HOSTS"
bench_fleet
half=$((HOSTS / 2))
BLUE=$(echo $FLEET_HOSTS | cut -d' ' -f1-$half)
GREEN=$(echo $FLEET_HOSTS | cut -d' ' -f$((half + 1))-)
cp "$T/fleet.ini" "$T/roll.ini"
sed "/^\[fleet\]/a blue_green = blue green\nswitch = sh $T/lb/switch.sh" "$T/fleet.ini" > "$T/bg.ini"
printf '\n[group blue]\nhosts = %s\n\n[group green]\nhosts = %s\n' "$BLUE" "$GREEN" >> "$T/bg.ini"
# shellcheck disable=SC2086
lb_backends $FLEET_HOSTS
lb_start blue "$BLUE" green "$GREEN"
for v in 1 2 3 4; do make_release "$T/r$v" "$T/web-$v.tgz" "web-$v"; done

# restored CMD...: run CMD; print ms from its start to the balancer serving only what it serves at the end.
restored() {
	rm -f "$T/go" "$T/poll.out"
	python3 - "http://127.0.0.1:$LB_PORT/" "$T/go" "$T/poll.out" <<'PY' &
import os, sys, time, urllib.request
url, go, out = sys.argv[1:4]
end = time.time() + 120
while not os.path.exists(go) and time.time() < end:
    time.sleep(0.001)
t0 = int(open(go).read())
last, run_start, n = None, None, 0
while time.time() < end and n < 200000:
    t = time.time() * 1000
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = r.read().decode().strip()
    except Exception as e:
        body = "error:" + type(e).__name__
    n += 1
    if body != last:
        last, run_start = body, t
    if os.path.exists(go + ".done") and t - run_start >= 400:
        break
    time.sleep(0.002)
open(out, "w").write("%d %s %d\n" % (run_start - t0, last, run_start))
PY
	_pp=$!
	rm -f "$T/go.done"
	date +%s%3N > "$T/go"
	"$@" >/dev/null 2>"$T/cmd.err" || { cat "$T/cmd.err"; kill $_pp; fail "$* failed"; }
	: > "$T/go.done"
	wait $_pp
	cat "$T/poll.out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
lb_pool() {
	LIVE_CONF="$T/lb/live.conf" NGINX_CMD="$NGINX -p $T/lb -c $T/lb/nginx.conf" PIDFILE="$T/lb/nginx.pid" \
	    URL="http://127.0.0.1:$LB_PORT/" CUTOVER_LIVE=$1 CUTOVER_RELEASE=- CUTOVER_PREVIOUS_LIVE=- sh "$T/lb/lb-switch" >/dev/null || fail "lb-switch $1"
}

# Rolling: every host behind the balancer, deploy web-2 over web-1, roll back.
R="$CUTOVER -f $T/roll.ini"
$R deploy --batch 100% "$T/web-1.tgz" >/dev/null 2>&1 || fail "deploy web-1"
lb_pool all
# rolling_rounds OUT: 3 times deploy web-2 over web-1 and roll back; the ms to restored into OUT.
rolling_rounds() {
	for r in 1 2 3; do
		$R deploy --batch 100% "$T/web-2.tgz" >/dev/null 2>&1 || fail "deploy web-2 ($1)"
		set -- "$1" $(restored $R rollback)
		[ "$3" = web-1 ] || fail "rolling rollback ($1): the balancer ends on $3"
		echo "$2" >> "$T/$1"
	done
}
rolling_rounds roll

# Rolling again, with an app that takes RESTART_S to come back: what a real rolling
# rollback also waits for, and a blue-green one never does. The static server here
# serves a release the moment `current` moves, so the restart is played by a
# before_activate hook (the time before the host serves the release it goes to).
for h in $FLEET_HOSTS; do echo "before_activate = sleep $RESTART_S" >> "$T/$h/agent.ini"; done
rolling_rounds roll-restart

# Blue-green: web-3 live on blue; each round deploys web-4 to green (the 2nd and 3rd time only the
# switch runs: green already has it) and rolls back to blue.
B="$CUTOVER -f $T/bg.ini"
lb_pool blue
$B deploy --pool blue "$T/web-3.tgz" >/dev/null 2>&1 || fail "deploy web-3 to blue"
for r in 1 2 3; do
	$B deploy "$T/web-4.tgz" >/dev/null 2>"$T/dep.err" || { cat "$T/dep.err"; fail "deploy web-4"; }
	set -- $(restored $B rollback)
	[ "$2" = web-3 ] || fail "blue-green rollback: the balancer ends on $2"
	echo "$1" >> "$T/bg"
	# Of which the switch: from lb-switch's start to the balancer serving blue only.
	echo $(($3 - $(grep '^start' "$T/lb/switch.log" | tail -1 | cut -d' ' -f2))) >> "$T/sw"
done
echo "=== bench-bluegreen: $HOSTS hosts ($half per pool), median of 3 ($(paste -sd' ' "$T/bg") / $(paste -sd' ' "$T/roll") ms)"
printf '%-58s %6s ms\n' "cutover rollback, blue-green (switch back), to LB serving" "$(median < "$T/bg")"
printf '%-58s %6s ms\n' "  of which the switch command, to LB serving" "$(median < "$T/sw")"
printf '%-58s %6s ms\n' "cutover rollback, rolling (every host), to LB serving" "$(median < "$T/roll")"
printf '%-58s %6s ms\n' "  the same, app restart of ${RESTART_S} s (before_activate)" "$(median < "$T/roll-restart")"
pass
