#!/bin/sh
# Benchmark of issue 10: a fleet-wide `cutover rollback` at 100 loopback
# sshd hosts now reads every host's status (the hosts hold the truth)
# before it moves any: its time, the time of a re-run with nothing left to
# undo (which must switch nothing), and `cutover status`, median of 3.
# A small release: the rollback cost does not depend on its size.
#	tests/bench/bench-rollback.sh      (make bench sets the paths)
# Environment: CUTOVER, CUTOVER_AGENT, HOSTS (default 100), FLEET_PORT.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
: "${FLEET_PORT:=2280}"
. "$top_srcdir/tests/lib-fleet.sh"
HOSTS=${HOSTS:-100}

start_fleet "$HOSTS"
# parallel = 256, an empty HOME for remote commands, sshd back after SIGHUP.
bench_fleet
make_release "$T/r1" "$T/web-1.tgz" v1
make_release "$T/r2" "$T/web-2.tgz" v2
C="$CUTOVER -f $T/fleet.ini"
secs() { _s=$(date +%s.%N); "$@" >/dev/null 2>&1 || fail "$* failed"; echo "$(date +%s.%N) - $_s" | bc; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
switches() { cat "$T"/h*/root/.cutover/journal | grep -c "op=\(activate\|rollback\)	phase=end.*outcome=ok"; }

$C deploy --batch 100% "$T/web-1.tgz" >/dev/null 2>&1 || fail "deploy web-1"
for r in 1 2 3; do
	$C deploy --batch 100% "$T/web-2.tgz" >/dev/null 2>&1 || fail "deploy web-2"
	secs $C rollback >> "$T/rb"
	[ "$(current_of h11)" = web-1 ] || fail "rollback did not go back"
	before=$(switches)
	secs $C rollback >> "$T/noop"
	[ "$(switches)" = "$before" ] || fail "the re-run switched a host"
	secs $C status >> "$T/st"
done
echo "=== bench-rollback: $HOSTS hosts, median of 3 ($(paste -sd' ' "$T/rb") / $(paste -sd' ' "$T/noop") / $(paste -sd' ' "$T/st"))"
printf '%-40s %6s s\n' "cutover rollback (reads every host first)" "$(median < "$T/rb")"
printf '%-40s %6s s\n' "cutover rollback re-run (no switch)" "$(median < "$T/noop")"
printf '%-40s %6s s\n' "cutover status" "$(median < "$T/st")"
pass
