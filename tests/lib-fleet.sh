# A fleet of real OpenSSH sshd processes on loopback addresses, for the
# coordinator's tests. Source it after tests/lib.sh:
#	. "$top_srcdir/tests/lib.sh"; . "$top_srcdir/tests/lib-fleet.sh"
#	start_fleet 3            # h11 h12 h13 on 127.0.0.11..13:$FLEET_PORT
#	"$CUTOVER" -f "$T/fleet.ini" ...
#	stop_host h12            # kill one sshd by its PID
# Every sshd is killed by PID at exit. Layout per host hNN:
#	$T/hNN/root       the agent's app root (app "web" in agent.ini)
#	$T/hNN/agent.ini  agent config for that host
#	$T/hNN/sshd_config, hostkey, sshd.pid, sshd.log, authorized_keys
# Shared: $T/client (ed25519 identity), $T/known_hosts, $T/fleet.ini,
# $T/state (XDG_STATE_HOME: the coordinator's rollout journals).
# FLEET_FORCED=1 before start_fleet installs authorized_keys with
# restrict,command="$CUTOVER_AGENT --config .../agent.ini serve" instead.

# The coordinator's rollout journal goes under $T, not the real home.
XDG_STATE_HOME=$T/state
export XDG_STATE_HOME

: "${FLEET_PORT:=2222}"
: "${FLEET_FORCED:=0}"
: "${SSHD:=/usr/sbin/sshd}"
FLEET_HOSTS=""

# Skip (77) when this machine cannot run a test fleet.
fleet_require() {
	[ -x "$SSHD" ] || skip "no sshd at $SSHD"
	command -v ssh-keygen >/dev/null 2>&1 || skip "no ssh-keygen"
	[ -x "$CUTOVER" ] || skip "no coordinator binary at $CUTOVER"
	[ -x "$CUTOVER_AGENT" ] || skip "no agent binary at $CUTOVER_AGENT"
	mkdir -p /run/sshd 2>/dev/null || true
	[ -d /run/sshd ] || skip "cannot create /run/sshd (privilege separation dir)"
}

# host_addr hNN: the loopback address of host hNN: 127.0.0.NN up to h254,
# then 127.0.1.11.. (250 a block: .11 to .250), so a fleet of a few hundred
# hosts (benchmarks) still gets one address each.
host_addr() {
	_ha=${1#h}
	if [ "$_ha" -le 254 ]; then
		echo "127.0.0.$_ha"
	else
		echo "127.0.$(( (_ha - 255) / 240 + 1 )).$(( (_ha - 255) % 240 + 11 ))"
	fi
}

# fleet_header: the [fleet] section every test starts from.
fleet_header() {
	cat <<EOF
[fleet]
user = $(id -un)
identity = $T/client
known_hosts = $T/known_hosts
app = web
batch = 25%
max_fail = 0
port = $FLEET_PORT
connect_timeout = 15
op_timeout = 60
EOF
}

# make_host_agent hNN: agent root and config for one host.
make_host_agent() {
	_h=$1
	mkdir -p "$T/$_h/root"
	cat > "$T/$_h/agent.ini" <<EOF
[app web]
root = $T/$_h/root
health = ${FLEET_HEALTH:-true}
health_retries = 1
health_interval = 0
health_timeout = 10
EOF
}

# start_sshd hNN: configure and start one sshd; its PID is in $T/hNN/sshd.pid.
# $SSHD_EXTRA (lines) is appended to its sshd_config.
start_sshd() {
	_h=$1; _d=$T/$_h; _a=$(host_addr "$_h")
	mkdir -p "$_d"
	[ -f "$_d/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -C "$_h" -f "$_d/hostkey" || fail "ssh-keygen host key"
	if [ "$FLEET_FORCED" = 1 ]; then
		printf 'restrict,command="%s --config %s serve" %s\n' \
		    "$CUTOVER_AGENT" "$_d/agent.ini" "$(cat "$T/client.pub")" > "$_d/authorized_keys"
	else
		cp "$T/client.pub" "$_d/authorized_keys"
	fi
	cat > "$_d/sshd_config" <<EOF
ListenAddress $_a:$FLEET_PORT
HostKey $_d/hostkey
PidFile $_d/sshd.pid
AuthorizedKeysFile $_d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxStartups 200
MaxSessions 50
${SSHD_EXTRA:-}
EOF
	rm -f "$_d/sshd.pid"
	"$SSHD" -f "$_d/sshd_config" -E "$_d/sshd.log" || { cat "$_d/sshd.log"; fail "sshd $_h did not start"; }
	# sshd writes its PID file once it listens; bounded wait (5 s).
	_fi=0
	while [ ! -s "$_d/sshd.pid" ]; do
		_fi=$((_fi + 1)); [ $_fi -le 100 ] || { cat "$_d/sshd.log"; fail "sshd $_h wrote no PID file"; }
		sleep 0.05
	done
	_pid=$(cat "$_d/sshd.pid")
	at_exit "kill $_pid 2>/dev/null"
	# Bounded wait until the port accepts (python3 is in the test deps).
	python3 - "$_a" "$FLEET_PORT" <<'PY' || { cat "$_d/sshd.log"; fail "sshd $_h does not accept on $_a:$FLEET_PORT"; }
import socket, sys, time
end = time.time() + 5
while True:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
        break
    except OSError:
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.05)
PY
}

# start_fleet N: N hosts h11.. with agents, known_hosts and $T/fleet.ini.
start_fleet() {
	_n=$1
	fleet_require
	[ -f "$T/client" ] || ssh-keygen -q -t ed25519 -N '' -C cutover-test -f "$T/client" || fail "ssh-keygen client key"
	: > "$T/known_hosts"
	fleet_header > "$T/fleet.ini"
	_k=11
	while [ $_k -lt $((11 + _n)) ]; do
		_fh=h$_k
		make_host_agent "$_fh"
		start_sshd "$_fh"
		printf '[%s]:%s %s\n' "$(host_addr "$_fh")" "$FLEET_PORT" \
		    "$(cut -d' ' -f1,2 "$T/$_fh/hostkey.pub")" >> "$T/known_hosts"
		cat >> "$T/fleet.ini" <<EOF

[host $_fh]
address = $(host_addr "$_fh")
agent_command = $CUTOVER_AGENT --config $T/$_fh/agent.ini serve
EOF
		FLEET_HOSTS="$FLEET_HOSTS $_fh"
		_k=$((_k + 1))
	done
	FLEET_HOSTS=${FLEET_HOSTS# }
}

# stop_host hNN: kill that host's listening sshd and its per-connection
# children (found by parent PID, so only processes this test started).
stop_host() {
	_p=$(cat "$T/$1/sshd.pid" 2>/dev/null) || fail "stop_host $1: no PID file"
	kill -STOP "$_p" 2>/dev/null || true
	for _c in $(ps -o pid= --ppid "$_p" 2>/dev/null); do kill -9 "$_c" 2>/dev/null || true; done
	kill -9 "$_p" 2>/dev/null || true
	_fi=0
	while kill -0 "$_p" 2>/dev/null; do
		_fi=$((_fi + 1)); [ $_fi -le 100 ] || fail "sshd $1 ($_p) does not stop"
		sleep 0.05
	done
}

# current_of hNN: the release hNN's current symlink names ("none" without one).
current_of() {
	_l=$(readlink "$T/$1/root/current" 2>/dev/null) || { echo none; return; }
	basename "$_l"
}

# fleet_kill_children: kill the per-connection children of every sshd of the
# fleet, found by parent PID (only processes this run started); for at_exit.
fleet_kill_children() {
	for _h in $FLEET_HOSTS; do
		_p=$(cat "$T/$_h/sshd.pid" 2>/dev/null) || continue
		for _c in $(ps -o pid= --ppid "$_p" 2>/dev/null); do kill "$_c" 2>/dev/null; done
	done
}

# bench_fleet: after start_fleet, what every fleet benchmark sets up the
# same way (bench-fleet.sh, bench-rollback.sh, bench-report.sh, bench-pull.sh,
# bench-bluegreen.sh, bench-scale.sh):
#  - `parallel` (ssh handshakes at once) past the fleet size: every session
#    stays open for the whole command, so all of them start at once;
#  - an empty HOME for the remote commands: a remote command's bash reads
#    $HOME/.bashrc, and root's here runs pyenv on every ssh command (~80 ms
#    each), a cost no real host has (sshd re-reads its config on SIGHUP,
#    same PID);
#  - then a bounded wait (20 s) until every sshd accepts again.
bench_fleet() {
	sed -i "s/^\[fleet\]\$/[fleet]\nparallel = ${BENCH_PARALLEL:-256}/" "$T/fleet.ini"
	mkdir -p "$T/home"
	for _bh in $FLEET_HOSTS; do
		echo "SetEnv HOME=$T/home" >> "$T/$_bh/sshd_config"
		kill -HUP "$(cat "$T/$_bh/sshd.pid")" || fail "sshd $_bh: SIGHUP"
	done
	python3 - "$FLEET_PORT" $(for _bh in $FLEET_HOSTS; do host_addr "$_bh"; done) <<'PY' || fail "sshd not back after SIGHUP"
import socket, sys, time
end = time.time() + 20
for a in sys.argv[2:]:
    while True:
        try:
            socket.create_connection((a, int(sys.argv[1])), timeout=1).close()
            break
        except OSError:
            if time.time() > end:
                sys.exit(1)
            time.sleep(0.05)
PY
}
