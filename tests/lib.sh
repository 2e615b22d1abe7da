# Shared helpers for shell regressions; source it first thing:
#	. "$top_srcdir/tests/lib.sh"
# Each test gets a fresh $T (removed on exit unless KEEP_TMP=1), logs to
# stdout (automake keeps it in the .log), and ends with `pass`.
# Exit codes for automake: 0 pass, 1 fail, 77 skip, 99 hard error.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${CUTOVER_AGENT:=$top_builddir/cutover-agent}"
: "${CUTOVER:=$top_builddir/cutover}"
export CUTOVER_AGENT CUTOVER

T=$(mktemp -d "${TMPDIR:-/tmp}/cutover-test.XXXXXX")
CLEANUP_CMDS=""
# Register a shell command to run at exit (last registered runs first).
at_exit() { CLEANUP_CMDS="$1; $CLEANUP_CMDS"; }
_lib_exit() {
	rc=$?
	eval "$CLEANUP_CMDS" 2>/dev/null || true
	if [ "${KEEP_TMP:-0}" = 1 ] || [ $rc -ne 0 ]; then echo "test files kept in $T"; else rm -rf "$T"; fi
	exit $rc
}
trap _lib_exit EXIT
trap 'exit 1' INT TERM

STEP=""
# Name the step being checked, so a failure says where.
step() { STEP="$*"; echo "--- $*"; }
fail() { echo "FAIL: ${STEP:+$STEP: }$*" >&2; echo "FAIL: ${STEP:+$STEP: }$*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "PASS"; exit 0; }

# expect_exit CODE CMD...: run CMD, fail unless it exits CODE. Output in $OUT/$ERR.
expect_exit() {
	want=$1; shift
	set +e
	"$@" >"$T/.out" 2>"$T/.err"
	got=$?
	set -e 2>/dev/null || true; set +e
	OUT=$(cat "$T/.out"); ERR=$(cat "$T/.err")
	if [ "$got" != "$want" ]; then
		echo "command: $*"; echo "stdout: $OUT"; echo "stderr: $ERR"
		fail "expected exit $want, got $got"
	fi
}

# agent ARGS...: the agent binary under test.
agent() { "$CUTOVER_AGENT" "$@"; }

# make_release DIR FILE.tar.gz [CONTENT]: a small tgz with index.html and bin/run.
make_release() {
	_d=$1; _f=$2; _c=${3:-$(basename "$_f")}
	mkdir -p "$_d/bin"
	printf '%s\n' "$_c" > "$_d/index.html"
	printf '#!/bin/sh\necho %s\n' "$_c" > "$_d/bin/run"
	chmod +x "$_d/bin/run"
	tar -C "$_d" -czf "$_f" .
}

# tree_digest DIR: one hash over names, types, modes, link targets and contents.
tree_digest() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && \
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}
