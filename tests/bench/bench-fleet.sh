#!/bin/bash
# Benchmark of issue 4: a rollout of a real 15-20 MB .tgz to 20 and to 100
# loopback sshd hosts in batches of 5, in one run, side by side with
#   - the floor: unpacking the release into N local directories, 2 at a
#     time (every fake host shares this machine's 2 cores and one disk);
#   - an Ansible playbook doing the same job (fleet-ansible/deploy.yml:
#     unarchive + symlink, serial: 5, -f 20);
#   - a parallel ssh + tar + mv -T shell script (fleet-shell.sh);
# then fleet-wide rollback (cutover vs the shell script), a convergent
# rollback's no-op re-run, cutover status, and the coordinator's peak RSS. Not part of `make check`: it measures.
#
#	tests/bench/bench-fleet.sh          (make bench sets the paths)
#
# Environment: top_builddir or CUTOVER/CUTOVER_AGENT (default: the
# build-bench dir, else build), ARCHIVE (a .tgz to use), NPM_PKG (npm pack
# this package instead of generating one), SIZES (default "20 100"), RUNS
# (default 3: median), SLOW (default 60: a measurement whose first run took
# longer than this many seconds is not repeated, to keep the whole run
# under 15 minutes), FLEET_PORT (2222), ANSIBLE=0 skips Ansible.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	top_builddir=$top_srcdir/build
	[ -x "$top_srcdir/build-bench/cutover" ] && top_builddir=$top_srcdir/build-bench
fi
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck source=tests/lib-fleet.sh
. "$top_srcdir/tests/lib-fleet.sh"

SIZES=${SIZES:-20 100}
RUNS=${RUNS:-3}
SLOW=${SLOW:-60}
ANSIBLE=${ANSIBLE:-1}
BENCH=$top_srcdir/tests/bench
TIME=/usr/bin/time
T0=$(date +%s)

# The references are part of the benchmark: install them when we can.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	for p in time ansible e2fsprogs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null 2>&1 || true
	done
fi
[ -x "$TIME" ] || fail "$TIME missing (apt-get install -y time)"
if [ "$ANSIBLE" = 1 ] && ! command -v ansible-playbook >/dev/null 2>&1; then
	echo "ansible-playbook missing (apt-get install -y ansible): Ansible skipped"
	ANSIBLE=0
fi
MAXN=0
for n in $SIZES; do [ "$n" -gt $MAXN ] && MAXN=$n; done
[ $MAXN -ge 1 ] && [ $MAXN -le 200 ] || fail "SIZES must be 1..200 hosts"

# The release data is gigabytes: remove it even when the run fails (the
# logs stay in $T then). Registered first, so it runs last.
at_exit "rm -rf $T/gen $T/fs"

# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }
# calc EXPR: floating point arithmetic.
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
# median < numbers
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) printf "%.2f", a[(NR + 1) / 2]; else printf "%.2f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# hosts N: the names of the first N hosts, one per line.
hosts() { seq 11 $((10 + $1)) | sed 's/^/h/'; }

# ---- the archive ---------------------------------------------------------
# gen_archive OUT: about 17 MB of .tgz with a few thousand files: 26 MB of
# real Python sources (compress ~4:1, like an app's code) plus 11 MB of
# incompressible assets (like images and fonts): ~40 MB unpacked, so 100
# hosts' worth fits the 15-minute budget on one disk.
gen_archive() {
	_g=$T/gen/app
	mkdir -p "$_g/assets"
	find /usr/lib/python3/dist-packages /usr/lib/python3.11 -name '*.py' -type f -size -256k \
	    -printf '%s %p\n' 2>/dev/null | LC_ALL=C sort -k2 |
	    awk '{ s += $1; if (s > 26 * 1048576) exit; print $2 }' > "$T/gen/list"
	[ -s "$T/gen/list" ] || fail "no Python sources to build an archive from"
	tar -cf - -T "$T/gen/list" 2>/dev/null | tar -C "$_g" -xf - || fail "copy sources"
	for _i in $(seq 1 200); do
		head -c $((24576 + (_i * 7919) % 65536)) /dev/urandom > "$_g/assets/a$_i.bin"
	done
	tar -C "$T/gen" -czf "$1" app || fail "tar -czf"
	rm -rf "$_g"
}

step "archive"
if [ -n "${ARCHIVE:-}" ]; then
	cp "$ARCHIVE" "$T/release.tgz" || fail "cannot read $ARCHIVE"
	SRC="given: $ARCHIVE"
elif [ -n "${NPM_PKG:-}" ]; then
	mkdir -p "$T/npm"
	(cd "$T/npm" && timeout 120 npm pack "$NPM_PKG" --silent --fetch-retries=0 >/dev/null 2>&1) &&
	    mv "$T"/npm/*.tgz "$T/release.tgz" || fail "npm pack $NPM_PKG failed"
	SRC="npm pack $NPM_PKG"
else
	gen_archive "$T/release.tgz"
	SRC="generated: Python sources + 200 random assets"
fi
A=$T/release.tgz
ASIZE=$(stat -c %s "$A")
tar -tzf "$A" > "$T/members" || fail "the archive does not list"
AFILES=$(grep -vc '/$' "$T/members")
AENTRIES=$(wc -l < "$T/members")
mkdir -p "$T/ref"
tar -C "$T/ref" -xzf "$A" || fail "the archive does not unpack"
AUNPACKED=$(du -sm "$T/ref" | cut -f1)
REF_DIGEST=$(tree_digest "$T/ref")
rm -rf "$T/ref"
echo "archive: $SRC: $ASIZE bytes, $AFILES files, $AUNPACKED MB unpacked"

# ---- the file system ----------------------------------------------------
# Every measurement starts on a fresh, journaled ext4 (a loop-mounted
# sparse image): the same start for every tool and run, no dirty pages of
# the previous run, and no slow inode allocation after mass deletes (a
# journal-less ext4, like this VM's root, skips recently deleted inodes
# one by one for minutes). The loop device does direct I/O to its image,
# so it behaves like one disk: a buffered loop device copies every written
# page into a second page cache (the image file's) and writes it back
# again, CPU and I/O that a real server's disk does not cost and that only
# a tool that syncs (cutover) would pay inside the measurement.
# BENCH_FS=dir uses $T on its own file system.
M=$T/fs
BENCH_FS=${BENCH_FS:-ext4}
if [ "$BENCH_FS" = ext4 ]; then
	if ! command -v mkfs.ext4 >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
		echo "no mkfs.ext4 or not root: BENCH_FS=dir"; BENCH_FS=dir
	fi
fi
mkdir -p "$M"
# Registered before start_fleet, so it runs after every process is gone.
LOOPDEV=
at_exit 'mountpoint -q $M && { umount $M || umount -l $M; }; [ -n "$LOOPDEV" ] && losetup -d $LOOPDEV; rm -f $T/fs.img' 

# fresh_fs N: an empty file system at $M with room for N hosts x 2 releases.
fresh_fs() {
	if [ "$BENCH_FS" = ext4 ]; then
		# Agents of the last run may still be exiting: retry for 5 s.
		_u=0
		while mountpoint -q "$M"; do
			umount "$M" 2>/dev/null && break
			_u=$((_u + 1)); [ $_u -le 50 ] || fail "umount $M: busy"
			sleep 0.1
		done
		[ -n "${LOOPDEV:-}" ] && losetup -d "$LOOPDEV" 2>/dev/null
		LOOPDEV=
		rm -f "$T/fs.img"
		truncate -s $(( (AUNPACKED * 3 + ASIZE / 1048576 * 2) * $1 + 2048 ))M "$T/fs.img" || fail "truncate"
		mkfs.ext4 -q -F -N $(( AENTRIES * 3 * $1 + 100000 )) \
		    -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$T/fs.img" || fail "mkfs.ext4"
		LOOPDEV=$(losetup --direct-io=on --find --show "$T/fs.img") && mount "$LOOPDEV" "$M" ||
		    { echo "cannot loop-mount: BENCH_FS=dir"; BENCH_FS=dir; }
	fi
	if [ "$BENCH_FS" = dir ]; then
		find "$M" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
		sync
	fi
	for _h in $(hosts "$MAXN"); do mkdir -p "$M/$_h/root" "$M/$_h/sh" "$M/$_h/ans"; done
}

# ---- the fleet -----------------------------------------------------------
step "start $MAXN sshd hosts"
t=$(now)
start_fleet "$MAXN"
# Per-connection sshd children (Ansible's ControlPersist masters, sessions
# still exiting) go too; registered after start_fleet, so before the listeners.
at_exit fleet_kill_children
# Each host's app root lives on the measured file system.
for h in $FLEET_HOSTS; do
	sed -i "s|^root = .*|root = $M/$h/root|" "$T/$h/agent.ini" || fail "agent.ini"
done
# parallel = 256, an empty HOME for remote commands, sshd back after SIGHUP.
bench_fleet
echo "fleet of $MAXN sshd up in $(calc "$(now) - $t") s; file system: $BENCH_FS"
for n in $SIZES; do
	hosts "$n" | paste -sd, > "$T/csv.$n"
	for h in $(hosts "$n"); do echo "$(host_addr "$h") $M/$h/sh"; done > "$T/hosts-sh.$n"
	for h in $(hosts "$n"); do echo "$h $(host_addr "$h") $M/$h/ans"; done > "$T/hosts-ans.$n"
	"$BENCH/fleet-ansible/inventory.sh" "$T/hosts-ans.$n" "$T/client" "$T/known_hosts" \
	    "$FLEET_PORT" "$(id -un)" > "$T/inventory.$n" || fail "inventory"
done
export SSH_OPTS="-i $T/client -p $FLEET_PORT -o UserKnownHostsFile=$T/known_hosts -o IdentitiesOnly=yes"
export ANSIBLE_PIPELINING=True ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_RETRY_FILES_ENABLED=False
export ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_SSH_CONTROL_PATH_DIR=$T/acp
# Ansible's default ssh_args without -C: compressing a .tgz again only burns CPU.
export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s"
mkdir -p "$T/acp" "$T/ansible-tmp"

# ---- measuring -----------------------------------------------------------
# The longest any one measured command may take.
CMD_TIMEOUT=${CMD_TIMEOUT:-600}

# timed KEY CMD...: run CMD once, append its seconds to $T/times.KEY; CMD's
# output goes to $T/log.KEY. Fails the benchmark when CMD fails.
timed() {
	_k=$1; shift
	_t0=$(now)
	"$@" >> "$T/log.$_k" 2>&1
	_rc=$?
	[ $_rc = 0 ] || { tail -20 "$T/log.$_k"; fail "$_k: $* exited $_rc"; }
	_t1=$(now)
	calc "$_t1 - $_t0" >> "$T/times.$_k"; echo >> "$T/times.$_k"
	echo "  $_k: $(tail -1 "$T/times.$_k") s"
}

# repeat KEY PREP CMD...: up to RUNS runs of CMD (PREP before each, not
# timed); one run only when the first took longer than SLOW seconds.
repeat() {
	_k=$1; _prep=$2; shift 2
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		$_prep
		timed "$_k" "$@"
		_r=$((_r + 1))
		[ "$(awk -v t="$(tail -1 "$T/times.$_k")" -v s="$SLOW" 'BEGIN { print (t > s) }')" = 1 ] && break
	done
}
res() { median < "$T/times.$1"; }
runs() { paste -sd' ' "$T/times.$1"; }
cnt() { wc -l < "$T/times.$1"; }

# check_current SUBDIR N TARGET: every host's SUBDIR/current -> releases/TARGET.
check_current() {
	for h in $(hosts "$2"); do
		_l=$(readlink "$M/$h/$1/current" 2>/dev/null) || fail "$h/$1: no current"
		[ "$_l" = "releases/$3" ] || fail "$h/$1: current -> $_l, want releases/$3"
	done
}
# check_tree SUBDIR N ID: the first and last host hold exactly the archive.
check_tree() {
	for h in h11 "h$((10 + $2))"; do
		[ "$(tree_digest "$M/$h/$1/releases/$3")" = "$REF_DIGEST" ] ||
		    echo "  note: $h/$1/releases/$3 differs from tar's tree (modes or names)"
	done
}

# The floor: N local copies, 2 tar processes at a time; also how long the
# page cache then takes to reach the disk (cutover's agent syncs its tree).
floor_run() {
	fresh_fs "$N"
	mkdir -p "$M/floor"
	_t0=$(now)
	seq 1 "$N" | xargs -P2 -I{} sh -c "mkdir $M/floor/{} && tar -C $M/floor/{} -xzf $A" ||
	    fail "floor: tar failed"
	_t1=$(now)
	sync
	_t2=$(now)
	calc "$_t1 - $_t0" >> "$T/times.floor$N"; echo >> "$T/times.floor$N"
	calc "$_t2 - $_t0" >> "$T/times.floorsync$N"; echo >> "$T/times.floorsync$N"
	echo "  floor$N: $(tail -1 "$T/times.floor$N") s (+ sync: $(tail -1 "$T/times.floorsync$N") s)"
}

cut_deploy() {
	$TIME -f %M -a -o "$T/rss.deploy$N" timeout -k 5 "$CMD_TIMEOUT" "$CUTOVER" -f "$T/fleet.ini" deploy "$A" \
	    --release "$1" --batch 5 --hosts "$(cat "$T/csv.$N")"
}
cut_rollback() {
	$TIME -f %M -a -o "$T/rss.rollback$N" timeout -k 5 "$CMD_TIMEOUT" "$CUTOVER" -f "$T/fleet.ini" rollback \
	    --hosts "$(cat "$T/csv.$N")" "$@"
}
cut_status() { timeout -k 5 "$CMD_TIMEOUT" "$CUTOVER" -f "$T/fleet.ini" status --hosts "$(cat "$T/csv.$N")"; }
sh_deploy() { timeout -k 5 "$CMD_TIMEOUT" "$BENCH/fleet-shell.sh" deploy "$T/hosts-sh.$N" "$A" "$1" 5; }
sh_rollback() { timeout -k 5 "$CMD_TIMEOUT" "$BENCH/fleet-shell.sh" rollback "$T/hosts-sh.$N"; }
# Close Ansible's ControlPersist masters (their sshd children go with them).
ans_close() {
	for s in "$T"/acp/*; do
		[ -S "$s" ] && ssh -o ControlPath="$s" -O exit dummy >/dev/null 2>&1
	done
	return 0
}
ans_deploy() {
	(cd "$T" && timeout -k 5 "$CMD_TIMEOUT" ansible-playbook -i "$T/inventory.$N" -f 20 "$BENCH/fleet-ansible/deploy.yml" \
	    -e "archive=$A" -e "release=$1")
	_rc=$?
	ans_close
	return $_rc
}
fresh() { fresh_fs "$N"; }

for N in $SIZES; do
	step "$N hosts: floor"
	for _r in $(seq 1 "$RUNS"); do
		floor_run
		[ "$(awk -v t="$(tail -1 "$T/times.floor$N")" -v s="$SLOW" 'BEGIN { print (t > s) }')" = 1 ] && break
	done

	step "$N hosts: cutover deploy --batch 5"
	repeat "cut$N" fresh cut_deploy r1
	check_current root "$N" r1
	check_tree root "$N" r1
	step "$N hosts: cutover rollback"
	timed "cutsetup$N" cut_deploy r2
	check_current root "$N" r2
	timed "cutrb$N" cut_rollback
	check_current root "$N" r1
	# Convergent rollback: a re-run with nothing left to undo switches nothing.
	for _r in $(seq 1 "$RUNS"); do
		timed "cutrbnoop$N" cut_rollback
		check_current root "$N" r1
		timed "cutst$N" cut_status
	done
	if [ "$RUNS" -gt 1 ]; then
		timed "cutrb$N" cut_rollback --to r2
		check_current root "$N" r2
	fi
	if [ "$RUNS" -gt 2 ]; then
		timed "cutrb$N" cut_rollback --to r1
		check_current root "$N" r1
	fi
	fresh

	step "$N hosts: fleet-shell.sh deploy (batches of 5)"
	repeat "sh$N" fresh sh_deploy r1
	check_current sh "$N" r1
	check_tree sh "$N" r1
	step "$N hosts: fleet-shell.sh rollback"
	timed "shsetup$N" sh_deploy r2
	check_current sh "$N" r2
	want=r1
	for _r in $(seq 1 "$RUNS"); do
		timed "shrb$N" sh_rollback
		check_current sh "$N" $want
		if [ $want = r1 ]; then want=r2; else want=r1; fi
	done
	fresh

	if [ "$ANSIBLE" = 1 ]; then
		step "$N hosts: ansible-playbook (serial 5, -f 20)"
		repeat "ans$N" fresh ans_deploy r1
		check_current ans "$N" r1
		check_tree ans "$N" r1
		fresh
	fi
done

# ---- the report ----------------------------------------------------------
MISSED=""
# target NAME OK(1/0) TEXT
target() {
	if [ "$2" = 1 ]; then echo "  met:    $1 ($3)"; else echo "  MISSED: $1 ($3)"; MISSED="$MISSED; $1"; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }

echo
echo "=== bench-fleet: $SRC"
echo "    $ASIZE bytes, $AFILES files, $AUNPACKED MB unpacked; $(nproc) cores; median of up to $RUNS runs (SLOW=$SLOW s)"
echo "    coordinator: $CUTOVER"
for N in $SIZES; do
	F=$(res "floor$N"); FS=$(res "floorsync$N"); C=$(res "cut$N"); S=$(res "sh$N")
	CR=$(res "cutrb$N"); SR=$(res "shrb$N")
	echo
	echo "--- $N hosts                          seconds   runs        ratios"
	printf '%-36s %7s   (%s)\n' "floor: xargs -P2 tar -xzf" "$F" "$(runs "floor$N")"
	printf '%-36s %7s   (%s)\n' "floor + sync" "$FS" "$(runs "floorsync$N")"
	printf '%-36s %7s   (%s)  %sx floor, %sx floor+sync\n' "cutover deploy --batch 5" "$C" "$(runs "cut$N")" \
	    "$(calc "$C / $F")" "$(calc "$C / $FS")"
	printf '%-36s %7s   (%s)  %sx floor; cutover %sx faster\n' "fleet-shell.sh deploy" "$S" "$(runs "sh$N")" \
	    "$(calc "$S / $F")" "$(calc "$S / $C")"
	if [ "$ANSIBLE" = 1 ]; then
		AN=$(res "ans$N")
		printf '%-36s %7s   (%s)  %sx floor; cutover %sx faster\n' "ansible-playbook serial 5 -f 20" "$AN" \
		    "$(runs "ans$N")" "$(calc "$AN / $F")" "$(calc "$AN / $C")"
	fi
	printf '%-36s %7s   (%s)\n' "cutover rollback (all at once)" "$CR" "$(runs "cutrb$N")"
	printf '%-36s %7s   (%s)  cutover takes %sx its time\n' "fleet-shell.sh rollback (all at once)" "$SR" \
	    "$(runs "shrb$N")" "$(calc "$CR / $SR")"
	printf '%-36s %7s   (%s)\n' "cutover rollback re-run (no-op)" "$(res "cutrbnoop$N")" "$(runs "cutrbnoop$N")"
	printf '%-36s %7s   (%s)\n' "cutover status" "$(res "cutst$N")" "$(runs "cutst$N")"
	printf '%-36s %7s KiB deploy, %s KiB rollback\n' "coordinator peak RSS (max)" \
	    "$(sort -n "$T/rss.deploy$N" | tail -1)" "$(sort -n "$T/rss.rollback$N" | tail -1)"
done
echo
echo "--- targets (issue 4)"
for N in $SIZES; do
	F=$(res "floor$N"); C=$(res "cut$N"); S=$(res "sh$N"); CR=$(res "cutrb$N"); SR=$(res "shrb$N")
	target "deploy <= 1.25x floor at $N" "$(le "$C" "$(calc "1.25 * $F")")" "$(calc "$C / $F")x"
	if [ "$ANSIBLE" = 1 ]; then
		AN=$(res "ans$N")
		target "deploy >= 3x faster than Ansible at $N" "$(le "$(calc "3 * $C")" "$AN")" "$(calc "$AN / $C")x"
	fi
	target "deploy faster than the shell script at $N" "$(le "$C" "$S")" "$C s vs $S s"
	[ "$N" = 20 ] && target "rollback <= half the shell script's at 20" "$(le "$CR" "$(calc "$SR / 2")")" \
	    "$CR s vs $SR s"
	[ "$N" = 100 ] && target "rollback < 1.5 s at 100 (the hosts' journals read)" "$(le "$CR" 1.499)" "$CR s"
	[ "$N" = 100 ] && target "coordinator RSS < 100 MiB at 100" \
	    "$(le "$(sort -n "$T/rss.deploy$N" | tail -1)" 102399)" "$(sort -n "$T/rss.deploy$N" | tail -1) KiB"
done
echo "total wall time: $(( $(date +%s) - T0 )) s"
[ -z "$MISSED" ] || echo "targets missed: ${MISSED#; }"
exit 0
