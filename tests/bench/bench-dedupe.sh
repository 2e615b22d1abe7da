#!/bin/sh
# Benchmark: hard-link dedupe (cutover-agent.ini(5), dedupe). Install of a
# release where 1 % of 2,000 files changed since the current release, with
# `dedupe = no` and `dedupe = yes`, in the same run, alternating: wall time
# (install includes its syncfs) and bytes written, median of RUNS.
#
#	tests/bench/bench-dedupe.sh [BUILDDIR]
#
# Bytes written are the kernel's count for the agent (write_bytes, read
# from getrusage's block outputs by GNU time, 512-byte units) and the
# agent's own (its result: bytes minus dedupe_bytes). The previous release
# was just installed, so it is in the page cache: dedupe reads it from
# memory (a release installed days ago may have to be read from disk).
#
# Environment: FILES (default 2000), CHANGED (default 20), RUNS (default 7),
# BENCH_DIR (work area, default $TMPDIR or /tmp; a real disk, not tmpfs),
# KEEP=1 keeps the work area. Target: dedupe under half the time.
set -eu

BUILD=${1:-${top_builddir:-build}}
BUILD=$(cd "$BUILD" && pwd)
AGENT=$BUILD/cutover-agent
FILES=${FILES:-2000}
CHANGED=${CHANGED:-20}
RUNS=${RUNS:-7}
TIME=/usr/bin/time

[ -x "$TIME" ] || { echo "bench: $TIME missing (apt-get install time)" >&2; exit 1; }
[ -x "$AGENT" ] || { echo "bench: no agent at $AGENT" >&2; exit 1; }
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cutover-bench-dedupe.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "work area kept in $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 1' INT TERM

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Release 1: FILES source files of this machine (Python, Perl, JavaScript
# over 2 KB: like an app's code), in 40 directories; generated ones (base64
# of random bytes, 6-54 KB) when there are too few. Release 2: CHANGED of
# them rewritten, evenly spread.
find /usr/lib/python3* /usr/share/perl* /usr/lib/node_modules -type f \
    \( -name '*.py' -o -name '*.pm' -o -name '*.js' \) -size +2k 2>/dev/null |
    LC_ALL=C sort | head -n "$FILES" > "$W/list"
SRC="source files from /usr"
[ "$(wc -l < "$W/list")" -eq "$FILES" ] || { : > "$W/list"; SRC="generated files"; }
i=0
exec 3< "$W/list"
while [ "$i" -lt "$FILES" ]; do
	d=$W/src1/app/d$((i % 40))
	[ -d "$d" ] || mkdir -p "$d"
	if read -r f <&3; then
		cp "$f" "$d/f$i.src"
	else
		head -c $((6000 + (i * 7919) % 48000)) /dev/urandom | base64 > "$d/f$i.src"
	fi
	i=$((i + 1))
done
exec 3<&-
cp -a "$W/src1" "$W/src2"
i=0
while [ "$i" -lt "$CHANGED" ]; do
	k=$((i * FILES / CHANGED))
	echo "# changed in release 2" >> "$W/src2/app/d$((k % 40))/f$k.src"
	i=$((i + 1))
done
tar -C "$W/src1" -czf "$W/r1.tgz" .
tar -C "$W/src2" -czf "$W/r2.tgz" .
UNPACKED=$(du -sb "$W/src2" | cut -f1)
rm -rf "$W/src1" "$W/src2"

# one MODE RUN: a fresh root with release 1 current, then the measured
# install of release 2; appends "seconds kernel_bytes agent_bytes" to $W/MODE.
one() {
	_root=$W/root-$1-$2
	printf '[app web]\nroot = %s\ndedupe = %s\n' "$_root" "$1" > "$W/agent-$1.ini"
	"$AGENT" --config "$W/agent-$1.ini" deploy web "$W/r1.tgz" --release r1 >/dev/null
	sync
	$TIME -f "%e %O" -o "$W/time.out" "$AGENT" --config "$W/agent-$1.ini" --json \
	    install web "$W/r2.tgz" --release r2 > "$W/res.json"
	_written=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["bytes"] - r.get("dedupe_bytes", 0))' "$W/res.json")
	read -r _s _blocks < "$W/time.out"
	echo "$_s $((_blocks * 512)) $_written" >> "$W/$1"
	rm -rf "$_root"
}

echo "release: $FILES $SRC, $CHANGED changed, $UNPACKED bytes unpacked ($(stat -c %s "$W/r2.tgz") bytes .tgz); $RUNS runs each, alternating, median"
r=0
while [ "$r" -lt "$RUNS" ]; do
	if [ $((r % 2)) = 0 ]; then one no "$r"; one yes "$r"; else one yes "$r"; one no "$r"; fi
	r=$((r + 1))
done
for m in no yes; do
	T=$(cut -d' ' -f1 "$W/$m" | median)
	K=$(cut -d' ' -f2 "$W/$m" | median)
	A=$(cut -d' ' -f3 "$W/$m" | median)
	eval "T_$m=$T"
	printf 'dedupe = %-3s  %6s s  written: %12s bytes (kernel), %12s bytes (agent)  runs: %s\n' \
	    "$m" "$T" "$K" "$A" "$(cut -d' ' -f1 "$W/$m" | tr '\n' ' ')"
done
# shellcheck disable=SC2154
echo "ratio dedupe/plain: $(echo "scale=2; $T_yes / $T_no" | bc)  (target < 0.50)"
