#!/bin/sh
# Hard-link dedupe through `cutover deploy` on real sshd hosts: with
# `dedupe = yes` in each host's agent.ini the second release's unchanged
# files are links to the first's (same inode), the changed one is new, and
# `cutover status` (text and --json) shows the bytes saved.
# DEDUPE=no runs the same checks with dedupe off: they must then fail.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 83))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 2
for h in $FLEET_HOSTS; do echo "dedupe = ${DEDUPE:-yes}" >> "$T/$h/agent.ini"; done
C="$CUTOVER -f $T/fleet.ini"

mkdir -p "$T/r1/lib"
i=0; while [ $i -lt 20 ]; do head -c 50000 /dev/urandom > "$T/r1/lib/m$i.js"; i=$((i + 1)); done
echo v1 > "$T/r1/index.html"
cp -a "$T/r1" "$T/r2" && echo v2 > "$T/r2/index.html"
tar -C "$T/r1" -czf "$T/web-1.0.tgz" .
tar -C "$T/r2" -czf "$T/web-2.0.tgz" .

step "two deploys through cutover"
expect_exit 0 $C deploy "$T/web-1.0.tgz"
expect_exit 0 $C deploy "$T/web-2.0.tgz"

step "on each host the unchanged files are links to the first release's, the changed one is not"
for h in $FLEET_HOSTS; do
	[ "$(current_of $h)" = web-2.0 ] || fail "$h on $(current_of $h)"
	rel=$T/$h/root/releases
	for f in lib/m0.js lib/m19.js; do
		[ "$(stat -c %i "$rel/web-1.0/$f")" = "$(stat -c %i "$rel/web-2.0/$f")" ] ||
		    fail "$h: $f was written, not linked"
	done
	[ "$(stat -c %i "$rel/web-1.0/index.html")" = "$(stat -c %i "$rel/web-2.0/index.html")" ] &&
	    fail "$h: the changed index.html was linked"
	[ "$(cat "$rel/web-2.0/index.html")" = v2 ] || fail "$h: index.html is not v2"
	[ "$(cat "$rel/web-1.0/index.html")" = v1 ] || fail "$h: release web-1.0 changed"
done

step "cutover status shows the bytes saved"
expect_exit 0 $C status
printf '%s\n' "$OUT" | grep -q "^dedupe: 2 hosts; their current releases saved 2000000 bytes (40 files linked" ||
    fail "status: $OUT"
expect_exit 0 $C --json status
[ "$(printf '%s\n' "$OUT" | grep -c '"current_dedupe_bytes":1000000')" = 2 ] || fail "status --json: $OUT"

pass
