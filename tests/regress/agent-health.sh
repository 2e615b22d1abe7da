#!/bin/bash
# A failing health check or hook reverses the activation and marks the release bad.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
after_activate = echo "\$CUTOVER_APP \$CUTOVER_RELEASE \$CUTOVER_PREVIOUS \$(basename \$PWD)" >> $T/hook.log
health = test ! -e broken
health_retries = 2
health_interval = 0
health_timeout = 5
INI
A() { agent --config "$T/agent.ini" "$@"; }
make_release "$T/v1" "$T/web-1.tgz" v1
make_release "$T/v2" "$T/web-2.tgz" v2
mkdir -p "$T/v3" && touch "$T/v3/broken"
make_release "$T/v3" "$T/web-3.tgz" v3

step "deploy v1, v2: hooks see CUTOVER_* and run in the release"
expect_exit 0 A deploy web "$T/web-1.tgz"
expect_exit 0 A deploy web "$T/web-2.tgz"
tail -n 1 "$T/hook.log" | grep -qx "web web-2 web-1 web-2" || fail "hook env: $(cat "$T/hook.log")"

step "v3 fails its health check: exit 1, v2 current again, its after_activate re-run"
expect_exit 1 A deploy web "$T/web-3.tgz"
[ "$(readlink "$R/current")" = releases/web-2 ] || fail "current is $(readlink "$R/current")"
printf '%s\n' "$ERR" | grep -q "health" || fail "error does not name the health check: $ERR"
tail -n 1 "$T/hook.log" | grep -qx "web web-2 web-3 web-2" || fail "previous after_activate not re-run: $(cat "$T/hook.log")"
[ -d "$R/releases/web-3" ] || fail "bad release must be kept as evidence"

step "status and history show web-3 as bad"
expect_exit 0 A --json status web
printf '%s\n' "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["bad"]=="web-3", s' || fail "$OUT"
expect_exit 0 A history web
printf '%s\n' "$OUT" | grep -q "bad=web-3" || fail "history: $OUT"
# It was current until its check failed: BAD, but not "never-activated".
expect_exit 0 A status web
printf '%s\n' "$OUT" | grep -E '^ +web-3 ' | grep -q ' BAD' || fail "status: $OUT"
printf '%s\n' "$OUT" | grep -E '^ +web-3 ' | grep -q 'never-activated' && fail "status: $OUT"

step "rollback never picks a bad release; --to may"
expect_exit 0 A rollback web
[ "$(readlink "$R/current")" = releases/web-1 ] || fail "rollback went to $(readlink "$R/current")"
expect_exit 0 A activate web web-2
rm -f "$R/releases/web-3/broken" 2>/dev/null || true
expect_exit 0 A rollback web --to web-3
[ "$(readlink "$R/current")" = releases/web-3 ] || fail "--to bad release refused"

step "a failing before_activate leaves current untouched"
cat > "$T/agent2.ini" <<INI
[app api]
root = $T/root2
before_activate = echo "refusing \$CUTOVER_RELEASE"; exit 3
INI
expect_exit 0 agent --config "$T/agent2.ini" install api "$T/web-1.tgz"
expect_exit 1 agent --config "$T/agent2.ini" activate api web-1
[ ! -e "$T/root2/current" ] || fail "current created despite hook failure"
agent --config "$T/agent2.ini" history api | grep -q "refusing web-1" || fail "hook output not journalled"

step "a hook past its timeout is killed with its children"
cat > "$T/agent3.ini" <<INI
[app slow]
root = $T/root3
after_activate = sleep 60 & sleep 60
hook_timeout = 1
INI
start=$(date +%s)
expect_exit 1 agent --config "$T/agent3.ini" deploy slow "$T/web-1.tgz"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "timeout not enforced"
printf '%s\n' "$ERR" | grep -q "timed out" || fail "no timeout message: $ERR"
step "history's text output keeps hook output on one line, escaped like the JSON"
# The check prints a newline, a tab, a backslash and a line that looks like
# a journal row: none of them may start a row of their own.
cat > "$T/agent4.ini" <<'INI'
[app esc]
health = printf 'line1\n2026-01-01T00:00:00Z prune    end      removed=x\tT\\B\n'; false
health_retries = 1
health_interval = 0
INI
printf 'root = %s\n' "$T/root4" >> "$T/agent4.ini"
expect_exit 1 agent --config "$T/agent4.ini" deploy esc "$T/web-1.tgz"
expect_exit 0 agent --config "$T/agent4.ini" history esc
printf '%s\n' "$OUT" | grep -c . | grep -qx 5 || fail "history is not 4 rows + 1 output line: $OUT"
printf '%s\n' "$OUT" | grep -q '^2026-01-01' && fail "hook output forged a row: $OUT"
printf '%s\n' "$OUT" | grep -qxF '    output: line1\n2026-01-01T00:00:00Z prune    end      removed=x\tT\\B\n' ||
    fail "output not escaped like the JSON: $OUT"
expect_exit 0 agent --config "$T/agent4.ini" --json history esc
printf '%s\n' "$OUT" | grep -qF '"output":"line1\n2026-01-01T00:00:00Z prune    end      removed=x\tT\\B\n"' ||
    fail "JSON output: $OUT"
pass
