#!/bin/bash
# The README's first command: build cutover, start a fleet of 3 real sshd
# hosts on loopback, and run the main job against it:
#   deploy v1, roll out v2 in batches, roll out a broken v3 whose health
#   check fails on the last host (reversed node by node), a manual fleet
#   rollback, then `cutover status`. Cleans up after itself.
set -u
top=$(cd "$(dirname "$0")" && pwd)
cd "$top" || exit 2

echo "== installing dependencies and building (once)"
sh packaging/deps.sh >/tmp/cutover-deps.log 2>&1 || { cat /tmp/cutover-deps.log; exit 2; }
{ [ -x configure ] || ./autogen.sh; } >/tmp/cutover-build.log 2>&1 || { cat /tmp/cutover-build.log; exit 2; }
mkdir -p build-demo && cd build-demo || exit 2
{ [ -f Makefile ] || ../configure CFLAGS="-O2 -g"; } >>/tmp/cutover-build.log 2>&1 &&
    make -j2 cutover cutover-agent >>/tmp/cutover-build.log 2>&1 || { tail -30 /tmp/cutover-build.log; exit 2; }
cd "$top" || exit 2

export top_srcdir=$top top_builddir=$top/build-demo
export CUTOVER_AGENT=$top/build-demo/cutover-agent CUTOVER=$top/build-demo/cutover
. tests/lib.sh
. tests/lib-fleet.sh
# The demo's own exit: print, then clean up (lib.sh's trap removes $T).
fail() { echo "demo failed: $*" >&2; exit 1; }

echo "== starting 3 sshd hosts on 127.0.0.11-13:$FLEET_PORT"
start_fleet 3
# h13 runs a stricter health check that release v3 fails.
sed -i 's/^health = .*/health = test ! -e BROKEN/' "$T/h13/agent.ini"
for v in 1 2 3; do make_release "$T/src$v" "$T/web-$v.tar.gz" "web v$v"; done
mkdir -p "$T/src3" && touch "$T/src3/BROKEN" && tar -C "$T/src3" -czf "$T/web-3.tar.gz" .
C() { echo; echo "\$ cutover $*"; "$CUTOVER" -f "$T/fleet.ini" "$@"; echo "(exit $?)"; }
show() { printf '   currents: '; for h in $FLEET_HOSTS; do printf '%s=%s ' "$h" "$(current_of "$h")"; done; echo; }

C deploy "$T/web-1.tar.gz" --batch 3; show
C deploy "$T/web-2.tar.gz" --batch 1; show
echo; echo "== v3 fails its health check on h13: the switched hosts are reversed node by node"
C deploy "$T/web-3.tar.gz" --batch 1; show
echo; echo "== incident drill: fleet-wide rollback to the previous release"
C rollback; show
C status
echo; echo "== demo done; stopping the fleet"
