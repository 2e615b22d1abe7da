#!/bin/bash
# Hostile archives through the real binary: exit 3, one line naming the member
# and the reason, and nothing changed (current, releases, staging, outside).
. "$top_srcdir/tests/lib.sh"

R=$T/root
printf '[app web]\nroot = %s\nmax_entries = 1000\nmax_bytes = 10M\n' "$R" > "$T/agent.ini"
A() { agent --config "$T/agent.ini" "$@"; }
make_release "$T/v1" "$T/web-1.tgz" v1
expect_exit 0 A deploy web "$T/web-1.tgz"
mkdir -p "$T/outside"

python3 - "$T" <<'PY'
import io, sys, tarfile, zipfile, gzip
t = sys.argv[1]
def tar(name, members, mode="w:gz"):
    with tarfile.open(f"{t}/{name}", mode) as tf:
        for m, data in members:
            tf.addfile(m, io.BytesIO(data) if data is not None else None)
def reg(path, data=b"x", mode=0o644):
    i = tarfile.TarInfo(path); i.size = len(data); i.mode = mode; return (i, data)
def lnk(path, target, kind=tarfile.SYMTYPE):
    i = tarfile.TarInfo(path); i.type = kind; i.linkname = target; return (i, None)
def special(path, kind):
    i = tarfile.TarInfo(path); i.type = kind; i.devmajor = 1; i.devminor = 3; return (i, None)
tar("dotdot.tgz", [reg("ok.txt"), reg("../outside/evil")])
tar("deep-dotdot.tgz", [reg("a/../../outside/evil")])
tar("absolute.tgz", [reg(f"{t}/outside/abs")])
tar("symlink-escape.tgz", [lnk("l", f"{t}/outside"), reg("l/evil")])
tar("symlink-out.tgz", [lnk("up", "../../../outside")])
tar("hardlink-out.tgz", [lnk("h", "../../etc/passwd", tarfile.LNKTYPE)])
tar("chardev.tgz", [special("null", tarfile.CHRTYPE)])
tar("blockdev.tgz", [special("disk", tarfile.BLKTYPE)])
tar("fifo.tgz", [special("pipe", tarfile.FIFOTYPE)])
tar("many.tgz", [reg(f"f{i}") for i in range(1500)])
# A bomb: 50 MB of zeros compresses to ~50 KB.
with tarfile.open(f"{t}/bomb.tgz", "w:gz") as tf:
    i = tarfile.TarInfo("zeros"); i.size = 50 << 20
    class Z(io.RawIOBase):
        left = 50 << 20
        def readinto(self, b):
            n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
    tf.addfile(i, Z())
good = open(f"{t}/web-1.tgz", "rb").read()
open(f"{t}/truncated.tgz", "wb").write(good[: len(good) // 2])
corrupt = bytearray(good); corrupt[len(corrupt) // 2] ^= 0xFF; corrupt[len(corrupt) // 2 + 1] ^= 0xFF
open(f"{t}/corrupt.tgz", "wb").write(bytes(corrupt))
open(f"{t}/text.tgz", "w").write("this is not an archive\n" * 20)
open(f"{t}/empty.tgz", "wb").close()
with zipfile.ZipFile(f"{t}/zip-slip.zip", "w") as z:
    z.writestr("../outside/zipevil", "x")
PY

before_releases=$(tree_digest "$R/releases")
before_current=$(readlink "$R/current")

check() {	# check ARCHIVE WORD: rejected with 3, message names WORD, nothing changed
	step "$1 is rejected"
	expect_exit 3 A install web "$T/$1" --release hostile
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "want one error line, got: $ERR"
	printf '%s\n' "$ERR" | grep -qi -- "$2" || fail "message does not name '$2': $ERR"
	[ ! -e "$R/releases/hostile" ] || fail "partial release left"
	[ -z "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "staging tree left"
	[ "$(readlink "$R/current")" = "$before_current" ] || fail "current changed"
	[ "$(tree_digest "$R/releases")" = "$before_releases" ] || fail "existing releases changed"
	[ -z "$(ls -A "$T/outside")" ] || fail "wrote outside: $(ls -A "$T/outside")"
}
check dotdot.tgz '\.\./outside/evil'
check deep-dotdot.tgz 'a/\.\./\.\./outside/evil'
check absolute.tgz 'outside/abs'
check symlink-escape.tgz '"l'
check symlink-out.tgz 'up'
check hardlink-out.tgz '"h"'
check chardev.tgz 'null'
check blockdev.tgz 'disk'
check fifo.tgz 'pipe'
check many.tgz 'entries\|members'
check bomb.tgz 'zeros'
check truncated.tgz 'truncat\|damaged\|premature\|corrupt\|EOF'
check corrupt.tgz '.'
check text.tgz 'archive'
check empty.tgz 'archive\|empty\|members'
check zip-slip.zip 'zipevil'

step "deploy of a hostile archive changes nothing either"
expect_exit 3 A deploy web "$T/dotdot.tgz" --release hostile2
[ "$(readlink "$R/current")" = "$before_current" ] || fail "current changed"

step "a wrong --sha256 is rejected with 3 and nothing installed"
expect_exit 3 A install web "$T/web-1.tgz" --release other --sha256 "$(printf '%064d' 0)"
[ ! -e "$R/releases/other" ] || fail "release installed despite checksum mismatch"
expect_exit 0 A install web "$T/web-1.tgz" --release other --sha256 "$(sha256sum "$T/web-1.tgz" | cut -d' ' -f1)"

step "set-uid bits are stripped"
mkdir -p "$T/suid" && cp /bin/true "$T/suid/tool" && chmod 6755 "$T/suid/tool"
tar -C "$T/suid" -czf "$T/suid.tgz" .
expect_exit 0 A install web "$T/suid.tgz" --release suid
[ -x "$R/releases/suid/tool" ] || fail "exec bit lost"
[ -z "$(find "$R/releases/suid" -perm /6000)" ] || fail "setuid/setgid kept"

step "stdin input with --release"
expect_exit 0 bash -c "'$CUTOVER_AGENT' --config '$T/agent.ini' install web - --release fromstdin < '$T/web-1.tgz'"
[ -f "$R/releases/fromstdin/index.html" ] || fail "stdin install"
pass
