# A real nginx on loopback for tests that need an HTTP(S) server (artifact
# server, load balancer). Source after lib.sh:
#	. "$top_srcdir/tests/lib-nginx.sh"
#	nginx_start NAME 127.0.0.1 PORT DOCROOT [EXTRA_SERVER_DIRECTIVES] [EXTRA_HTTP_DIRECTIVES]
#	... http://127.0.0.1:PORT/...    (logs: $T/nginx-NAME/access.log, error.log)
#	nginx_stop NAME                   (also run at exit)
# nginx runs in the foreground of its own background process (daemon off) with
# every path (pid, logs, temp dirs) inside $T/nginx-NAME; it is stopped by the
# PID it wrote, never by name. As root it runs its workers as root (`user
# root`), so a 0700 $T is readable. EXTRA_SERVER_DIRECTIVES go inside the
# server block, e.g. "listen 127.0.0.1:8443 ssl; ssl_certificate ...;" or
# "limit_rate 100k;"; EXTRA_HTTP_DIRECTIVES at http level (limit_conn_zone).

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

# nginx_have: 0 when an nginx binary is there.
nginx_have() { [ -x "$NGINX" ]; }

# nginx_start NAME ADDR PORT DOCROOT [SERVER_EXTRA] [HTTP_EXTRA]
nginx_start() {
	_nd="$T/nginx-$1"; _na=$2; _np=$3; _nr=$4; _nx=${5:-}; _nh=${6:-}
	mkdir -p "$_nd/tmp"
	_nuser=""
	[ "$(id -u)" = 0 ] && _nuser="user root;"
	cat > "$_nd/nginx.conf" <<EOF
$_nuser
worker_processes 1;
pid $_nd/nginx.pid;
error_log $_nd/error.log info;
events { worker_connections 512; }
http {
    access_log $_nd/access.log;
    client_body_temp_path $_nd/tmp/body;
    proxy_temp_path $_nd/tmp/proxy;
    fastcgi_temp_path $_nd/tmp/fastcgi;
    uwsgi_temp_path $_nd/tmp/uwsgi;
    scgi_temp_path $_nd/tmp/scgi;
    default_type application/octet-stream;
    sendfile off;
    $_nh
    server {
        listen $_na:$_np;
        root $_nr;
        $_nx
    }
}
EOF
	"$NGINX" -t -q -p "$_nd" -c "$_nd/nginx.conf" -g 'daemon off;' 2>"$_nd/t.err" ||
	    fail "nginx config: $(cat "$_nd/t.err")"
	"$NGINX" -p "$_nd" -c "$_nd/nginx.conf" -g 'daemon off;' >"$_nd/stdout" 2>&1 &
	echo $! > "$_nd/bg.pid"
	at_exit "nginx_stop $1"
	# Up when it answers on its port (bounded: 10 s).
	_ni=0
	while ! curl -s -o /dev/null --max-time 1 "http://$_na:$_np/"; do
		_ni=$((_ni + 1))
		[ $_ni -le 100 ] || fail "nginx $1 did not listen on $_na:$_np: $(cat "$_nd/error.log" "$_nd/stdout" 2>/dev/null)"
		sleep 0.1
	done
}

# nginx_stop NAME: stop that nginx (by the PID it was started as) and wait for it.
nginx_stop() {
	_nd="$T/nginx-$1"
	[ -f "$_nd/bg.pid" ] || return 0
	_npid=$(cat "$_nd/bg.pid")
	rm -f "$_nd/bg.pid"
	kill "$_npid" 2>/dev/null || return 0
	_ni=0
	while kill -0 "$_npid" 2>/dev/null && [ $_ni -lt 50 ]; do sleep 0.1; _ni=$((_ni + 1)); done
	kill -9 "$_npid" 2>/dev/null || true
}

# nginx_workers NAME: the PIDs of that nginx's worker processes (children of its master).
nginx_workers() {
	pgrep -P "$(cat "$T/nginx-$1/nginx.pid")" 2>/dev/null
}

# make_tls_ca DIR NAME_ADDR: a CA (DIR/ca.pem) and a server cert for IP NAME_ADDR
# (DIR/server.pem, DIR/server.key), made with openssl.
make_tls_ca() {
	_cd=$1; _ip=$2
	mkdir -p "$_cd"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cutover test CA" \
	    -keyout "$_cd/ca.key" -out "$_cd/ca.pem" >/dev/null 2>&1 || fail "openssl: CA"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$_ip" \
	    -keyout "$_cd/server.key" -out "$_cd/server.csr" >/dev/null 2>&1 || fail "openssl: CSR"
	printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n' "$_ip" > "$_cd/ext"
	openssl x509 -req -in "$_cd/server.csr" -CA "$_cd/ca.pem" -CAkey "$_cd/ca.key" \
	    -CAcreateserial -days 2 -extfile "$_cd/ext" -out "$_cd/server.pem" >/dev/null 2>&1 ||
	    fail "openssl: server cert"
}
