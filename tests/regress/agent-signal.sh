#!/bin/bash
# SIGTERM (a cancelled CI job) mid-health-check reverses like a failed check;
# SIGTERM mid-upload from stdin removes the staging tree. No stale lock either way.
# Every long phase (archive open, filter setup, unpack, hooks, health checks
# and the wait between them, serve) stops within a second (issue 14).
. "$top_srcdir/tests/lib.sh"

# stop PID: SIGTERM, wait; $rc is its exit code, and it must take < 1.5 s.
stop() {
	_t0=$(date +%s%N)
	kill -TERM "$1"
	wait "$1"; rc=$?
	_ms=$(( ($(date +%s%N) - _t0) / 1000000 ))
	echo "$STEP: SIGTERM to exit $_ms ms (exit $rc)"
	[ "$_ms" -lt 1500 ] || fail "took $_ms ms to stop"
}
# wait_for COND...: up to 10 s for a shell condition.
wait_for() {
	for _ in $(seq 1 100); do eval "$1" && return 0; sleep 0.1; done
	fail "never true: $1"
}

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
health = touch $T/checking; sleep 30
health_timeout = 60
health_retries = 1
INI
A() { agent --config "$T/agent.ini" "$@"; }
make_release "$T/v1" "$T/web-1.tgz" v1
make_release "$T/v2" "$T/web-2.tgz" v2
sed -i 's/^health = .*/health = true/' "$T/agent.ini"
expect_exit 0 A deploy web "$T/web-1.tgz"
sed -i "s|^health = .*|health = touch $T/checking; exec sleep 30|" "$T/agent.ini"

step "SIGTERM during the health check: exit 1, previous release current"
"$CUTOVER_AGENT" --config "$T/agent.ini" deploy web "$T/web-2.tgz" >"$T/d.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
for _ in $(seq 1 100); do [ -e "$T/checking" ] && break; sleep 0.1; done
[ -e "$T/checking" ] || fail "health check never started"
stop $pid
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/d.out")"
[ "$(readlink "$R/current")" = releases/web-1 ] || fail "current is $(readlink "$R/current")"
grep -q "interrupted" "$T/d.out" || fail "no interruption message: $(cat "$T/d.out")"

step "SIGTERM while reading the archive from stdin: staging removed, exit 1"
sed -i 's/^health = .*/health = true/' "$T/agent.ini"
mkfifo "$T/fifo"
"$CUTOVER_AGENT" --config "$T/agent.ini" install web - --release web-3 <"$T/fifo" >"$T/i.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
exec 7>"$T/fifo"
head -c 2000 "$T/web-2.tgz" >&7
for _ in $(seq 1 100); do [ -n "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] && break; sleep 0.05; done
[ -n "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "install never started staging"
stop $pid
exec 7>&-
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/i.out")"
[ -z "$(ls -A "$R/.cutover/staging")" ] || fail "staging left: $(ls -A "$R/.cutover/staging")"
[ ! -e "$R/releases/web-3" ] || fail "partial release"
grep -q "interrupted by signal 15" "$T/i.out" || fail "no reason: $(cat "$T/i.out")"
expect_exit 0 A deploy web "$T/web-2.tgz"

head -c 300000 /dev/urandom > "$T/r.bin"
tar -C "$T" -cf - r.bin | xz -1 > "$T/big.tar.xz"
(cd "$T" && zip -q big.zip r.bin)
printf '\037\213\010\000' > "$T/gzhead"

# stdin_phase NAME FILE BYTES: an archive's first bytes only, then silence; SIGTERM.
stdin_phase() {
	step "SIGTERM in $1: exit 1, nothing left"
	rm -f "$T/fifo" && mkfifo "$T/fifo"
	"$CUTOVER_AGENT" --config "$T/agent.ini" install web - --release web-4 <"$T/fifo" >"$T/p.out" 2>&1 &
	pid=$!
	at_exit "kill -9 $pid"
	exec 7>"$T/fifo"
	head -c "$3" "$2" >&7
	wait_for '[ -n "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ]'
	sleep 0.3
	stop $pid
	exec 7>&-
	[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/p.out")"
	[ -z "$(ls -A "$R/.cutover/staging")" ] || fail "staging left"
	[ ! -e "$R/releases/web-4" ] || fail "partial release"
}
stdin_phase "the gzip header (open)" "$T/gzhead" 4
stdin_phase "xz filter setup and unpack" "$T/big.tar.xz" 3000
stdin_phase "a zip being spooled" "$T/big.zip" 3000

step "SIGTERM in before_activate: exit 1, current unchanged"
cat >> "$T/agent.ini" <<INI
before_activate = touch $T/hooking; exec sleep 30
INI
"$CUTOVER_AGENT" --config "$T/agent.ini" deploy web "$T/web-1.tgz" --release web-5 >"$T/b.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
wait_for '[ -e "$T/hooking" ]'
stop $pid
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/b.out")"
[ "$(readlink "$R/current")" = releases/web-2 ] || fail "current is $(readlink "$R/current")"
sed -i '/^before_activate/d' "$T/agent.ini"

step "SIGTERM between health check attempts: exit 1, previous release current"
sed -i "s|^health = .*|health = touch $T/between; false|; s|^health_retries = .*|health_retries = 3\nhealth_interval = 30|" "$T/agent.ini"
rm -f "$T/between"
"$CUTOVER_AGENT" --config "$T/agent.ini" deploy web "$T/web-1.tgz" --release web-6 >"$T/h.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid"
wait_for '[ -e "$T/between" ]'
sleep 0.5
stop $pid
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/h.out")"
[ "$(readlink "$R/current")" = releases/web-2 ] || fail "current is $(readlink "$R/current")"

step "SIGTERM to an idle serve: it leaves"
rm -f "$T/fifo" && mkfifo "$T/fifo"
"$CUTOVER_AGENT" --config "$T/agent.ini" serve <"$T/fifo" >"$T/s.out" 2>"$T/s.err" &
pid=$!
at_exit "kill -9 $pid"
exec 7>"$T/fifo"
wait_for '[ -s "$T/s.out" ]'	# its HELLO
stop $pid
exec 7>&-
[ $rc -ne 0 ] || fail "exit 0 after a signal"
grep -q "stopped by signal 15" "$T/s.err" || fail "no reason: $(cat "$T/s.err")"
pass
