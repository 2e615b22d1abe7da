#!/bin/sh
# known_hosts the way OpenSSH reads it (coordinator/knownhosts.h), each case
# checked against what `ssh -o StrictHostKeyChecking=yes` decides with the
# same file: on a non-22 port a [host]:port line decides, a plain host line
# only when there is none for the key type (ssh's "checking without port
# identifier"; libssh2 also lets a plain line rescue a changed [host]:port
# key), a host known by
# its ECDSA key connects although it offers ed25519 first, @revoked keys and
# @cert-authority-only hosts are refused; with identity set, that key goes
# before ssh-agent's, so MaxAuthTries cannot lock it out.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 40))
. "$top_srcdir/tests/lib-fleet.sh"

fleet_require
mkdir -p "$T/h11"
ssh-keygen -q -t ed25519 -N '' -C h11 -f "$T/h11/hostkey" || fail "ssh-keygen"
ssh-keygen -q -t ecdsa -N '' -C h11 -f "$T/h11/hostkey_ecdsa" || fail "ssh-keygen ecdsa"
SSHD_EXTRA="HostKey $T/h11/hostkey_ecdsa
MaxAuthTries 2"
start_fleet 1
A=127.0.0.11
ED=$(cut -d' ' -f1,2 "$T/h11/hostkey.pub")
EC=$(cut -d' ' -f1,2 "$T/h11/hostkey_ecdsa.pub")
unset SSH_AUTH_SOCK

# try NAME: cutover and ssh with known_hosts $T/kh.NAME; sets CUT and SSH to ok/refused.
try() {
	sed "s|^known_hosts = .*|known_hosts = $T/kh.$1|" "$T/fleet.ini" > "$T/$1.ini"
	if "$CUTOVER" -f "$T/$1.ini" debug-exec 'echo ran' >"$T/out" 2>"$T/err"; then CUT=ok; else CUT=refused; fi
	if ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/kh.$1" \
	    -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -i "$T/client" -p "$FLEET_PORT" \
	    "$(id -un)@$A" true </dev/null >/dev/null 2>"$T/ssh.err"; then SSH=ok; else SSH=refused; fi
	[ "$CUT" = "$2" ] || fail "cutover: $CUT, want $2: $(cat "$T/err")"
	[ "$SSH" = "$2" ] || fail "ssh: $SSH, want $2 (the test's premise): $(cat "$T/ssh.err")"
}

step "a plain host line vouches for a non-22 port only when no [host]:port line has that key type"
printf '%s %s\n' "$A" "$ED" > "$T/kh.plain"
try plain ok
ssh-keygen -q -t ed25519 -N '' -f "$T/other_ed" || fail "ssh-keygen"
printf '[%s]:%s %s\n%s %s\n' "$A" "$FLEET_PORT" "$(cut -d' ' -f1,2 "$T/other_ed.pub")" "$A" "$ED" > "$T/kh.portchanged"
try portchanged refused
grep -q 'differs' "$T/err" || fail "message: $(cat "$T/err")"
printf '%s %s\n' "$A" "$(cut -d' ' -f1,2 "$T/other_ed.pub")" > "$T/kh.plainchanged"
try plainchanged refused

step "[host]:port lines and wildcards match"
printf '[%s]:%s %s\n' "$A" "$FLEET_PORT" "$ED" > "$T/kh.port"
try port ok
printf '[127.0.0.*]:%s %s\n' "$FLEET_PORT" "$ED" > "$T/kh.wild"
try wild ok
printf '[127.0.0.*]:%s,![%s]:%s %s\n' "$FLEET_PORT" "$A" "$FLEET_PORT" "$ED" > "$T/kh.neg"
try neg refused

step "a host known by its ECDSA key connects although it offers ed25519 first"
printf '[%s]:%s %s\n' "$A" "$FLEET_PORT" "$EC" > "$T/kh.ecdsa"
try ecdsa ok

step "a changed key of the known type is still refused"
ssh-keygen -q -t ecdsa -N '' -f "$T/other_ecdsa" || fail "ssh-keygen"
printf '[%s]:%s %s\n' "$A" "$FLEET_PORT" "$(cut -d' ' -f1,2 "$T/other_ecdsa.pub")" > "$T/kh.changed"
try changed refused
grep -q 'differs' "$T/err" || fail "message: $(cat "$T/err")"

step "@revoked keys are refused"
printf '@revoked * %s\n[%s]:%s %s\n' "$ED" "$A" "$FLEET_PORT" "$ED" > "$T/kh.revoked"
try revoked refused
grep -q '@revoked in .*kh.revoked line 1' "$T/err" || fail "message: $(cat "$T/err")"

step "@cert-authority lines are refused with a clear message"
printf '@cert-authority [127.0.0.*]:%s %s\n' "$FLEET_PORT" "$ED" > "$T/kh.ca"
try ca refused
grep -q '@cert-authority line (.*kh.ca line 1): host certificates are not supported' "$T/err" ||
    fail "message: $(cat "$T/err")"

step "a long file (the index): the host's line after 500 others, in a name list, a changed key listed first"
# Lines are read once and found through an index of plain names: the host's
# line must still be found wherever it sits, in any case, and a matching key
# wins over a same-type line with another key, as in ssh.
OTHER=$(cut -d' ' -f1,2 "$T/other_ed.pub")
{
	printf '[%s]:%s %s\n' "$A" "$FLEET_PORT" "$OTHER"
	for i in $(seq 1 500); do printf '[10.1.%s.%s]:%s %s\n' $((i / 250)) $((i % 250)) "$FLEET_PORT" "$OTHER"; done
	printf '[OTHER-NAME]:%s,[%s]:%s %s\n' "$FLEET_PORT" "$A" "$FLEET_PORT" "$ED"
} > "$T/kh.long"
try long ok
{ head -n 501 "$T/kh.long"; } > "$T/kh.longchanged"
try longchanged refused
grep -q 'differs' "$T/err" || fail "message: $(cat "$T/err")"

step "known_hosts is read once per run, not once per host and check"
if command -v strace >/dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace (an ASan build would exit 1).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -e trace=open,openat -o "$T/strace" "$CUTOVER" -f "$T/long.ini" debug-exec 'echo ran' >/dev/null 2>&1 ||
	    fail "debug-exec under strace failed"
	[ "$(grep -c "kh.long\"" "$T/strace")" = 1 ] || fail "known_hosts opened $(grep -c "kh.long\"" "$T/strace") times"
else
	echo "no strace: not checked"
fi

step "identity goes before ssh-agent keys (MaxAuthTries 2, three other keys in the agent)"
command -v ssh-agent >/dev/null 2>&1 || skip "no ssh-agent"
eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || fail "ssh-agent"
at_exit "kill $SSH_AGENT_PID 2>/dev/null"
for k in 1 2 3; do
	ssh-keygen -q -t ed25519 -N '' -f "$T/decoy$k" || fail "ssh-keygen"
	ssh-add -q "$T/decoy$k" 2>/dev/null || fail "ssh-add"
done
expect_exit 0 "$CUTOVER" -f "$T/fleet.ini" debug-exec 'echo ran'
echo "$OUT" | grep -q '^h11: ran' || fail "no output: $OUT"

pass
