#!/bin/sh
# Hosts whose authorized_keys pins the deploy key to the agent
# (restrict,command="cutover-agent --config ... serve"): deploy, status and
# rollback work through the forced command, and whatever else a holder of
# the key asks sshd to run only ever reaches the agent, which answers with a
# protocol error.
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 8))	# own port: tests may run in parallel
FLEET_FORCED=1
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-fleet.sh"

command -v ssh >/dev/null 2>&1 || skip "no ssh client"
start_fleet 3
# The fleet file's agent_command is not what runs: sshd forces the agent.
sed -i "s|^agent_command = .*|agent_command = /bin/false this is ignored|" "$T/fleet.ini"
C="$CUTOVER -f $T/fleet.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2

step "deploy, status and rollback through the forced command"
expect_exit 0 $C deploy --batch 2 "$T/web-1.0.tgz"
expect_exit 0 $C deploy --batch 2 "$T/web-2.0.tgz"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-2.0 ] || fail "$h on $(current_of $h)"; done
expect_exit 0 $C status
echo "$OUT" | grep -q '^h12 .*web-2.0 .*web-1.0' || fail "status: $OUT"
expect_exit 0 $C rollback
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-1.0 ] || fail "$h on $(current_of $h)"; done

step "an exec request for a shell command reaches only the agent"
mkdir -p "$T/victim" && echo keep > "$T/victim/file"
set +e
echo 'rm -rf victim' | ssh -i "$T/client" -p "$FLEET_PORT" -o BatchMode=yes \
    -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=yes \
    "$(id -un)@127.0.0.11" "rm -rf $T/victim; touch $T/pwned" > "$T/ssh.out" 2> "$T/ssh.err"
rc=$?
set +e
cat "$T/ssh.err"
[ -e "$T/victim/file" ] || fail "the command ran: victim deleted"
[ ! -e "$T/pwned" ] || fail "the command ran: pwned exists"
[ $rc -ne 0 ] || fail "ssh exited 0"
grep -qi 'protocol\|frame\|length' "$T/ssh.err" || fail "no protocol error from the agent: $(cat "$T/ssh.err")"
# All the agent wrote on stdout: its HELLO, then one ERROR frame (type 2).
python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read()
types = []
while b:
    n, t = struct.unpack(">IB", b[:5])
    assert 1 <= n <= len(b) - 4, b
    types.append(t)
    b = b[4 + n:]
assert types == [1, 2], types
' "$T/ssh.out" || fail "stdout is not HELLO + ERROR: $(od -c "$T/ssh.out" | head -3)"

pass
