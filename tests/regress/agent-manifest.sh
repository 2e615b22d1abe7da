#!/bin/sh
# The release manifest (cutover-release.ini) and the migration guard on one
# host (cutover-agent(8), RELEASE MANIFEST): validated on install (a bad one
# installs nothing, exit 3), journalled, shown by status and history, handed
# to hooks with CUTOVER_ACTION; a rollback or activation below the applied
# schema's compatible_from is refused (exit 3, both schemas named) unless
# --force-schema; `drill` rehearses a rollback and always ends on its start.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
before_activate = echo "\$CUTOVER_ACTION \$CUTOVER_RELEASE schema=\${CUTOVER_SCHEMA-unset} compat=\${CUTOVER_COMPATIBLE_FROM-unset} commit=\${CUTOVER_COMMIT-unset}" >> $T/hook.log
health = test ! -e broken && test ! -e $T/all-broken
health_retries = 1
health_interval = 0
health_timeout = 5
INI
A() { agent --config "$T/agent.ini" "$@"; }
# rel NAME MANIFEST-LINES...: a release archive $T/NAME.tgz with that manifest ("" none).
rel() {
	_n=$1; shift
	mkdir -p "$T/src-$_n"
	echo "$_n" > "$T/src-$_n/index.html"
	if [ $# -gt 0 ]; then printf '%s\n' "$@" > "$T/src-$_n/cutover-release.ini"; fi
	tar -C "$T/src-$_n" -czf "$T/$_n.tgz" .
}
cur() { readlink "$R/current" 2>/dev/null | sed 's,^releases/,,'; }

rel web-1 "[release]" "version = 1.0" "commit = aaa111" "committed_at = 2026-11-30T10:12:00Z" "schema = 4" "compatible_from = 3"
rel web-2 "[release]" "version = 2.0" "commit = bbb222" "committed_at = 2026-12-01T08:00:00+01:00" "schema = 5" "compatible_from = 4"
rel web-3 "[release]" "version = 3.0" "commit = ccc333" "schema = 6" "compatible_from = 6"
rel web-plain

step "bad manifests: exit 3, the error names file and line, nothing installed"
for bad in "schema = five" "compatable_from = 4" "committed_at = yesterday" "version = has blank" \
    "schema = 3
compatible_from = 4"; do
	rel web-bad "[release]" "$bad"
	expect_exit 3 A install web "$T/web-bad.tgz"
	printf '%s\n' "$ERR" | grep -q "cutover-release.ini" || fail "error does not name the manifest: $ERR"
	[ -e "$R/releases/web-bad" ] && fail "a release with a bad manifest was installed ($bad)"
	[ -z "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "staging leftovers: $(ls "$R/.cutover/staging")"
done
rel web-bad "[other]" "schema = 1"
expect_exit 3 A install web "$T/web-bad.tgz"
printf '%s\n' "$ERR" | grep -q "cutover-release.ini:2: unknown section" || fail "no FILE:LINE: $ERR"
mkdir -p "$T/src-web-link" && printf '[release]\nschema = 1\n' > "$T/src-web-link/real.ini"
ln -sf real.ini "$T/src-web-link/cutover-release.ini"
tar -C "$T/src-web-link" -czf "$T/web-link.tgz" .
expect_exit 3 A install web "$T/web-link.tgz"
printf '%s\n' "$ERR" | grep -q "cutover-release.ini: cannot open.*symbolic link" || fail "$ERR"

step "install journals the manifest; history shows it; hooks get CUTOVER_SCHEMA and CUTOVER_ACTION=deploy"
expect_exit 0 A --json install web "$T/web-1.tgz"
printf '%s\n' "$OUT" | grep -q '"schema":4' || fail "install result: $OUT"
expect_exit 0 A activate web web-1
expect_exit 0 A deploy web "$T/web-2.tgz"
grep -q "^deploy web-2 schema=5 compat=4 commit=bbb222$" "$T/hook.log" || fail "hook env: $(cat "$T/hook.log")"
expect_exit 0 A history web
printf '%s\n' "$OUT" | grep ' install  *end ' | grep 'release=web-2' | grep -q 'schema=5' || fail "history: $OUT"
printf '%s\n' "$OUT" | grep ' install  *end ' | grep 'release=web-2' | grep -q 'committed_at=2026-12-01T08:00:00+01:00' ||
    fail "history lacks committed_at: $OUT"
expect_exit 0 A status web
printf '%s\n' "$OUT" | grep -q '^manifest: version 2.0, commit bbb222' || fail "status: $OUT"
printf '%s\n' "$OUT" | grep -q '^schema: *5 applied (runs releases from schema 4 on); rollback to web-1: safe' || fail "status: $OUT"
expect_exit 0 A --json status web
printf '%s\n' "$OUT" | grep -q '"rollback_safe":true' || fail "status json: $OUT"

step "a rollback within compatible_from runs; its hooks are told CUTOVER_ACTION=rollback; the schema stays applied"
expect_exit 0 A rollback web
[ "$(cur)" = web-1 ] || fail "current $(cur)"
tail -n 1 "$T/hook.log" | grep -q "^rollback web-1 schema=4" || fail "hook env: $(tail -n 1 "$T/hook.log")"
expect_exit 0 A status web
printf '%s\n' "$OUT" | grep -q '^schema: *5 applied' || fail "a rollback lowered the applied schema: $OUT"

step "schema 6 (compatible_from 6) applied: rollback and activation below are refused, exit 3, nothing changed"
expect_exit 0 A deploy web "$T/web-3.tgz"
j=$(wc -l < "$R/.cutover/journal")
# The previous release is web-1 (web-2 was rolled away from: never the next target).
expect_exit 3 A rollback web
printf '%s\n' "$ERR" | grep -q 'web-1 runs against schema 4, but schema 6 is applied' || fail "refusal does not name both schemas: $ERR"
expect_exit 3 A activate web web-2
printf '%s\n' "$ERR" | grep -q 'web-2 runs against schema 5, but schema 6 is applied' || fail "refusal does not name both schemas: $ERR"
[ "$(cur)" = web-3 ] || fail "a refused switch moved current to $(cur)"
[ "$(wc -l < "$R/.cutover/journal")" = "$j" ] || fail "a refused switch was journalled"
expect_exit 0 A status web
printf '%s\n' "$OUT" | grep -q 'rollback to web-1: REFUSED' || fail "status: $OUT"
step "drill is refused the same way (exit 3), and leaves everything as it was"
expect_exit 3 A drill web
[ "$(cur)" = web-3 ] || fail "drill moved current"

step "releases without a manifest are never refused; --force-schema overrides"
expect_exit 0 A install web "$T/web-plain.tgz"
expect_exit 0 A activate web web-plain
expect_exit 0 A activate web web-3
expect_exit 0 A rollback web --to web-2 --force-schema
[ "$(cur)" = web-2 ] || fail "forced rollback: current $(cur)"
expect_exit 0 A status web
printf '%s\n' "$OUT" | grep -q '^schema: *6 applied' || fail "status: $OUT"

step "deploy of a release below the floor: refused (exit 3, installed, not activated); deploy --force-schema switches"
rel web-old "[release]" "version = 0.9" "schema = 4" "compatible_from = 3"
expect_exit 3 A deploy web "$T/web-old.tgz"
printf '%s\n' "$ERR" | grep -q 'web-old runs against schema 4, but schema 6 is applied' || fail "refusal: $ERR"
[ "$(cur)" = web-2 ] || fail "a refused deploy moved current to $(cur)"
expect_exit 2 A install web "$T/web-old.tgz" --force-schema
expect_exit 0 A deploy web "$T/web-old.tgz" --force-schema
[ "$(cur)" = web-old ] || fail "forced deploy: current $(cur)"
expect_exit 0 A activate web web-2 --force-schema

step "drill: back to the previous release and forward again, CUTOVER_ACTION=drill, journalled op=drill"
expect_exit 0 A activate web web-3 --force-schema
expect_exit 0 A activate web web-plain
expect_exit 0 A activate web web-3
: > "$T/hook.log"
expect_exit 0 A --json drill web
printf '%s\n' "$OUT" | grep -q '"outcome":"ok"' || fail "drill: $OUT"
printf '%s\n' "$OUT" | grep -q '"restore_ms":' || fail "drill: $OUT"
[ "$(cur)" = web-3 ] || fail "drill did not end on web-3: $(cur)"
[ "$(sed -n 1p "$T/hook.log" | cut -d' ' -f1,2)" = "drill web-plain" ] || fail "hooks: $(cat "$T/hook.log")"
[ "$(sed -n 2p "$T/hook.log" | cut -d' ' -f1,2)" = "drill web-3" ] || fail "hooks: $(cat "$T/hook.log")"
grep -q "op=drill	phase=end.*outcome=ok" "$R/.cutover/journal" || fail "journal: $(tail -n 3 "$R/.cutover/journal")"
expect_exit 0 A --json status web
printf '%s\n' "$OUT" | grep -q '"current_op":"activate"' || fail "the drill changed what made current current: $OUT"

step "drill with a broken previous release: exit 1, back on the start"
touch "$R/releases/web-plain/broken" 2>/dev/null || { chmod u+w "$R/releases/web-plain" && touch "$R/releases/web-plain/broken"; }
expect_exit 1 A drill web
[ "$(cur)" = web-3 ] || fail "not back on web-3: $(cur)"
grep -q "op=drill	phase=end.*outcome=failed" "$R/.cutover/journal" || fail "journal: $(tail -n 2 "$R/.cutover/journal")"

step "drill whose start fails its check on the way back: exit 1 (outcome unhealthy), still ends on the start"
R2=$T/root2
cat > "$T/agent2.ini" <<INI
[app web]
root = $R2
health = test ! -e $T/start-broken || test "\$CUTOVER_RELEASE" != web-2
health_retries = 1
health_interval = 0
INI
rel web-a
expect_exit 0 agent --config "$T/agent2.ini" deploy web "$T/web-a.tgz"
expect_exit 0 agent --config "$T/agent2.ini" deploy web "$T/web-2.tgz"
touch "$T/start-broken"
expect_exit 1 agent --config "$T/agent2.ini" --json drill web
printf '%s\n' "$OUT" | grep -q '"outcome":"unhealthy"' || fail "$OUT"
[ "$(readlink "$R2/current")" = releases/web-2 ] || fail "the drill did not end on its start: $(readlink "$R2/current")"
grep -q "op=drill	phase=end.*outcome=unhealthy" "$R2/.cutover/journal" || fail "journal: $(tail -n 2 "$R2/.cutover/journal")"
pass
