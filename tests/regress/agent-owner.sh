#!/bin/sh
# root on an app whose ROOT another user owns: every command that changes
# disk is refused with one line naming the owner (exit 2), nothing is created
# under ROOT and no hook runs; read-only commands still work. The owner's
# next operation works, and a recovery that cannot remove a leftover names
# the path and the system error. cutover-agent(8), USER.
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (runs the agent as root and as nobody)"
command -v setpriv >/dev/null || skip "no setpriv"
owner=nobody
id "$owner" >/dev/null 2>&1 || skip "no user $owner"
uid=$(id -u "$owner"); gid=$(id -g "$owner")

# nobody must reach the binary, the archives, the config and ROOT.
chmod 755 "$T"
R=$T/srv/web
mkdir -p "$R" "$T/hook"
chown "$uid:$gid" "$R" "$T/hook"
cat > "$T/agent.ini" <<INI
[app web]
root = $R
keep = 1
after_activate = id -u >> $T/hook/uids
INI
chmod 644 "$T/agent.ini"
for i in 1 2 3; do make_release "$T/v$i" "$T/web-$i.tgz" "v$i"; done
chmod -R a+rX "$T"
AROOT() { agent --config "$T/agent.ini" "$@"; }
# The owner, as the runbook has it: runuser -u OWNER -- cutover-agent ...
AOWN() { setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$CUTOVER_AGENT" --config "$T/agent.ini" "$@"; }
# Everything under ROOT that root owns (ROOT's tree must stay the owner's).
root_owned() { find "$R" -uid 0 -print; }

step "the owner deploys"
expect_exit 0 AOWN deploy web "$T/web-1.tgz"
[ "$(cat "$T/hook/uids")" = "$uid" ] || fail "hook ran as: $(cat "$T/hook/uids")"

step "root's state-changing commands are refused, naming the owner"
for cmd in "deploy web $T/web-2.tgz" "install web $T/web-2.tgz" "activate web web-1" \
    "rollback web" "prune web" "pin web web-1" "unpin web web-1"; do
	# shellcheck disable=SC2086
	expect_exit 2 AROOT $cmd
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "$cmd: not one line: $ERR"
	case $ERR in
	*"$R belongs to $owner; run as that user (runuser -u $owner -- cutover-agent"*) ;;
	*) fail "$cmd: message: $ERR" ;;
	esac
	[ -z "$(root_owned)" ] || fail "$cmd left root-owned files: $(root_owned)"
done
[ "$(cat "$T/hook/uids")" = "$uid" ] || fail "a hook ran for root: $(cat "$T/hook/uids")"
[ "$(readlink "$R/current")" = releases/web-1 ] || fail "current moved"

PC="$top_builddir/tests/proto-client"
if [ -x "$PC" ]; then
	step "serve as root: a state-changing request gets exit 2 naming the owner"
	"$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/agent.ini" serve >"$T/pc.out" 2>"$T/pc.err" <<END
hello
request 1 prune web
result 1
request 2 status web
result 2
END
	grep -q "^RESULT 1 err=-5 exit=2 .*belongs to $owner; run as that user" "$T/pc.out" ||
	    fail "serve prune: $(cat "$T/pc.out" "$T/pc.err")"
	grep -q '^RESULT 2 err=0 exit=0 ' "$T/pc.out" || fail "serve status: $(cat "$T/pc.out")"
	[ -z "$(root_owned)" ] || fail "serve left root-owned files: $(root_owned)"
fi

step "--json: the refusal is one JSON object with exit 2"
expect_exit 2 AROOT --json prune web
case $OUT in *'"exit":2'*'belongs to nobody'*) ;; *) fail "json: $OUT" ;; esac

step "root may still read: status and history"
expect_exit 0 AROOT status web
echo "$OUT" | grep -q web-1 || fail "status: $OUT"
expect_exit 0 AROOT history web
[ -z "$(root_owned)" ] || fail "read-only commands left root-owned files: $(root_owned)"

step "the owner's next operations work"
expect_exit 0 AOWN deploy web "$T/web-2.tgz"
expect_exit 0 AOWN deploy web "$T/web-3.tgz"
expect_exit 0 AOWN prune web
expect_exit 0 AOWN rollback web
[ "$(readlink "$R/current")" = releases/web-2 ] || fail "current: $(readlink "$R/current")"
[ "$(sort -u "$T/hook/uids")" = "$uid" ] || fail "hooks ran as: $(sort -u "$T/hook/uids")"

step "a root-owned leftover: recovery names the path and the system error"
# What an older agent run as root left behind: a root-owned, non-empty trash.
mkdir -p "$R/.cutover/trash/web-0.99/bin"
touch "$R/.cutover/trash/web-0.99/bin/run"
expect_exit 1 AOWN prune web
# Progress lines ("removing leftover ...") may precede it; the error is one line.
[ "$(printf '%s\n' "$ERR" | grep -c '^cutover-agent:')" = 1 ] || fail "not one error line: $ERR"
case $ERR in
*"recovery of an interrupted operation failed: cannot remove $R/.cutover/trash/web-0.99: Permission denied"*) ;;
*) fail "message: $ERR" ;;
esac
chown -R "$uid:$gid" "$R/.cutover/trash"
expect_exit 0 AOWN prune web
[ ! -e "$R/.cutover/trash/web-0.99" ] || fail "leftover not removed"
[ -z "$(root_owned)" ] || fail "root-owned files: $(root_owned)"

step "root on a ROOT of its own is not refused"
R2=$T/srv/mine
expect_exit 0 agent deploy "$R2" "$T/web-1.tgz"
pass
