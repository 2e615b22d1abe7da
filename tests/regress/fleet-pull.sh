#!/bin/sh
# cutover deploy URL --sha256 on a real sshd fleet with a real nginx as the
# artifact server: the agents fetch, the coordinator uploads nothing (its
# sent_bytes against a push of the same size); wrong digest and 404 abort
# with exit 3, nothing switched or installed anywhere; HTTPS with a CA made
# here; an agent without cap fetch is refused at preflight in one line;
# fetch_parallel = 2 keeps 4 hosts within nginx's limit_conn 2 (which answers
# 403 beyond it), and fetch_parallel = 4 shows the check catching a breach.
. "$top_srcdir/tests/lib.sh"
BASE=${FLEET_PORT_BASE:-2300}
FLEET_PORT=$((BASE + 70))
HTTP=$((BASE + 71)); HTTPS=$((BASE + 72)); LIM=$((BASE + 73))
. "$top_srcdir/tests/lib-fleet.sh"
. "$top_srcdir/tests/lib-nginx.sh"

nginx_have || skip "no nginx"
command -v openssl >/dev/null || skip "no openssl"
start_fleet 4
C="$CUTOVER -f $T/fleet.ini"
mkdir -p "$T/www"
# Releases of ~600 KB that do not compress: an upload of one is plainly visible in sent_bytes.
mkrel() { mkdir -p "$T/src-$1"; head -c 600000 /dev/urandom > "$T/src-$1/blob"; echo "$1" > "$T/src-$1/index.html"
	tar -C "$T/src-$1" -czf "$T/www/web-$1.tgz" .; }
for r in 1 2 3 4 5 6; do mkrel $r; done
sha() { sha256sum "$T/www/web-$1.tgz" | cut -d' ' -f1; }
all_on() { for h in $FLEET_HOSTS; do [ "$(current_of "$h")" = "$1" ] || fail "$h is on $(current_of "$h"), not $1"; done; }
none_has() { for h in $FLEET_HOSTS; do [ ! -e "$T/$h/root/releases/$1" ] || fail "$h has $1"
	[ -z "$(ls -A "$T/$h/root/.cutover/staging" 2>/dev/null)" ] || fail "$h: staging left"; done; }
sent() { printf '%s\n' "$OUT" | python3 -c '
import json, sys
r = [e for e in map(json.loads, filter(str.strip, sys.stdin)) if e["event"] == "result"]
print(r[0]["sent_bytes"])'; }
for h in $FLEET_HOSTS; do printf 'fetch_stall_timeout = 5\nfetch_retries = 1\n' >> "$T/$h/agent.ini"; done

make_tls_ca "$T/tls" 127.0.0.1
nginx_start a 127.0.0.1 "$HTTP" "$T/www" \
    "listen 127.0.0.1:$HTTPS ssl; ssl_certificate $T/tls/server.pem; ssl_certificate_key $T/tls/server.key;"

step "a URL without --sha256, or a bad one, is a usage error (exit 2)"
expect_exit 2 $C deploy "http://127.0.0.1:$HTTP/web-1.tgz"
echo "$ERR" | grep -q -- "--sha256" || fail "$ERR"
expect_exit 2 $C deploy "http://127.0.0.1:$HTTP/web-1.tgz" --sha256 abc
all_on none

step "--sha256 with a local file is checked before anything is sent (exit 3)"
expect_exit 3 $C deploy "$T/www/web-1.tgz" --sha256 "$(sha 2)"
echo "$ERR" | grep -q "has sha256 $(sha 1), not $(sha 2)" || fail "$ERR"
all_on none

step "push deploy of a file: the coordinator sends the archive to every host (the measure works)"
expect_exit 0 $C --json deploy "$T/www/web-1.tgz"
all_on web-1
push=$(sent)
[ "$push" -gt $((4 * 600000)) ] || fail "push sent only $push bytes"

step "deploy URL --sha256: every host fetched it, the coordinator sent no archive bytes"
expect_exit 0 $C --json deploy "http://127.0.0.1:$HTTP/web-2.tgz" --sha256 "$(sha 2)"
all_on web-2
pull=$(sent)
[ "$pull" -lt 100000 ] || fail "the coordinator sent $pull bytes for a URL deploy"
[ "$(grep -c '"GET /web-2.tgz HTTP/1.1" 200 ' "$T/nginx-a/access.log")" = 4 ] || fail "want 4 fetches: $(cat "$T/nginx-a/access.log")"
[ "$(cat "$T/h13/root/current/index.html")" = 2 ] || fail "content"
$CUTOVER_AGENT --config "$T/h12/agent.ini" history web | grep -q "url=http://127.0.0.1:$HTTP/web-2.tgz" || fail "url not journalled"
echo "push sent $push bytes, pull sent $pull bytes"

step "wrong digest: exit 3, nothing switched, nothing installed"
expect_exit 3 $C deploy "http://127.0.0.1:$HTTP/web-3.tgz" --sha256 "$(sha 4)"
echo "$ERR" | grep -q "archive sha256 is $(sha 3), expected $(sha 4)" || fail "$ERR"
all_on web-2; none_has web-3

step "404: exit 3, nothing switched, nothing installed"
expect_exit 3 $C deploy "http://127.0.0.1:$HTTP/web-9.tgz" --sha256 "$(sha 3)"
echo "$ERR" | grep -q "HTTP 404" || fail "$ERR"
all_on web-2; none_has web-9

step "HTTPS with each agent's fetch_ca_file"
for h in $FLEET_HOSTS; do echo "fetch_ca_file = $T/tls/ca.pem" >> "$T/$h/agent.ini"; done
expect_exit 0 $C deploy "https://127.0.0.1:$HTTPS/web-3.tgz" --sha256 "$(sha 3)"
all_on web-3

step "an agent without cap fetch (before 1.4) is refused at preflight, one line, nothing changed"
sed -i "s|^agent_command = $CUTOVER_AGENT --config $T/h14/agent.ini serve|agent_command = env CUTOVER_FAULT=serve.no_fetch $CUTOVER_AGENT --config $T/h14/agent.ini serve|" "$T/fleet.ini"
grep -q serve.no_fetch "$T/fleet.ini" || fail "fleet file not changed"
expect_exit 1 $C deploy "http://127.0.0.1:$HTTP/web-4.tgz" --sha256 "$(sha 4)"
[ "$(printf '%s\n' "$ERR" | grep -c 'cannot fetch an archive URL (protocol 1.4, cap fetch)')" = 1 ] || fail "$ERR"
all_on web-3; none_has web-4
sed -i "s|env CUTOVER_FAULT=serve.no_fetch ||" "$T/fleet.ini"

step "fetch_parallel = 2 against nginx limit_conn 2 (403 beyond): all 4 hosts fetch and switch"
nginx_start lim 127.0.0.1 "$LIM" "$T/www" "limit_conn one 2; limit_conn_status 403; limit_rate 400k;" \
    "limit_conn_zone \$binary_remote_addr zone=one:1m;"
sed -i "s/^max_fail = 0$/max_fail = 0\nfetch_parallel = 2/" "$T/fleet.ini"
expect_exit 0 $C deploy "http://127.0.0.1:$LIM/web-5.tgz" --sha256 "$(sha 5)"
all_on web-5
[ "$(grep -c '"GET /web-5.tgz HTTP/1.1" 200 ' "$T/nginx-lim/access.log")" = 4 ] || fail "$(cat "$T/nginx-lim/access.log")"

step "the same with fetch_parallel = 4 breaches the limit: nginx refuses (403), exit 3, nothing switched"
sed -i "s/^fetch_parallel = 2$/fetch_parallel = 4/" "$T/fleet.ini"
expect_exit 3 $C deploy "http://127.0.0.1:$LIM/web-6.tgz" --sha256 "$(sha 6)"
grep -q '"GET /web-6.tgz HTTP/1.1" 403 ' "$T/nginx-lim/access.log" || fail "no 403: $(cat "$T/nginx-lim/access.log")"
all_on web-5

step "fetch_parallel is validated with FILE:LINE"
sed -i "s/^fetch_parallel = 4$/fetch_parallel = 0/" "$T/fleet.ini"
expect_exit 2 $C deploy "http://127.0.0.1:$LIM/web-6.tgz" --sha256 "$(sha 6)"
echo "$ERR" | grep -q "fleet.ini:[0-9]*: .*fetch_parallel" || fail "$ERR"

pass
