#!/bin/sh
# Local users cannot block or read the agent (issue 11): .cutover is 0700,
# its lock and journal 0600; one made readable by an older agent is made
# owner-only; one owned by another user or writable by group/others is
# refused with one line naming it (exit 2), and `check` reports it; another
# user cannot flock the lock. cutover-agent(8), FILES.
. "$top_srcdir/tests/lib.sh"

make_release "$T/r1" "$T/web-1.tgz" v1
make_release "$T/r2" "$T/web-2.tgz" v2
R=$T/web
cat > "$T/agent.ini" <<INI
[app web]
root = $R
after_activate = echo hook-secret
INI
A() { agent --config "$T/agent.ini" "$@"; }
mode() { stat -c %a "$1"; }

step "a first deploy makes .cutover 0700, the lock and journal 0600"
expect_exit 0 A deploy web "$T/web-1.tgz"
[ "$(mode "$R/.cutover")" = 700 ] || fail ".cutover mode $(mode "$R/.cutover")"
[ "$(mode "$R/.cutover/lock")" = 600 ] || fail "lock mode $(mode "$R/.cutover/lock")"
[ "$(mode "$R/.cutover/journal")" = 600 ] || fail "journal mode $(mode "$R/.cutover/journal")"
grep -q hook-secret "$R/.cutover/journal" || fail "no hook output in the journal"

step "an older agent's 0755/0644 state is made owner-only by the next change"
chmod 755 "$R/.cutover"; chmod 644 "$R/.cutover/lock" "$R/.cutover/journal"
expect_exit 0 A status web
[ "$(mode "$R/.cutover")" = 755 ] || fail "status changed modes"
expect_exit 0 A deploy web "$T/web-2.tgz"
[ "$(mode "$R/.cutover")" = 700 ] || fail ".cutover mode $(mode "$R/.cutover")"
[ "$(mode "$R/.cutover/lock")" = 600 ] || fail "lock mode $(mode "$R/.cutover/lock")"
[ "$(mode "$R/.cutover/journal")" = 600 ] || fail "journal mode $(mode "$R/.cutover/journal")"

step "group/other-writable state is refused by every command, one line, exit 2"
for f in .cutover .cutover/lock .cutover/journal; do
	before=$(tree_digest "$R")
	chmod g+w "$R/$f"
	for cmd in "rollback web" "status web" "history web" "prune web"; do
		# shellcheck disable=SC2086
		expect_exit 2 A $cmd
		[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "$cmd: not one line: $ERR"
		case $ERR in *"$R/$f is writable by group or others (mode "*"): refusing it"*) ;;
		*) fail "$cmd ($f): $ERR" ;; esac
	done
	expect_exit 2 A check web
	case $OUT in *"web: would block a deploy: "*"$R/$f is writable by group"*) ;; *) fail "check: $OUT" ;; esac
	chmod g-w "$R/$f"
	[ "$(tree_digest "$R")" = "$before" ] || fail "a refused command changed ROOT"
done
expect_exit 0 A check web
[ "$OUT" = "web: ok" ] || fail "check: $OUT"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	uid=$(id -u nobody); gid=$(id -g nobody)
	step "state owned by another user is refused, even for root"
	chown "$uid" "$R/.cutover/journal"
	expect_exit 2 A rollback web
	case $ERR in *"$R/.cutover/journal belongs to nobody #$uid, not to this user: refusing it"*) ;;
	*) fail "$ERR" ;; esac
	expect_exit 2 A check web
	case $OUT in *"$R/.cutover/journal belongs to nobody #$uid, not to ROOT's owner"*) ;;
	*) fail "check: $OUT" ;; esac
	chown 0 "$R/.cutover/journal"

	step "another user cannot flock the lock (nor read the journal)"
	chmod 755 "$T"
	if command -v flock >/dev/null; then
		setpriv --reuid="$uid" --regid="$gid" --init-groups -- \
		    flock -n "$R/.cutover/lock" true 2>/dev/null && fail "nobody took the lock"
	fi
	setpriv --reuid="$uid" --regid="$gid" --init-groups -- cat "$R/.cutover/journal" \
	    >/dev/null 2>&1 && fail "nobody read the journal"
	expect_exit 0 A rollback web
fi
pass
