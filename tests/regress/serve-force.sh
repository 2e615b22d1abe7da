#!/bin/sh
# force_schema over the wire (PROTOCOL section 12): deploy (1.4), activate
# and rollback take it; without it a release below the applied schema's
# floor is refused (exit 3, current unchanged); install ignores it.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
A="$T/web"
mkdir -p "$A"
printf '[app web]\nroot = %s\n' "$A" > "$T/agent.ini"
# rel NAME SCHEMA FLOOR: a release archive with that manifest.
rel() {
	mkdir -p "$T/src-$1"
	printf '[release]\nschema = %s\ncompatible_from = %s\n' "$2" "$3" > "$T/src-$1/cutover-release.ini"
	make_release "$T/src-$1" "$T/$1.tgz" "$1"
}
rel web-new 6 6
rel web-old 4 3
SN=$(sha256sum "$T/web-new.tgz" | cut -d' ' -f1)
SO=$(sha256sum "$T/web-old.tgz" | cut -d' ' -f1)
client() { "$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/agent.ini" serve >"$T/out" 2>"$T/err"; }
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }
cur() { readlink "$A/current"; }

step "deploy below the floor: refused without force_schema (exit 3), switched with it"
client <<END
hello
read
request 1 deploy web release=web-new sha256=$SN
upload 1 $T/web-new.tgz $SN
result 1
request 2 deploy web release=web-old sha256=$SO
upload 2 $T/web-old.tgz $SO
result 2
END
has '^RESULT 1 err=0 exit=0'
has '^RESULT 2 err=-[0-9]* exit=3'
[ "$(cur)" = releases/web-new ] || fail "a refused deploy moved current to $(cur)"
client <<END
hello
read
request 3 deploy web release=web-old sha256=$SO force_schema=yes
result 3
END
has '^RESULT 3 err=0 exit=0'
[ "$(cur)" = releases/web-old ] || fail "forced deploy: current $(cur)"

step "activate takes it too; a later request on the session is not forced"
client <<END
hello
read
request 4 activate web release=web-new
result 4
request 5 activate web release=web-old force_schema=1
result 5
request 6 activate web release=web-new
result 6
request 7 activate web release=web-old
result 7
END
has '^RESULT 4 err=0 exit=0'
has '^RESULT 5 err=0 exit=0'
has '^RESULT 6 err=0 exit=0'
has '^RESULT 7 err=-[0-9]* exit=3'
[ "$(cur)" = releases/web-new ] || fail "current $(cur)"
pass
