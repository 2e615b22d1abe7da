#!/bin/bash
# Kill the real agent (SIGKILL, via the test build's CUTOVER_FAULT points) at
# every named step of a deploy. Afterwards `current` must point at a complete
# release, and the next command must recover deterministically and work.
. "$top_srcdir/tests/lib.sh"

agent --help >/dev/null
if ! strings "$CUTOVER_AGENT" | grep -q CUTOVER_FAULT; then
	skip "agent built without --enable-fault-injection"
fi

points="install.unpacked install.synced install.renamed activate.begun
swap.before_rename swap.after_rename activate.switched activate.checked
journal.appended@1 journal.appended@2 journal.appended@3 journal.appended@4
journal.appended@5 prune.moved_to_trash journal.appended@6"

for i in 1 2 3; do make_release "$T/v$i" "$T/web-$i.tgz" "v$i"; done

# check_complete ROOT: current resolves to a release whose content matches its name
check_complete() {
	cur=$(readlink "$1/current") || fail "no current link"
	id=${cur#releases/}
	[ -f "$1/current/index.html" ] || fail "current ($cur) is not a complete release"
	[ "$(cat "$1/current/index.html")" = "v${id#web-}" ] || fail "current ($cur) has the wrong content"
}

n=0
for p in $points; do
	n=$((n + 1))
	R=$T/root$n
	cat > "$T/agent$n.ini" <<INI
[app web]
root = $R
keep = 1
after_activate = echo "\$CUTOVER_RELEASE" >> $T/after$n.log
INI
	A() { agent --config "$T/agent$n.ini" "$@"; }
	step "killed at $p"
	expect_exit 0 A deploy web "$T/web-1.tgz"
	expect_exit 0 A deploy web "$T/web-2.tgz"
	set +e
	CUTOVER_FAULT=$p "$CUTOVER_AGENT" --config "$T/agent$n.ini" deploy web "$T/web-3.tgz" >"$T/.out" 2>&1
	rc=$?
	set -e; set +e
	[ $rc -eq 137 ] || fail "fault point $p not reached (exit $rc): $(cat "$T/.out")"
	check_complete "$R"

	step "after $p: the next command recovers and says so"
	expect_exit 0 A prune web
	check_complete "$R"
	[ -z "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "staging leftovers"
	[ -z "$(ls -A "$R/.cutover/trash" 2>/dev/null)" ] || fail "trash leftovers"
	ls -a "$R" | grep -q '^\.current\.' && fail "temporary current link left"
	for d in "$R"/releases/*; do
		[ -f "$d/index.html" ] || fail "incomplete release $d"
	done
	# Until the activation's end is journalled, the deterministic answer is "undo".
	case $p in
	journal.appended@4|journal.appended@5|journal.appended@6|prune.moved_to_trash) want=web-3 ;;
	*) want=web-2 ;;
	esac
	[ "$(readlink "$R/current")" = "releases/$want" ] || fail "after recovery current is $(readlink "$R/current"), want $want"
	expect_exit 0 A status web
	printf '%s\n' "$OUT" | grep -q "pending" && fail "still pending after recovery: $OUT"

	step "after $p: deploying again works"
	expect_exit 0 A deploy web "$T/web-3.tgz"
	[ "$(readlink "$R/current")" = releases/web-3 ] || fail "redeploy did not activate"
	expect_exit 0 A rollback web
	[ "$(readlink "$R/current")" = releases/web-2 ] || fail "rollback after recovery went to $(readlink "$R/current")"
done
pass
