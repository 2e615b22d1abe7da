#!/bin/sh
# Build the .debs, install them with dpkg -i, deploy and roll back an app with
# the INSTALLED agent on a temporary root, walk docs/GUIDE.md with the
# installed binaries (tests/regress/guide-walk.sh), reinstall (an upgrade must
# leave the app untouched), then purge both packages. Called by .ci/run; prints one
# result line and exits non-zero on failure. Needs root (dpkg -i).
#
#   packaging/ci-deb.sh [BUILD_DIR]     BUILD_DIR: a configured tree (default:
#                                       a fresh configure in a temp dir)
set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-ci-deb.XXXXXX")
log="$work/ci-deb.log"
installed=0
STEP="start"

# Purge what we installed and remove the temp dir, whatever happened.
cleanup() {
	if [ $installed = 1 ]; then
		dpkg --purge cutover cutover-agent >>"$log" 2>&1 || true
	fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "ci-deb: files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "--- last lines of $log:" >&2
	tail -n 30 "$log" >&2
	echo "ci-deb: FAIL at $STEP: $*"
	exit 1
}
step() { STEP="$*"; echo "=== $*" >>"$log"; }
run() { echo "+ $*" >>"$log"; "$@" >>"$log" 2>&1; }

[ "$(id -u)" = 0 ] || { echo "ci-deb: SKIP: needs root for dpkg -i"; exit 77; }
command -v dpkg-buildpackage >/dev/null 2>&1 ||
    { echo "ci-deb: FAIL: dpkg-buildpackage missing (run packaging/deps.sh)"; exit 1; }

step "build the .debs"
if [ $# -ge 1 ]; then
	build=$(cd "$1" && pwd) || fail "no build dir $1"
else
	build="$work/build"
	mkdir -p "$build"
	(cd "$build" && run "$srcdir/configure") || fail "configure failed"
fi
(cd "$build" && run make -j2 deb) || fail "make deb failed"
agent_deb="" coord_deb=""
for f in "$build"/pkg-deb/cutover-agent_*.deb; do [ -f "$f" ] && agent_deb=$f; done
for f in "$build"/pkg-deb/cutover_*.deb; do [ -f "$f" ] && coord_deb=$f; done
[ -n "$agent_deb" ] || fail "no cutover-agent .deb in $build/pkg-deb"
debs="$agent_deb${coord_deb:+ $coord_deb}"

step "the agent package pulls in no SSH library"
depends=$(dpkg-deb -f "$agent_deb" Depends)
echo "Depends: $depends" >>"$log"
case $depends in *ssh*) fail "cutover-agent depends on an SSH library: $depends" ;; esac
# Loaded with dlopen, so dpkg-shlibdeps cannot see them: control names them.
for lib in libarchive13 libcurl4; do
	case $depends in *"$lib "*) ;; *) fail "cutover-agent does not depend on $lib: $depends" ;; esac
done

# /var/lib/cutover is no package's: only the coordinator creates it, as its
# last-resort journal directory. One there already (an older package, an
# admin) makes the purge checks below about it meaningless: say so.
varlib_before=0
[ -e /var/lib/cutover ] && varlib_before=1
etc_before=$(ls -A /etc/cutover 2>/dev/null)

step "dpkg -i"
installed=1
# shellcheck disable=SC2086
if ! run dpkg -i $debs; then
	run env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q || fail "apt-get -f install failed"
fi
for f in /usr/sbin/cutover-agent /etc/cutover/agent.ini.example \
    /usr/share/man/man8/cutover-agent.8.gz /usr/share/man/man5/cutover-agent.ini.5.gz \
    /usr/share/bash-completion/completions/cutover-agent; do
	[ -e "$f" ] || fail "$f not installed"
done
ldd /usr/sbin/cutover-agent >>"$log" 2>&1
ldd /usr/sbin/cutover-agent | grep -q libssh2 && fail "/usr/sbin/cutover-agent links libssh2"
if [ -n "$coord_deb" ]; then
	[ -x /usr/bin/cutover ] || fail "/usr/bin/cutover not installed"
	run /usr/bin/cutover --help || fail "cutover --help failed"
fi
if [ $varlib_before = 0 ]; then
	[ ! -e /var/lib/cutover ] || fail "a package created /var/lib/cutover"
fi

# A release archive named NAME.tar.gz with an index.html saying NAME.
mkrel() {
	mkdir -p "$work/src-$1/bin"
	echo "$1" > "$work/src-$1/index.html"
	printf '#!/bin/sh\necho %s\n' "$1" > "$work/src-$1/bin/run"
	chmod +x "$work/src-$1/bin/run"
	tar -C "$work/src-$1" -czf "$work/$1.tar.gz" .
}
current() { readlink "$root/current"; }

mkdir -p "$work/srv"
root="$work/srv/app"
agent=/usr/sbin/cutover-agent
mkrel app-1.0
mkrel app-2.0

step "deploy app-1.0 with the installed agent"
run $agent deploy "$root" "$work/app-1.0.tar.gz" || fail "deploy app-1.0 exited $?"
[ "$(current)" = releases/app-1.0 ] || fail "current is '$(current)', want releases/app-1.0"
step "deploy app-2.0"
run $agent --json deploy "$root" "$work/app-2.0.tar.gz" || fail "deploy app-2.0 exited $?"
[ "$(cat "$root/current/index.html")" = app-2.0 ] || fail "current/index.html is not app-2.0"
step "rollback"
run $agent rollback "$root" || fail "rollback exited $?"
[ "$(current)" = releases/app-1.0 ] || fail "after rollback current is '$(current)', want releases/app-1.0"
run $agent status "$root" || fail "status exited $?"
run $agent history "$root" || fail "history exited $?"

step "the installed example config is valid"
sed "s#= /srv/#= $work/srv/#" /etc/cutover/agent.ini.example > "$work/agent.ini"
run $agent --config "$work/agent.ini" status web || fail "status with the example config exited $?"

walked="GUIDE not walked (no coordinator package)"
if [ -n "$coord_deb" ]; then
	step "docs/GUIDE.md walked with the installed packages (tests/regress/guide-walk.sh)"
	GUIDE_WALK_INSTALLED=1 top_srcdir="$srcdir" top_builddir="$build" \
	    bash "$srcdir/tests/regress/guide-walk.sh" >>"$log" 2>&1
	rc=$?
	case $rc in
	0)	walked="GUIDE walked with the installed binaries" ;;
	77)	walked="GUIDE walk skipped: $(grep '^SKIP' "$log" | tail -n 1)" ;;
	*)	fail "tests/regress/guide-walk.sh with the installed packages exited $rc" ;;
	esac
fi

# One digest over the app root: names, types, link targets, contents.
digest() {
	(cd "$root" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum
}
before=$(digest)

step "reinstall (upgrade path) leaves the app untouched"
# shellcheck disable=SC2086
run dpkg -i $debs || fail "reinstall failed"
[ "$(digest)" = "$before" ] || fail "reinstalling the packages changed the app root"

if [ -n "$coord_deb" ] && [ $varlib_before = 0 ]; then
	step "the coordinator as root without a home journals in /var/lib/cutover"
	# A deploy to a host nobody listens on: the rollout journal is opened
	# before preflight, which then fails.
	: > "$work/known_hosts"
	ssh-keygen -q -t ed25519 -N '' -f "$work/id" || fail "ssh-keygen"
	printf '[fleet]\nuser = deploy\nidentity = %s/id\nknown_hosts = %s/known_hosts\napp = web\nconnect_timeout = 2\n[host dead]\naddress = 127.0.0.254\nport = 1\n' \
	    "$work" "$work" > "$work/fleet.ini"
	(cd "$work" && run env -u HOME -u XDG_STATE_HOME /usr/bin/cutover -f "$work/fleet.ini" \
	    deploy "$work/app-1.0.tar.gz")
	ls -la /var/lib/cutover >>"$log" 2>&1
	ls /var/lib/cutover/*.journal >/dev/null 2>&1 ||
	    fail "no rollout journal in /var/lib/cutover (cutover(1), FILES)"
fi

step "dpkg --purge"
pkgs="cutover-agent"
[ -n "$coord_deb" ] && pkgs="cutover $pkgs"
# The admin's own file in /etc/cutover: purge must leave it, and only it.
admin_file=/etc/cutover/ci-deb-admin-$$.ini
echo "; the admin's own" > "$admin_file"
# shellcheck disable=SC2086
run dpkg --purge $pkgs || { rm -f "$admin_file"; fail "purge failed"; }
installed=0
left=$(ls -A /etc/cutover 2>&1)
rm -f "$admin_file"
rmdir /etc/cutover 2>/dev/null || true
want=$(printf '%s\n%s\n' "$etc_before" "$(basename "$admin_file")" | sed '/^$/d' | LC_ALL=C sort)
[ "$(printf '%s\n' "$left" | LC_ALL=C sort)" = "$want" ] ||
    fail "after purge /etc/cutover holds: $left (want only the admin's files: $want)"
[ ! -e /usr/sbin/cutover-agent ] || fail "/usr/sbin/cutover-agent still there after purge"
[ ! -e /etc/cutover/agent.ini.example ] || fail "/etc/cutover/agent.ini.example still there after purge"
[ ! -e /usr/share/doc/cutover-agent ] || fail "/usr/share/doc/cutover-agent still there after purge"
if [ $varlib_before = 0 ]; then
	[ ! -e /var/lib/cutover ] || fail "/var/lib/cutover still there after purge: $(ls -A /var/lib/cutover)"
else
	echo "ci-deb: /var/lib/cutover existed before the test: its purge not checked" >&2
fi
dpkg -l 2>/dev/null | grep -qE '^(ii|rc|i[A-Z]|r[A-Z]) +cutover(-agent)?[: ]' &&
    fail "dpkg still has the packages: $(dpkg -l | grep -E ' cutover(-agent)?[: ]')"
[ "$(digest)" = "$before" ] || fail "purging the packages changed the app root"

echo "ci-deb: PASS: built $(echo "$debs" | wc -w) .deb(s), lintian clean, installed, deploy+rollback with /usr/sbin/cutover-agent, reinstall kept the app, $walked, purged (only the admin's file left)"
