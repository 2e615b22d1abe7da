#!/bin/sh
# cutover-agent install/deploy URL --sha256: the agent fetches the archive
# from a real nginx on loopback (HTTP and HTTPS with a CA made here) and
# streams it into the unpacker. Good pull (journalled URL, query hidden),
# wrong digest, 404, TLS failure (no CA), fetch_max_bytes, a stall (a server
# that accepts and sends nothing: exit 1 after the retries), a connection cut
# mid-body (nginx worker SIGKILLed; the agent resumes with Range: nginx logs
# a 206); fetch_proxy, http_proxy and fetch_no_proxy; fetch_* key validation. Every failure: one line, nothing installed, no staging left. And
# fetch_text(), the bounded text fetch for URL.sig, through tests/fetch-text.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-nginx.sh"
BASE=${FLEET_PORT_BASE:-2300}
HTTP=$((BASE + 74)); STALL=$((BASE + 75)); HTTPS=$((BASE + 76)); CUT=$((BASE + 77))

nginx_have || skip "no nginx"
command -v openssl >/dev/null || skip "no openssl"
mkdir -p "$T/www" "$T/root"
make_release "$T/r1" "$T/www/web-1.tgz" v1
make_release "$T/r2" "$T/www/web-2.tgz" v2
# A release of ~1.5 MB that does not compress, for the cut: it takes seconds at 300 KB/s.
mkdir -p "$T/rbig"
head -c 1500000 /dev/urandom > "$T/rbig/blob"
tar -C "$T/rbig" -czf "$T/www/web-big.tgz" .
sha() { sha256sum "$1" | cut -d' ' -f1; }
S1=$(sha "$T/www/web-1.tgz"); S2=$(sha "$T/www/web-2.tgz"); SB=$(sha "$T/www/web-big.tgz")

conf() {
	printf '[app web]\nroot = %s/root\nfetch_stall_timeout = 2\nfetch_retries = 1\nfetch_connect_timeout = 3\n%s\n' \
	    "$T" "${1:-}" > "$T/agent.ini"
}
A() { agent --config "$T/agent.ini" "$@"; }
nothing_left() {
	[ -z "$(ls -A "$T/root/.cutover/staging" 2>/dev/null)" ] || fail "staging left: $(ls "$T/root/.cutover/staging")"
	[ ! -e "$T/root/releases/$1" ] || fail "release $1 was installed"
	[ "$(readlink "$T/root/current" 2>/dev/null)" = "${2:-}" ] || fail "current moved: $(readlink "$T/root/current")"
}
one_line() { [ "$(printf '%s\n' "$ERR" | grep -c '^cutover-agent:')" = 1 ] || fail "want one error line, got: $ERR"; }

make_tls_ca "$T/tls" 127.0.0.1
nginx_start a 127.0.0.1 "$HTTP" "$T/www" \
    "listen 127.0.0.1:$HTTPS ssl; ssl_certificate $T/tls/server.pem; ssl_certificate_key $T/tls/server.key;"
conf

step "fetch_* keys are validated with FILE:LINE (exit 2)"
conf "fetch_ca_file = ca.pem"
expect_exit 2 A install web "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 "$S1"
echo "$ERR" | grep -q "agent.ini:6: fetch_ca_file: \"ca.pem\" is not an absolute path" || fail "$ERR"
conf "fetch_stall_timeout = 0"
expect_exit 2 A install web "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 "$S1"
echo "$ERR" | grep -q "agent.ini:6: fetch_stall_timeout" || fail "$ERR"
conf "fetch_proxy = proxy:3128"
expect_exit 2 A install web "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 "$S1"
echo "$ERR" | grep -q "agent.ini:6: fetch_proxy" || fail "$ERR"
conf

step "libcurl is loaded only to fetch: not linked, and a host without it gets one line (exit 2), nothing installed"
! ldd "$CUTOVER_AGENT" | grep -q libcurl || fail "cutover-agent links libcurl: every start pays for it"
expect_exit 2 env CUTOVER_FAULT=fetch.no_libcurl "$CUTOVER_AGENT" --config "$T/agent.ini" install web "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 "$S1"
echo "$ERR" | grep -q "cannot load libcurl.so.4" || fail "$ERR"
one_line
nothing_left web-1

step "a URL without --sha256 is a usage error (exit 2)"
expect_exit 2 A install web "http://127.0.0.1:$HTTP/web-1.tgz"
echo "$ERR" | grep -q -- "--sha256" || fail "$ERR"

step "deploy URL --sha256 over HTTP installs and activates; the journal has the URL without its query"
expect_exit 0 A deploy web "http://127.0.0.1:$HTTP/web-1.tgz?token=SECRET" --sha256 "$S1"
[ "$(cat "$T/root/current/index.html")" = v1 ] || fail "content"
A history web > "$T/h"
grep -q "url=http://127.0.0.1:$HTTP/web-1.tgz?..." "$T/h" || fail "url not journalled: $(cat "$T/h")"
! grep -q SECRET "$T/h" "$T/root/.cutover/journal" || fail "the query string was journalled"
CUR=$(readlink "$T/root/current")

step "the same URL again is a no-op without a fetch"
n=$(grep -c 'web-1.tgz' "$T/nginx-a/access.log")
expect_exit 0 A install web "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 "$S1"
echo "$OUT" | grep -q "already installed" || fail "$OUT"
[ "$(grep -c 'web-1.tgz' "$T/nginx-a/access.log")" = "$n" ] || fail "fetched again"

step "fetch_proxy, http_proxy from the environment, fetch_no_proxy"
# nginx serves a proxy's absolute-form request from its root: the name need not resolve.
conf "fetch_proxy = http://127.0.0.1:$HTTP"
expect_exit 0 A install web "http://artifacts.invalid/web-1.tgz" --sha256 "$S1" --release px1
grep -q '"GET http://artifacts.invalid/web-1.tgz HTTP/1.1" 200 ' "$T/nginx-a/access.log" || fail "not through the proxy"
conf
expect_exit 0 env http_proxy="http://127.0.0.1:$HTTP" "$CUTOVER_AGENT" --config "$T/agent.ini" \
    install web "http://artifacts.invalid/web-1.tgz" --sha256 "$S1" --release px2
conf "fetch_proxy = http://127.0.0.1:1
fetch_no_proxy = 127.0.0.1"
expect_exit 0 A install web "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 "$S1" --release px3
conf

step "wrong digest: exit 3, one line naming both digests, nothing installed"
expect_exit 3 A install web "http://127.0.0.1:$HTTP/web-2.tgz" --sha256 "$S1"
one_line
echo "$ERR" | grep -q "archive sha256 is $S2, expected $S1" || fail "$ERR"
nothing_left web-2 "$CUR"

step "404: exit 3, one line, nothing installed"
expect_exit 3 A install web "http://127.0.0.1:$HTTP/web-9.tgz" --sha256 "$S1"
one_line
echo "$ERR" | grep -q "HTTP 404" || fail "$ERR"
nothing_left web-9 "$CUR"

step "HTTPS with fetch_ca_file: installed"
conf "fetch_ca_file = $T/tls/ca.pem"
expect_exit 0 A install web "https://127.0.0.1:$HTTPS/web-2.tgz" --sha256 "$S2"
[ -f "$T/root/releases/web-2/index.html" ] || fail "not installed"

step "HTTPS without the CA: exit 3 (TLS), one line, nothing installed"
conf
expect_exit 3 A install web "https://127.0.0.1:$HTTPS/web-big.tgz" --sha256 "$SB"
one_line
echo "$ERR" | grep -qi "certificate" || fail "$ERR"
nothing_left web-big "$CUR"

step "over fetch_max_bytes: exit 3 before the body is read"
conf "fetch_max_bytes = 100K"
expect_exit 3 A install web "http://127.0.0.1:$HTTP/web-big.tgz" --sha256 "$SB"
echo "$ERR" | grep -q "fetch_max_bytes" || fail "$ERR"
nothing_left web-big "$CUR"

step "fetch_text (for URL.sig): the text, not found on 404, an error over the cap or without the CA"
FT="$top_builddir/tests/fetch-text"
printf 'a signature\n' > "$T/www/web-1.tgz.sig"
[ "$("$FT" "http://127.0.0.1:$HTTP/web-1.tgz.sig" 4096)" = "a signature" ] || fail "text"
[ "$("$FT" "https://127.0.0.1:$HTTPS/web-1.tgz.sig" 4096 "$T/tls/ca.pem")" = "a signature" ] || fail "https text"
expect_exit 1 "$FT" "http://127.0.0.1:$HTTP/web-2.tgz.sig" 4096
[ "$OUT" = "not found" ] || fail "$OUT"
expect_exit 3 "$FT" "http://127.0.0.1:$HTTP/web-1.tgz.sig" 5
echo "$OUT" | grep -q "fetch_max_bytes" || fail "$OUT"
expect_exit 3 "$FT" "https://127.0.0.1:$HTTPS/web-1.tgz.sig" 4096
echo "$OUT" | grep -qi "certificate" || fail "$OUT"

step "a server that accepts and sends nothing: exit 1 after 2 attempts, nothing installed"
python3 - "$STALL" > "$T/stall.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
print("listening", flush=True)
held, end = [], time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        held.append(s.accept()[0])
    except OSError:
        pass
PY
SPID=$!
at_exit "kill $SPID 2>/dev/null"
i=0; until grep -q listening "$T/stall.out"; do i=$((i + 1)); [ $i -le 50 ] || fail "stall server"; sleep 0.1; done
conf
t0=$(date +%s)
expect_exit 1 A install web "http://127.0.0.1:$STALL/web-big.tgz" --sha256 "$SB"
one_line
echo "$ERR" | grep -q "gave up after 2 attempts" || fail "$ERR"
[ $(($(date +%s) - t0)) -lt 30 ] || fail "the stall timeout was not applied"
nothing_left web-big "$CUR"
kill "$SPID"

step "a connection cut mid-body resumes with Range (206) and installs the right bytes"
nginx_start cut 127.0.0.1 "$CUT" "$T/www" "limit_rate 300k;"
conf "fetch_retries = 3"
A install web "http://127.0.0.1:$CUT/web-big.tgz" --sha256 "$SB" > "$T/cut.out" 2> "$T/cut.err" &
APID=$!
at_exit "kill $APID 2>/dev/null"
# Wait until the transfer is under way (staging exists and has data), then kill nginx's worker.
i=0
until [ -n "$(ls -A "$T/root/.cutover/staging" 2>/dev/null)" ]; do
	i=$((i + 1)); [ $i -le 100 ] || fail "the fetch never started"; sleep 0.05
done
sleep 1
W=$(nginx_workers cut)
[ -n "$W" ] || fail "no nginx worker"
kill -9 $W
wait $APID; rc=$?
[ $rc = 0 ] || fail "exit $rc: $(cat "$T/cut.err")"
grep -q "retry 1/3" "$T/cut.out" "$T/cut.err" || fail "no retry reported: $(cat "$T/cut.out" "$T/cut.err")"
grep -q '"GET /web-big.tgz HTTP/1.1" 206 ' "$T/nginx-cut/access.log" || fail "no 206: $(cat "$T/nginx-cut/access.log")"
cmp "$T/rbig/blob" "$T/root/releases/web-big/blob" || fail "resumed bytes differ"

pass
