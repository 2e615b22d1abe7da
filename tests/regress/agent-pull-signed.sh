#!/bin/sh
# A signed release pulled by URL (cutover-agent(8), SIGNATURES and "Pulling
# from an artifact server"): an agent whose app has allowed_signers fetches
# URL.sig from the same real nginx before the archive (".sig" after the path,
# before any query string) and verifies it as it unpacks. A good signature
# installs and is journalled; URL.sig of other bytes, by a key not listed, or
# missing (404) under require_signature is refused (exit 3), nothing
# installed; --signature FILE overrides URL.sig; an app without
# allowed_signers never asks for URL.sig. A release already installed,
# deployed again by URL, asks nothing of the server (URL.sig gone, nginx
# stopped): a no-op when its install verified a key still allowed, exit 3
# when not (unsigned install, key revoked since), by the CLI and over serve.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-nginx.sh"
BASE=${FLEET_PORT_BASE:-2300}
HTTP=$((BASE + 78))

nginx_have || skip "no nginx"
command -v ssh-keygen >/dev/null 2>&1 || skip "no ssh-keygen"
mkdir -p "$T/www" "$T/root" "$T/keys"
for k in ci stranger; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@example" -f "$T/keys/$k" 2>/dev/null || fail "ssh-keygen $k"
done
echo "ci@example $(cut -d' ' -f1,2 "$T/keys/ci.pub")" > "$T/allowed_signers"
sha() { sha256sum "$1" | cut -d' ' -f1; }
# rel N [KEY]: www/web-N.tgz, signed by KEY into www/web-N.tgz.sig.
rel() {
	make_release "$T/src-$1" "$T/www/web-$1.tgz" "v$1"
	[ $# -lt 2 ] || ssh-keygen -q -Y sign -n cutover -f "$T/keys/$2" "$T/www/web-$1.tgz" 2>/dev/null ||
	    fail "ssh-keygen -Y sign"
}
conf() {
	printf '[app web]\nroot = %s/root\nfetch_retries = 0\nfetch_stall_timeout = 5\n%s\n' "$T" "${1:-}" > "$T/agent.ini"
}
A() { agent --config "$T/agent.ini" "$@"; }
URL="http://127.0.0.1:$HTTP"
refused() {
	[ ! -e "$T/root/releases/$1" ] || fail "$1 was installed"
	[ -z "$(ls -A "$T/root/.cutover/staging" 2>/dev/null)" ] || fail "staging not empty"
	[ "$(readlink "$T/root/current")" = releases/web-1 ] || fail "current moved: $(readlink "$T/root/current")"
	[ "$(printf '%s\n' "$ERR" | grep -c '^cutover-agent:')" = 1 ] || fail "not one error line: $ERR"
}
nginx_start a 127.0.0.1 "$HTTP" "$T/www"
conf "allowed_signers = $T/allowed_signers
require_signature = yes"

step "deploy URL: URL.sig (before the query string) is fetched and verified; the signer is journalled"
rel 1 ci
expect_exit 0 A deploy web "$URL/web-1.tgz?token=x" --sha256 "$(sha "$T/www/web-1.tgz")"
[ "$(readlink "$T/root/current")" = releases/web-1 ] || fail "not current"
grep -q '"GET /web-1.tgz.sig?token=x HTTP/1.1" 200 ' "$T/nginx-a/access.log" || fail "URL.sig not fetched: $(cat "$T/nginx-a/access.log")"
expect_exit 0 A --json history web
echo "$OUT" | grep '"op":"install"' | grep '"phase":"end"' | grep -q '"signed_by":"ci@example"' || fail "signer not journalled: $OUT"

step "URL.sig of other bytes: exit 3, nothing installed"
rel 2 ci
rel 3
cp "$T/www/web-2.tgz.sig" "$T/www/web-3.tgz.sig"
expect_exit 3 A install web "$URL/web-3.tgz" --sha256 "$(sha "$T/www/web-3.tgz")"
refused web-3

step "URL.sig by a key allowed_signers does not list: exit 3 before the archive is fetched"
rel 4 stranger
expect_exit 3 A install web "$URL/web-4.tgz" --sha256 "$(sha "$T/www/web-4.tgz")"
refused web-4
grep -q '"GET /web-4.tgz HTTP' "$T/nginx-a/access.log" && fail "the archive was fetched although its signature was refused"

step "no URL.sig (404) under require_signature: exit 3, nothing installed"
rel 5
expect_exit 3 A install web "$URL/web-5.tgz" --sha256 "$(sha "$T/www/web-5.tgz")"
refused web-5
echo "$ERR" | grep -q "no signature" || fail "$ERR"

step "--signature FILE overrides URL.sig"
cp "$T/www/web-5.tgz" "$T/web-5-local.tgz"
ssh-keygen -q -Y sign -n cutover -f "$T/keys/ci" "$T/web-5-local.tgz" 2>/dev/null || fail "sign"
n=$(grep -c 'web-5.tgz.sig' "$T/nginx-a/access.log")
expect_exit 0 A install web "$URL/web-5.tgz" --sha256 "$(sha "$T/www/web-5.tgz")" --signature "$T/web-5-local.tgz.sig"
[ -d "$T/root/releases/web-5" ] || fail "not installed"
[ "$(grep -c 'web-5.tgz.sig' "$T/nginx-a/access.log")" = "$n" ] || fail "URL.sig fetched despite --signature"

step "an app without allowed_signers never asks for URL.sig"
conf
rel 6
expect_exit 0 A install web "$URL/web-6.tgz" --sha256 "$(sha "$T/www/web-6.tgz")"
grep -q 'web-6.tgz.sig' "$T/nginx-a/access.log" && fail "URL.sig fetched without allowed_signers"

# An installed release deployed again by URL is decided from what the host
# has: neither URL.sig nor the archive is asked for, so a lost .sig or a
# down artifact server cannot block a roll-forward; the have rules still apply.
conf "allowed_signers = $T/allowed_signers
require_signature = yes"
expect_exit 0 A pin web web-6	# never activated: the deploys' prune would take it first
LOG="$T/nginx-a/access.log"
S1=$(sha "$T/www/web-1.tgz"); S5=$(sha "$T/www/web-5.tgz"); S6=$(sha "$T/www/web-6.tgz")
nlog() { wc -l < "$LOG"; }
no_new_requests() {
	[ "$(nlog)" = "$1" ] || fail "the server was asked: $(tail -n +$(($1 + 1)) "$LOG")"
}

step "an installed release again by URL, its URL.sig gone: a no-op, nothing asked of the server"
rm -f "$T/www/web-1.tgz.sig"
n=$(nlog)
expect_exit 0 A deploy web "$URL/web-1.tgz?token=x" --sha256 "$S1"
[ "$(readlink "$T/root/current")" = releases/web-1 ] || fail "current moved: $(readlink "$T/root/current")"
expect_exit 0 A install web "$URL/web-1.tgz" --sha256 "$S1"
echo "$OUT" | grep -q "already installed" || fail "not the have path: $OUT"
no_new_requests "$n"

step "a release verified at install (--signature FILE), never a URL.sig: deploy by URL switches to it"
expect_exit 0 A deploy web "$URL/web-5.tgz" --sha256 "$S5"
[ "$(readlink "$T/root/current")" = releases/web-5 ] || fail "not switched: $(readlink "$T/root/current")"
no_new_requests "$n"

step "the same over serve (a deploy with a url and no release): nothing asked of the server"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || fail "tests/proto-client not built"
"$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/agent.ini" serve >"$T/pc.out" 2>"$T/pc.err" <<END || fail "proto-client: $(cat "$T/pc.err")"
hello
read
request 1 deploy web url=$URL/web-1.tgz sha256=$S1
result 1
END
grep -q '^RESULT 1 err=0 exit=0' "$T/pc.out" || fail "serve deploy: $(cat "$T/pc.out" "$T/pc.err")"
[ "$(readlink "$T/root/current")" = releases/web-1 ] || fail "not switched: $(readlink "$T/root/current")"
no_new_requests "$n"

step "artifact server down: the installed, verified release still deploys by URL"
nginx_stop a
expect_exit 0 A deploy web "$URL/web-5.tgz" --sha256 "$S5"
[ "$(readlink "$T/root/current")" = releases/web-5 ] || fail "not switched: $(readlink "$T/root/current")"

step "server down, installed without a verified signature: refused as before (exit 3)"
expect_exit 3 A deploy web "$URL/web-6.tgz" --sha256 "$S6"
echo "$ERR" | grep -q "installed, but without a verified signature" || fail "$ERR"
[ "$(readlink "$T/root/current")" = releases/web-5 ] || fail "current moved: $(readlink "$T/root/current")"

step "server down, its signer's key revoked since the install: refused (exit 3), current unchanged"
cut -d' ' -f1,2 "$T/keys/ci.pub" > "$T/revoked"
conf "allowed_signers = $T/allowed_signers
revoked_signers = $T/revoked
require_signature = yes"
expect_exit 3 A deploy web "$URL/web-1.tgz" --sha256 "$S1"
echo "$ERR" | grep -q "SHA256:.* is revoked" || fail "$ERR"
[ "$(readlink "$T/root/current")" = releases/web-5 ] || fail "current moved: $(readlink "$T/root/current")"
no_new_requests "$n"
pass
