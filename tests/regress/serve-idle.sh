#!/bin/sh
# serve's idle timeout: a client that holds the lock and then says nothing
# is dropped (exit 0, one line on stderr) and the lock is free again; pings
# keep a session alive; a running request is never cut off by it; bad
# --idle-timeout values are usage errors. CUTOVER_TEST_IDLE_MIN lowers the
# 30 s minimum so that this takes seconds.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
A="$T/app"
make_release "$T/r1" "$T/web-1.tar.gz" one
agent deploy "$A" "$T/web-1.tar.gz" >/dev/null 2>&1 || fail "deploy"
export CUTOVER_TEST_IDLE_MIN=1
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }

step "HELLO advertises idle=SECONDS; --idle-timeout 0 advertises none"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths --idle-timeout 2 >"$T/out" 2>"$T/err" <<END
hello
read
END
has '^HELLO 1\.4 .* idle=2$'
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths --idle-timeout 0 >"$T/out" 2>"$T/err" <<END
hello
read
END
grep -q 'idle=' "$T/out" && fail "idle= advertised with the timeout off"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
read
END
has '^HELLO 1\.4 .* idle=60$'

step "a silent client holding the lock is dropped and the lock freed"
# The client's stdin stays open (a fifo nobody closes) but sends nothing after the lock.
mkfifo "$T/go"
"$PC" -t 30 -- "$CUTOVER_AGENT" serve --allow-paths --idle-timeout 2 <"$T/go" >"$T/out" 2>"$T/err" &
cpid=$!
at_exit "kill $cpid"
exec 7>"$T/go"
printf 'hello\nrequest 1 lock %s\nresult 1\n' "$A" >&7
i=0
until grep -q '^RESULT 1' "$T/out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no lock result"; sleep 0.1
done
has '^RESULT 1 err=0 exit=0'
expect_exit 4 agent pin "$A" web-1
i=0
until grep -q 'idle timeout' "$T/err" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$T/out" "$T/err"; fail "serve still running 10 s later"; }
	sleep 0.1
done
[ "$(grep -c 'idle timeout' "$T/err")" = 1 ] || fail "more than one line: $(cat "$T/err")"
grep -q "releasing the lock of $A" "$T/err" || fail "the line does not name the lock: $(cat "$T/err")"
# The client (our fifo) is still there: the agent left on its own, and the lock with it.
expect_exit 0 agent --wait 5 pin "$A" web-1
exec 7>&-
wait $cpid
has '^agent-exit 0'

step "pings keep the session; a request longer than the timeout is not cut off"
printf '[app slow]\nroot = %s\nhealth = sleep 3\nhealth_retries = 1\n' "$T/slow" > "$T/slow.ini"
agent --config "$T/slow.ini" deploy slow "$T/web-1.tar.gz" >/dev/null 2>&1 || fail "deploy slow"
"$PC" -t 30 -- "$CUTOVER_AGENT" --config "$T/slow.ini" serve --idle-timeout 2 >"$T/out" 2>"$T/err" <<END
hello
request 1 lock slow
result 1
sleep 1200
request 2 ping
result 2
sleep 1200
request 3 ping
result 3
sleep 1200
request 4 check slow
result 4
sleep 1200
request 5 unlock slow
result 5
END
has '^RESULT 2 err=0 exit=0'
has '^RESULT 3 err=0 exit=0'
has '^RESULT 4 err=0 exit=0 .*"healthy":true'
has '^RESULT 5 err=0 exit=0'
has '^agent-exit 0'
grep -q "idle timeout" "$T/err" && fail "timed out while pinged: $(cat "$T/err")"

step "bad --idle-timeout: one usage line, exit 2"
for v in -1 abc 86401 ""; do
	expect_exit 2 agent serve --idle-timeout "$v"
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "more than one line for \"$v\": $ERR"
	echo "$ERR" | grep -q -- '--idle-timeout' || fail "the error does not name the option: $ERR"
done
unset CUTOVER_TEST_IDLE_MIN
expect_exit 2 agent serve --idle-timeout 29
echo "$ERR" | grep -q '30-86400' || fail "the minimum is not 30 without the test variable: $ERR"
pass
