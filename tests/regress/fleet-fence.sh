#!/bin/sh
# Fencing over a real sshd fleet (cutover(1) --exclude, cutover.ini(5)
# enabled): a disabled [host] or [group] and --exclude keep hosts out of
# every command, each says so once; deploy's plan and report list them;
# --hosts with --group is the intersection; a dead host fenced off lets a
# deploy through; nothing left is exit 2.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 20))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

step "enabled: only yes or no, only in [host] and [group], else FILE:LINE (exit 2)"
printf '[fleet]\nuser = x\nenabled = no\n' > "$T/bad1.ini"
expect_exit 2 "$CUTOVER" -f "$T/bad1.ini" dump-config
echo "$ERR" | grep -q 'bad1.ini:3: enabled: only in \[host NAME\] or \[group NAME\]' || fail "message: $ERR"
printf '[host a]\naddress = 10.0.0.1\n\n[group g]\nhosts = a\nenabled = off\n' > "$T/bad2.ini"
expect_exit 2 "$CUTOVER" -f "$T/bad2.ini" dump-config
echo "$ERR" | grep -q 'bad2.ini:6: enabled: "off" is not yes or no' || fail "message: $ERR"

start_fleet 4
C="$CUTOVER -f $T/fleet.ini"
cp "$T/fleet.ini" "$T/base.ini"
cat >> "$T/fleet.ini" <<EOF2

[group front]
hosts = h11 h12 h13
batch = 1

[host h14]
enabled = no
EOF2
cp "$T/fleet.ini" "$T/fenced.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2

step "enabled = no on a [host]: skipped by every command, said once on stderr"
for cmd in status history dump-config "debug-exec true"; do
	expect_exit 0 $C $cmd
	[ "$(printf '%s\n' "$ERR" | grep -c 'skipped')" = 1 ] || fail "$cmd: one notice: $ERR"
	echo "$ERR" | grep -qx 'cutover: skipped (enabled = no): h14' || fail "$cmd notice: $ERR"
	echo "$OUT" | sed "s|$T||g" | grep -qw 'h14' && fail "$cmd reached h14: $OUT"
done
expect_exit 0 $C --json status
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
assert ev[0] == {"event": "excluded", "hosts": "h14", "reason": "enabled = no"}, ev
assert sorted(e["host"] for e in ev[1:]) == ["h11", "h12", "h13"], ev
' || fail "status json: $OUT"

step "deploy --exclude: plan and report list both reasons; fenced hosts untouched"
expect_exit 0 $C deploy --dry-run --exclude h13 "$T/web-1.0.tgz"
echo "$OUT" | grep -qx 'excluded: h13 (--exclude) h14 (enabled = no)' || fail "plan: $OUT"
echo "$ERR" | grep -qx 'cutover: skipped (--exclude): h13' || fail "notice: $ERR"
expect_exit 0 $C deploy --exclude h13 "$T/web-1.0.tgz"
echo "$OUT" | grep -q '^h13 *excluded *(--exclude)$' || fail "report: $OUT"
echo "$OUT" | grep -q '^h14 *excluded *(enabled = no)$' || fail "report: $OUT"
[ "$(current_of h11)" = web-1.0 ] && [ "$(current_of h12)" = web-1.0 ] || fail "h11/h12 not deployed"
[ "$(current_of h13)" = none ] && [ "$(current_of h14)" = none ] || fail "fenced host deployed"
expect_exit 0 $C --json deploy --exclude h13,h12 "$T/web-2.0.tgz"
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
ex = [e for e in ev if e["event"] == "excluded"]
assert ex == [{"event": "excluded", "hosts": "h14", "reason": "enabled = no"},
              {"event": "excluded", "hosts": "h12 h13", "reason": "--exclude"}], ex
summ = [e for e in ev if e["event"] == "plan_summary"]
assert summ[0]["excluded"] == "h12 (--exclude) h13 (--exclude) h14 (enabled = no)", summ
hosts = {e["host"]: e for e in ev if e["event"] == "host"}
assert hosts["h11"]["outcome"] == "switched", hosts
assert hosts["h12"]["outcome"] == "excluded" and hosts["h12"]["reason"] == "--exclude", hosts
assert hosts["h14"]["outcome"] == "excluded" and hosts["h14"]["reason"] == "enabled = no", hosts
' || fail "deploy json: $OUT"
[ "$(current_of h11)" = web-2.0 ] && [ "$(current_of h12)" = web-1.0 ] || fail "--exclude h12 moved it"

step "rollback --exclude: the excluded host stays where it is"
expect_exit 0 $C deploy --hosts h12 "$T/web-2.0.tgz"
expect_exit 0 $C rollback --exclude h12,h13
[ "$(current_of h11)" = web-1.0 ] && [ "$(current_of h12)" = web-2.0 ] || fail "rollback: $(current_of h11) $(current_of h12)"
echo "$OUT" | grep -q '^h12' && fail "h12 was asked: $OUT"
expect_exit 0 $C history --exclude h11,h12
echo "$OUT" | grep -q '^host=h1[12] ' && fail "history of excluded hosts: $OUT"

step "--hosts with --group: the intersection; a name outside the group is exit 2"
expect_exit 0 $C dump-config --group front --hosts h12,h11
echo "$OUT" | grep '^\[host ' | tr '\n' ' ' | grep -qx '\[host h12\] \[host h11\] ' || fail "intersection: $OUT"
echo "$OUT" | sed -n '/^\[fleet\]/,/^$/p' | grep -qx 'batch = 1' || fail "group settings: $OUT"
expect_exit 2 $C status --group front --hosts h12,h14
echo "$ERR" | grep -q 'h14: not in group front' || fail "message: $ERR"
expect_exit 0 $C status --group front --exclude h11
[ "$(printf '%s\n' "$OUT" | grep -c '^h1')" = 2 ] || fail "status: $OUT"

step "unknown --exclude name, or everything excluded: exit 2"
expect_exit 2 $C status --exclude h11,nope
echo "$ERR" | grep -q 'exclude: nope: no such host' || fail "message: $ERR"
expect_exit 2 $C status --hosts h11 --exclude h11
echo "$ERR" | grep -q 'no hosts selected (all excluded)' || fail "message: $ERR"
expect_exit 2 $C deploy --hosts h14 "$T/web-1.0.tgz"
echo "$ERR" | grep -q 'no hosts selected (all excluded)' || fail "message: $ERR"

step "enabled = no on a [group] fences each of its hosts, named in --hosts or not"
printf '\n[group back]\nhosts = h12 h13\nenabled = no\n' >> "$T/fleet.ini"
expect_exit 0 $C status
echo "$ERR" | grep -qx 'cutover: skipped (enabled = no): h12 h13 h14' || fail "notice: $ERR"
[ "$(printf '%s\n' "$OUT" | grep -c '^h1')" = 1 ] || fail "status: $OUT"
expect_exit 2 $C status --hosts h12,h13
echo "$ERR" | grep -q 'no hosts selected (all excluded): h12 (enabled = no) h13 (enabled = no)' || fail "message: $ERR"
cp "$T/fenced.ini" "$T/fleet.ini"

step "a dead host: deploy fails at preflight; with --exclude it goes through"
stop_host h13
expect_exit 1 $C deploy --exclude h12 "$T/web-2.0.tgz"
[ "$(current_of h11)" = web-1.0 ] || fail "preflight changed h11"
expect_exit 0 $C deploy --exclude h13 "$T/web-2.0.tgz"
[ "$(current_of h11)" = web-2.0 ] && [ "$(current_of h12)" = web-2.0 ] || fail "not deployed"
expect_exit 0 $C status --exclude h13
expect_exit 0 $C prune --exclude h13

pass
