#!/bin/sh
# Benchmark: `cutover-agent install` of a real-sized .tgz against `tar -xzf`
# of the same file, and peak RSS while installing a 1 GiB archive.
#
#	tests/bench/bench-install.sh [BUILDDIR [ARCHIVE.tgz]]
#
# BUILDDIR defaults to ./build (needs cutover-agent; tests/unit/test_unpack
# --extract is used instead when the agent cannot install yet). Without an
# ARCHIVE, `npm pack next@14.2.15` is tried (needs the npm registry), else a
# ~25 MB .tgz of a few thousand real source files is built from /usr/lib,
# topped up with generated files. Not part of `make check`.
#
# Environment: NPM_PKG (package to npm pack), RUNS (default 5), BENCH_DIR (work area, default $TMPDIR or
# /tmp: same file system for both tools), BIG_MB (size of the RSS archive,
# default 1024; 0 skips it), KEEP=1 keeps the work area.
set -eu

BUILD=${1:-${top_builddir:-build}}
ARCHIVE=${2:-}
NPM_PKG=${NPM_PKG:-next@14.2.15}	# 20.7 MB .tgz, 6363 files, 86 MB unpacked
RUNS=${RUNS:-5}
BIG_MB=${BIG_MB:-1024}
BUILD=$(cd "$BUILD" && pwd)
AGENT=$BUILD/cutover-agent
DRIVER=$BUILD/tests/unit/test_unpack
TIME=/usr/bin/time

[ -x "$TIME" ] || { echo "bench: $TIME missing (apt-get install time)" >&2; exit 1; }
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cutover-bench.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "work area kept in $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# now: seconds since the epoch with nanoseconds.
now() { date +%s.%N; }

# median of numbers on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# A few thousand real files (code and text, like a node or python app)
# and generated ones on top until the tree reaches about $1 MB of .tgz.
make_tree() {
	_dst=$1; _want=$2
	mkdir -p "$_dst"
	for d in /usr/lib/node_modules /usr/lib/python3.11 /usr/lib/python3 /usr/share/perl; do
		[ -d "$d" ] && [ ! -e "$_dst/$(basename "$d")" ] && cp -a "$d" "$_dst/" 2>/dev/null || true
	done
	# Absolute symlinks would (rightly) be refused as escaping the release.
	find "$_dst" -type l -lname '/*' -delete
	i=0
	while [ "$(du -sm "$_dst" | cut -f1)" -lt $((_want * 3)) ] && [ $i -lt 100 ]; do
		mkdir -p "$_dst/gen/d$i"
		for j in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do
			# base64 of random bytes: compresses about 4:3 like minified code
			head -c $((20000 + j * 3000)) /dev/urandom | base64 > "$_dst/gen/d$i/f$j.js"
			seq $((i * 1000)) $((i * 1000 + 2000 + j * 100)) > "$_dst/gen/d$i/t$j.txt"
		done
		i=$((i + 1))
	done
}

if [ -z "$ARCHIVE" ]; then
	ARCHIVE=$W/release.tgz
	if command -v npm >/dev/null 2>&1 &&
	    (cd "$W" && timeout 120 npm pack "$NPM_PKG" --silent --fetch-retries=0 >/dev/null 2>&1) &&
	    mv "$W"/*.tgz "$ARCHIVE" && [ "$(stat -c %s "$ARCHIVE")" -gt 10000000 ]; then
		SRC="npm pack $NPM_PKG"
	else
		make_tree "$W/tree" 25
		tar -C "$W/tree" -czf "$ARCHIVE" .
		rm -rf "$W/tree"
		SRC="generated from /usr/lib sources + generated files"
	fi
else
	SRC="given"
fi
SIZE=$(stat -c %s "$ARCHIVE")
COUNT=$(tar -tzf "$ARCHIVE" | wc -l)

# Which installer: the real agent if it can install, else the unpack driver.
MODE=agent
rm -rf "$W/probe"
if ! [ -x "$AGENT" ] || ! "$AGENT" install "$W/probe" "$ARCHIVE" --release probe >/dev/null 2>&1; then
	MODE=driver
	[ -x "$DRIVER" ] || { echo "bench: neither $AGENT install nor $DRIVER works" >&2; exit 1; }
fi
rm -rf "$W/probe"

# install_once DIR ARCHIVE: the measured command.
install_once() {
	if [ $MODE = agent ]; then
		"$AGENT" install "$1" "$2" --release bench >/dev/null
	else
		mkdir -p "$1" && "$DRIVER" --extract "$2" "$1" >/dev/null
	fi
}

# time_runs NAME CMD...: $RUNS runs in fresh dirs; prints the median seconds.
time_runs() {
	_name=$1; shift
	: > "$W/times.$_name"
	r=0
	while [ $r -lt "$RUNS" ]; do
		rm -rf "$W/out"
		mkdir -p "$W/out"
		sync
		t0=$(now)
		"$@"
		t1=$(now)
		echo "$t1 - $t0" | bc >> "$W/times.$_name"
		r=$((r + 1))
	done
	rm -rf "$W/out"
	median < "$W/times.$_name"
}

tar_x() { tar -C "$W/out" -xzf "$ARCHIVE"; }
tar_x_sync() { tar -C "$W/out" -xzf "$ARCHIVE" && sync -f "$W/out"; }
inst() { install_once "$W/out/root" "$ARCHIVE"; }
drv() { "$DRIVER" --extract "$ARCHIVE" "$W/out" >/dev/null; }

echo "archive: $ARCHIVE ($SRC): $SIZE bytes, $COUNT members; $RUNS runs each, median"
echo "installer: $MODE$( [ $MODE = agent ] && echo " ($AGENT install)" || echo " ($DRIVER --extract, unpack_archive only)")"
T_TAR=$(time_runs tar tar_x)
T_INST=$(time_runs inst inst)
echo "tar -xzf:                 ${T_TAR} s  (runs: $(tr '\n' ' ' < "$W/times.tar"))"
echo "install:                  ${T_INST} s  (runs: $(tr '\n' ' ' < "$W/times.inst"))"
if [ $MODE = agent ]; then
	T_TSYNC=$(time_runs tsync tar_x_sync)
	echo "tar -xzf + syncfs:        ${T_TSYNC} s  (install syncs its tree; tar does not)"
	if [ -x "$DRIVER" ]; then
		T_DRV=$(time_runs drv drv)
		echo "unpack_archive() alone:   ${T_DRV} s"
		echo "ratio unpack/tar:         $(echo "scale=2; $T_DRV / $T_TAR" | bc)"
	fi
	echo "ratio install/(tar+sync): $(echo "scale=2; $T_INST / $T_TSYNC" | bc)"
fi
echo "ratio install/tar:        $(echo "scale=2; $T_INST / $T_TAR" | bc)  (target <= 1.00)"

[ "$BIG_MB" -gt 0 ] || exit 0
# Peak RSS on a big archive: files of random (incompressible) and text
# (compressible) data, streamed through gzip -1 so it is quick to build.
mkdir -p "$W/big"
i=0
while [ $i -lt $((BIG_MB / 16)) ]; do
	if [ $((i % 2)) = 0 ]; then
		head -c $((16 << 20)) /dev/urandom > "$W/big/r$i.bin"
	else
		seq 1 3000000 | head -c $((16 << 20)) > "$W/big/t$i.txt"
	fi
	i=$((i + 1))
done
tar -C "$W/big" -cf - . | gzip -1 > "$W/big.tgz"
rm -rf "$W/big"
BIGSIZE=$(stat -c %s "$W/big.tgz")
rm -rf "$W/out" && mkdir -p "$W/out"
if [ $MODE = agent ]; then
	$TIME -f "%M" -o "$W/rss.inst" "$AGENT" install "$W/out/root" "$W/big.tgz" --release big >/dev/null
else
	$TIME -f "%M" -o "$W/rss.inst" "$DRIVER" --extract "$W/big.tgz" "$W/out" >/dev/null
fi
rm -rf "$W/out" && mkdir -p "$W/out"
$TIME -f "%M" -o "$W/rss.tar" tar -C "$W/out" -xzf "$W/big.tgz"
rm -rf "$W/out"
echo "peak RSS, $BIGSIZE-byte .tgz ($BIG_MB MiB unpacked): install $(tail -1 "$W/rss.inst") KiB, tar $(tail -1 "$W/rss.tar") KiB (target < 16384 KiB)"
