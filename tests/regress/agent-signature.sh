#!/bin/sh
# Signed releases on the agent's command line (cutover-agent(8), SIGNATURES):
# signatures made by the real `ssh-keygen -Y sign -n cutover` (ed25519 and
# ECDSA) install; a wrong namespace, a key allowed_signers does not list, a
# revoked key, a truncated signature, a signature of other bytes, and no
# signature under require_signature are each refused with exit 3, nothing
# installed, staging empty, current untouched. ssh-keygen -Y verify agrees
# that the test signatures are good.
. "$top_srcdir/tests/lib.sh"
command -v ssh-keygen >/dev/null 2>&1 || skip "no ssh-keygen"

K=$T/keys
mkdir -p "$K" "$T/root"
for k in ci:ed25519 ci2:ecdsa stranger:ed25519 old:ed25519 elsewhere:ed25519 expired:ed25519 \
    ci3:ecdsa:521 ci4:rsa:3072 weak:rsa:1024; do
	n=${k%%:*} t=${k#*:} b=""
	case $t in *:*) b="-b ${t#*:}" ;; esac
	ssh-keygen -q -t "${t%%:*}" $b -N '' -C "$n@example" -f "$K/$n" 2>/dev/null || fail "ssh-keygen $k"
done
pub() { cut -d' ' -f1,2 "$K/$1.pub"; }
{
	echo "# release signers"
	echo "ci@example $(pub ci) CI key"
	echo "\"ci2@example,ops@example\" namespaces=\"cut*,!file\" $(pub ci2)"
	echo "old@example $(pub old)"
	echo "elsewhere@example namespaces=\"git\" $(pub elsewhere)"
	echo "expired@example valid-before=\"20200101Z\" $(pub expired)"
	echo "ca@example cert-authority $(pub stranger)"
	echo "ci3@example $(pub ci3)"
	echo "ci4@example $(pub ci4)"
	echo "weak@example $(pub weak)"
} > "$T/allowed_signers"
{ echo "# keys that signed before 2026-11"; echo "$(pub old) old CI"; } > "$T/revoked"
cat > "$T/agent.ini" <<EOF
[app web]
root = $T/root
allowed_signers = $T/allowed_signers
revoked_signers = $T/revoked
require_signature = yes
EOF
A="$CUTOVER_AGENT --config $T/agent.ini"

# release N [KEY [NAMESPACE]]: web-N.tgz, signed by KEY into web-N.tgz.sig.
release() {
	make_release "$T/src-$1" "$T/web-$1.tgz" "v$1"
	[ $# -lt 2 ] || ssh-keygen -q -Y sign -n "${3:-cutover}" -f "$K/$2" "$T/web-$1.tgz" 2>/dev/null ||
	    fail "ssh-keygen -Y sign $2"
}
# refused ID: the last command refused release ID and changed nothing.
refused() {
	[ -e "$T/root/releases/$1" ] && fail "$1 was installed"
	[ -z "$(ls -A "$T/root/.cutover/staging" 2>/dev/null)" ] || fail "staging not empty"
	[ "$(readlink "$T/root/current")" = releases/web-1 ] || fail "current moved: $(readlink "$T/root/current")"
	[ "$(echo "$ERR" | wc -l)" = 1 ] || fail "not one line: $ERR"
}

step "ssh-keygen itself accepts the test signatures"
release 1 ci
ssh-keygen -Y verify -f "$T/allowed_signers" -I ci@example -n cutover -s "$T/web-1.tgz.sig" \
    < "$T/web-1.tgz" >/dev/null 2>&1 || fail "ssh-keygen -Y verify rejects its own signature"

step "an ed25519 signature beside the archive: deployed, signer journalled"
expect_exit 0 $A deploy web "$T/web-1.tgz"
[ "$(readlink "$T/root/current")" = releases/web-1 ] || fail "not current"
FP=$(ssh-keygen -lf "$K/ci.pub" | cut -d' ' -f2)
expect_exit 0 $A --json history web
echo "$OUT" | grep '"op":"install"' | grep '"phase":"end"' |
    grep -q "\"signed_by\":\"ci@example\",\"signature_key\":\"$FP\"" || fail "journal: $OUT"

step "ECDSA, archive on stdin, --signature FILE"
release 2 ci2
mv "$T/web-2.tgz.sig" "$T/sig2"
ssh-keygen -Y verify -f "$T/allowed_signers" -I ci2@example -n cutover -s "$T/sig2" \
    < "$T/web-2.tgz" >/dev/null 2>&1 || fail "ssh-keygen -Y verify (ecdsa)"
expect_exit 0 $A --json install web - --release web-2 --signature "$T/sig2" < "$T/web-2.tgz"
echo "$OUT" | grep -q '"signed_by":"ci2@example,ops@example"' || fail "result: $OUT"

step "ECDSA P-521, RSA (rsa-sha2-512), a sha256 message hash; an RSA key under 2048 bits is refused"
release 21 ci3
release 22 ci4
release 23 weak
for n in 21:ci3 22:ci4; do
	ssh-keygen -Y verify -f "$T/allowed_signers" -I "${n#*:}@example" -n cutover -s "$T/web-${n%%:*}.tgz.sig" \
	    < "$T/web-${n%%:*}.tgz" >/dev/null 2>&1 || fail "ssh-keygen -Y verify ($n)"
	expect_exit 0 $A --json install web "$T/web-${n%%:*}.tgz"
	echo "$OUT" | grep -q "\"signed_by\":\"${n#*:}@example\"" || fail "$n: $OUT"
done
expect_exit 3 $A install web "$T/web-23.tgz"
echo "$ERR" | grep -q "ssh-rsa key size refused" || fail "$ERR"
[ -e "$T/root/releases/web-23" ] && fail "web-23 installed"
release 24
ssh-keygen -q -Y sign -n cutover -O hashalg=sha256 -f "$K/ci" "$T/web-24.tgz" 2>/dev/null || fail "sign sha256"
expect_exit 0 $A install web "$T/web-24.tgz"

step "the same archive again: read, checked, unchanged"
expect_exit 0 $A install web "$T/web-1.tgz"
echo "$OUT" | grep -q "already installed" || fail "$OUT"
cp "$T/web-1.tgz" "$T/again.tgz"; cp "$T/web-2.tgz.sig" "$T/again.tgz.sig" 2>/dev/null || cp "$T/sig2" "$T/again.tgz.sig"
expect_exit 3 $A install web "$T/again.tgz" --release web-1
echo "$ERR" | grep -q "does not match the archive's bytes" || fail "$ERR"

step "wrong namespace"
release 3 ci file
expect_exit 3 $A deploy web "$T/web-3.tgz"
echo "$ERR" | grep -q 'namespace is "file", not "cutover"' || fail "$ERR"
refused web-3

step "a key allowed_signers does not list (nor as a cert-authority line)"
release 4 stranger
expect_exit 3 $A deploy web "$T/web-4.tgz"
echo "$ERR" | grep -q "is not in allowed_signers" || fail "$ERR"
refused web-4

step "a revoked key"
release 5 old
expect_exit 3 $A deploy web "$T/web-5.tgz"
echo "$ERR" | grep -q "SHA256:.* is revoked" || fail "$ERR"
refused web-5

step "a key listed only for other namespaces, an expired key"
release 6 elsewhere
expect_exit 3 $A deploy web "$T/web-6.tgz"
echo "$ERR" | grep -q 'only for namespaces "git"' || fail "$ERR"
refused web-6
release 7 expired
expect_exit 3 $A deploy web "$T/web-7.tgz"
echo "$ERR" | grep -q "expired at 2020-01-01" || fail "$ERR"
refused web-7

step "a namespace pattern that excludes cutover"
sed -i "s/^elsewhere@example namespaces=\"git\"/elsewhere@example namespaces=\"*,!cut?ver\"/" "$T/allowed_signers"
expect_exit 3 $A deploy web "$T/web-6.tgz"
echo "$ERR" | grep -q 'only for namespaces "\*,!cut?ver"' || fail "$ERR"
refused web-6

step "a truncated signature, a corrupted one"
release 8 ci
head -c 200 "$T/web-8.tgz.sig" > "$T/cut.sig"
expect_exit 3 $A deploy web "$T/web-8.tgz" --signature "$T/cut.sig"
echo "$ERR" | grep -q "signature is cut off" || fail "$ERR"
refused web-8
{ head -n 3 "$T/web-8.tgz.sig"; tail -n 1 "$T/web-8.tgz.sig"; } > "$T/short.sig"
expect_exit 3 $A deploy web "$T/web-8.tgz" --signature "$T/short.sig"
echo "$ERR" | grep -q "signature: " || fail "$ERR"
refused web-8
sed '2s/./A/;2s/^A/B/' "$T/web-8.tgz.sig" > "$T/bent.sig"
expect_exit 3 $A deploy web "$T/web-8.tgz" --signature "$T/bent.sig"
refused web-8

step "hostile signature blobs: each refused with its own reason"
# Variants of a good signature, rebuilt field by field (the SSHSIG layout).
python3 - "$T/web-8.tgz.sig" "$T" <<'PY'
import base64, struct, sys
text = open(sys.argv[1]).read().split("\n")
blob = base64.b64decode("".join(l for l in text if l and not l.startswith("-----")))
assert blob[:6] == b"SSHSIG"
def strings(b):
    out = []
    while b:
        n = struct.unpack(">I", b[:4])[0]; out.append(b[4:4 + n]); b = b[4 + n:]
    return out
key, ns, res, alg, sig = strings(blob[10:])
S = lambda b: struct.pack(">I", len(b)) + b
def build(version=1, key=key, ns=ns, alg=alg, sig=sig, tail=b""):
    return b"SSHSIG" + struct.pack(">I", version) + S(key) + S(ns) + S(res) + S(alg) + S(sig) + tail
def armor(b, extra=""):
    e = base64.b64encode(b).decode()
    return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(e[i:i + 70] for i in range(0, len(e), 70)) + \
        "\n-----END SSH SIGNATURE-----\n" + extra
sigtype, sigraw = strings(sig)
variants = {
    "version": armor(build(version=2)),
    "sha1": armor(build(alg=b"sha1")),
    "tail": armor(build(tail=b"\0\0")),
    "huge": armor(blob[:10] + b"\xff\xff\xff\xff" + blob[14:]),
    "b64": armor(blob)[:35] + "!" + armor(blob)[36:],
    "after": armor(blob, "more text\n"),
    "siglen": armor(build(sig=S(sigtype) + S(sigraw[:63]))),
    "sigtype": armor(build(sig=S(b"ssh-rsa") + S(sigraw))),
    "dss": armor(build(key=S(b"ssh-dss") + S(b"x" * 32))),
    "ctl": armor(build(ns=b"cut\nover")),
    "big": "-----BEGIN SSH SIGNATURE-----\n" + ("QUFB" * 17) * 1000 + "\n",
}
for name, t in variants.items():
    open(sys.argv[2] + "/h-" + name + ".sig", "w").write(t)
PY
for v in "version:SSHSIG version 2 is not supported" "sha1:hash algorithm \"sha1\" is not sha256 or sha512" \
    "tail:2 bytes after the SSHSIG blob" "huge:truncated or malformed SSHSIG blob" \
    "b64:not valid base64" "after:text after" "siglen:signature is 63 bytes, not 64" \
    "sigtype:a ssh-rsa signature from a ssh-ed25519 key" "dss:key type ssh-dss is not supported" \
    "ctl:namespace is \"cut\\x0aover\"" "big:larger than 65536 bytes"; do
	expect_exit 3 $A deploy web "$T/web-8.tgz" --signature "$T/h-${v%%:*}.sig"
	echo "$ERR" | grep -qF "${v#*:}" || fail "${v%%:*}: $ERR"
	refused web-8
done

step "a signature of other bytes"
release 9
cp "$T/web-1.tgz.sig" "$T/web-9.tgz.sig"
expect_exit 3 $A deploy web "$T/web-9.tgz"
echo "$ERR" | grep -q "does not match the archive's bytes" || fail "$ERR"
refused web-9

step "require_signature, no signature: refused before the archive is read"
release 10
expect_exit 3 $A deploy web "$T/web-10.tgz"
echo "$ERR" | grep -q "no signature, and require_signature is set" || fail "$ERR"
refused web-10
mkfifo "$T/fifo"
exec 7<>"$T/fifo"	# a writer that never writes: reading would block
expect_exit 3 timeout 20 $A deploy web - --release web-10 < "$T/fifo"
exec 7>&-
refused web-10
expect_exit 3 $A deploy web "$T/web-10.tgz" --signature "$T/no-such.sig"
echo "$ERR" | grep -q "no-such.sig" || fail "$ERR"

step "without require_signature: unsigned installs, a bad signature is still refused"
sed -i '/^require_signature/d' "$T/agent.ini"
expect_exit 0 $A install web "$T/web-10.tgz"
expect_exit 3 $A install web "$T/web-9.tgz"
refused web-9

step "configuration errors name FILE:LINE"
echo "ci@example ssh-ed25519 AAAA!!!" >> "$T/allowed_signers"
expect_exit 2 $A install web "$T/web-8.tgz"
echo "$ERR" | grep -q "allowed_signers:11: ssh-ed25519 key: not valid base64" || fail "$ERR"
expect_exit 2 $A check web
echo "$OUT" | grep -q "would block a deploy: allowed_signers: .*allowed_signers:11: " || fail "check: $OUT"
sed -i '$d' "$T/allowed_signers"
echo "ci@example bogus=\"x\" $(pub ci)" >> "$T/allowed_signers"
expect_exit 2 $A install web "$T/web-8.tgz"
echo "$ERR" | grep -q 'allowed_signers:11: unknown or malformed option "bogus="x""' || fail "$ERR"
sed -i '$d' "$T/allowed_signers"
echo "ssh-ed25519" >> "$T/revoked"
expect_exit 2 $A install web "$T/web-8.tgz"
echo "$ERR" | grep -q "revoked:3: no key" || fail "$ERR"
sed -i '$d' "$T/revoked"
printf '[app web]\nroot = %s\nrequire_signature = maybe\n' "$T/root" > "$T/bad.ini"
expect_exit 2 "$CUTOVER_AGENT" --config "$T/bad.ini" status web
echo "$ERR" | grep -q 'bad.ini:3: require_signature: "maybe" is not yes or no' || fail "$ERR"
printf '[app web]\nroot = %s\nallowed_signers = keys/allowed\n' "$T/root" > "$T/bad.ini"
expect_exit 2 "$CUTOVER_AGENT" --config "$T/bad.ini" status web
echo "$ERR" | grep -q 'bad.ini:3: allowed_signers: "keys/allowed" is not an absolute path' || fail "$ERR"
printf '[app web]\nroot = %s\nrequire_signature = yes\n' "$T/root" > "$T/bad.ini"
expect_exit 2 "$CUTOVER_AGENT" --config "$T/bad.ini" status web
echo "$ERR" | grep -q 'require_signature = yes needs allowed_signers' || fail "$ERR"
chmod o+w "$T/allowed_signers"
expect_exit 2 $A install web "$T/web-8.tgz"
echo "$ERR" | grep -q "writable by anyone" || fail "$ERR"
chmod o-w "$T/allowed_signers"
expect_exit 0 $A install web "$T/web-8.tgz"
pass
