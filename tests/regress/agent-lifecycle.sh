#!/bin/sh
# install / activate / deploy / rollback / status / history on one root.
. "$top_srcdir/tests/lib.sh"

R=$T/root
make_release "$T/v1" "$T/web-1.0.tar.gz" v1
make_release "$T/v2" "$T/web-2.0.tar.gz" v2
make_release "$T/v3" "$T/web-3.0.tar.gz" v3

step "install unpacks without activating"
expect_exit 0 agent install "$R" "$T/web-1.0.tar.gz"
[ -f "$R/releases/web-1.0/index.html" ] || fail "release not unpacked"
[ -x "$R/releases/web-1.0/bin/run" ] || fail "exec bit lost"
[ ! -e "$R/current" ] || fail "install must not activate"

step "installing the same archive again is a no-op"
expect_exit 0 agent install "$R" "$T/web-1.0.tar.gz"
echo "$OUT" | grep -q "already installed" || fail "no-op not reported: $OUT"

step "same ID, different bytes: rejected (3), release untouched"
before=$(tree_digest "$R/releases/web-1.0")
expect_exit 3 agent install "$R" "$T/web-2.0.tar.gz" --release web-1.0
[ "$(tree_digest "$R/releases/web-1.0")" = "$before" ] || fail "release changed"

step "activate makes current a relative symlink"
expect_exit 0 agent activate "$R" web-1.0
[ "$(readlink "$R/current")" = "releases/web-1.0" ] || fail "current -> $(readlink "$R/current")"

step "deploy v2 and v3"
expect_exit 0 agent deploy "$R" "$T/web-2.0.tar.gz"
expect_exit 0 agent deploy "$R" "$T/web-3.0.tar.gz"
[ "$(cat "$R/current/index.html")" = v3 ] || fail "v3 not current"

step "rollback goes to the previous release from the journal, twice"
# Make name order and mtimes lie: rollback must still follow the journal.
touch -d '2001-01-01' "$R/releases/web-2.0"
expect_exit 0 agent rollback "$R"
[ "$(cat "$R/current/index.html")" = v2 ] || fail "first rollback not on v2"
expect_exit 0 agent --json status "$R"
printf '%s\n' "$OUT" | grep -q '"previous":"web-1.0"' || fail "the release rolled away from is still a target: $OUT"
expect_exit 0 agent rollback "$R"
[ "$(cat "$R/current/index.html")" = v1 ] || fail "second rollback not on v1"

step "rollback --to a named release"
expect_exit 0 agent rollback "$R" --to web-3.0
[ "$(readlink "$R/current")" = "releases/web-3.0" ] || fail "--to ignored"

step "rollback --to a missing release: 3, current unchanged"
expect_exit 3 agent rollback "$R" --to web-9.9
[ "$(readlink "$R/current")" = "releases/web-3.0" ] || fail "current moved"
expect_exit 3 agent rollback "$R" --to '../etc'

step "status --json names current and previous"
expect_exit 0 agent --json status "$R"
printf "%s\n" "$OUT" | python3 -c '
import json, sys
s = json.loads(sys.stdin.readline())
assert s["ok"] is True and s["current"] == "web-3.0", s
assert s["previous"] == "web-1.0", s
assert set(s["releases"].split()) == {"web-1.0", "web-2.0", "web-3.0"}, s
' || fail "status json: $OUT"

step "history lists every operation as JSON"
expect_exit 0 agent --json history "$R"
printf "%s\n" "$OUT" | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
ops = [(r["op"], r["phase"]) for r in recs if "op" in r]
assert ops.count(("install", "end")) == 3, ops
assert ops.count(("rollback", "end")) == 3, ops
assert all("time" in r for r in recs if "op" in r)
sw = [r for r in recs if r.get("op") in ("activate", "rollback") and r.get("phase") == "end"]
assert sw and all(len(r.get("sha256", "")) == 64 for r in sw), sw
' || fail "history json: $OUT"

step "bad release IDs are rejected with 3"
expect_exit 3 agent install "$R" "$T/web-1.0.tar.gz" --release '../x'
expect_exit 3 agent install "$R" "$T/web-1.0.tar.gz" --release '.hidden'
[ ! -e "$R/x" ] || fail "wrote outside"

step "usage errors exit 2"
expect_exit 2 agent frobnicate
expect_exit 2 agent install "$R"
expect_exit 0 agent install --help
pass
