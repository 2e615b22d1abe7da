#!/bin/sh
# An upload that does not finish properly (cut off, wrong checksum, a frame
# out of order) leaves no release and no staging directory behind.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
A="$T/app"
make_release "$T/r1" "$T/web-1.tar.gz" one
# a bigger release, so a cut lands in the middle of the archive
mkdir -p "$T/r2"
head -c 3000000 /dev/urandom >"$T/r2/blob"
make_release "$T/r2" "$T/web-2.tar.gz" two
S2=$(sha256sum "$T/web-2.tar.gz" | cut -d' ' -f1)
SIZE=$(wc -c <"$T/web-2.tar.gz")
expect_exit 0 agent deploy "$A" "$T/web-1.tar.gz"

nothing_left() {
	[ ! -e "$A/releases/web-2" ] || fail "releases/web-2 exists"
	[ -z "$(ls -A "$A/.cutover/staging" 2>/dev/null)" ] || fail "staging not empty: $(ls -A "$A/.cutover/staging")"
	[ "$(readlink "$A/current")" = releases/web-1 ] || fail "current moved"
}

step "client closes the stream halfway through the upload"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 1 deploy $A release=web-2 sha256=$S2
upload-cut 1 $T/web-2.tar.gz $((SIZE / 2))
close
drain
END
grep -q 'cut off' "$T/err" || { cat "$T/out" "$T/err"; fail "no message on stderr"; }
nothing_left

step "wrong sha256 at DATA_END"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 2 install $A release=web-2
upload 2 $T/web-2.tar.gz 0000000000000000000000000000000000000000000000000000000000000000
result 2
END
grep -q '^RESULT 2 err=-8 exit=3' "$T/out" || { cat "$T/out" "$T/err"; fail "no checksum error"; }
nothing_left

step "wrong sha256 in the request: rejected after the upload, session goes on"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 3 install $A release=web-2 sha256=1111111111111111111111111111111111111111111111111111111111111111
upload 3 $T/web-2.tar.gz
result 3
request 4 status $A
result 4
END
grep -q '^RESULT 3 err=-8 exit=3' "$T/out" || { cat "$T/out" "$T/err"; fail "no checksum error"; }
grep -q '^RESULT 4 err=0 exit=0' "$T/out" || { cat "$T/out" "$T/err"; fail "session did not go on"; }
nothing_left

step "a REQUEST in the middle of an upload is a protocol error"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 5 install $A release=web-2
upload-cut 5 $T/web-2.tar.gz 300000
request 6 status $A
drain
END
grep -q '^ERROR -14 REQUEST for request 6 during the upload of request 5' "$T/out" ||
    { cat "$T/out" "$T/err"; fail "no protocol error"; }
nothing_left

step "the same upload, complete, works"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
request 7 install $A release=web-2 sha256=$S2
upload 7 $T/web-2.tar.gz $S2
result 7
END
grep -q '^RESULT 7 err=0 exit=0' "$T/out" || { cat "$T/out" "$T/err"; fail "install failed"; }
cmp "$A/releases/web-2/blob" "$T/r2/blob" || fail "content differs"
pass
