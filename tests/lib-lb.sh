# An nginx load balancer in front of a blue-green test fleet (cutover(1),
# "Blue-green"; docs/GUIDE.md, Blue-green). Source after
# tests/lib-fleet.sh and start_fleet:
#	LB_PORT=...; WEB_PORT=...
#	lb_backends h11 h12 h13 h14   # one nginx: a server per host on hNN:WEB_PORT, root its current
#	lb_start blue "h11 h12" green "h13 h14"   # the balancer on 127.0.0.1:LB_PORT, blue live
#	fleet file: switch = sh $T/lb/switch.sh   (the GUIDE's lb-switch, section Blue-green, cut out of
#	            docs/GUIDE.md and run on this nginx; logs to $T/lb/switch.log)
#	lb_requests_start / lb_requests_stop     # a bounded request loop logging to $T/lb/requests.log
# Both nginx processes run with their own prefix, pid and logs under $T and
# are stopped by PID at exit.

: "${NGINX:=/usr/sbin/nginx}"

lb_require() {
	[ -x "$NGINX" ] || skip "no nginx at $NGINX"
	command -v curl >/dev/null 2>&1 || skip "no curl"
}

# _lb_user: the user line nginx needs as root (workers would be nobody/www-data, and $T is 0700).
_lb_user() { [ "$(id -u)" = 0 ] && echo "user root;" || true; }

# _lb_run DIR: start nginx with prefix DIR (conf DIR/nginx.conf) and stop it by PID at exit.
_lb_run() {
	"$NGINX" -t -q -p "$1" -c "$1/nginx.conf" 2>"$1/t.err" || { cat "$1/t.err"; fail "nginx config in $1"; }
	"$NGINX" -p "$1" -c "$1/nginx.conf" || fail "nginx in $1 did not start"
	_li=0
	while [ ! -s "$1/nginx.pid" ]; do
		_li=$((_li + 1)); [ $_li -le 100 ] || fail "nginx in $1 wrote no PID file"
		sleep 0.05
	done
	at_exit "kill $(cat "$1/nginx.pid") 2>/dev/null"
}

# lb_backends HOST...: each host serves $T/HOST/root/current on its address, port WEB_PORT.
lb_backends() {
	mkdir -p "$T/web/logs"
	{
		_lb_user
		printf 'worker_processes 1;\npid %s/web/nginx.pid;\nerror_log %s/web/logs/error.log;\n' "$T" "$T"
		printf 'events { worker_connections 256; }\nhttp {\n\taccess_log off;\n'
		for _h in "$@"; do
			printf '\tserver {\n\t\tlisten %s:%s;\n\t\troot %s/%s/root/current;\n' \
			    "$(host_addr "$_h")" "$WEB_PORT" "$T" "$_h"
			printf '\t\tadd_header X-Host %s always;\n\t}\n' "$_h"
		done
		printf '}\n'
	} > "$T/web/nginx.conf"
	_lb_run "$T/web"
}

# lb_start POOL "HOSTS" POOL "HOSTS": the balancer with two upstream groups, the first live.
lb_start() {
	mkdir -p "$T/lb/logs"
	{
		_lb_user
		printf 'worker_processes 1;\npid %s/lb/nginx.pid;\nerror_log %s/lb/logs/error.log;\n' "$T" "$T"
		printf 'events { worker_connections 256; }\nhttp {\n\taccess_log off;\n'
		for _p in 1 2; do
			if [ $_p = 1 ]; then _n=$1; _hs=$2; else _n=$3; _hs=$4; fi
			printf '\tupstream %s {\n' "$_n"
			for _h in $_hs; do printf '\t\tserver %s:%s;\n' "$(host_addr "$_h")" "$WEB_PORT"; done
			printf '\t}\n'
		done
		# Every host of both pools, for a fleet run without blue_green (bench-bluegreen.sh).
		printf '\tupstream all {\n'
		for _h in $2 $4; do printf '\t\tserver %s:%s;\n' "$(host_addr "$_h")" "$WEB_PORT"; done
		printf '\t}\n'
		printf '\tserver {\n\t\tlisten 127.0.0.1:%s;\n\t\tlocation / {\n' "$LB_PORT"
		printf '\t\t\tinclude %s/lb/live.conf;\n\t\t}\n\t}\n}\n' "$T"
	} > "$T/lb/nginx.conf"
	printf 'proxy_pass http://%s;\nadd_header X-Pool %s always;\n' "$1" "$1" > "$T/lb/live.conf"
	# The switch: the GUIDE's lb-switch (section "Blue-green behind a load balancer") as printed, run on this private nginx,
	# wrapped in a log of when it ran and a way to make it fail.
	awk '/^## [0-9]+\. Blue-green/ { on = 1; next } /^## / { on = 0 }
	    on && /^```sh$/ { blk = 1; n = 0; buf = ""; next }
	    on && blk && /^```$/ { blk = 0; if (keep) exit; next }
	    on && blk { n++; buf = buf $0 "\n"; if (n == 2 && index($0, "lb-switch: make pool")) keep = 1 }
	    END { if (keep) printf "%s", buf }' "$top_srcdir/docs/GUIDE.md" > "$T/lb/lb-switch"
	grep -q 'NGINX_CMD -s reload' "$T/lb/lb-switch" || fail "no lb-switch script in the GUIDE's Blue-green section"
	cat > "$T/lb/switch.sh" <<EOF
#!/bin/sh
echo "start \$(date +%s%3N) \$CUTOVER_LIVE \$CUTOVER_RELEASE \$CUTOVER_PREVIOUS_LIVE \$CUTOVER_ACTION" >> "$T/lb/switch.log"
if [ -e "$T/lb/refuse" ]; then echo "balancer refused the change: maintenance window"; exit 1; fi
LIVE_CONF="$T/lb/live.conf" NGINX_CMD="$NGINX -p $T/lb -c $T/lb/nginx.conf" PIDFILE="$T/lb/nginx.pid" \\
    URL="http://127.0.0.1:$LB_PORT/" sh "$T/lb/lb-switch" || exit 1
echo "end \$(date +%s%3N) \$CUTOVER_LIVE" >> "$T/lb/switch.log"
EOF
	_lb_run "$T/lb"
}

# lb_get: the body the balancer serves now ("" on an error).
lb_get() { curl -fsS --max-time 5 "http://127.0.0.1:$LB_PORT/" 2>/dev/null || true; }

# lb_requests_start: requests in the background until lb_requests_stop (at most 60000, 300 s):
# one line per request "START_MS END_MS STATUS BODY" in $T/lb/requests.log.
lb_requests_start() {
	rm -f "$T/lb/requests.stop"
	python3 - "http://127.0.0.1:$LB_PORT/" "$T/lb/requests.log" "$T/lb/requests.stop" <<'PY' &
import os, sys, time, urllib.request
url, out, stop = sys.argv[1:4]
end = time.time() + 300
with open(out, "w") as f:
    for _ in range(60000):
        if os.path.exists(stop) or time.time() > end:
            break
        t0 = time.time()
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                code, body = r.status, r.read().decode().strip()
        except Exception as e:
            code, body = 0, type(e).__name__
        f.write("%d %d %d %s\n" % (t0 * 1000, time.time() * 1000, code, body.replace(" ", "_") or "-"))
        f.flush()
        time.sleep(0.005)
PY
	LB_REQ_PID=$!
	at_exit "kill $LB_REQ_PID 2>/dev/null"
}

lb_requests_stop() {
	: > "$T/lb/requests.stop"
	_li=0
	while kill -0 "$LB_REQ_PID" 2>/dev/null; do
		_li=$((_li + 1)); [ $_li -le 200 ] || { kill "$LB_REQ_PID"; break; }
		sleep 0.05
	done
}
