#!/bin/bash
# Benchmark (issue 3): archive upload+install through the wire protocol.
#
#  1. `cutover-agent serve` over a pipe pair (tests/proto-client streams the
#     archive in DATA frames) vs the local `cutover-agent install ROOT FILE`
#     of the same file. Target: serve <= 1.1x local.
#  2. Over loopback SSH to one real sshd: `cutover deploy` to a 1-host fleet
#     (libssh2, upload+install+activate) vs the issue's reference
#     `ssh host 'cat > f' < archive && ssh host tar -xzf f -C dir` with
#     OpenSSH. Target: faster than the reference. For comparison also
#     `ssh host cutover-agent install ROOT - < archive` (OpenSSH + agent).
#
# Every variant runs $RUNS times into a fresh root (created and removed
# outside the timed part); the table shows medians, ratios and the peak RSS
# (/usr/bin/time -v) of the process doing the unpacking on the "host" and of
# the client. Run by `make bench` (top_srcdir, top_builddir, CUTOVER_AGENT,
# CUTOVER in the environment); not part of `make check`.
#
# Environment: RUNS (default 5), ARCHIVE (use this .tgz instead of generating
# ~50 MB), BENCH_MB (size of the generated .tgz, default 50), BENCH_PORT
# (sshd port, default derived from the PID), KEEP_TMP=1 keeps the work area.
. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/lib-fleet.sh"
set -e

RUNS=${RUNS:-5}
BENCH_MB=${BENCH_MB:-50}
TIME=/usr/bin/time
PC=$top_builddir/tests/proto-client
H=h97				# the one host: 127.0.0.97
FLEET_PORT=${BENCH_PORT:-$((20000 + $$ % 20000))}

[ -x "$TIME" ] || fail "$TIME missing (apt-get install time)"
[ -x "$CUTOVER_AGENT" ] || fail "no agent at $CUTOVER_AGENT"
if ! [ -x "$PC" ]; then
	make -C "$top_builddir" tests/proto-client >/dev/null || fail "cannot build $PC"
fi

# now: seconds since the epoch, nanoseconds.
now() { date +%s.%N; }
# median of the numbers on stdin.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# rss FILE: peak RSS in KiB from a /usr/bin/time -v report.
rss() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1" 2>/dev/null | sort -g | tail -1; }
# max of the numbers on stdin.
maxof() { sort -g | tail -1; }

# --- the archive: thousands of real text files plus incompressible blobs
if [ -n "${ARCHIVE:-}" ]; then
	SRC="given ($ARCHIVE)"
	cp "$ARCHIVE" "$T/app-1.0.tgz"
else
	G=$T/gen
	mkdir -p "$G/blobs"
	for d in /usr/lib/python3.11 /usr/share/perl /usr/lib/node_modules; do
		[ -d "$d" ] && cp -a "$d" "$G/" 2>/dev/null || true
	done
	# absolute or dangling links would be (rightly) refused by the agent
	find "$G" -type l -delete
	find "$G" -name __pycache__ -prune -exec rm -rf {} +
	# small generated text files until there are a few thousand files
	i=0
	while [ "$(find "$G" -type f | wc -l)" -lt 5000 ] && [ $i -lt 50 ]; do
		mkdir -p "$G/gen/d$i"
		for j in $(seq 0 39); do
			seq $((i * 977 + j)) $((i * 977 + j + 500 + j * 37)) > "$G/gen/d$i/t$j.txt"
		done
		i=$((i + 1))
	done
	# incompressible blobs (images, fonts, minified bundles) up to the size
	tar -C "$G" -czf "$T/app-1.0.tgz" .
	b=0
	while [ "$(stat -c %s "$T/app-1.0.tgz")" -lt $((BENCH_MB * 1000 * 1000)) ] && [ $b -lt 200 ]; do
		have=$(stat -c %s "$T/app-1.0.tgz")
		need=$(( (BENCH_MB * 1000 * 1000 - have) / 1024 + 64 ))
		# one blob per 1.5 MB still missing, in 4 rounds at most
		n=$(( need / 1500 + 1 )); [ $n -le 40 ] || n=40
		k=0
		while [ $k -lt $n ]; do
			head -c $(( (need / n) * 1024 )) /dev/urandom > "$G/blobs/b$b.bin"
			b=$((b + 1)); k=$((k + 1))
		done
		tar -C "$G" -czf "$T/app-1.0.tgz" .
	done
	rm -rf "$G"
	SRC="generated: /usr/lib/python3.11, /usr/share/perl, node_modules, seq text, urandom blobs"
fi
A=$T/app-1.0.tgz
SIZE=$(stat -c %s "$A")
SHA=$(sha256sum "$A" | cut -d' ' -f1)
MEMBERS=$(tar -tzf "$A" | wc -l)
UNPACKED=$(gzip -dc "$A" | wc -c)

# time_set PREP NAME...: $RUNS rounds; each round runs every variant once
# (run_NAME ROUND, timed) after PREP (untimed), in an order rotated from
# round to round so that load from elsewhere and slow drifts hit all variants
# alike. Times go to $T/times.NAME, one line per run.
time_set() {
	_prep=$1; shift
	_nv=$#
	for _n in "$@"; do : > "$T/times.$_n"; done
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		_k=0
		while [ $_k -lt $_nv ]; do
			_i=$(( (_k + _r) % _nv + 1 ))
			_n=${!_i}
			$_prep
			sync
			_t0=$(now)
			run_$_n $_r || fail "$_n: run $_r failed"
			_t1=$(now)
			echo "$_t1 - $_t0" | bc >> "$T/times.$_n"
			_k=$((_k + 1))
		done
		_r=$((_r + 1))
	done
}

# --- 1. local install vs serve over a pipe pair
W=$T/w
fresh_local() { rm -rf "$W"; mkdir -p "$W"; }
run_local() {
	$TIME -v -o "$T/host.local.$1" "$CUTOVER_AGENT" install "$W/root" "$A" \
	    --release bench --sha256 "$SHA" >/dev/null
}
run_serve() {
	printf 'hello\nrequest 1 install %s release=bench sha256=%s\nupload 1 %s %s\nresult 1\n' \
	    "$W/root" "$SHA" "$A" "$SHA" |
	    "$PC" -t 60 -- \
	    $TIME -v -o "$T/host.serve.$1" "$CUTOVER_AGENT" serve --allow-paths > "$T/serve.out" 2> "$T/serve.err" ||
	    { cat "$T/serve.out" "$T/serve.err"; return 1; }
	grep -q '^RESULT 1 err=0 exit=0' "$T/serve.out" || { cat "$T/serve.out" "$T/serve.err"; return 1; }
}
# check: the release really is there, every member
check_tree() {
	[ "$(find "$1" -mindepth 1 | wc -l)" -ge "$((MEMBERS - 2))" ] || fail "$2: only $(find "$1" -mindepth 1 | wc -l) of $MEMBERS members in $1"
}

echo "archive: $SIZE bytes .tgz, $MEMBERS members, $UNPACKED bytes unpacked; $SRC"
echo "runs: $RUNS each (median), fresh root per run; machine: $(nproc) cores, $(uname -r)"
# one checked warm-up of each, then the interleaved runs
fresh_local; run_local w; check_tree "$W/root/releases/bench" local
fresh_local; run_serve w; check_tree "$W/root/releases/bench" serve
time_set fresh_local local serve
rm -rf "$W"

# --- 2. over loopback SSH
SSH_OK=1
command -v ssh >/dev/null 2>&1 && [ -x "$SSHD" ] && [ -x "${CUTOVER:-}" ] || SSH_OK=0
if [ $SSH_OK = 1 ]; then
	fleet_require
	ssh-keygen -q -t ed25519 -N '' -C cutover-bench -f "$T/client" || fail "ssh-keygen"
	make_host_agent $H
	# the agent's peak RSS on the host: time(1) wraps the agent command
	start_sshd $H
	HA=$(host_addr $H)
	printf '[%s]:%s %s\n' "$HA" "$FLEET_PORT" "$(cut -d' ' -f1,2 "$T/$H/hostkey.pub")" > "$T/known_hosts"
	fleet_header > "$T/fleet.ini"
	cat >> "$T/fleet.ini" <<EOF

[host $H]
address = $HA
agent_command = $TIME -v -a -o $T/rss.remote.cur $CUTOVER_AGENT --config $T/$H/agent.ini serve
EOF
	SSHC="ssh -q -p $FLEET_PORT -i $T/client -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=yes -F /dev/null $HA"
	ROOT=$T/$H/root
	# keep_rss NAME: the agent's time(1) report of this run goes to
	# $T/NAME once fresh_remote (untimed) collects it.
	keep_rss() { echo "$1" > "$T/rss.pending"; }
	# collect_rss: time(1) writes its report after the agent exits, which may
	# be after the client is done: bounded wait (3 s), outside the timing.
	collect_rss() {
		[ -f "$T/rss.pending" ] || return 0
		_w=0
		until grep -q 'Exit status' "$T/rss.remote.cur" 2>/dev/null; do
			_w=$((_w + 1)); [ $_w -le 60 ] || break
			sleep 0.05
		done
		cp "$T/rss.remote.cur" "$T/$(cat "$T/rss.pending")" 2>/dev/null || true
		rm -f "$T/rss.pending"
	}
	fresh_remote() {
		collect_rss
		rm -rf "$ROOT" "$T/ref" "$T/rss.remote.cur"
		mkdir -p "$ROOT" "$T/ref/dir"
	}
	run_cutover() {
		$TIME -v -o "$T/client.cutover.$1" "$CUTOVER" -f "$T/fleet.ini" deploy --batch 1 "$A" \
		    > "$T/cut.out" 2> "$T/cut.err" || { cat "$T/cut.out" "$T/cut.err"; return 1; }
		keep_rss "host.cutover.$1"
	}
	run_ref() {
		$TIME -v -o "$T/client.ref.$1" $SSHC "cat > $T/ref/f" < "$A" &&
		    $SSHC "$TIME -v -o $T/host.ref.$1 tar -xzf $T/ref/f -C $T/ref/dir"
	}
	run_sshagent() {
		$TIME -v -o "$T/client.sshagent.$1" $SSHC "$TIME -v -o $T/rss.remote.cur $CUTOVER_AGENT install $ROOT - --release bench --sha256 $SHA" \
		    < "$A" > /dev/null
		keep_rss "host.sshagent.$1"
	}
	# one warm-up of each, checked
	fresh_remote; run_cutover w
	[ "$(current_of $H)" = app-1.0 ] || fail "cutover deploy did not activate app-1.0: $(cat "$T/cut.out" "$T/cut.err")"
	check_tree "$ROOT/releases/app-1.0" "cutover deploy"
	fresh_remote; run_ref w; check_tree "$T/ref/dir" "ssh+tar"
	fresh_remote; run_sshagent w; check_tree "$ROOT/releases/bench" "ssh agent install"
	CIPHER=$($SSHC -v true 2>&1 | sed -n 's/.*kex: server->client cipher: \([^ ]*\).*/\1/p' | head -1)
	time_set fresh_remote cutover ref sshagent
	fresh_remote
fi

# --- the table
# the median of times.NAME
med() { median < "$T/times.$1"; }
# peak RSS (KiB) over the runs of a variant: host side / client side
peak() { for f in "$T"/$1.$2.[0-9]*; do rss "$f"; done | maxof; }
# median CPU seconds (user + sys) of the host-side process
cpu() {
	for f in "$T"/host.$1.[0-9]*; do
		awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f\n", s }' "$f"
	done | median | awk '{ printf "%.2f", $1 }'
}
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
# verdict A OP B: "met" when A OP B holds (bc), else "MISSED".
verdict() { if [ "$(echo "$1 $2 $3" | bc)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
runs() { awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }' "$T/times.$1"; }
row() {
	printf '%-46s %8.3f %8s %9s %9s   %s\n' "$2" "$(med "$1")" "$(cpu "$1")" \
	    "$(peak host "$1")" "${3:-$(peak client "$1")}" "$(runs "$1")"
}
echo
printf '%-46s %8s %8s %9s %9s   %s\n' "variant" "median s" "host cpu" "host KiB" "clnt KiB" "runs (s), interleaved"
row local "1a local: cutover-agent install ROOT FILE" -
row serve "1b serve over a pipe (tests/proto-client)" -
if [ $SSH_OK = 1 ]; then
	row cutover "2a cutover deploy to 1 host (libssh2)"
	row ref "2b ref: ssh 'cat > f' && ssh tar -xzf f"
	row sshagent "2c ssh host cutover-agent install - <archive"
fi
echo
T_LOCAL=$(med local); T_SERVE=$(med serve)
echo "serve/local:           $(ratio "$T_SERVE" "$T_LOCAL")x  (target <= 1.10: $(verdict "$T_SERVE" "<=" "$T_LOCAL * 1.1"))"
if [ $SSH_OK = 1 ]; then
	T_CUT=$(med cutover); T_REF=$(med ref); T_SSHA=$(med sshagent)
	echo "cutover deploy/ref:    $(ratio "$T_CUT" "$T_REF")x  (target < 1.00: $(verdict "$T_CUT" "<" "$T_REF"))"
	echo "ssh agent install/ref: $(ratio "$T_SSHA" "$T_REF")x  (for comparison: the agent under OpenSSH)"
	echo "ciphers: OpenSSH ${CIPHER:-?}, libssh2 aes128-ctr. 2a includes preflight, activate and"
	echo "a health check; 2a/2c fsync the release, 2b does not. cutover mmaps the archive, so its"
	echo "RSS counts the archive's page-cache pages."
else
	echo "SSH part skipped: no ssh, sshd or coordinator binary"
fi
echo "host = the process that unpacks (agent, or tar for 2b): CPU user+sys median, peak RSS;"
echo "clnt = peak RSS of cutover or of the ssh client(s)."
