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
pass
