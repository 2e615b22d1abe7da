#!/bin/bash
# prune keeps the newest good releases and never current, previous, pinned or staged ones.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
keep = 2
health = test ! -e broken
health_retries = 1
INI
A() { agent --config "$T/agent.ini" "$@"; }
for i in 1 2 3 4 5 6; do make_release "$T/v$i" "$T/web-$i.tgz" "v$i"; done
mkdir -p "$T/bad" && touch "$T/bad/broken" && make_release "$T/bad" "$T/web-bad.tgz" bad

step "deploys prune automatically down to keep=2 good releases"
expect_exit 0 A deploy web "$T/web-1.tgz"
expect_exit 0 A pin web web-1
for i in 2 3 4; do expect_exit 0 A deploy web "$T/web-$i.tgz"; done
ls "$R/releases" | sort > "$T/have"
printf 'web-1\nweb-3\nweb-4\n' | diff - "$T/have" || fail "kept: $(cat "$T/have")"

step "a bad release and an old one go; a staged release stays"
expect_exit 1 A deploy web "$T/web-bad.tgz"
expect_exit 0 A install web "$T/web-6.tgz"
expect_exit 0 A prune web
ls "$R/releases" | sort > "$T/have"
printf 'web-1\nweb-3\nweb-4\nweb-6\n' | diff - "$T/have" || fail "kept: $(cat "$T/have")"

step "unpin lets it go; --keep 1 keeps current and the rollback target"
expect_exit 0 A unpin web web-1
expect_exit 0 A prune web --keep 1
ls "$R/releases" | sort > "$T/have"
printf 'web-3\nweb-4\nweb-6\n' | diff - "$T/have" || fail "kept: $(cat "$T/have")"
expect_exit 0 A rollback web
[ "$(readlink "$R/current")" = releases/web-3 ] || fail "rollback target was pruned"

step "prune never follows a symlink out of ROOT"
mkdir -p "$T/outside" && touch "$T/outside/precious"
ln -s "$T/outside" "$R/releases/web-0"
expect_exit 0 A prune web --keep 1
[ -e "$T/outside/precious" ] || fail "prune deleted through a symlink"
step "every removed release is reported: text, --json and the journal (history)"
R2=$T/root2
for i in 1 2 3 4 5; do expect_exit 0 agent deploy "$R2" "$T/web-$i.tgz"; done
expect_exit 0 agent prune "$R2" --keep 1
# keep 1 good + the rollback target: web-5 current, web-4 previous.
printf '%s\n' "$OUT" | grep -qx 'pruned 3 releases: web-3 web-2 web-1' || fail "text: $OUT"
for id in web-1 web-2 web-3; do printf '%s\n' "$ERR" | grep -qx "removing $id" || fail "no 'removing $id': $ERR"; done
expect_exit 0 agent history "$R2"
printf '%s\n' "$OUT" | grep -q ' prune *end .*removed="web-3 web-2 web-1"' || fail "history: $OUT"
expect_exit 0 agent --json history "$R2"
printf '%s\n' "$OUT" | grep -q '"op":"prune","phase":"end".*"removed":"web-3 web-2 web-1"' || fail "history --json: $OUT"
# 4 more deploys; the fourth prunes web-4 itself (default keep 5).
for i in 6 4 3 2; do expect_exit 0 agent deploy "$R2" "$T/web-$i.tgz" --release "web-$i-again"; done
expect_exit 0 agent --json prune "$R2" --keep 1
printf '%s\n' "$OUT" | grep -q '"removed":"web-4-again web-6-again web-5"' || fail "--json: $OUT"
printf '%s\n' "$OUT" | grep -q '"message":"pruned 3 releases: web-4-again web-6-again web-5"' || fail "--json: $OUT"
ls "$R2/releases" | sort > "$T/have"
printf 'web-2-again\nweb-3-again\n' | diff - "$T/have" || fail "kept: $(cat "$T/have")"
expect_exit 0 agent --json history "$R2"
printf '%s\n' "$OUT" | grep -c '"op":"prune","phase":"end".*"removed":"web-4-again web-6-again web-5"' |
    grep -qx 1 || fail "history --json: $OUT"

pass
