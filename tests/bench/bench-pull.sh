#!/bin/sh
# Benchmark of issue 13: a 100-host rollout of a real ~20 MB .tgz pulled by
# the agents from nginx on loopback (`cutover deploy URL --sha256`) against
# the same rollout pushed by the coordinator (`cutover deploy FILE`), in the
# same run: wall time, and the bytes the coordinator sent (its sent_bytes
# counter in the --json result; nginx's access log for what the agents
# pulled). The archive: `npm pack next@14.2.15` (the npm cache or registry),
# else ~20 MB generated as in bench-install.sh.
#	tests/bench/bench-pull.sh      (make bench sets the paths)
# Environment: CUTOVER, CUTOVER_AGENT, HOSTS (default 100), FLEET_PORT,
# NGINX_PORT (default FLEET_PORT + 1), FETCH_PARALLEL (default 16), NPM_PKG.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
: "${FLEET_PORT:=2286}"
. "$top_srcdir/tests/lib-fleet.sh"
. "$top_srcdir/tests/lib-nginx.sh"
HOSTS=${HOSTS:-100}
NGINX_PORT=${NGINX_PORT:-$((FLEET_PORT + 1))}
FETCH_PARALLEL=${FETCH_PARALLEL:-16}
NPM_PKG=${NPM_PKG:-next@14.2.15}

nginx_have || skip "no nginx"
mkdir -p "$T/www"
# The archive: npm's own tarball of a real package, else generated files.
npm_pack() { (cd "$T" && timeout 120 npm pack "$NPM_PKG" --silent --fetch-retries=0 "$@" >/dev/null 2>&1); }
if command -v npm >/dev/null 2>&1 && { npm_pack --offline || npm_pack; } && mv "$T"/*.tgz "$T/a.tgz" &&
    [ "$(stat -c %s "$T/a.tgz")" -gt 10000000 ]; then
	SRC="npm pack $NPM_PKG"
else
	mkdir -p "$T/tree"
	i=0
	while [ $i -lt 40 ]; do
		mkdir -p "$T/tree/d$i"
		for j in 0 1 2 3 4 5 6 7 8 9; do head -c 60000 /dev/urandom | base64 > "$T/tree/d$i/f$j.js"; done
		i=$((i + 1))
	done
	tar -C "$T/tree" -czf "$T/a.tgz" . && rm -rf "$T/tree"
	SRC="generated"
fi
cp "$T/a.tgz" "$T/www/web-pull.tgz"
mv "$T/a.tgz" "$T/web-push.tgz"
SIZE=$(stat -c %s "$T/web-push.tgz")
SHA=$(sha256sum "$T/web-push.tgz" | cut -d' ' -f1)

start_fleet "$HOSTS"
bench_fleet
sed -i "s/^\[fleet\]\$/[fleet]\nfetch_parallel = $FETCH_PARALLEL/; s/^op_timeout = .*/op_timeout = 1800/" "$T/fleet.ini"
nginx_start art 127.0.0.1 "$NGINX_PORT" "$T/www"
C="$CUTOVER -f $T/fleet.ini"
sent() { python3 -c '
import json, sys
r = [e for e in map(json.loads, filter(str.strip, open(sys.argv[1]))) if e.get("event") == "result"]
print(r[0]["sent_bytes"])' "$1"; }
run() { _out=$1; shift; _s=$(date +%s.%N); "$@" > "$_out" 2>"$_out.err" || { tail -5 "$_out.err"; fail "$* failed"; }
	echo "$(date +%s.%N) - $_s" | bc; }

T_PUSH=$(run "$T/push.json" $C --json deploy --batch 100% "$T/web-push.tgz")
S_PUSH=$(sent "$T/push.json")
T_PULL=$(run "$T/pull.json" $C --json deploy --batch 100% "http://127.0.0.1:$NGINX_PORT/web-pull.tgz" --sha256 "$SHA")
S_PULL=$(sent "$T/pull.json")
[ "$(current_of h11)" = web-pull ] || fail "the pull did not switch"
SERVED=$(awk '$7 == "/web-pull.tgz" && ($9 == 200 || $9 == 206) { n += $10 } END { print n + 0 }' "$T/nginx-art/access.log")

echo "=== bench-pull: $HOSTS hosts, archive $SIZE bytes ($SRC), fetch_parallel $FETCH_PARALLEL"
printf '%-44s %8s s  coordinator sent %12s bytes\n' "push: cutover deploy FILE" "$T_PUSH" "$S_PUSH"
printf '%-44s %8s s  coordinator sent %12s bytes\n' "pull: cutover deploy URL --sha256" "$T_PULL" "$S_PULL"
printf '%-44s %8s bytes (%s GETs)\n' "nginx served to the agents" "$SERVED" \
    "$(grep -c '/web-pull.tgz' "$T/nginx-art/access.log")"
pass
