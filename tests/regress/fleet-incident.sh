#!/bin/sh
# Incident-grade fleet semantics on real sshd hosts (cutover(1)): the hosts
# hold the truth, so pause/resume/abort and a convergent rollback work from
# a fresh HOME; a re-run never moves a host twice; gates, --bake's health
# re-check, --canary by name, --wait, --actor, pruning after a rollout, and
# agents that leave when idle kept alive through a long bake.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 12))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

SSHD_EXTRA="ExposeAuthInfo yes"	# sshd tells the agent which key it accepted
start_fleet 3
C="$CUTOVER -f $T/fleet.ini"
for v in 1 2 3 4 5 6; do make_release "$T/r$v" "$T/web-$v.0.tgz" v$v; done
all_on() { for h in h11 h12 h13; do [ "$(current_of "$h")" = "$1" ] || fail "$h on $(current_of "$h"), not $1"; done; }
fresh_home() { XDG_STATE_HOME=$T/home-$1; export XDG_STATE_HOME; }
# switches HOST: how many times the host's journal recorded a switch.
switches() { grep -c "op=\(activate\|rollback\)	phase=end.*outcome=ok" "$T/$1/root/.cutover/journal"; }

step "deploy with --actor: every host's journal names the rollout and the actor"
expect_exit 0 $C deploy --actor "alice (on call)" "$T/web-1.0.tgz"
all_on web-1.0
expect_exit 0 $C history
printf '%s\n' "$OUT" | grep 'op=activate' | grep -q 'actor="alice (on call)"' || fail "history: $OUT"
printf '%s\n' "$OUT" | grep 'op=activate' | grep -q 'kind=deploy' || fail "history: $OUT"
fp=$(ssh-keygen -lf "$T/client.pub" | awk '{ print $2 }')
printf '%s\n' "$OUT" | grep 'op=activate' | grep -q "key=$fp" || fail "history lacks the key $fp: $OUT"

step "--pause-after 1: paused (exit 0), unlocked, recorded on the hosts; status says so; a deploy is refused"
expect_exit 0 $C --json deploy --batch 1 --pause-after 1 "$T/web-2.0.tgz"
printf '%s\n' "$OUT" | grep -q '"outcome":"paused"' || fail "$OUT"
[ "$(current_of h11)" = web-2.0 ] && [ "$(current_of h12)" = web-1.0 ] || fail "batch 1 only"
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q 'PAUSED before batch 2 of 3' || fail "status: $OUT"
expect_exit 4 $C deploy "$T/web-3.0.tgz"
printf '%s\n' "$ERR" | grep -q 'paused' || fail "$ERR"
[ "$(current_of h12)" = web-1.0 ] || fail "a refused deploy moved h12"

step "resume from a fresh HOME continues with batch 2"
fresh_home r1
before=$(switches h11)
expect_exit 0 $C resume --actor bob
all_on web-2.0
[ "$(switches h11)" = "$before" ] || fail "h11 switched again on resume"
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q PAUSED && fail "still paused: $OUT"
expect_exit 3 $C resume

step "abort from another fresh HOME reverses only what the paused rollout switched"
expect_exit 0 $C deploy --batch 1 --pause-after 2 "$T/web-3.0.tgz"
[ "$(current_of h13)" = web-2.0 ] || fail "h13 switched before the pause"
fresh_home r2
expect_exit 0 $C abort
all_on web-2.0
expect_exit 3 $C abort

step "convergent rollback: a host down mid-rollback, then the re-run from a fresh HOME"
expect_exit 0 $C deploy --batch 3 "$T/web-3.0.tgz"
all_on web-3.0
stop_host h12
expect_exit 5 $C rollback
[ "$(current_of h11)" = web-2.0 ] && [ "$(current_of h13)" = web-2.0 ] || fail "h11/h13 not back"
[ "$(current_of h12)" = web-3.0 ] || fail "h12 moved while down?"
start_sshd h12
fresh_home r3
s11=$(switches h11); s13=$(switches h13)
expect_exit 0 $C rollback
all_on web-2.0
[ "$(switches h11)" = "$s11" ] && [ "$(switches h13)" = "$s13" ] || fail "a host went back twice"
step "a re-run with nothing left to undo switches nothing"
s12=$(switches h12)
expect_exit 0 $C rollback
all_on web-2.0
[ "$(switches h11)" = "$s11" ] && [ "$(switches h12)" = "$s12" ] && [ "$(switches h13)" = "$s13" ] ||
    fail "a host switched on an empty re-run"

step "--canary names a host; --bake re-runs the health check (fails the second time: reversed)"
expect_exit 0 $C deploy --dry-run --canary h13 --batch 1 "$T/web-4.0.tgz"
printf '%s\n' "$OUT" | grep -q '^batch 1 (canary): h13$' || fail "plan: $OUT"
# web-4.0's check passes once (the activation), then fails (the re-run after the bake).
cat > "$T/h13.check" <<CHECK
#!/bin/sh
[ "\$CUTOVER_RELEASE" = web-4.0 ] || exit 0
n=\$(cat $T/h13.n 2>/dev/null || echo 0)
echo \$((n + 1)) > $T/h13.n
[ "\$n" -lt 1 ]
CHECK
chmod +x "$T/h13.check"
sed -i "s|^health = .*|health = $T/h13.check|" "$T/h13/agent.ini"
rm -f "$T/h13.n"
expect_exit 1 $C deploy --canary h13 --batch 1 --bake 1 "$T/web-4.0.tgz"
all_on web-2.0
[ "$(cat "$T/h13.n")" -ge 2 ] || fail "the health check was not re-run after the bake"
sed -i 's|^health = .*|health = true|' "$T/h13/agent.ini"

step "the fleet's gate sees the batch and refuses batch 2: reversed"
printf 'gate = echo "$CUTOVER_BATCH $CUTOVER_BATCHES $CUTOVER_BATCH_HOSTS $CUTOVER_RELEASE" >> %s; test "$CUTOVER_BATCH" -lt 2\n' \
    "$T/gate.log" > "$T/gate.line"
sed "/^\[fleet\]/r $T/gate.line" "$T/fleet.ini" > "$T/gated.ini"
expect_exit 1 $CUTOVER -f "$T/gated.ini" deploy --batch 1 "$T/web-4.0.tgz"
all_on web-2.0
grep -qx '1 3 h11 web-4.0' "$T/gate.log" || fail "gate env: $(cat "$T/gate.log")"
grep -qx '2 3 h12 web-4.0' "$T/gate.log" || fail "gate env: $(cat "$T/gate.log")"

step "--wait queues behind another operation's lock"
( exec 9>>"$T/h11/root/.cutover/lock"; flock 9; sleep 2 ) &
holder=$!
at_exit "kill $holder 2>/dev/null"
sleep 0.3
expect_exit 4 $C deploy "$T/web-4.0.tgz"
expect_exit 0 $C deploy --wait 30 "$T/web-4.0.tgz"
all_on web-4.0

step "a done rollout prunes every host to its keep"
for h in h11 h12 h13; do sed -i 's|^health = .*|health = true\nkeep = 2|' "$T/$h/agent.ini"; done
expect_exit 0 $C deploy "$T/web-5.0.tgz"
for h in h11 h12 h13; do
	n=$(ls "$T/$h/root/releases" | wc -l)
	[ "$n" -le 3 ] || fail "$h keeps $n releases: $(ls "$T/$h/root/releases")"
	[ -d "$T/$h/root/releases/web-4.0" ] || fail "$h lost its rollback target"
done

step "op_timeout shorter than the agent's own worst case: the coordinator waits for the health check"
sed -i 's|^health = .*|health = sleep 4|' "$T/h11/agent.ini"
sed 's|^op_timeout = .*|op_timeout = 2|' "$T/fleet.ini" > "$T/short.ini"
expect_exit 0 $CUTOVER -f "$T/short.ini" deploy --batch 3 "$T/web-4.0.tgz"
all_on web-4.0
sed -i 's|^health = .*|health = true|' "$T/h11/agent.ini"

step "agents that leave when idle stay through a long bake (the coordinator pings them)"
sed -i "s|--config \($T/h1[123]/agent.ini\) serve|--config \1 serve --idle-timeout 3|" "$T/fleet.ini"
sed -i "s|^agent_command = |agent_command = env CUTOVER_TEST_IDLE_MIN=1 |" "$T/fleet.ini"
expect_exit 0 $C deploy --batch 3 --bake 8 "$T/web-6.0.tgz"
all_on web-6.0
pass
