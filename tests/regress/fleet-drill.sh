#!/bin/sh
# Rollback drills and the migration guard on real sshd hosts (cutover(1),
# drill and MIGRATION GUARD): a drill rolls the canary back and forward
# again and reports the time to restore; every drilled host ends on the
# release it started on, a host lost mid-drill included; a rollback below a
# host's schema floor is refused for the whole fleet before any host moves.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 60))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 3
C="$CUTOVER -f $T/fleet.ini"
# rel NAME SCHEMA COMPAT: a release archive with a manifest.
rel() {
	mkdir -p "$T/src-$1"
	echo "$1" > "$T/src-$1/index.html"
	printf '[release]\nversion = %s\ncommit = abc%s\nschema = %s\ncompatible_from = %s\n' "$1" "$2" "$2" "$3" \
	    > "$T/src-$1/cutover-release.ini"
	tar -C "$T/src-$1" -czf "$T/$1.tgz" .
}
rel web-1 4 3; rel web-2 5 4; rel web-3 6 6; rel web-3b 6 6
all_on() { for h in h11 h12 h13; do [ "$(current_of "$h")" = "$1" ] || fail "$h on $(current_of "$h"), not $1"; done; }
set_health() { sed -i "s|^health = .*|health = $2|" "$T/$1/agent.ini"; }
drills() { grep -c "op=drill	phase=end" "$T/$1/root/.cutover/journal"; }

expect_exit 0 $C deploy "$T/web-1.tgz"
expect_exit 0 $C deploy "$T/web-2.tgz"
all_on web-2

step "drill on the default canary (the first host): exit 0, time to restore, journalled op=drill kind=drill"
expect_exit 0 $C drill --actor "weekly drill"
printf '%s\n' "$OUT" | grep -q '^h11 .*ok: web-2 -> web-1 restored in [0-9]* ms' || fail "drill: $OUT"
printf '%s\n' "$OUT" | grep -q 'time to restore [0-9]* ms' || fail "drill: $OUT"
all_on web-2
[ "$(drills h11)" = 1 ] || fail "h11 drills: $(drills h11)"
grep -q "op=drill" "$T/h12/root/.cutover/journal" && fail "h12 was drilled too"
grep "op=drill	phase=end" "$T/h11/root/.cutover/journal" | grep -q 'kind=drill' || fail "not kind=drill"
expect_exit 0 $C history
printf '%s\n' "$OUT" | grep 'op=drill' | grep -q 'actor="weekly drill"' || fail "history: $OUT"

step "--json drill --hosts h12,h13: both drilled, one summary object"
expect_exit 0 $C --json drill --hosts h12,h13
[ "$(printf '%s\n' "$OUT" | grep -c '"event":"drill_host"')" = 2 ] || fail "$OUT"
printf '%s\n' "$OUT" | grep -q '"event":"drill",.*"hosts":2,"ok":2,"time_to_restore_ms":' || fail "$OUT"
all_on web-2

step "the previous release fails its health check on h12: exit 1, h12 named and back on web-2"
set_health h12 'test "$CUTOVER_RELEASE" != web-1'
expect_exit 1 $C drill --canary h12
printf '%s\n' "$OUT" | grep -q '^h12 .*FAILED' || fail "$OUT"
all_on web-2
set_health h12 true

step "a host lost mid-drill: exit 5, and its agent still brings it back to web-2"
set_health h13 'sleep 2'
legs() { grep -c "op=rollback	phase=begin.*via=drill" "$T/h13/root/.cutover/journal"; }
before=$(legs)
$C drill --canary h13 > "$T/lost.out" 2>&1 &
cpid=$!
# Lose the host once its drill has begun (the rollback leg's health check sleeps 2 s).
i=0
until [ "$(legs)" -gt "$before" ]; do i=$((i + 1)); [ $i -le 300 ] || fail "the drill never began"; sleep 0.05; done
stop_host h13
i=0; rc=0
while kill -0 "$cpid" 2>/dev/null; do i=$((i + 1)); [ $i -le 300 ] || fail "drill hangs"; sleep 0.1; done
wait "$cpid" || rc=$?
[ "$rc" = 5 ] || fail "exit $rc, not 5: $(cat "$T/lost.out")"
i=0
until [ "$(drills h13)" = 2 ]; do i=$((i + 1)); [ $i -le 300 ] || fail "h13's drill never ended"; sleep 0.1; done
[ "$(current_of h13)" = web-2 ] || fail "h13 left on $(current_of h13)"
set_health h13 true
start_sshd h13

step "rollback --dry-run says it is safe within compatible_from; status says so"
expect_exit 0 $C rollback --dry-run
printf '%s\n' "$OUT" | grep -q '^h11 .*would roll back: web-2 -> web-1 (schema safe)' || fail "$OUT"
all_on web-2
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q '^schema: h11 .*5 applied (runs releases from schema 4 on); rollback to web-1: safe' || fail "$OUT"

step "schema 6 (compatible_from 6): the whole rollback is refused before any host moves, exit 3"
expect_exit 0 $C deploy --hosts h12 "$T/web-3b.tgz"
expect_exit 0 $C deploy "$T/web-3.tgz"
all_on web-3
expect_exit 3 $C rollback --dry-run
printf '%s\n' "$OUT" | grep -q '^h11 .*REFUSED by the migration guard' || fail "$OUT"
printf '%s\n' "$OUT" | grep -q '^h12 .*web-3 -> web-3b (schema safe)' || fail "$OUT"
expect_exit 3 $C rollback
printf '%s\n' "$ERR" | grep -q 'h11: web-2 runs against schema 5, but schema 6 is applied' || fail "$ERR"
all_on web-3
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q '^schema: h13 .*rollback to web-2: REFUSED' || fail "$OUT"

step "--force-schema: the rollback runs"
expect_exit 0 $C rollback --force-schema
[ "$(current_of h11)" = web-2 ] && [ "$(current_of h12)" = web-3b ] && [ "$(current_of h13)" = web-2 ] ||
    fail "after --force-schema: $(current_of h11) $(current_of h12) $(current_of h13)"
pass
