#!/bin/bash
# Benchmark of issue 12: `cutover report --json` over 100 loopback sshd
# hosts whose journals hold 1,000 records each (250 fleet rollouts of 4
# records: install and activate, begin and end; every 10th rollout is
# reversed with a rollback), timed (median of RUNS) with the coordinator's
# peak RSS (/usr/bin/time). Targets: under 2 s and 64 MiB on this machine.
# Not part of `make check`: it measures.
#
#	tests/bench/bench-report.sh          (make bench sets the paths)
#
# Environment: top_builddir or CUTOVER/CUTOVER_AGENT, HOSTS (default 100),
# RECORDS (default 1000), RUNS (default 3), FLEET_PORT (2222).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	top_builddir=$top_srcdir/build
	[ -x "$top_srcdir/build-bench/cutover" ] && top_builddir=$top_srcdir/build-bench
fi
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck source=tests/lib-fleet.sh
. "$top_srcdir/tests/lib-fleet.sh"

HOSTS=${HOSTS:-100}
RECORDS=${RECORDS:-1000}
RUNS=${RUNS:-3}
TIME=/usr/bin/time
[ -x "$TIME" ] || fail "$TIME missing (apt-get install -y time)"

step "start $HOSTS sshd hosts"
start_fleet "$HOSTS"
# parallel = 256, an empty HOME for remote commands, sshd back after SIGHUP
# (lib-fleet.sh); 100 handshakes on this 2-core machine are slower than on a
# real network, so connect_timeout is raised.
bench_fleet
sed -i "s/^connect_timeout = .*/connect_timeout = 30/" "$T/fleet.ini"

step "write $RECORDS journal records per host"
# One journal, copied to every host: the same rollouts on every host, as a fleet has them.
awk -v n="$RECORDS" 'BEGIN {
	ts = 1764000000000; r = 0; OFS = "\t"
	for (i = 0; i < n; i += 4) {
		r++; id = sprintf("20261101T%06dZ-%08x", r, r); rel = "web-" r; prev = "web-" (r - 1)
		back = r % 10 == 0 && i + 8 <= n
		print "time=2026-11-01T00:00:00Z", "op=install", "phase=begin", "release=" rel, "ts_ms=" sprintf("%.0f", ts), "rollout=" id, "kind=deploy", "actor=bench", ""
		ts += 1000
		print "time=2026-11-01T00:00:01Z", "op=install", "phase=end", "release=" rel, "outcome=ok", "duration_ms=900", "sha256=" sprintf("%064d", r), "committed_at=2025-11-20T00:00:00Z", "manifest=1", "ts_ms=" sprintf("%.0f", ts), "rollout=" id, "kind=deploy", "actor=bench", ""
		ts += 1000
		print "time=2026-11-01T00:00:02Z", "op=activate", "phase=begin", "release=" rel, "previous=" prev, "via=deploy", "ts_ms=" sprintf("%.0f", ts), "rollout=" id, "kind=deploy", "actor=bench", ""
		ts += 2000
		print "time=2026-11-01T00:00:04Z", "op=activate", "phase=end", "release=" rel, "previous=" prev, "outcome=ok", "duration_ms=2000", "via=deploy", "ts_ms=" sprintf("%.0f", ts), "rollout=" id, "kind=deploy", "actor=bench", ""
		ts += 3600000
		if (back) {
			print "time=2026-11-01T01:00:00Z", "op=rollback", "phase=begin", "release=" prev, "previous=" rel, "ts_ms=" sprintf("%.0f", ts), "rollout=" id "-rb", "kind=rollback", "actor=bench", ""
			ts += 1500
			print "time=2026-11-01T01:00:01Z", "op=rollback", "phase=end", "release=" prev, "previous=" rel, "outcome=ok", "duration_ms=1500", "ts_ms=" sprintf("%.0f", ts), "rollout=" id "-rb", "kind=rollback", "actor=bench", ""
			ts += 60000; i += 2
		}
	}
}' > "$T/journal"
[ "$(wc -l < "$T/journal")" -ge "$RECORDS" ] || fail "journal: $(wc -l < "$T/journal") lines"
for h in $FLEET_HOSTS; do mkdir -p "$T/$h/root/.cutover" "$T/$h/root/releases"; cp "$T/journal" "$T/$h/root/.cutover/journal"; done

step "the floor: cutover status (connections and a request per host) x $RUNS"
ftimes=""
for r in $(seq "$RUNS"); do
	"$TIME" -f '%e %M' -o "$T/ftime.$r" "$CUTOVER" -f "$T/fleet.ini" status > /dev/null 2> "$T/ferr.$r" ||
	    fail "status exit $?: $(tail -n 3 "$T/ferr.$r")"
	read -r e m < "$T/ftime.$r"
	ftimes="$ftimes $e"
done
fmed=$(printf '%s\n' $ftimes | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "status (floor): median ${fmed} s (runs:$ftimes)"

step "cutover report --json --since 3650 x $RUNS"
times=""; rss=0; cpu=""
for r in $(seq "$RUNS"); do
	"$TIME" -f '%e %M %U %S' -o "$T/time.$r" "$CUTOVER" -f "$T/fleet.ini" report --json --since 3650 > "$T/report.$r" 2> "$T/err.$r" ||
	    fail "report exit $?: $(tail -n 3 "$T/err.$r")"
	grep -q "\"deployments\":[1-9]" "$T/report.$r" || fail "no deployments: $(head -c 300 "$T/report.$r")"
	read -r e m u sy < "$T/time.$r"
	times="$times $e"
	cpu="$cpu $u+$sy"
	[ "$m" -gt "$rss" ] && rss=$m
done
med=$(printf '%s\n' $times | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "report: $HOSTS hosts x $(wc -l < "$T/journal") records: median ${med} s (runs:$times), peak RSS $((rss / 1024)) MiB ($rss KiB); coordinator CPU user+sys:$cpu s"
head -c 400 "$T/report.1"; echo
awk -v t="$med" -v m="$rss" 'BEGIN { exit !(t < 2.0 && m < 65536) }' || fail "over target (2 s, 64 MiB)"
pass
