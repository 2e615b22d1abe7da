#!/bin/sh
# The coordinator recompresses a gzip/bzip2/xz/plain tar release to zstd once
# and sends that to every host whose agent reads zstd: the hosts unpack the
# same tree, journal the original archive's SHA-256 as the release's
# identity (plus the stream's), and dedupe on it. recompress = 0 on a host
# sends it the archive as is; zip and zstd archives are never recompressed;
# an archive that does not decompress is sent as is and rejected by the
# agents (exit 3, nothing changed).
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 10))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 3
C="$CUTOVER -f $T/fleet.ini"
# h13 asks for the archive as it is.
sed -i '/^\[host h13\]$/a recompress = 0' "$T/fleet.ini"
# A release with some bulk, in several compressions.
make_release "$T/src" "$T/web-1.0.tgz" v1
seq 1 20000 > "$T/src/numbers.txt"
mkdir -p "$T/src/lib" && cp "$top_srcdir"/agent/*.c "$T/src/lib/"
tar -C "$T/src" -czf "$T/web-1.0.tgz" .
tar -C "$T/src" -cJf "$T/web-2.0.tar.xz" .
tar -C "$T/src" -cf "$T/web-3.0.tar" .
SHA1=$(sha256sum "$T/web-1.0.tgz" | cut -d' ' -f1)
mkdir -p "$T/ref" && tar -C "$T/ref" -xzf "$T/web-1.0.tgz"
REF=$(tree_digest "$T/ref")

# field HOST RELEASE KEY: KEY of the release's install record in HOST's journal.
field() {
	"$CUTOVER_AGENT" --config "$T/$1/agent.ini" --json history web |
	    python3 -c '
import json, sys
want_rel, key = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    r = json.loads(line)
    if r.get("op") == "install" and r.get("release") == want_rel and r.get("outcome") == "ok":
        print(r.get(key, "-")); break
' "$2" "$3"
}

step "the plan says whether the stage recompresses"
expect_exit 0 $C deploy --dry-run "$T/web-1.0.tgz"
echo "$OUT" | grep -q '^stage: the archive is recompressed to zstd -1 ' || fail "plan: $OUT"
expect_exit 0 $C --json deploy --dry-run "$T/web-1.0.tgz"
echo "$OUT" | grep -q '"event":"plan_summary".*"recompress":1' || fail "json plan: $OUT"
gzip -dc "$T/web-1.0.tgz" | zstd -q -c > "$T/web-4.0.tar.zst"
expect_exit 0 $C deploy --dry-run "$T/web-4.0.tar.zst"
echo "$OUT" | grep -q 'recompressed' && fail "plan promises to recompress a zstd archive: $OUT"

step "a .tgz goes out as zstd to the hosts that read it"
expect_exit 0 $C --json deploy --batch 3 "$T/web-1.0.tgz"
printf '%s\n' "$OUT" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
rc = [e for e in ev if e["event"] == "recompressed"]
assert len(rc) == 1 and rc[0]["message"].startswith("zstd -1: "), rc
assert [e for e in ev if e["event"] == "result"][0]["outcome"] == "done"
' || fail "json: $OUT"
for h in h11 h12 h13; do
	[ "$(current_of $h)" = web-1.0 ] || fail "$h is on $(current_of $h)"
	[ "$(tree_digest "$T/$h/root/releases/web-1.0")" = "$REF" ] || fail "$h: tree differs from tar's"
	[ "$(field $h web-1.0 sha256)" = "$SHA1" ] || fail "$h: journalled sha256 $(field $h web-1.0 sha256), want $SHA1"
done
for h in h11 h12; do
	s=$(field $h web-1.0 stream_sha256)
	case $s in [0-9a-f]*) [ "$s" != "$SHA1" ] || fail "$h: stream digest equals the archive's";; *) fail "$h: no stream_sha256 ($s)";; esac
done
[ "$(field h13 web-1.0 stream_sha256)" = - ] || fail "h13 (recompress = 0) got a recompressed stream"

step "the original's SHA-256 dedupes: the same archive again uploads nothing"
expect_exit 0 $C --json deploy --batch 3 "$T/web-1.0.tgz"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed"' && fail "recompressed although every host has it: $OUT"
for h in h11 h12 h13; do [ "$(current_of $h)" = web-1.0 ] || fail "$h left web-1.0"; done

step "xz and plain tar are recompressed too; the trees match"
expect_exit 0 $C --json deploy --batch 3 "$T/web-2.0.tar.xz"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed".*"message":"zstd -1' || fail "xz not recompressed: $OUT"
expect_exit 0 $C --json deploy --batch 3 "$T/web-3.0.tar"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed".*"message":"zstd -1' || fail "tar not recompressed: $OUT"
for h in h11 h12 h13; do
	[ "$(tree_digest "$T/$h/root/releases/web-2.0")" = "$REF" ] || fail "$h: web-2.0 differs"
	[ "$(tree_digest "$T/$h/root/releases/web-3.0")" = "$REF" ] || fail "$h: web-3.0 differs"
done

step "a zstd archive goes out as it is"
expect_exit 0 $C --json deploy --batch 3 "$T/web-4.0.tar.zst"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed"' && fail "zstd recompressed: $OUT"
[ "$(field h11 web-4.0 stream_sha256)" = - ] || fail "h11 got a stream digest for a zstd archive"

step "recompress = 0 in [fleet] sends every host the archive as it is"
cp "$T/fleet.ini" "$T/fleet-off.ini"
sed -i 's/^\[fleet\]$/[fleet]\nrecompress = 0/' "$T/fleet-off.ini"
tar -C "$T/src" -czf "$T/web-5.0.tgz" .
expect_exit 0 "$CUTOVER" -f "$T/fleet-off.ini" --json deploy --batch 3 "$T/web-5.0.tgz"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed"' && fail "recompressed with recompress = 0: $OUT"
[ "$(field h12 web-5.0 stream_sha256)" = - ] || fail "h12 got a stream digest with recompress = 0"

step "no room for the zstd copy (TMPDIR unusable): the archive goes as it is, the deploy succeeds"
tar -C "$T/src" -czf "$T/web-8.0.tgz" .
TMPDIR=$T/no-such-dir expect_exit 0 $C --json deploy --batch 3 "$T/web-8.0.tgz"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed".*not recompressed (temporary file: No such file' ||
	fail "no word of the failed recompression: $OUT"
for h in h11 h12 h13; do [ "$(current_of $h)" = web-8.0 ] || fail "$h is on $(current_of $h)"; done
[ "$(field h11 web-8.0 stream_sha256)" = - ] || fail "h11 got a stream digest without a zstd copy"
expect_exit 0 $C deploy --batch 3 "$T/web-5.0.tgz"

step "an archive that does not decompress is sent as is and rejected: exit 3, nothing changed"
head -c 4000 "$T/web-1.0.tgz" > "$T/web-6.0.tgz"
expect_exit 3 $C deploy --batch 3 "$T/web-6.0.tgz"
for h in h11 h12 h13; do
	[ "$(current_of $h)" = web-5.0 ] || fail "$h moved to $(current_of $h)"
	[ -e "$T/$h/root/releases/web-6.0" ] && fail "$h: a partial web-6.0 is left"
	[ -z "$(ls -A "$T/$h/root/.cutover/staging" 2>/dev/null)" ] || fail "$h: staging not empty"
done

step "a gzip stream that is not a tar is sent as is and rejected the same way"
printf 'not a tar archive\n' | gzip > "$T/web-7.0.tgz"
expect_exit 3 $C --json deploy --batch 3 "$T/web-7.0.tgz"
printf '%s\n' "$OUT" | grep -q '"event":"recompressed".*not recompressed (not a tar archive)' ||
	fail "no 'not a tar archive' event: $OUT"
for h in h11 h12 h13; do
	[ "$(current_of $h)" = web-5.0 ] || fail "$h moved to $(current_of $h)"
	[ -e "$T/$h/root/releases/web-7.0" ] && fail "$h: a partial web-7.0 is left"
done
pass
