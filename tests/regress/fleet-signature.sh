#!/bin/sh
# `cutover deploy ARCHIVE` with ARCHIVE.sig beside it, on real sshd hosts whose
# agents have allowed_signers and require_signature (cutover(1), "Signatures"):
# the signature goes with the archive, which is sent as it is (never
# recompressed: the agent hashes the signed bytes); a signature by a key
# the agents do not allow, an unsigned archive, or a release already on a host
# without a verified signature is refused, exit 3, nothing switched. A signed
# URL release the hosts have, deployed again after a rollback, asks nginx for
# nothing (URL.sig deleted, then nginx stopped); refused once its key is revoked.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 80))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 3
C="$CUTOVER -f $T/fleet.ini"
K=$T/keys
mkdir -p "$K"
ssh-keygen -q -t ed25519 -N '' -C ci@example -f "$K/ci" || fail "ssh-keygen"
ssh-keygen -q -t ecdsa -N '' -C rogue@example -f "$K/rogue" || fail "ssh-keygen"
echo "ci@example namespaces=\"cutover\" $(cut -d' ' -f1,2 "$K/ci.pub")" > "$T/allowed_signers"
FP=$(ssh-keygen -lf "$K/ci.pub" | cut -d' ' -f2)
for h in $FLEET_HOSTS; do
	printf 'allowed_signers = %s\nrequire_signature = yes\n' "$T/allowed_signers" >> "$T/$h/agent.ini"
done
# A release with some bulk (so it would be recompressed), signed in "CI".
build() {
	make_release "$T/src$1" "$T/web-$1.tgz" "v$1"
	seq 1 20000 > "$T/src$1/numbers.txt"
	tar -C "$T/src$1" -czf "$T/web-$1.tgz" .
	[ -z "${2:-}" ] || ssh-keygen -q -Y sign -n cutover -f "$K/$2" "$T/web-$1.tgz" 2>/dev/null || fail "sign"
}
unmoved() {
	for h in $FLEET_HOSTS; do
		[ "$(current_of $h)" = "$1" ] || fail "$h moved to $(current_of $h)"
		[ -e "$T/$h/root/releases/$2" ] && fail "$h: $2 was installed"
		[ -z "$(ls -A "$T/$h/root/.cutover/staging" 2>/dev/null)" ] || fail "$h: staging not empty"
	done
}

step "the plan says the signature goes and nothing is recompressed"
build 1.0 ci
ssh-keygen -Y verify -f "$T/allowed_signers" -I ci@example -n cutover -s "$T/web-1.0.tgz.sig" \
    < "$T/web-1.0.tgz" >/dev/null 2>&1 || fail "ssh-keygen -Y verify rejects the test signature"
expect_exit 0 $C deploy --dry-run "$T/web-1.0.tgz"
echo "$OUT" | grep -q "^stage: .*web-1.0.tgz.sig is sent with the archive" || fail "plan: $OUT"
echo "$OUT" | grep -q "recompressed to zstd" && fail "plan promises recompression: $OUT"
expect_exit 0 $C --json deploy --dry-run "$T/web-1.0.tgz"
echo "$OUT" | grep -q '"event":"plan_summary".*"recompress":0,"signature":true' || fail "json plan: $OUT"

step "a signed archive deploys; every agent verified it and journalled the signer"
SHA=$(sha256sum "$T/web-1.0.tgz" | cut -d' ' -f1)
expect_exit 0 $C --json deploy --batch 3 "$T/web-1.0.tgz"
echo "$OUT" | grep -q '"event":"recompressed"' && fail "a signed archive was recompressed: $OUT"
for h in $FLEET_HOSTS; do
	[ "$(current_of $h)" = web-1.0 ] || fail "$h is on $(current_of $h)"
	rec=$("$CUTOVER_AGENT" --config "$T/$h/agent.ini" --json history web | grep '"op":"install","phase":"end"')
	echo "$rec" | grep -q "\"sha256\":\"$SHA\"" || fail "$h: $rec"
	echo "$rec" | grep -q "\"signed_by\":\"ci@example\",\"signature_key\":\"$FP\"" || fail "$h: $rec"
	echo "$rec" | grep -q stream_sha256 && fail "$h got a recompressed stream: $rec"
done

step "the same signed archive again: the have=true shortcut, allowed (its install was verified)"
expect_exit 0 $C deploy --batch 3 "$T/web-1.0.tgz"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-1.0 ] || fail "$h left web-1.0"; done

step "an unsigned archive: exit 3, nothing switched"
build 2.0
expect_exit 3 $C deploy --batch 3 "$T/web-2.0.tgz"
echo "$OUT$ERR" | grep -q "no signature, and require_signature is set" || fail "$OUT $ERR"
unmoved web-1.0 web-2.0

step "a signature by a key the agents do not allow: exit 3, nothing switched"
build 3.0 rogue
expect_exit 3 $C deploy --batch 3 "$T/web-3.0.tgz"
echo "$OUT$ERR" | grep -q "is not in allowed_signers" || fail "$OUT $ERR"
unmoved web-1.0 web-3.0

step "a signature of other bytes: exit 3, nothing switched"
build 4.0
cp "$T/web-1.0.tgz.sig" "$T/web-4.0.tgz.sig"
expect_exit 3 $C deploy --batch 3 "$T/web-4.0.tgz"
echo "$OUT$ERR" | grep -q "does not match the archive's bytes" || fail "$OUT $ERR"
unmoved web-1.0 web-4.0

step "a release installed before require_signature does not pass the have=true shortcut"
build 5.0
for h in $FLEET_HOSTS; do sed -i '/^require_signature/d' "$T/$h/agent.ini"; done
expect_exit 0 $C deploy --batch 3 "$T/web-5.0.tgz"
expect_exit 0 $C deploy --batch 3 "$T/web-1.0.tgz"
for h in $FLEET_HOSTS; do echo "require_signature = yes" >> "$T/$h/agent.ini"; done
ssh-keygen -q -Y sign -n cutover -f "$K/ci" "$T/web-5.0.tgz" 2>/dev/null || fail "sign"
expect_exit 3 $C deploy --batch 3 "$T/web-5.0.tgz"
echo "$OUT$ERR" | grep -q "installed, but without a verified signature" || fail "$OUT $ERR"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-1.0 ] || fail "$h moved to $(current_of $h)"; done

# A signed release pulled by URL, deployed again after a rollback: the hosts
# have it, so none asks the artifact server for URL.sig or the archive.
. "$top_srcdir/tests/lib-nginx.sh"
nginx_have || { echo "no nginx: the URL steps are skipped"; pass; }
HTTP=$((${FLEET_PORT_BASE:-2300} + 81))
mkdir -p "$T/www"
build 7.0 ci
cp "$T/web-7.0.tgz" "$T/web-7.0.tgz.sig" "$T/www/"
S7=$(sha256sum "$T/web-7.0.tgz" | cut -d' ' -f1)
nginx_start a 127.0.0.1 "$HTTP" "$T/www"
LOG="$T/nginx-a/access.log"

step "deploy a signed URL: every host fetches URL.sig, then the archive"
expect_exit 0 $C deploy --batch 3 "http://127.0.0.1:$HTTP/web-7.0.tgz" --sha256 "$S7"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-7.0 ] || fail "$h is on $(current_of $h)"; done
[ "$(grep -c '"GET /web-7.0.tgz.sig HTTP/1.1" 200 ' "$LOG")" = 3 ] || fail "want 3 URL.sig fetches: $(cat "$LOG")"

step "rolled back, URL.sig gone, then the server down: the same URL deploys again, nothing asked"
expect_exit 0 $C rollback
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-1.0 ] || fail "$h is on $(current_of $h)"; done
rm "$T/www/web-7.0.tgz.sig"
n=$(wc -l < "$LOG")
expect_exit 0 $C deploy --batch 3 "http://127.0.0.1:$HTTP/web-7.0.tgz" --sha256 "$S7"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-7.0 ] || fail "$h is on $(current_of $h)"; done
[ "$(wc -l < "$LOG")" = "$n" ] || fail "the server was asked: $(tail -n +$((n + 1)) "$LOG")"
expect_exit 0 $C rollback
nginx_stop a
expect_exit 0 $C deploy --batch 3 "http://127.0.0.1:$HTTP/web-7.0.tgz" --sha256 "$S7"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-7.0 ] || fail "$h is on $(current_of $h)"; done

step "the signer's key revoked since: the same deploy is refused (exit 3), nothing switched"
expect_exit 0 $C rollback
cut -d' ' -f1,2 "$K/ci.pub" > "$T/revoked"
for h in $FLEET_HOSTS; do echo "revoked_signers = $T/revoked" >> "$T/$h/agent.ini"; done
expect_exit 3 $C deploy --batch 3 "http://127.0.0.1:$HTTP/web-7.0.tgz" --sha256 "$S7"
echo "$OUT$ERR" | grep -q "is revoked" || fail "$OUT $ERR"
for h in $FLEET_HOSTS; do [ "$(current_of $h)" = web-1.0 ] || fail "$h moved to $(current_of $h)"; done
pass
