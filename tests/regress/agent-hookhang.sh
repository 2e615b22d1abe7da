#!/bin/sh
# Hooks cannot hang the agent (issue 11): a hook that leaves a process
# holding (or flooding) its output pipe ends 1 s after its shell exits, the
# leftover never holds the lock, a setsid'ed daemon with its own output
# survives, and a flood of output sends a bounded number of events.
# cutover-agent.ini(5), HOOKS.
. "$top_srcdir/tests/lib.sh"

make_release "$T/r1" "$T/web-1.tgz" v1
make_release "$T/r2" "$T/web-2.tgz" v2
make_release "$T/r3" "$T/web-3.tgz" v3
R=$T/web
conf() {
	cat > "$T/agent.ini" <<INI
[app web]
root = $R
hook_timeout = 30
after_activate = $1
INI
}
# timed SECONDS ARGS...: the agent with a hard limit; $RC, and $ELAPSED ms.
timed() {
	_lim=$1; shift
	_s=$(date +%s%N)
	timeout -k 1 "$_lim" "$CUTOVER_AGENT" --config "$T/agent.ini" "$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	ELAPSED=$(( ($(date +%s%N) - _s) / 1000000 ))
}
# gone PID: the process ends (or is a zombie nobody reaped yet) within 5 s.
gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		_i=$((_i + 1)); [ $_i -lt 100 ] || return 1
		sleep 0.05
	done
}
# Kill what the hooks left, by the PIDs they wrote down.
at_exit 'for p in $(cat "$T"/*.pid 2>/dev/null); do kill "$p"; done'

step "a leftover that holds the pipe and keeps writing: the deploy ends within the grace"
conf "sh -c 'echo \$\$ > $T/flood.pid; exec yes flood' &"
timed 20 deploy web "$T/web-1.tgz"
[ "$RC" = 0 ] || fail "deploy exit $RC after $ELAPSED ms: $(tail -3 "$T/.err")"
[ "$ELAPSED" -lt 8000 ] || fail "deploy took $ELAPSED ms"
n=$(grep -c '^  | ' "$T/.err")
[ "$n" -le 2001 ] || fail "$n output lines shown (at most 2000 and one notice)"
grep -q 'more than 2000 lines of output' "$T/.err" || fail "no notice: $(tail -2 "$T/.err")"
gone "$(cat "$T/flood.pid")" || fail "the flooder lives on after its pipe closed"

step "a leftover that holds the pipe silently: the lock is free at once"
conf "sleep 60 & echo \$! > $T/sleeper.pid"
timed 20 deploy web "$T/web-2.tgz"
[ "$RC" = 0 ] || fail "deploy exit $RC: $(cat "$T/.err")"
[ "$ELAPSED" -lt 8000 ] || fail "deploy took $ELAPSED ms"
kill -0 "$(cat "$T/sleeper.pid")" || fail "the leftover was killed"
timed 10 rollback web
[ "$RC" = 0 ] || fail "rollback while the leftover runs: exit $RC: $(cat "$T/.err")"
kill "$(cat "$T/sleeper.pid")"

step "the documented daemon form survives and its output is its own"
conf "setsid sh -c 'echo \$\$ > $T/daemon.pid; echo started; exec sleep 60' >>$T/daemon.log 2>&1 </dev/null &"
timed 20 deploy web "$T/web-3.tgz"
[ "$RC" = 0 ] || fail "deploy exit $RC: $(cat "$T/.err")"
[ "$ELAPSED" -lt 5000 ] || fail "deploy took $ELAPSED ms"
sleep 0.3
kill -0 "$(cat "$T/daemon.pid")" || fail "the daemon did not survive"
grep -q started "$T/daemon.log" || fail "daemon log: $(cat "$T/daemon.log")"

step "a hook that runs past its timeout is killed, leftovers in its group too"
cat > "$T/agent.ini" <<INI
[app web]
root = $R
hook_timeout = 1
before_activate = sleep 50 & echo \$! > $T/late.pid; sleep 50
INI
timed 20 activate web web-1
[ "$RC" != 0 ] && [ "$RC" -lt 124 ] || fail "exit $RC: $(cat "$T/.err")"
grep -q 'timed out after 1 s' "$T/.err" || fail "$(cat "$T/.err")"
[ "$ELAPSED" -lt 6000 ] || fail "took $ELAPSED ms"
gone "$(cat "$T/late.pid")" || fail "the hook's background child survived the timeout"
pass
