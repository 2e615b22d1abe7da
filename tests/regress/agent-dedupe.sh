#!/bin/bash
# Hard-link dedupe (cutover-agent.ini(5), dedupe): with `dedupe = yes` a
# regular file identical (content and mode) to the same path in the current
# release is a hard link to it; everything else is written. The current
# release is never changed (not by the compare, not by a kill mid-install,
# not by a hostile hard-link member); symlinks in the current release are
# never followed; a current file written in place while it is compared fails
# the install (exit 1); status, history and the install result show the savings.
# DEDUPE=no runs the same checks with dedupe off: they must then fail.
. "$top_srcdir/tests/lib.sh"

R=$T/root
cat > "$T/agent.ini" <<INI
[app web]
root = $R
keep = 1
dedupe = ${DEDUPE:-yes}
INI
A() { agent --config "$T/agent.ini" "$@"; }
ino() { stat -c %i "$1"; }
# same_inode PATH: releases/r1/PATH and releases/r2/PATH are one inode.
same_inode() { [ "$(ino "$R/releases/r1/$1")" = "$(ino "$R/releases/r2/$1")" ]; }

step "config: a bad dedupe value is FILE:LINE, exit 2"
printf '[app web]\nroot = %s\ndedupe = maybe\n' "$R" > "$T/bad.ini"
expect_exit 2 agent --config "$T/bad.ini" status web
printf '%s\n' "$ERR" | grep -q "bad.ini:3: dedupe: \"maybe\" is not yes or no" || fail "$ERR"

# Release 1, then release 2 with one kind of change per file.
S1=$T/src1; S2=$T/src2
mkdir -p "$S1/sub/deep" "$S1/realdir" "$S1/logs"
head -c 300000 /dev/urandom > "$S1/same.bin"
head -c 700000 /dev/urandom > "$S1/midchange.bin"	# same size, one byte differs: compared, then written
seq 1 20000 > "$S1/grown.txt"
echo "#!/bin/sh" > "$S1/mode.sh"; chmod 644 "$S1/mode.sh"
echo deep > "$S1/sub/deep/file.txt"
: > "$S1/empty"
echo "target content" > "$S1/target.txt"
ln -s target.txt "$S1/victim"		# r2 has a regular file here with target's content
echo "in realdir" > "$S1/realdir/x"
ln -s realdir "$S1/dirlink"		# r2 has dirlink/x: never reached through the symlink
echo "modified later" > "$S1/later.txt"
echo "log" > "$S1/logs/app.log"	# a shared path: never linked
cp -a "$S1" "$S2"
printf 'X' | dd of="$S2/midchange.bin" bs=1 seek=500000 conv=notrunc status=none
seq 1 20001 > "$S2/grown.txt"
chmod 755 "$S2/mode.sh"
rm "$S2/victim" && cp "$S1/target.txt" "$S2/victim"
rm "$S2/dirlink" && mkdir "$S2/dirlink" && cp "$S1/realdir/x" "$S2/dirlink/x"
tar -C "$S1" -czf "$T/r1.tgz" .
tar -C "$S2" -czf "$T/r2.tgz" .

step "release 1 deployed; a file of it is changed in place afterwards"
expect_exit 0 A deploy web "$T/r1.tgz" --release r1
echo "MODIFIED LATER" > "$R/releases/r1/later.txt"	# same size, other bytes
R1_DIGEST=$(tree_digest "$R/releases/r1")
# logs/ becomes shared now: release 2's copy moves into ROOT/shared/, which
# the app writes in place, so it must not be a link to release 1's.
echo "shared = logs" >> "$T/agent.ini"

step "release 2 installed: unchanged files are links to release 1's"
expect_exit 0 A --json install web "$T/r2.tgz" --release r2
RES=$OUT
for f in same.bin sub/deep/file.txt empty target.txt realdir/x; do
	same_inode "$f" || fail "$f was written, not linked (dedupe=${DEDUPE:-yes})"
	[ "$(stat -c %h "$R/releases/r2/$f")" = 2 ] || fail "$f: link count $(stat -c %h "$R/releases/r2/$f")"
done

step "changed files, a mode change, a symlink in release 1, a changed-after-install file: new inodes"
for f in midchange.bin grown.txt mode.sh victim dirlink/x later.txt; do
	same_inode "$f" 2>/dev/null && fail "$f was linked"
	[ "$(stat -c %h "$R/releases/r2/$f")" = 1 ] || fail "$f has links"
done
[ -L "$R/releases/r2/logs" ] || fail "shared path logs is not a link into shared/"
[ "$(stat -c %h "$R/shared/logs/app.log")" = 1 ] || fail "a shared path's file was linked"

step "release 2 is exactly its archive; release 1 is untouched"
mkdir "$T/x2" && tar -C "$T/x2" -xzf "$T/r2.tgz" && rm -rf "$T/x2/logs" "$R/releases/r2/.cmp" &&
    cp -a "$R/releases/r2" "$T/r2copy" && rm -f "$T/r2copy/logs"
[ "$(tree_digest "$T/r2copy")" = "$(tree_digest "$T/x2")" ] || fail "release 2 differs from its archive"
cmp -s "$R/releases/r2/midchange.bin" "$S2/midchange.bin" || fail "midchange.bin: wrong content"
[ "$(tree_digest "$R/releases/r1")" = "$R1_DIGEST" ] || fail "release 1 changed"
[ "$(cat "$R/releases/r1/later.txt")" = "MODIFIED LATER" ] || fail "release 1's later.txt changed"

step "the result, the journal and status count what was linked"
want_bytes=$(( $(stat -c %s "$S1/same.bin") + $(stat -c %s "$S1/sub/deep/file.txt") + \
    $(stat -c %s "$S1/target.txt") + $(stat -c %s "$S1/realdir/x") ))
printf '%s\n' "$RES" | grep -q "\"dedupe_from\":\"r1\",\"dedupe_files\":5,\"dedupe_bytes\":$want_bytes" ||
    fail "install result: $RES (want 5 files, $want_bytes bytes)"
expect_exit 0 A --json history web
printf '%s\n' "$OUT" | grep '"op":"install"' | grep '"release":"r2"' | grep -q "\"dedupe_bytes\":\"$want_bytes\"" ||
    fail "journal: $OUT"
expect_exit 0 A activate web r2
expect_exit 0 A status web
printf '%s\n' "$OUT" | grep -q "^dedupe:   on; current saved $want_bytes bytes (5 files linked" || fail "status: $OUT"
expect_exit 0 A --json status web
printf '%s\n' "$OUT" | grep -q "\"dedupe\":true,\"current_dedupe_files\":5,\"current_dedupe_bytes\":$want_bytes" ||
    fail "status --json: $OUT"

step "a hard-link member carrying data into a linked file never changes the current release"
# r3: same.bin unchanged (linked from r2), then evil: a pax hard link to it with data.
python3 - "$S2" "$T/r3.tar" <<'PY'
import io, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    t.add(src + "/same.bin", arcname="same.bin")
    ti = tarfile.TarInfo("evil")
    ti.type = tarfile.LNKTYPE
    ti.linkname = "same.bin"
    data = b"OVERWRITTEN"
    ti.size = len(data)
    t.fileobj.write(ti.tobuf(t.format, t.encoding, t.errors))
    t.fileobj.write(data + b"\0" * (512 - len(data)))
    t.offset += 1024
PY
R2_DIGEST=$(tree_digest "$R/releases/r2")
set +e; A install web "$T/r3.tar" --release r3 >"$T/.out" 2>&1; rc=$?; set +e
[ "$(tree_digest "$R/releases/r2")" = "$R2_DIGEST" ] || fail "the current release changed (exit $rc): $(cat "$T/.out")"
if [ "${DEDUPE:-yes}" = yes ]; then
	[ $rc = 3 ] || fail "exit $rc, want 3: $(cat "$T/.out")"
	grep -q '"evil": hard link carrying data into a file shared with the current release' "$T/.out" ||
	    fail "$(cat "$T/.out")"
	[ -e "$R/releases/r3" ] && fail "r3 installed"
fi

step "killed after a file was linked, after syncfs, after the rename: no half release, current untouched"
R2_DIGEST=$(tree_digest "$R/releases/r2")
if [ "${DEDUPE:-yes}" = yes ] && strings "$CUTOVER_AGENT" | grep -q CUTOVER_FAULT; then
	for p in unpack.linked@2 install.synced install.renamed; do
		set +e
		CUTOVER_FAULT=$p "$CUTOVER_AGENT" --config "$T/agent.ini" deploy web "$T/r1.tgz" \
		    --release r4 >"$T/.out" 2>&1
		rc=$?
		set +e
		[ $rc = 137 ] || fail "$p: fault point not reached (exit $rc): $(cat "$T/.out")"
		[ "$(readlink "$R/current")" = releases/r2 ] || fail "$p: current moved"
		[ "$(tree_digest "$R/releases/r2")" = "$R2_DIGEST" ] || fail "$p: the current release changed"
		# Any locked command recovers: the staging tree (links and all) or the
		# unjournalled release goes; the links' other names stay whole.
		expect_exit 0 A pin web r2
		expect_exit 0 A unpin web r2
		[ -e "$R/releases/r4" ] && fail "$p: a half release r4 is in releases/"
		[ -z "$(ls -A "$R/.cutover/staging" 2>/dev/null)" ] || fail "$p: staging leftovers"
		[ "$(tree_digest "$R/releases/r2")" = "$R2_DIGEST" ] || fail "$p: recovery changed r2"
	done
fi
step "the next deploy works and links from the current release"
expect_exit 0 A --json deploy web "$T/r1.tgz" --release r4
printf '%s\n' "$OUT" | grep -q '"dedupe_from":"r2","dedupe_files":[1-9]' || fail "deploy result: $OUT"
[ "$(readlink "$R/current")" = releases/r4 ] || fail "redeploy did not activate"
[ "$(tree_digest "$R/releases/r2")" = "$R2_DIGEST" ] || fail "release r2 changed"
cmp -s "$R/releases/r4/later.txt" "$S1/later.txt" || fail "r4 later.txt is not its archive's"
[ "$(ino "$R/releases/r2/same.bin")" = "$(ino "$R/releases/r4/same.bin")" ] || fail "r4 did not link same.bin from r2"
step "the current release's file written while it is compared: exit 1, file named, nothing installed"
if [ "${DEDUPE:-yes}" = yes ] && strings "$CUTOVER_AGENT" | grep -q CUTOVER_FAULT_STOP; then
	RB=$T/rootbig
	printf '[app big]\nroot = %s\ndedupe = yes\n' "$RB" > "$T/big.ini"
	mkdir -p "$T/big" && head -c 1000000 /dev/urandom > "$T/big/big.bin"
	tar -C "$T/big" -czf "$T/big.tgz" big.bin
	expect_exit 0 agent --config "$T/big.ini" deploy big "$T/big.tgz" --release b1
	CUTOVER_FAULT_STOP=unpack.comparing "$CUTOVER_AGENT" --config "$T/big.ini" \
	    install big "$T/big.tgz" --release b2 >"$T/big.out" 2>&1 &
	pid=$!
	at_exit "kill -9 $pid 2>/dev/null"
	i=0
	until [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = T ]; do
		i=$((i + 1)); [ $i -le 200 ] || fail "the agent never stopped at unpack.comparing"
		sleep 0.05
	done
	# The app writes its last byte in place (the rest still compares equal).
	printf 'Z' | dd of="$RB/releases/b1/big.bin" bs=1 seek=999999 conv=notrunc status=none
	kill -CONT "$pid"
	set +e; wait "$pid"; rc=$?; set +e
	[ $rc = 1 ] || fail "exit $rc, want 1: $(cat "$T/big.out")"
	grep -q '"big.bin": the current release.s copy changed while it was compared' "$T/big.out" ||
	    fail "$(cat "$T/big.out")"
	[ -e "$RB/releases/b2" ] && fail "b2 installed"
	[ -z "$(ls -A "$RB/.cutover/staging" 2>/dev/null)" ] || fail "staging leftovers"
fi

step "prune drops release 1 (current r4, previous r2); release 2's linked files stay whole"
expect_exit 0 A prune web
[ -e "$R/releases/r1" ] && fail "r1 not pruned"
# r4 (release 1's archive again) links same.bin from r2: two names left, not three.
[ "$(stat -c %h "$R/releases/r2/same.bin")" = 2 ] || fail "link count after prune: $(stat -c %h "$R/releases/r2/same.bin")"
[ "$(ino "$R/releases/r2/same.bin")" = "$(ino "$R/releases/r4/same.bin")" ] || fail "r4 did not link from r2"
cmp -s "$R/releases/r2/same.bin" "$S1/same.bin" || fail "same.bin lost its content"

pass
