#!/bin/sh
# Protocol 1.1 (zstd) over a pipe pair: the agent offers cap zstd, installs a zstd
# recompression of a .tgz sent with archive_sha256, and journals, returns and
# compares the original archive's digest as the release's identity.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
command -v zstd >/dev/null 2>&1 || skip "no zstd program"
A="$T/app"
J="$A/.cutover/journal"

# A release with a subdirectory, a symlink and a file big enough for the
# zstd stream to span several DATA frames.
make_release "$T/r1" "$T/web-1.tgz" one
mkdir -p "$T/r1/lib/deep"
head -c 700000 /dev/urandom >"$T/r1/lib/deep/blob.bin"
ln -s ../index.html "$T/r1/lib/link.html"
chmod 0640 "$T/r1/lib/deep/blob.bin"
tar -C "$T/r1" -czf "$T/web-1.tgz" .
gzip -dc "$T/web-1.tgz" | zstd -q -3 -c >"$T/web-1.tar.zst"
make_release "$T/r2" "$T/web-2.tgz" two
gzip -dc "$T/web-2.tgz" | zstd -q -3 -c >"$T/web-2.tar.zst"
O1=$(sha256sum "$T/web-1.tgz" | cut -d' ' -f1)
Z1=$(sha256sum "$T/web-1.tar.zst" | cut -d' ' -f1)
O2=$(sha256sum "$T/web-2.tgz" | cut -d' ' -f1)
Z2=$(sha256sum "$T/web-2.tar.zst" | cut -d' ' -f1)
O2UP=$(printf '%s' "$O2" | tr a-f A-F)
[ "$(wc -c <"$T/web-1.tar.zst")" -gt 262144 ] || fail "test archive too small for several DATA frames"

client() { "$PC" -t 10 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err"; }
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }
hasnt() { ! grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "unexpected: $1"; }; }
# No release ID, no staging leftover: the agent's state is as before.
clean_except() {
	ls "$A/releases" >"$T/rels"
	[ "$(cat "$T/rels")" = "$1" ] || fail "releases/ holds: $(cat "$T/rels")"
	[ -z "$(ls -A "$A/.cutover/staging" 2>/dev/null)" ] || fail "staging not empty"
}

step "HELLO lists zstd"
client <<END
hello
read
END
has "^HELLO 1\\.4 upload have lock events records ping note check drill sig live fetch zstd idle=60\$"
has '^agent-exit 0'

step "install a zstd recompression with archive_sha256 = the original's digest"
client <<END
hello
request 1 install $A release=web-1 archive_name=web-1.tgz sha256=$Z1 archive_sha256=$O1
upload 1 $T/web-1.tar.zst $Z1 100000
result 1
request 2 history $A
result 2
END
has "^RESULT 1 err=0 exit=0 .*\"release\":\"web-1\""
has "^RESULT 1 .*\"sha256\":\"$O1\""
has "^RESULT 1 .*\"stream_sha256\":\"$Z1\""
has '^RESULT 1 .*"have":false'
has "^RECORD 2 .*\"op\":\"install\".*\"outcome\":\"ok\".*\"sha256\":\"$O1\",\"stream_sha256\":\"$Z1\""
mkdir "$T/x1"
tar -C "$T/x1" -xzf "$T/web-1.tgz"
[ "$(tree_digest "$A/releases/web-1")" = "$(tree_digest "$T/x1")" ] ||
	fail "release tree differs from tar's unpack of the .tgz"
clean_except web-1

step "have, and the have=true shortcut, go by the original digest"
client <<END
hello
request 3 have $A sha256=$O1
result 3
request 4 have $A sha256=$Z1
result 4
request 5 install $A release=web-1 sha256=$Z1 archive_sha256=$O1
result 5
END
has '^RESULT 3 err=0 exit=0 {"have":true,"release":"web-1"'
has '^RESULT 4 err=0 exit=0 {"have":false'
has "^RESULT 5 err=0 exit=0 .*\"sha256\":\"$O1\".*\"have\":true"
has '^agent-exit 0'

step "a second upload: same archive_sha256 is a no-op, another one is refused"
cp "$J" "$T/journal.before"
client <<END
hello
request 6 install $A archive_name=web-1.tgz sha256=$Z1 archive_sha256=$O1
upload 6 $T/web-1.tar.zst $Z1
result 6
request 7 install $A archive_name=web-1.tgz sha256=$Z1 archive_sha256=$O2
upload 7 $T/web-1.tar.zst $Z1
result 7
END
has "^RESULT 6 err=0 exit=0 .*\"sha256\":\"$O1\".*\"unchanged\":true"
has '^RESULT 7 err=-9 exit=3 .*already exists with different content'
has '^agent-exit 0'
cmp -s "$J" "$T/journal.before" || fail "journal changed"
clean_except web-1

step "a wrong sha256 for the zstd bytes is still a checksum error"
client <<END
hello
request 8 install $A release=web-2 sha256=$O2 archive_sha256=$O2
upload 8 $T/web-2.tar.zst -
result 8
request 9 install $A release=web-2 sha256=$Z2 archive_sha256=$O2
upload 9 $T/web-2.tar.zst $Z1
result 9
END
has '^RESULT 8 err=-8 exit=3 '
has '^RESULT 9 err=-8 exit=3 '
has '^agent-exit 0'
clean_except web-1

step "a malformed archive_sha256 is rejected with one message, nothing changed"
cp "$J" "$T/journal.before"
client <<END
hello
request 10 install $A release=web-2 sha256=$Z2 archive_sha256=abc123
result 10
request 11 deploy $A release=web-2 sha256=$Z2 archive_sha256=${O2%?}g
result 11
END
has '^RESULT 10 err=-8 exit=3 {"error":"archive_sha256: \\"abc123\\" is not 64 hex digits"}'
has '^RESULT 11 err=-8 exit=3 {"error":"archive_sha256: .* is not 64 hex digits"}'
has '^agent-exit 0'
[ "$(grep -c archive_sha256 "$T/err")" = 2 ] || { cat "$T/err"; fail "not one message per request"; }
cmp -s "$J" "$T/journal.before" || fail "journal changed"
clean_except web-1
[ ! -e "$A/current" ] || fail "current appeared"

step "activate and deploy journal the original digest"
client <<END
hello
request 12 activate $A release=web-1
result 12
request 13 deploy $A release=web-2 sha256=$Z2 archive_sha256=$O2UP
upload 13 $T/web-2.tar.zst $Z2
result 13
request 14 rollback $A
result 14
request 15 history $A
result 15
END
has '^RESULT 12 err=0 exit=0 '
has "^RESULT 13 err=0 exit=0 .*\"sha256\":\"$O2\""
has '^RESULT 14 err=0 exit=0 .*"release":"web-1"'
has "^RECORD 15 .*\"op\":\"activate\".*\"release\":\"web-1\".*\"sha256\":\"$O1\""
has "^RECORD 15 .*\"op\":\"activate\".*\"release\":\"web-2\".*\"sha256\":\"$O2\""
has "^RECORD 15 .*\"op\":\"rollback\".*\"release\":\"web-1\".*\"sha256\":\"$O1\""
hasnt "^RECORD 15 .*\"op\":\"activate\".*\"sha256\":\"\($Z1\|$Z2\)\""
grep -q "activate.*$O1" "$J" || fail "activation journal record lacks the original digest"
[ "$(cat "$A/current/index.html")" = one ] || fail "current is not web-1"
pass
