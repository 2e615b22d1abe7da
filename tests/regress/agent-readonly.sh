#!/bin/sh
# Read-only commands (status, history; serve's status, history, have) create
# nothing on disk: a missing path APP or a configured app never deployed
# reads as an empty app, byte for byte, except that status says the ROOT is
# missing (a "root:" line, "root_exists":false; exit 0), and a deploy there
# still works.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"

W=$T/work		# everything the commands under test may touch
mkdir "$W"
printf '[app web]\nroot = %s/croot\n' "$W" > "$T/a.ini"
make_release "$T/r1" "$T/web-1.tar.gz" one
S1=$(sha256sum "$T/web-1.tar.gz" | cut -d' ' -f1)
ZERO=0000000000000000000000000000000000000000000000000000000000000000

# Every path under $W; outputs are compared from expect_exit's raw $T/.out.
listing() { (cd "$W" && find . | LC_ALL=C sort); }
# same NAME FILE: fail unless FILE equals the reference $T/ref.NAME.
same() {
	cmp -s "$T/ref.$1" "$2" || { diff "$T/ref.$1" "$2"; fail "$1 differs from an empty app"; }
}
# unmissing FILE: status of a missing ROOT must say so (text line, JSON
# root_exists false, both in the message); then drop exactly that, in place.
MISSING='ROOT APP does not exist (nothing deployed; a deploy creates it)'
unmissing() {
	case $(cat "$1") in
	*'"root_exists"'*)	grep -qF "\"root_exists\":false" "$1" && grep -qF "\\nroot:     $MISSING\\n" "$1" ||
		    fail "JSON status does not say the ROOT is missing: $(cat "$1")"
		sed -i -e 's/"root_exists":false/"root_exists":true/' \
		    -e "s/\\\\nroot:     ROOT APP does not exist (nothing deployed; a deploy creates it)//" "$1" ;;
	*)	grep -qxF "root:     $MISSING" "$1" || fail "status does not say the ROOT is missing: $(cat "$1")"
		sed -i '/^root:     ROOT APP does not exist/d' "$1" ;;
	esac
}

step "reference: an existing empty app (ROOT, .cutover, releases/ present)"
mkdir -p "$T/ref/.cutover" "$T/ref/releases"
for c in status history; do
	for j in "" --json; do
		expect_exit 0 agent $j $c "$T/ref"
		sed "s|$T/ref|APP|g" "$T/.out" > "$T/ref.$c$j"
		[ -z "$ERR" ] || fail "stderr on an empty app: $ERR"
	done
done
grep -q '^current:  none$' "$T/ref.status" || fail "reference status: $(cat "$T/ref.status")"
grep -q '^lock:     free$' "$T/ref.status" || fail "reference status: $(cat "$T/ref.status")"
grep -q '^root:' "$T/ref.status" && fail "an existing ROOT said missing: $(cat "$T/ref.status")"
grep -q '"root_exists":true' "$T/ref.status--json" || fail "reference: $(cat "$T/ref.status--json")"
[ ! -e "$T/ref/.cutover/lock" ] || fail "status created the lock file"

step "status and history on a missing path APP create nothing"
before=$(listing)
for c in status history; do
	for j in "" --json; do
		expect_exit 0 agent $j $c "$W/wbe"
		sed "s|$W/wbe|APP|g" "$T/.out" > "$T/got"
		[ -z "$ERR" ] || fail "stderr: $ERR"
		[ $c = history ] || unmissing "$T/got"
		same "$c$j" "$T/got"
	done
done
[ "$(listing)" = "$before" ] || fail "created: $(listing)"

step "the same for a configured app whose root is missing"
for c in status history; do
	for j in "" --json; do
		expect_exit 0 agent --config "$T/a.ini" $j $c web
		sed -e "s|$W/croot|APP|g" -e 's|"app":"web"|"app":"APP"|' \
		    -e 's|web (APP)|APP (APP)|g' "$T/.out" > "$T/got"
		[ $c = history ] || unmissing "$T/got"
		same "$c$j" "$T/got"
	done
done
[ "$(listing)" = "$before" ] || fail "created: $(listing)"

step "ROOT without .cutover or releases/: still nothing created"
mkdir "$W/bare"
before=$(listing)
for c in status history; do
	for j in "" --json; do
		expect_exit 0 agent $j $c "$W/bare"
		sed "s|$W/bare|APP|g" "$T/.out" > "$T/got"
		same "$c$j" "$T/got"
	done
done
[ "$(listing)" = "$before" ] || fail "created: $(listing)"
rmdir "$W/bare"

step "a ROOT that is not a directory is still an error"
: > "$W/file"
expect_exit 2 agent status "$W/file"
printf '%s\n' "$ERR" | grep -q "cannot open root" || fail "$ERR"
expect_exit 2 agent history "$W/file"
rm "$W/file"

step "serve: status, history and have on a missing path create nothing"
if [ -x "$PC" ]; then
	before=$(listing)
	"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 1 status $W/wbe
result 1
request 2 have $W/wbe sha256=$ZERO
result 2
request 3 history $W/wbe
result 3
request 4 status $T/ref
result 4
END
	has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }
	has '^RESULT 1 err=0 exit=0 .*"current":"","previous":"","locked":false'
	has '^RESULT 2 err=0 exit=0 {"have":false'
	has '^RESULT 3 err=0 exit=0 {"records":0}'
	has '^agent-exit 0'
	# status over serve says the same as on the empty reference app
	grep '^RESULT 1 ' "$T/out" | sed -e 's/^RESULT 1 //' -e "s|$W/wbe|APP|g" > "$T/serve-status"
	unmissing "$T/serve-status"
	a=$(cat "$T/serve-status")
	b=$(grep '^RESULT 4 ' "$T/out" | sed -e 's/^RESULT 4 //' -e "s|$T/ref|APP|g")
	[ "$a" = "$b" ] || fail "serve status differs: $a vs $b"
	[ "$(listing)" = "$before" ] || fail "created: $(listing)"
else
	echo "tests/proto-client not built: serve part skipped"
fi

step "a deploy to the missing path still creates everything and works"
expect_exit 0 agent deploy "$W/wbe" "$T/web-1.tar.gz" --release web-1
[ -d "$W/wbe/.cutover" ] && [ -d "$W/wbe/releases" ] || fail "dirs not created"
[ "$(cat "$W/wbe/current/index.html")" = one ] || fail "not deployed"
expect_exit 0 agent --json status "$W/wbe"
printf '%s\n' "$OUT" | grep -q '"current":"web-1"' || fail "status after deploy: $OUT"
expect_exit 0 agent --config "$T/a.ini" deploy web "$T/web-1.tar.gz" --release web-1
[ "$(readlink "$W/croot/current")" = releases/web-1 ] || fail "configured app not deployed"
if [ -x "$PC" ]; then
	"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 5 have $W/wbe sha256=$S1
result 5
END
	grep -q '^RESULT 5 err=0 exit=0 {"have":true,"release":"web-1"' "$T/out" ||
	    { cat "$T/out" "$T/err"; fail "have after deploy"; }
fi
pass
