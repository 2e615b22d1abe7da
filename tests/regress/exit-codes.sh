#!/bin/sh
# Every documented exit code of both programs, from one table (cutover(1)
# and cutover-agent(8), EXIT STATUS), on a real sshd fleet; and a live
# rollout told from an interrupted one: status says it is running, and
# rollback refuses (exit 4) instead of announcing it goes back from it.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 11))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 2
C="$CUTOVER -f $T/fleet.ini"
A="$CUTOVER_AGENT --config $T/h11/agent.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2
make_release "$T/r3" "$T/web-3.0.tgz" v3
head -c 60 "$T/web-2.0.tgz" > "$T/web-9.0.tgz"	# cut off: a bad archive

# A second agent config on h11 whose health check always fails.
sed 's|^health = .*|health = false|; s|^\[app web\]|[app sick]|; s|/root$|/sick|' "$T/h11/agent.ini" > "$T/sick.ini"
mkdir -p "$T/h11/sick"

# Fleet variants: no known_hosts; one host whose agent has no config.
sed "s|^known_hosts = .*|known_hosts = $T/nope|" "$T/fleet.ini" > "$T/nokh.ini"
sed "s|--config $T/h12/agent.ini|--config $T/missing.ini|" "$T/fleet.ini" > "$T/noconf.ini"

hold_locks() {	# hold_locks HOST...: flock each host's app lock from a process we own
	for _h in "$@"; do
		mkdir -p "$T/$_h/root/.cutover"
		# The subshell itself becomes the holder: killing $! frees the lock.
		( exec 9>>"$T/$_h/root/.cutover/lock"; flock 9; exec sleep 60 ) &
		echo $! >> "$T/lockers"
	done
	sleep 0.3
}
release_locks() {
	for _p in $(cat "$T/lockers" 2>/dev/null); do kill "$_p" 2>/dev/null || true; done
	: > "$T/lockers"
	sleep 0.2
}
at_exit release_locks

# check WANT DESCRIPTION COMMAND...: one row of the table.
check() {
	_want=$1; _what=$2; shift 2
	step "exit $_want: $_what"
	expect_exit "$_want" "$@"
}

expect_exit 0 $C deploy "$T/web-1.0.tgz"

# --- cutover-agent ----------------------------------------------------------
check 0 "agent status" $A status web
check 1 "agent deploy whose health check fails (reversed)" $CUTOVER_AGENT --config "$T/sick.ini" deploy sick "$T/web-1.0.tgz"
check 2 "agent: unknown command" $A frobnicate web
check 2 "agent: missing config file" $CUTOVER_AGENT --config "$T/missing.ini" status web
check 3 "agent: cut-off archive" $A install web "$T/web-9.0.tgz"
[ ! -d "$T/h11/root/releases/web-9.0" ] || fail "a rejected archive left a release"
check 3 "agent: invalid release ID" $A rollback web --to "../etc"
check 3 "agent: rollback with no previous release" $A rollback web
hold_locks h11
check 4 "agent: the lock is held" $A deploy web "$T/web-2.0.tgz"
release_locks
[ "$(current_of h11)" = web-1.0 ] || fail "h11 moved to $(current_of h11)"

# --- cutover ----------------------------------------------------------------
check 0 "status" $C status
check 2 "unknown option" $C deploy --frobnicate "$T/web-2.0.tgz"
check 2 "missing fleet file" $CUTOVER -f "$T/none.ini" status
check 2 "missing known_hosts, named" $CUTOVER -f "$T/nokh.ini" status
printf '%s\n' "$ERR" | grep -q "known_hosts $T/nope" || fail "not named: $ERR"
check 2 "an agent without its config" $CUTOVER -f "$T/noconf.ini" status
printf '%s\n' "$OUT$ERR" | grep -q "missing.ini" || fail "not named: $OUT $ERR"
check 3 "rollback with no previous release on any host" $C rollback
check 3 "rollback --to an invalid ID, refused before any host is asked" $C rollback --to "bad/id"
printf '%s\n' "$ERR" | grep -q 'not a valid release ID' || fail "$ERR"
[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "one line wanted: $ERR"
check 3 "rollback --to a release no host has" $C rollback --to web-7.0
check 3 "deploy of a cut-off archive" $C deploy "$T/web-9.0.tgz"
for h in h11 h12; do [ "$(current_of $h)" = web-1.0 ] || fail "$h on $(current_of $h)"; done
hold_locks h11 h12
check 4 "deploy while another operation holds the locks" $C deploy "$T/web-2.0.tgz"
check 4 "rollback while another operation holds the locks" $C rollback
release_locks
expect_exit 0 $C deploy "$T/web-2.0.tgz"
sed -i 's|^health = .*|health = test "$CUTOVER_RELEASE" != web-3.0|' "$T/h12/agent.ini"
check 1 "deploy whose health check fails on a host (reversed)" $C deploy --batch 1 "$T/web-3.0.tgz"
for h in h11 h12; do [ "$(current_of $h)" = web-2.0 ] || fail "$h on $(current_of $h)"; done
sed -i 's|^health = .*|health = true|' "$T/h12/agent.ini"

# --- a live rollout is not an interrupted one -------------------------------
step "status and rollback during a running deploy"
# The health check holds the rollout open until the test lets it go (bounded: 30 s).
sed -i "s/^health_timeout = .*/health_timeout = 60/" "$T/h12/agent.ini"
sed -i "s|^health = .*|health = touch $T/h12.started; i=0; while [ ! -e $T/h12.go ] \&\& [ \$i -lt 300 ]; do sleep 0.1; i=\$((i+1)); done|" "$T/h12/agent.ini"
$C deploy --batch 1 "$T/web-3.0.tgz" > "$T/live.out" 2>&1 &
live=$!
at_exit "kill $live 2>/dev/null"
i=0; while [ ! -e "$T/h12.started" ]; do i=$((i+1)); [ $i -le 200 ] || fail "h12 never started"; sleep 0.05; done
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q "is running" || fail "status: $OUT"
printf '%s\n' "$OUT" | grep -q "interrupted" && fail "a live rollout called interrupted: $OUT"
check 4 "rollback while a rollout is running" $C rollback
printf '%s\n' "$ERR" | grep -q "still running" || fail "$ERR"
touch "$T/h12.go"
wait $live || fail "the live deploy failed: $(cat "$T/live.out")"
for h in h11 h12; do [ "$(current_of $h)" = web-3.0 ] || fail "$h on $(current_of $h)"; done
sed -i 's|^health = .*|health = true|' "$T/h12/agent.ini"

step "the already-current release is reported unchanged, not switched"
expect_exit 0 $C deploy "$T/web-3.0.tgz"
printf '%s\n' "$OUT" | grep -Eq '^h11 +unchanged' || fail "$OUT"

stop_host h12
check 5 "status with a host down" $C status
printf '%s\n' "$OUT" | grep -q '^h12 .* no: ' || fail "$OUT"
pass
