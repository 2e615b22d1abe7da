#!/bin/bash
# Benchmark of issue 13 (scale): a small release to 50, 100 and 200
# loopback sshd hosts, side by side with the parallel ssh script
# (fleet-shell.sh) in the same run: deploy (batches of 10 %), fleet-wide
# rollback and status; wall time, CPU seconds (user + sys: the coordinator
# alone for cutover; the script with all its ssh clients), and the
# coordinator's peak RSS, in total and per host. Per-host figures that stay
# flat from the smallest fleet to the largest are what "linear" means here.
# Target (issue 13): rollback at 200 hosts at most a quarter of the script's
# time. Not part of `make check`: it measures.
#
#	tests/bench/bench-scale.sh          (make bench sets the paths)
#
# Environment: top_builddir or CUTOVER/CUTOVER_AGENT (default: the
# build-bench dir, else build), SIZES (default "50 100 200"; up to 1000:
# hosts past h254 get 127.0.1.x), RUNS (default 3: medians), FLEET_PORT
# (default 2290).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	top_builddir=$top_srcdir/build
	[ -x "$top_srcdir/build-bench/cutover" ] && top_builddir=$top_srcdir/build-bench
fi
: "${FLEET_PORT:=2290}"
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck source=tests/lib-fleet.sh
. "$top_srcdir/tests/lib-fleet.sh"

SIZES=${SIZES:-50 100 200}
RUNS=${RUNS:-3}
BENCH=$top_srcdir/tests/bench
TIME=/usr/bin/time
T0=$(date +%s)
[ -x "$TIME" ] || fail "$TIME missing (apt-get install -y time)"
MAXN=0
for n in $SIZES; do [ "$n" -gt $MAXN ] && MAXN=$n; done
[ $MAXN -ge 1 ] && [ $MAXN -le 1000 ] || fail "SIZES must be 1..1000 hosts"
# One socket per host in the coordinator, one ssh per host in the script.
want_fds=$((4 * MAXN + 256))
[ "$(ulimit -n)" -ge $want_fds ] || ulimit -n $want_fds 2>/dev/null ||
    fail "ulimit -n $(ulimit -n): $want_fds open files needed"

calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) printf "%.2f", a[(NR + 1) / 2]; else printf "%.2f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

step "start $MAXN sshd hosts"
t=$(date +%s)
start_fleet "$MAXN"
# Per-connection sshd children (Ansible's ControlPersist masters, sessions
# still exiting) go too; registered after start_fleet, so before the listeners.
at_exit fleet_kill_children
# parallel = 256, an empty HOME for remote commands, sshd back after SIGHUP;
# 200 handshakes at once on a small machine take longer than on a network.
bench_fleet
sed -i "s/^connect_timeout = .*/connect_timeout = 60/" "$T/fleet.ini"
echo "fleet of $MAXN sshd up in $(( $(date +%s) - t )) s"

make_release "$T/rel" "$T/web.tgz" v1
# Each size has a fleet file of its first N hosts (and so its own rollout
# journal): the coordinator parses and indexes what it deploys to, as in a
# real fleet of N.
for n in $SIZES; do
	awk -v n="$n" '/^\[host /{ k++ } k <= n' "$T/fleet.ini" > "$T/fleet.$n.ini"
	for k in $(seq 11 $((10 + n))); do echo "$(host_addr "h$k") $T/h$k/sh"; done > "$T/hosts-sh.$n"
done
export SSH_OPTS="-i $T/client -p $FLEET_PORT -o UserKnownHostsFile=$T/known_hosts -o IdentitiesOnly=yes"

# measure KEY CMD...: run CMD under /usr/bin/time; appends "wall cpu rss"
# to $T/m.KEY (cpu = user + sys, children included). Fails when CMD fails.
measure() {
	_k=$1; shift
	"$TIME" -f '%e %U %S %M' -o "$T/time.out" timeout -k 5 600 "$@" >> "$T/log.$_k" 2>&1 ||
	    { tail -20 "$T/log.$_k"; fail "$_k: $* failed"; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$T/time.out" >> "$T/m.$_k"
	echo "  $_k: $(tail -1 "$T/m.$_k" | awk '{ print $1 " s, " $2 " s CPU, " $3 " KiB" }')"
}
col() { awk -v c="$2" '{ print $c }' "$T/m.$1" | median; }
# check_on N SUBDIR ID: the first and the last host's SUBDIR/current -> releases/ID.
check_on() {
	for h in h11 "h$((10 + $1))"; do
		_l=$(readlink "$T/$h/$2/current" 2>/dev/null)
		[ "$_l" = "releases/$3" ] || fail "$h/$2: current -> ${_l:-nothing}, want releases/$3"
	done
}

for N in $SIZES; do
	C="$CUTOVER -f $T/fleet.$N.ini"
	B=$(( N / 10 > 0 ? N / 10 : 1 ))
	step "$N hosts: a release to go back to"
	$C deploy --batch 100% --release "c$N-0" "$T/web.tgz" > "$T/log.setup$N" 2>&1 || fail "cutover setup deploy"
	"$BENCH/fleet-shell.sh" deploy "$T/hosts-sh.$N" "$T/web.tgz" "s$N-0" "$N" >> "$T/log.setup$N" 2>&1 ||
	    fail "fleet-shell.sh setup deploy"
	for r in $(seq 1 "$RUNS"); do
		step "$N hosts: run $r"
		measure "cutdeploy$N" $C deploy --batch 10% --release "c$N-$r" "$T/web.tgz"
		check_on "$N" root "c$N-$r"
		measure "cutrb$N" $C rollback
		check_on "$N" root "c$N-$((r - 1))"
		measure "cutst$N" $C status
		measure "shdeploy$N" "$BENCH/fleet-shell.sh" deploy "$T/hosts-sh.$N" "$T/web.tgz" "s$N-$r" "$B"
		check_on "$N" sh "s$N-$r"
		measure "shrb$N" "$BENCH/fleet-shell.sh" rollback "$T/hosts-sh.$N"
		check_on "$N" sh "s$N-$((r - 1))"
		measure "shst$N" "$BENCH/fleet-shell.sh" status "$T/hosts-sh.$N"
		# The next run deploys on top of the release rolled back to.
		$C deploy --batch 100% --release "c$N-$r" "$T/web.tgz" >> "$T/log.setup$N" 2>&1 || fail "redeploy c$N-$r"
		"$BENCH/fleet-shell.sh" deploy "$T/hosts-sh.$N" "$T/web.tgz" "s$N-$r" "$N" >> "$T/log.setup$N" 2>&1 ||
		    fail "fleet-shell.sh redeploy s$N-$r"
	done
done

# ---- the report ----------------------------------------------------------
MISSED=""
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }
echo
echo "=== bench-scale: a $(stat -c %s "$T/web.tgz")-byte release; $(nproc) cores; median of $RUNS runs"
echo "    coordinator: $CUTOVER"
for N in $SIZES; do
	echo
	echo "--- $N hosts           wall s  script s  cutover/script   CPU s  script CPU s   CPU ms/host   peak RSS KiB  KiB/host"
	for op in deploy rollback status; do
		case $op in deploy) c=cutdeploy s=shdeploy ;; rollback) c=cutrb s=shrb ;; status) c=cutst s=shst ;; esac
		cw=$(col "$c$N" 1); sw=$(col "$s$N" 1); cc=$(col "$c$N" 2); sc=$(col "$s$N" 2); rss=$(col "$c$N" 3)
		printf '%-19s %8s %9s %15sx %7s %13s %13s %14s %9s\n' "$op" "$cw" "$sw" "$(calc "$cw / $sw")" \
		    "$cc" "$sc" "$(calc "$cc * 1000 / $N")" "${rss%.*}" "$(calc "$rss / $N")"
	done
done
set -- $SIZES
LO=$1
for N in $SIZES; do HI=$N; done
if [ "$HI" != "$LO" ]; then
	echo
	echo "--- growth from $LO to $HI hosts (per added host; flat per-host figures above = linear)"
	for op in deploy rollback status; do
		case $op in deploy) c=cutdeploy ;; rollback) c=cutrb ;; status) c=cutst ;; esac
		printf '%-19s CPU %s ms, peak RSS %s KiB per added host\n' "$op" \
		    "$(calc "($(col "$c$HI" 2) - $(col "$c$LO" 2)) * 1000 / ($HI - $LO)")" \
		    "$(calc "($(col "$c$HI" 3) - $(col "$c$LO" 3)) / ($HI - $LO)")"
	done
fi
echo
echo "--- targets (issue 13)"
for N in $SIZES; do
	[ "$N" = 200 ] || continue
	CR=$(col "cutrb$N" 1); SR=$(col "shrb$N" 1)
	if [ "$(le "$CR" "$(calc "$SR / 4")")" = 1 ]; then
		echo "  met:    rollback at 200 <= a quarter of the script's ($CR s vs $SR s)"
	else
		echo "  MISSED: rollback at 200 <= a quarter of the script's ($CR s vs $SR s)"; MISSED=rollback
	fi
done
echo "total wall time: $(( $(date +%s) - T0 )) s"
[ -z "$MISSED" ] || echo "targets missed: $MISSED"
exit 0
