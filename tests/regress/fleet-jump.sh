#!/bin/sh
# jump = HOST: the coordinator reaches a host through a bastion's sshd, over
# a direct-tcpip channel (a socketpair pumped in the poll loop). The target
# h50 listens on 127.0.0.50; what proves the path: the jump sshd logs the
# forwarding request to 127.0.0.50, a jump host that forbids forwarding makes
# the target unreachable (its sshd sees no login), and so does a dead jump.
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 9))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-fleet.sh"

SSHD_EXTRA="LogLevel DEBUG1"
start_fleet 1
SSHD_EXTRA="AllowTcpForwarding no"
make_host_agent h12
start_sshd h12
SSHD_EXTRA="LogLevel VERBOSE"
make_host_agent h50
start_sshd h50
SSHD_EXTRA=""
for h in h12 h50; do
	printf '[%s]:%s %s\n' "$(host_addr $h)" "$FLEET_PORT" "$(cut -d' ' -f1,2 "$T/$h/hostkey.pub")" >> "$T/known_hosts"
done
cat >> "$T/fleet.ini" <<EOF

[host h12]
address = 127.0.0.12
agent_command = $CUTOVER_AGENT --config $T/h12/agent.ini serve

[host h50]
address = 127.0.0.50
jump = h11
agent_command = $CUTOVER_AGENT --config $T/h50/agent.ini serve
EOF
C="$CUTOVER -f $T/fleet.ini"
make_release "$T/r1" "$T/web-1.0.tgz" v1
make_release "$T/r2" "$T/web-2.0.tgz" v2
accepted() { grep -c 'Accepted publickey' "$T/h50/sshd.log"; }

step "deploy to h11 and h50 together, h50 through the jump host h11"
expect_exit 0 $C deploy --hosts h11,h50 --batch 1 "$T/web-1.0.tgz"
[ "$(current_of h50)" = web-1.0 ] || fail "h50 on $(current_of h50)"
[ "$(current_of h11)" = web-1.0 ] || fail "h11 on $(current_of h11)"
grep -q "server_request_direct_tcpip: .*target 127.0.0.50 port $FLEET_PORT" "$T/h11/sshd.log" ||
    fail "h11's sshd logged no direct-tcpip to 127.0.0.50: $(grep -i tcpip "$T/h11/sshd.log")"
expect_exit 0 $C deploy --hosts h50 "$T/web-2.0.tgz"
expect_exit 0 $C status --hosts h50
echo "$OUT" | grep -q '^h50 .*web-2.0 .*web-1.0 .*yes' || fail "status: $OUT"
expect_exit 0 $C rollback --hosts h50
[ "$(current_of h50)" = web-1.0 ] || fail "h50 on $(current_of h50)"

step "a jump host that forbids forwarding: h50 unreachable, its sshd sees no login"
n0=$(accepted)
sed -i 's|^jump = h11$|jump = h12|' "$T/fleet.ini"
expect_exit 5 $C status --hosts h50
echo "$OUT$ERR" | grep -q 'jump h12: forwarding to 127.0.0.50 port [0-9]* refused' || fail "message: $OUT $ERR"
[ "$(accepted)" = "$n0" ] || fail "h50 got a session anyway"

step "the jump's host key is verified too"
sed -i 's|^jump = h12$|jump = h11|' "$T/fleet.ini"
grep -v '^\[127.0.0.11\]' "$T/known_hosts" > "$T/kh.short"
sed "s|^known_hosts = .*|known_hosts = $T/kh.short|" "$T/fleet.ini" > "$T/short.ini"
expect_exit 5 "$CUTOVER" -f "$T/short.ini" status --hosts h50
echo "$OUT$ERR" | grep -q 'jump h11: host key for \[127.0.0.11\]:.* is not in' || fail "message: $OUT $ERR"

step "USER@HOST:PORT form, and a bad one is a config error"
sed -i "s|^jump = h11$|jump = $(id -un)@127.0.0.11:$FLEET_PORT|" "$T/fleet.ini"
expect_exit 0 $C status --hosts h50
sed -i "s|^jump = .*|jump = h11:notaport|" "$T/fleet.ini"
expect_exit 2 $C status --hosts h50
echo "$ERR" | grep -q 'h50: jump: "notaport" is not a port' || fail "message: $ERR"
sed -i "s|^jump = .*|jump = h11|" "$T/fleet.ini"

step "a dead jump host fails its targets at preflight, nothing changed"
stop_host h11
expect_exit 1 $C deploy --hosts h50 "$T/web-2.0.tgz"
echo "$OUT$ERR" | grep -q 'h50.*jump h11: connect to 127.0.0.11 port [0-9]*: Connection refused' || fail "message: $OUT $ERR"
[ "$(current_of h50)" = web-1.0 ] || fail "h50 changed"

pass
