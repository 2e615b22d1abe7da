#!/bin/sh
# Build the libFuzzer targets in their own directory and run each for
# SECONDS (default 60): fuzz_frame (the wire protocol), fuzz_unpack (the
# agent's unpack path, seeded with real archives), fuzz_conf (agent.ini and
# fleet.ini parsing), fuzz_sshsig (signatures, allowed_signers, revoked_signers). Usage: tests/fuzz/run-fuzz.sh [SECONDS [TARGET...]]
# Needs clang with libFuzzer (packaging/deps.sh). New interesting inputs go
# to a scratch corpus (not the repo); a crash leaves crash-* in $FUZZ_BUILD
# and exits non-zero: fix it and copy the input into the target's corpus.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_frame fuzz_unpack fuzz_conf fuzz_sshsig}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$src/build-fuzz}
san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"

command -v clang >/dev/null 2>&1 || { echo "run-fuzz: clang not found" >&2; exit 77; }
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	"$src/configure" --enable-fuzzing CC=clang \
	    CFLAGS="-g -O1 -fno-omit-frame-pointer $san" >configure.log 2>&1 ||
	    { tail -20 configure.log >&2; exit 1; }
fi
for t in $targets; do
	make -j2 "tests/fuzz/$t" >make.log 2>&1 || { tail -30 make.log >&2; exit 1; }
done

# Each target: its seeds in the repo, its own scratch corpus and scratch dir.
seeds() {
	case $1 in
	fuzz_frame) echo "$src/tests/fuzz/corpus" ;;
	fuzz_unpack) echo "$src/tests/fuzz/corpus-unpack" ;;
	fuzz_conf) echo "$src/tests/fuzz/corpus-conf" ;;
	fuzz_sshsig) echo "$src/tests/fuzz/corpus-sshsig" ;;
	esac
}
FUZZ_SCRATCH="$build/scratch"
export FUZZ_SCRATCH
fail=0
for t in $targets; do
	work="$build/corpus-$t"
	[ "$t" = fuzz_frame ] && [ -d "$build/fuzz-corpus" ] && work="$build/fuzz-corpus"
	rm -rf "$FUZZ_SCRATCH"
	mkdir -p "$work" "$FUZZ_SCRATCH"
	echo "run-fuzz: $t for ${secs}s (seeds: $(seeds "$t"))"
	# -rss_limit_mb: unpack's caps keep it small; a leak or a bomb shows here.
	if ./tests/fuzz/"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	    -max_len=2200000 -print_final_stats=1 -artifact_prefix="$build/$t-" \
	    "$work" "$(seeds "$t")" 2>"$t.log"; then
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$t.log" || true
	else
		tail -60 "$t.log" >&2
		echo "run-fuzz: $t crashed; input saved as $build/$t-crash-* (add it to $(seeds "$t")/)" >&2
		fail=1
	fi
done
rm -rf "$FUZZ_SCRATCH"
[ $fail = 0 ] || exit 1
echo "run-fuzz: no crash"
