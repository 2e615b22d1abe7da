#!/bin/sh
# Build the protocol fuzzer in its own directory and run it for SECONDS
# (default 60). Usage: tests/fuzz/run-fuzz.sh [SECONDS]
# Needs clang with libFuzzer. New interesting inputs go to a scratch corpus
# (not the repo); a crash leaves crash-* in $FUZZ_BUILD and exits non-zero:
# fix it and copy the input into tests/fuzz/corpus/.
set -eu
secs=${1:-60}
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
make -j2 tests/fuzz/fuzz_frame >make.log 2>&1 || { tail -30 make.log >&2; exit 1; }

work="$build/fuzz-corpus"
mkdir -p "$work"
echo "run-fuzz: fuzz_frame for ${secs}s (seeds: $src/tests/fuzz/corpus)"
./tests/fuzz/fuzz_frame -max_total_time="$secs" -timeout=10 \
    -max_len=2200000 -print_final_stats=1 -artifact_prefix="$build/" \
    "$work" "$src/tests/fuzz/corpus" 2>fuzz.log || {
	tail -60 fuzz.log >&2
	echo "run-fuzz: crash; input saved as $build/crash-* (add it to tests/fuzz/corpus/)" >&2
	exit 1
}
grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' fuzz.log || true
echo "run-fuzz: no crash"
