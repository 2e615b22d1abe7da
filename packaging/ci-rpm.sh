#!/bin/sh
# Build the .rpms (make rpm) and check them: where docs/GUIDE.md says they
# are, binaries stripped (the -debuginfo package has the symbols), man pages
# compressed, no package ships /var/lib/cutover, and rpmlint reports no error
# but the accepted ones below. Called by .ci/run; prints one result line and exits non-zero on
# failure. Needs root to install rpm, rpmlint and elfutils with apt-get.
#
#   packaging/ci-rpm.sh [BUILD_DIR]     BUILD_DIR: a configured tree (default:
#                                       a fresh configure in a temp dir)
#
# Accepted rpmlint errors (anything else fails):
#   no-signature      a local build is not signed; a release is signed by
#                     the distributor (rpm --addsign), not by make rpm.
#   shared-library-without-dependency-information on the -debuginfo
#                     package's /usr/lib/debug/*.debug files: split debug
#                     files look like libraries to rpmlint; Fedora's rpmlint
#                     configuration does not lint debuginfo packages at all.
set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-ci-rpm.XXXXXX")
log="$work/ci-rpm.log"
STEP="start"

cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "ci-rpm: files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "--- last lines of $log:" >&2
	tail -n 30 "$log" >&2
	echo "ci-rpm: FAIL at $STEP: $*"
	exit 1
}
step() { STEP="$*"; echo "=== $*" >>"$log"; }
run() { echo "+ $*" >>"$log"; "$@" >>"$log" 2>&1; }

step "tools: rpm, rpmlint, elfutils (eu-strip for the debuginfo package)"
if ! command -v rpmbuild >/dev/null 2>&1 || ! command -v rpmlint >/dev/null 2>&1 ||
    ! command -v eu-strip >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "ci-rpm: FAIL: rpm, rpmlint or elfutils missing and not root to install them"; exit 1; }
	run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rpm rpmlint elfutils ||
	    fail "apt-get install rpm rpmlint elfutils failed"
fi

step "build the .rpms"
if [ $# -ge 1 ]; then
	build=$(cd "$1" && pwd) || fail "no build dir $1"
else
	build="$work/build"
	mkdir -p "$build"
	(cd "$build" && run "$srcdir/configure") || fail "configure failed"
fi
(cd "$build" && run make -j2 rpm) || fail "make rpm failed"
rpms=$(find "$build/pkg-rpm/RPMS" -name '*.rpm' | sort)
agent_rpm=$(printf '%s\n' "$rpms" | grep '/cutover-agent-[0-9][^/]*\.rpm$')
coord_rpm=$(printf '%s\n' "$rpms" | grep '/cutover-[0-9][^/]*\.rpm$')
debug_rpm=$(printf '%s\n' "$rpms" | grep -- '-debuginfo-[0-9][^/]*\.rpm$')
[ -n "$agent_rpm" ] || fail "no cutover-agent .rpm in $build/pkg-rpm/RPMS"
[ -n "$debug_rpm" ] || fail "no -debuginfo .rpm: the binaries were not split and stripped"

step "docs/GUIDE.md's dnf install paths name the built .rpms"
n=0
for p in $(sed -n 's|^# or: dnf install \./\([^ ]*\).*|\1|p' "$srcdir/docs/GUIDE.md"); do
	n=$((n + 1))
	# shellcheck disable=SC2086 # the GUIDE's glob (the dist tag)
	ls $build/$p >/dev/null 2>&1 || fail "GUIDE: dnf install ./$p matches nothing in $build"
done
[ $n -gt 0 ] || fail "GUIDE: no \"# or: dnf install ./...\" line"

step "binaries stripped, man pages compressed, no /var/lib/cutover"
for r in $agent_rpm $coord_rpm; do
	x="$work/x-$(basename "$r" .rpm)"
	mkdir -p "$x"
	(cd "$x" && rpm2cpio "$r" | cpio -idm --quiet) || fail "cannot unpack $r"
	rpm -qlp "$r" >>"$log" 2>&1
	for b in "$x/usr/sbin/cutover-agent" "$x/usr/bin/cutover"; do
		[ -e "$b" ] || continue
		file "$b" >>"$log"
		file "$b" | grep -q ', stripped' || fail "$(basename "$r"): ${b#"$x"} is not stripped"
	done
	man=$(find "$x/usr/share/man" -type f | sort)
	[ -n "$man" ] || fail "$(basename "$r"): no man pages"
	for m in $man; do
		case $m in *.gz) ;; *) fail "$(basename "$r"): man page ${m#"$x"} is not compressed" ;; esac
	done
	rpm -qlp "$r" | grep -q '^/var/lib/cutover' && fail "$(basename "$r") ships /var/lib/cutover"
done

step "rpmlint"
# shellcheck disable=SC2086
rpmlint -c "$srcdir/packaging/rpm/rpmlint.toml" "$srcdir/packaging/rpm/cutover.spec" $rpms \
    > "$work/rpmlint.out" 2>&1
cat "$work/rpmlint.out" >>"$log"
grep -q 'packages and [0-9]* specfiles checked' "$work/rpmlint.out" || fail "rpmlint did not run: $(tail -n 5 "$work/rpmlint.out")"
grep ': E: ' "$work/rpmlint.out" |
    grep -v ': E: no-signature$' |
    grep -v -- '-debuginfo\.[^:]*: E: shared-library-without-dependency-information /usr/lib/debug/' \
    > "$work/errors"
if [ -s "$work/errors" ]; then
	cat "$work/errors" >&2
	fail "rpmlint: $(wc -l < "$work/errors") error(s) besides the accepted ones"
fi
warnings=$(grep -c ': W: ' "$work/rpmlint.out")

echo "ci-rpm: PASS: built $(printf '%s\n' "$rpms" | wc -l) .rpm(s), binaries stripped (debuginfo split off), man pages gzip'ed, rpmlint: no errors but no-signature ($warnings warnings)"
