#!/bin/sh
# cutover-agent serve over a pipe pair: handshake, upload+deploy, have/dedupe,
# history records, session lock vs. the CLI, version mismatch.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
A="$T/app"
make_release "$T/r1" "$T/web-1.tar.gz" one
make_release "$T/r2" "$T/web-2.tar.gz" two
S1=$(sha256sum "$T/web-1.tar.gz" | cut -d' ' -f1)
S2=$(sha256sum "$T/web-2.tar.gz" | cut -d' ' -f1)
client() { "$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err"; }
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }

step "handshake and deploy with a streamed upload"
client <<END
hello
read
request 1 deploy $A release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
END
has "^HELLO 1\.4 upload have lock"
has '^EVENT 1 '
has '^RESULT 1 err=0 exit=0 .*"release":"web-1".*"have":false'
has '^agent-exit 0'
[ "$(readlink "$A/current")" = releases/web-1 ] || fail "current is not web-1"
[ "$(cat "$A/current/index.html")" = one ] || fail "content"

step "have and the install shortcut send no data"
client <<END
hello
request 2 have $A sha256=$S1
result 2
request 3 have $A sha256=$S2
result 3
request 4 install $A release=web-1 sha256=$S1
result 4
END
has '^RESULT 2 err=0 exit=0 {"have":true,"release":"web-1"'
has '^RESULT 3 err=0 exit=0 {"have":false'
has '^RESULT 4 err=0 exit=0 .*"have":true'

step "install without sha256 up front, checked at DATA_END; then activate, rollback, history"
client <<END
hello
request 5 install $A archive_name=web-2.tar.gz
upload 5 $T/web-2.tar.gz $S2
result 5
request 6 activate $A release=web-2
result 6
request 7 rollback $A
result 7
request 8 history $A
result 8
request 9 status $A
result 9
END
has '^RESULT 5 err=0 exit=0 .*"release":"web-2"'
has '^RESULT 6 err=0 exit=0 '
has '^RESULT 7 err=0 exit=0 .*"release":"web-1"'
has '^RECORD 8 .*"op":"rollback"'
has '^RESULT 9 err=0 exit=0 .*"current":"web-1"'
[ "$(readlink "$A/current")" = releases/web-1 ] || fail "rollback did not move current"

step "a session lock keeps the CLI out until unlock"
mkfifo "$T/go"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths <"$T/go" >"$T/out" 2>"$T/err" &
cpid=$!
at_exit "kill $cpid"
exec 7>"$T/go"
printf 'hello\nrequest 10 lock %s\nresult 10\n' "$A" >&7
i=0
until grep -q '^RESULT 10' "$T/out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no lock result"; sleep 0.1
done
has '^RESULT 10 err=0 exit=0'
expect_exit 4 agent prune "$A"
printf 'request 11 prune %s keep:=1\nresult 11\nrequest 12 unlock %s\nresult 12\n' "$A" "$A" >&7
exec 7>&-
wait $cpid
has '^RESULT 11 err=0 exit=0'
has '^RESULT 12 err=0 exit=0'
expect_exit 0 agent prune "$A"

step "another major version gets one ERROR and a close"
client <<END
hello 2
drain
END
has '^ERROR -15 protocol version mismatch: agent speaks 1\.4, client 2\.[0-9]'
has '^agent-exit 1'
grep -q "version mismatch" "$T/err" || fail "no message on stderr"
step "deploy by the have shortcut prunes like a deploy with an upload"
P="$T/p"
printf '[app p]\nroot = %s\nkeep = 1\nhealth = true\n' "$P" > "$T/keep1.ini"
make_release "$T/r3" "$T/web-3.tar.gz" three
S3=$(sha256sum "$T/web-3.tar.gz" | cut -d' ' -f1)
"$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/keep1.ini" serve >"$T/out" 2>"$T/err" <<END
hello
request 1 deploy p release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
request 2 deploy p release=web-2 sha256=$S2
upload 2 $T/web-2.tar.gz $S2 1000
result 2
request 3 install p release=web-3 sha256=$S3
upload 3 $T/web-3.tar.gz $S3 1000
result 3
request 4 deploy p release=web-3 sha256=$S3
result 4
END
has '^RESULT 4 err=0 exit=0 .*"have":true'
[ "$(readlink "$P/current")" = releases/web-3 ] || fail "current is not web-3"
[ -d "$P/releases/web-2" ] || fail "the rollback target web-2 was pruned"
[ -e "$P/releases/web-1" ] && { cat "$T/out"; fail "web-1 kept: the shortcut deploy did not prune (keep = 1)"; }

step "EVENT frames go out while a slow health check runs, before the RESULT"
# The health check prints a line, then takes 2 s; each frame the client
# prints is stamped on arrival. The check's output EVENT must arrive before
# the check ends (its last act is to stamp $T/hend), not with the RESULT.
H="$T/h"
printf '[app h]\nroot = %s\nhealth = echo checking && sleep 2 && date +%%s%%N > %s\nhealth_retries = 1\n' \
    "$H" "$T/hend" > "$T/slow.ini"
"$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/slow.ini" serve 2>"$T/err" <<END |
hello
request 1 deploy h release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
END
while IFS= read -r line; do printf '%s %s\n' "$(date +%s%N)" "$line"; done > "$T/out"
has '^[0-9]* RESULT 1 err=0 exit=0 '
ev=$(sed -n 's/^\([0-9]*\) EVENT 1 .*"line":"checking".*/\1/p' "$T/out")
res=$(sed -n 's/^\([0-9]*\) RESULT 1 .*/\1/p' "$T/out")
[ -n "$ev" ] || { cat "$T/out"; fail "no EVENT with the health check's output"; }
[ -s "$T/hend" ] || fail "the health check did not finish"
[ "$ev" -lt "$(cat "$T/hend")" ] ||
    { cat "$T/out"; fail "the EVENT arrived at $ev, after the check ended at $(cat "$T/hend")"; }
[ "$ev" -lt "$res" ] || fail "EVENT after RESULT"
pass
