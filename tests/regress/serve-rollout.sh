#!/bin/sh
# Protocol 1.2 over a pipe pair: rollout identity (rollout, kind, actor,
# key) on every journal record, status's current_* and note_* fields, the
# note, check and ping ops, lock's wait and worst_case_s; the command
# line's actor; history shows and escapes the fields.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
command -v python3 >/dev/null 2>&1 || skip "no python3 to read JSON"
make_release "$T/r1" "$T/web-1.tar.gz" one
make_release "$T/r2" "$T/web-2.tar.gz" two
S1=$(sha256sum "$T/web-1.tar.gz" | cut -d' ' -f1)
S2=$(sha256sum "$T/web-2.tar.gz" | cut -d' ' -f1)
A="$T/web"
J="$A/.cutover/journal"
cat > "$T/agent.ini" <<INI
[app web]
root = $A
health = test -f \$CUTOVER_ROOT/healthy
health_retries = 2
health_interval = 0
health_timeout = 5
after_activate = true
hook_timeout = 20
INI
mkdir -p "$A" && touch "$A/healthy"
unset SSH_USER_AUTH CUTOVER_ACTOR
client() { "$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/agent.ini" serve >"$T/out" 2>"$T/err"; }
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }
# field FILE-LINE-PATTERN KEY: the JSON value of KEY in the first line of $T/out matching PATTERN.
field() {
	grep -m1 -- "$1" "$T/out" | sed 's/^[A-Z]* [0-9]* \(err=[-0-9]* exit=[0-9]* \)\{0,1\}//' |
	    python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$2"
}
# every_record OP KEY VALUE: each journal line of OP has KEY=VALUE.
every_record() {
	n=$(grep -c "	op=$1	" "$J")
	[ "$n" -gt 0 ] || fail "no $1 records"
	m=$(grep "	op=$1	" "$J" | grep -c "	$2=$3\(	\|\$\)")
	[ "$n" = "$m" ] || { cat "$J"; fail "$m of $n $1 records have $2=$3"; }
}

# An SSH key as sshd with ExposeAuthInfo shows it: ssh-keygen -l must agree.
if command -v ssh-keygen >/dev/null 2>&1; then
	ssh-keygen -q -t ed25519 -N '' -C test -f "$T/id" </dev/null >/dev/null
	printf 'publickey %s\n' "$(cut -d' ' -f1,2 "$T/id.pub")" > "$T/auth"
	FP=$(ssh-keygen -lf "$T/id.pub" | cut -d' ' -f2)
else
	: > "$T/auth"; FP=""
fi

step "deploy and activate carry rollout, kind, actor and key on begin and end records"
export SSH_USER_AUTH="$T/auth"
client <<END
hello
read
request 1 deploy web release=web-1 sha256=$S1 rollout=r-1 kind=deploy actor=Ann_O'Neil
upload 1 $T/web-1.tar.gz $S1 1000
result 1
request 2 install web release=web-2 sha256=$S2 rollout=r-2 kind=deploy actor=ci:pipeline/7
upload 2 $T/web-2.tar.gz $S2
result 2
request 3 activate web release=web-2 rollout=r-2 kind=deploy actor=ci:pipeline/7
result 3
END
unset SSH_USER_AUTH
has '^HELLO 1\.4 .*ping note check drill'
has '^RESULT 1 err=0 exit=0'
has '^RESULT 3 err=0 exit=0'
every_record install rollout 'r-[12]'
every_record activate kind deploy
grep "	op=activate	" "$J" | grep -q "	rollout=r-1	.*	actor=Ann_O'Neil" || { cat "$J"; fail "deploy records lack r-1 / actor"; }
grep "	op=prune	" "$J" | grep -q "	rollout=r-1	" || fail "the deploy's prune lacks the rollout"
[ "$(grep -c '	op=activate	phase=end	.*	previous=web-1	' "$J")" = 1 ] || fail "previous not kept"
if [ -n "$FP" ]; then
	every_record install key "$FP"
	every_record activate key "$FP"
fi

step "status: what made current, from the journal"
client <<END
hello
request 4 status web
result 4
END
[ "$(field '^RESULT 4' current_op)" = activate ] || { cat "$T/out"; fail "current_op"; }
[ "$(field '^RESULT 4' current_rollout)" = r-2 ] || fail "current_rollout"
[ "$(field '^RESULT 4' current_kind)" = deploy ] || fail "current_kind"
[ "$(field '^RESULT 4' current_actor)" = ci:pipeline/7 ] || fail "current_actor"
[ "$(field '^RESULT 4' current_from)" = web-1 ] || fail "current_from"
[ "$(field '^RESULT 4' current_ts_ms)" -gt 0 ] || fail "current_ts_ms"
[ "$(field '^RESULT 4' note_state)" = "" ] || fail "a note before any was sent"
# Worst case: 2 x (after 20+2 + 2 x (health 5+2 + interval 0)) + after 22 again + 10.
[ "$(field '^RESULT 4' worst_case_s)" = 111 ] || fail "worst_case_s $(field '^RESULT 4' worst_case_s), want 111"
has 'switched: by activate (rollout r-2, deploy, ci:pipeline/7) from web-1 at '

step "a deploy's switch reads as a deploy; a rollback as a rollback"
client <<END
hello
request 5 rollback web rollout=r-3 kind=rollback actor=Bea
result 5
request 6 status web
result 6
request 7 deploy web release=web-2 sha256=$S2 rollout=r-4 kind=deploy
result 7
request 8 status web
result 8
END
[ "$(field '^RESULT 6' current_op)" = rollback ] || { cat "$T/out"; fail "current_op after rollback"; }
[ "$(field '^RESULT 6' current_from)" = web-2 ] || fail "current_from after rollback"
[ "$(field '^RESULT 8' current_op)" = deploy ] || { cat "$T/out"; fail "current_op after deploy"; }
[ "$(field '^RESULT 8' current_rollout)" = r-4 ] || fail "current_rollout after deploy"
[ "$(field '^RESULT 8' current_actor)" = "" ] || fail "an actor nobody gave"

step "bad rollout, kind, actor, wait: exit 3 naming the arg, nothing journalled"
cp "$J" "$T/journal.before"
client <<END
hello
request 10 activate web release=web-1 rollout=has/slash
result 10
request 11 rollback web kind=redeploy
result 11
request 12 prune web actor=$(printf 'x\033[2J')
result 12
request 13 pin web release=web-1 rollout=$(printf '%065d' 0)
result 13
request 14 lock web wait:=3601
result 14
request 15 lock web wait=soon
result 15
request 16 note web rollout=r-4 state=sleeping
result 16
request 17 note web rollout=r-4 state=paused time=now
result 17
request 18 note web rollout=r-4 state=paused Bad=1
result 18
request 19 check web actor=$(printf '%0129d' 0)
result 19
END
for i in 10 11 12 13 14 15 16 17 18 19; do has "^RESULT $i err=-7 exit=3 "; done
has '^RESULT 10 .*"error":"rollout: '
has '^RESULT 11 .*"error":"kind: '
has '^RESULT 12 .*"error":"actor: '
has '^RESULT 14 .*"error":"wait: '
has '^RESULT 16 .*"error":"state: '
has '^RESULT 17 .*"error":"time: '
has '^RESULT 19 .*"error":"actor: '
cmp -s "$J" "$T/journal.before" || { diff "$T/journal.before" "$J"; fail "a refused request journalled"; }
[ "$(readlink "$A/current")" = releases/web-2 ] || fail "a refused request moved current"

step "note: one op=rollout record, kept by status; under a session lock; paused shows in text"
client <<END
hello
request 20 lock web
result 20
request 21 note web rollout=r-5 kind=deploy actor=Cy state=paused release=web-2 batch_plan=h1,h2;h3 next_batch:=2
result 21
request 22 status web
result 22
request 23 unlock web
result 23
END
has '^RESULT 20 err=0 exit=0 .*"worst_case_s":111'
has '^RESULT 21 err=0 exit=0'
[ "$(grep -c '	op=rollout	' "$J")" = 1 ] || fail "not one op=rollout record"
grep '	op=rollout	' "$J" | grep -q '	state=paused	.*	batch_plan=h1,h2;h3	next_batch=2	rollout=r-5	kind=deploy	actor=Cy' ||
    { cat "$J"; fail "note record"; }
[ "$(field '^RESULT 22' note_rollout)" = r-5 ] || { cat "$T/out"; fail "note_rollout"; }
[ "$(field '^RESULT 22' note_state)" = paused ] || fail "note_state"
[ "$(field '^RESULT 22' note_actor)" = Cy ] || fail "note_actor"
[ "$(field '^RESULT 22' note_batch_plan)" = "h1,h2;h3" ] || fail "note_batch_plan"
[ "$(field '^RESULT 22' note_next_batch)" = 2 ] || fail "note_next_batch"
[ "$(field '^RESULT 22' note_ts_ms)" -gt 0 ] || fail "note_ts_ms"
[ "$(field '^RESULT 22' current_rollout)" = r-4 ] || fail "a note changed what made current"
has 'rollout:  r-5 paused (since '
# a note with a release= arg is not an install: no release appears
agent --config "$T/agent.ini" --json status web > "$T/st.json"
grep -q '"releases":"web-1 web-2"' "$T/st.json" || { cat "$T/st.json"; fail "releases changed"; }

step "note: the latest wins; a done rollout is not shown as paused"
client <<END
hello
request 24 note web rollout=r-5 state=done
result 24
request 25 status web
result 25
END
[ "$(field '^RESULT 25' note_state)" = done ] || fail "note_state after done"
[ "$(field '^RESULT 25' note_batch_plan)" = "" ] || fail "fields of the older note kept"
grep -q 'rollout:  ' "$T/out" && fail "a done rollout shown in the text status"

step "check: runs the health check, journals op=check, switches nothing"
client <<END
hello
request 30 check web rollout=r-6 kind=deploy
result 30
END
has '^RESULT 30 err=0 exit=0 .*"release":"web-2","healthy":true'
has '^EVENT 30 .*"event":"health"'
grep '	op=check	' "$J" | tail -1 | grep -q '	outcome=ok	.*	rollout=r-6	kind=deploy' || { cat "$J"; fail "check record"; }
rm "$A/healthy"
client <<END
hello
request 31 check web
result 31
END
has '^RESULT 31 err=-22 exit=1 .*"healthy":false.*"error":"web-2: health check failed: health exited with status 1 (2 attempts)"'
grep '	op=check	' "$J" | tail -1 | grep -q '	outcome=failed	' || fail "failed check not journalled"
[ "$(readlink "$A/current")" = releases/web-2 ] || fail "check moved current"
touch "$A/healthy"

step "check: no current release is exit 3; no health command is healthy"
printf '[app empty]\nroot = %s\n[app nohealth]\nroot = %s\n' "$T/empty" "$T/nh" >> "$T/agent.ini"
agent --config "$T/agent.ini" deploy nohealth "$T/web-1.tar.gz" >/dev/null 2>&1 || fail "deploy nohealth"
client <<END
hello
request 32 check empty
result 32
request 33 check nohealth
result 33
END
has '^RESULT 32 err=-10 exit=3 .*"error":"no current release to check"'
has '^RESULT 33 err=0 exit=0 .*"healthy":true,"message":"no health check configured"'

step "ping: answered at once, needs no app, journals nothing"
cp "$J" "$T/journal.before"
client <<END
hello
request 40 ping
result 40
request 41 ping web
result 41
END
has '^RESULT 40 err=0 exit=0'
has '^RESULT 41 err=0 exit=0'
cmp -s "$J" "$T/journal.before" || fail "ping journalled"

step "lock wait: queue behind another holder for up to wait seconds"
mkfifo "$T/go"
"$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/agent.ini" serve <"$T/go" >"$T/holder" 2>&1 &
hpid=$!
at_exit "kill $hpid"
exec 7>"$T/go"
printf 'hello\nrequest 1 lock web\nresult 1\n' >&7
i=0
until grep -q '^RESULT 1' "$T/holder" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no lock result"; sleep 0.1
done
client <<END
hello
request 50 lock web
result 50
END
has '^RESULT 50 err=-11 exit=4'
(sleep 1; exec 7>&-) &
exec 7>&-
start=$(date +%s)
client <<END
hello
request 51 lock web wait:=20
result 51
END
has '^RESULT 51 err=0 exit=0 .*"worst_case_s":111'
[ $(( $(date +%s) - start )) -lt 15 ] || fail "the wait did not end when the holder left"
wait $hpid

step "command line: actor is \$CUTOVER_ACTOR, else the login name; no rollout"
env CUTOVER_ACTOR="Dee Dee (release manager)" "$CUTOVER_AGENT" --config "$T/agent.ini" pin web web-1 ||
    fail "pin"
tail -1 "$J" | grep -q '	actor=Dee Dee (release manager)$' || { tail -1 "$J"; fail "CUTOVER_ACTOR not recorded"; }
tail -1 "$J" | grep -q 'rollout=' && fail "the command line recorded a rollout"
env -u CUTOVER_ACTOR "$CUTOVER_AGENT" --config "$T/agent.ini" unpin web web-1 || fail "unpin"
me=$(id -un)
tail -1 "$J" | grep -q "	actor=$me\$" || { tail -1 "$J"; fail "login name not recorded"; }
cp "$J" "$T/journal.before"
expect_exit 3 env CUTOVER_ACTOR="$(printf 'evil\033]0;x\007')" "$CUTOVER_AGENT" --config "$T/agent.ini" \
    pin web web-1
echo "$ERR" | grep -q 'CUTOVER_ACTOR: not an actor' || fail "no error line naming CUTOVER_ACTOR: $ERR"
[ "$(echo "$ERR" | wc -l)" = 1 ] || fail "more than one error line: $ERR"
cmp -s "$J" "$T/journal.before" || fail "a refused CUTOVER_ACTOR journalled"
expect_exit 0 env CUTOVER_ACTOR="$(printf 'evil\033')" "$CUTOVER_AGENT" --config "$T/agent.ini" status web

step "history shows the fields, text escaped, JSON typed"
agent --config "$T/agent.ini" history web > "$T/hist.txt" || fail "history"
grep -q ' actor="Dee Dee (release manager)"' "$T/hist.txt" || { cat "$T/hist.txt"; fail "actor with spaces not quoted"; }
grep -q " rollout=r-1 kind=deploy actor=Ann_O'Neil" "$T/hist.txt" || fail "rollout fields missing in text history"
[ -z "$FP" ] || grep -q " key=$FP" "$T/hist.txt" || fail "key missing in text history"
client <<END
hello
request 60 note web rollout=r-7 state=partial failures=h1%20said%20%22no%22%09and%1bleft
result 60
END
agent --config "$T/agent.ini" history web > "$T/hist.txt"
tail -1 "$T/hist.txt" | grep -qF 'failures="h1 said \"no\"\tand\x1bleft"' || { tail -1 "$T/hist.txt"; fail "note value not escaped"; }
! grep -q "$(printf '\033')" "$T/hist.txt" || fail "a raw escape character in text history"
agent --config "$T/agent.ini" --json history web > "$T/hist.json"
python3 - "$T/hist.json" <<'PY' || fail "JSON history"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{") and '"op"' in l]
note = [r for r in recs if r.get("op") == "rollout"][-1]
assert note["failures"] == 'h1 said "no"\tand\x1bleft', note
assert note["rollout"] == "r-7" and note["state"] == "partial", note
act = [r for r in recs if r.get("op") == "activate"]
assert all("rollout" in r and "kind" in r for r in act), act
PY
pass
