#!/bin/bash
# docs/GUIDE.md, walked literally: the commands are cut out of the GUIDE's
# own code blocks and run, so a GUIDE change that breaks a step breaks this
# test. Four servers web01..web04 (sshd on 127.0.0.51..54, port 22, web04 on
# 2222 as in the GUIDE's fleet file) and a bastion, each with its own /etc,
# /home, /srv, /tmp and /var/log, all inside private mount and network
# namespaces, so nothing here touches the machine's users, files or ports:
#  - the binaries at their packaged paths /usr/sbin/cutover-agent and
#    /usr/bin/cutover: the installed .deb's (GUIDE_WALK_INSTALLED=1, as
#    packaging/ci-deb.sh runs it after dpkg -i), otherwise the freshly built
#    ones laid over those paths (an overlay mount, inside the namespace only);
#  - section 2 as root on each server: useradd, usermod -p '*', ~deploy/.ssh
#    0700 and authorized_keys 0600 (sshd runs with StrictModes and UsePAM no,
#    so both matter), the app root, agent.ini from the example, the sudoers
#    env_keep for a hook that needs CUTOVER_* (when sudo is installed), and
#    the local try as the deploy user;
#  - section 3's key and the exact authorized_keys line; section 4's
#    ssh-keyscan and fingerprints; section 5's fleet file, dry run and status;
#  - section 6's CI job as a bash script on a fresh runner (no ~/.ssh); the
#    one edit: --bake 30 becomes --bake 1 (four batches would wait 2 minutes);
#  - a failing deploy (reversed, exit 1), cutover status, cutover rollback,
#    history, the incident block's one-server rollback as deploy, and a
#    locked account refused by sshd, as the GUIDE says.
# The forced command decides what runs; the fleet file still gets
# agent_command set to the same command, cut out of the GUIDE's line.
if [ -z "${GUIDE_WALK_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, useradd)"; exit 77; }
	unshare -m -n --propagation private true 2>/dev/null ||
	    { echo "SKIP: cannot make mount and network namespaces"; exit 77; }
	GUIDE_WALK_NS=1 exec unshare -m -n --propagation private bash "$0" "$@"
fi
. "$top_srcdir/tests/lib.sh"

GUIDE=$top_srcdir/docs/GUIDE.md
INSTALLED=${GUIDE_WALK_INSTALLED:-0}
for c in sshd ssh-keygen ssh-keyscan useradd usermod runuser nsenter ip python3; do
	command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null 2>&1 ||
	    skip "no $c"
done
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
mkdir -p /run/sshd 2>/dev/null || skip "cannot create /run/sshd"
ip link set lo up || fail "ip link set lo up"
chmod 0755 "$T"

# guide_block SECTION LANG N: the Nth fenced block opened with ```LANG in
# the GUIDE section whose heading starts with "## SECTION" (LANG "" is a
# bare ```). Fails when there is none.
guide_block() {
	awk -v sec="## $1" -v lang="$2" -v want="$3" '
		/^## / { insec = index($0, sec) == 1 }
		/^```/ {
			if (!infence) { infence = 1; if (insec && substr($0, 4) == lang && ++n == want) pr = 1 }
			else { infence = 0; pr = 0 }
			next
		}
		pr { print }' "$GUIDE" > "$T/block"
	[ -s "$T/block" ] || fail "GUIDE: no \`\`\`$2 block $3 in section \"$1\""
	cat "$T/block"
}

step "the binaries at their packaged paths"
if [ "$INSTALLED" = 1 ]; then
	[ -x /usr/sbin/cutover-agent ] && [ -x /usr/bin/cutover ] ||
	    fail "GUIDE_WALK_INSTALLED=1 but no /usr/sbin/cutover-agent or /usr/bin/cutover"
	[ -f /etc/cutover/agent.ini.example ] || fail "no /etc/cutover/agent.ini.example from the package"
	# Section 1's package paths exist where make deb put them.
	guide_block "1." sh 1 > "$T/s1"; guide_block "1." sh 2 >> "$T/s1"
	for p in $(sed -n 's|^apt-get install \./\([^ ]*\).*|\1|p' "$T/s1"); do
		[ -f "$top_builddir/$p" ] || fail "GUIDE section 1 installs ./$p: not in $top_builddir"
	done
	[ -n "$(sed -n 's|^apt-get install \./||p' "$T/s1")" ] || fail "no apt-get install ./... in section 1"
else
	[ -x "$CUTOVER" ] || skip "no coordinator built at $CUTOVER"
	mkdir -p "$T/fs/sbin" "$T/fs/bin"
	cp "$CUTOVER_AGENT" "$T/fs/sbin/cutover-agent" && cp "$CUTOVER" "$T/fs/bin/cutover" || fail "copy binaries"
	# Read-only overlays: our file on top, the real directory below; nothing
	# is mounted inside $T, so removing $T never reaches the real /usr.
	mount -t overlay overlay -o "lowerdir=$T/fs/sbin:/usr/sbin" /usr/sbin || skip "no overlay mount"
	mount -t overlay overlay -o "lowerdir=$T/fs/bin:/usr/bin" /usr/bin || fail "overlay /usr/bin"
	echo "the built binaries, laid over /usr/sbin and /usr/bin in this namespace"
fi
# The bastion's own /etc: the fleet file, /etc/hosts naming the servers.
mkdir -p "$T/fs" && cp -a /etc "$T/fs/etc-bastion" || fail "copy /etc"
mount --bind "$T/fs/etc-bastion" /etc || fail "bind /etc"
if [ "$INSTALLED" != 1 ]; then
	# What the package installs in /etc (packaging/debian/*.install).
	mkdir -p /etc/cutover
	cp "$top_srcdir/conf/agent.ini.example" "$top_srcdir/conf/fleet.ini.example" /etc/cutover/
fi
printf '127.0.0.51 web01\n127.0.0.52 web02\n127.0.0.53 web03\n127.0.0.54 web04\n' >> /etc/hosts
/usr/sbin/cutover-agent --help >/dev/null || fail "/usr/sbin/cutover-agent --help"
/usr/bin/cutover --help >/dev/null || fail "/usr/bin/cutover --help"

# Releases: two good ones, and one whose health check fails.
mkrel() { mkdir -p "$T/src/$1"; echo "$1" > "$T/src/$1/index.html"; [ -z "${2:-}" ] || touch "$T/src/$1/broken"
	tar -C "$T/src/$1" -czf "$T/$1.tar.gz" . && chmod 0644 "$T/$1.tar.gz"; }
mkrel web-1.4.2; mkrel web-1a2b3c4; mkrel web-1.4.4 broken

# The GUIDE's fleet file: which servers, on which ports.
guide_block "5." ini 1 > "$T/fleet.guide"
HOSTS=$(sed -n 's/^hosts *= *//p' "$T/fleet.guide")
[ -n "$HOSTS" ] || fail "GUIDE fleet file has no hosts"
port_of() { awk -v h="[host $1]" '$0 == h { f = 1; next } /^\[/ { f = 0 } f && $1 == "port" { print $3 }' \
    "$T/fleet.guide" | grep . || echo 22; }

# on HOST SCRIPT: run SCRIPT with sh -e as root on that server.
on() { _h=$1; shift; nsenter -t "$(cat "$T/$_h.holder")" -m -- sh -ec "cd /; $1"; }

step "servers: each in its own mount namespace with sshd"
for h in $HOSTS; do
	d=$T/hosts/$h
	mkdir -p "$d/home" "$d/srv" "$d/tmp" "$d/log" "$d/lsbin"
	cp -a /etc "$d/etc" || fail "copy /etc for $h"
	chmod 1777 "$d/tmp"
	unshare -m --propagation private sh -c '
		# /tmp last: it covers $T. The mark goes through /var/log.
		for m in etc:/etc home:/home srv:/srv log:/var/log lsbin:/usr/local/sbin tmp:/tmp; do
			mount --bind "$1/${m%%:*}" "${m#*:}" || exit 1
		done
		: > /var/log/ready; exec sleep 3600' sh "$d" &
	echo $! > "$T/$h.holder"
	at_exit "kill $(cat "$T/$h.holder") 2>/dev/null"
	i=0; while [ ! -e "$d/log/ready" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "$h: namespace not ready"; sleep 0.05; done
	addr=$(getent hosts "$h" | cut -d' ' -f1)
	[ -n "$addr" ] || fail "$h does not resolve"
	on "$h" "rm -f /etc/ssh/ssh_host_*; ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
cat > /etc/ssh/sshd_config_walk <<EOF
ListenAddress $addr:$(port_of "$h")
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /var/log/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
MaxStartups 200
EOF
/usr/sbin/sshd -f /etc/ssh/sshd_config_walk -E /var/log/sshd.log" || fail "$h: sshd: $(cat "$d/log/sshd.log")"
	i=0; while [ ! -s "$d/log/sshd.pid" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "$h: sshd wrote no PID"; sleep 0.05; done
	at_exit "kill $(cat "$d/log/sshd.pid") 2>/dev/null"
	python3 - "$addr" "$(port_of "$h")" <<'PY' || fail "$h: sshd does not accept"
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
done

step "section 2 on each server: deploy user, ~deploy/.ssh, app root, agent.ini"
guide_block "2." sh 1 > "$T/s2-user"
grep -q '^useradd ' "$T/s2-user" || fail "section 2 creates no user"
HOOK="" hook_sed=""
if command -v sudo >/dev/null 2>&1; then
	HOOK=$(grep -o '`before_activate = sudo [^`]*`' "$GUIDE" | tr -d '`' | head -n 1)
	[ -n "$HOOK" ] || fail "GUIDE: no before_activate = sudo ... hook"
	hook_sed="-e '0,/^before_activate =\$/s|^before_activate =\$|$HOOK|'"
	guide_block "2." sh 2 > "$T/s2-sudo"
	guide_block "2." sh 3 > "$T/s2-envkeep"
	grep -q 'env_keep' "$T/s2-envkeep" || fail "section 2 block 3 is not the env_keep one: $(cat "$T/s2-envkeep")"
else
	echo "sudo not installed: the sudo hook (env_keep) is not walked"
fi
for h in $HOSTS; do
	on "$h" "$(cat "$T/s2-user")" || fail "$h: section 2 block 1 failed"
	# "then edit": the health check, one attempt, and the sudo hook.
	on "$h" "sed -i -e '0,/^health =\$/s||health = test ! -e broken|' \
	    -e 's/^health_retries = .*/health_retries = 1/' -e 's/^health_interval = .*/health_interval = 0/' \
	    $hook_sed /etc/cutover/agent.ini"
	if [ -n "$HOOK" ]; then
		on "$h" "$(cat "$T/s2-sudo")" || fail "$h: section 2 sudoers (systemctl) failed"
		on "$h" "$(cat "$T/s2-envkeep")" || fail "$h: section 2 sudoers (env_keep) failed"
		on "$h" "visudo -c -q" || fail "$h: sudoers do not parse"
		on "$h" "printf '%s\n' '#!/bin/sh' 'echo \"\$(id -un) \$CUTOVER_APP \$CUTOVER_ROOT \$CUTOVER_RELEASE\" >> /srv/web-migrate.log' \
		    > /usr/local/sbin/web-migrate && chmod 0755 /usr/local/sbin/web-migrate"
	fi
	d=$T/hosts/$h
	modes=$(on "$h" "stat -c '%a %U' ~deploy/.ssh ~deploy/.ssh/authorized_keys" | tr '\n' ' ')
	[ "$modes" = "700 deploy 600 deploy " ] || fail "$h: ~deploy/.ssh, authorized_keys: $modes"
	grep -q '^deploy:\*:' "$d/etc/shadow" || fail "$h: deploy's password field: $(grep '^deploy:' "$d/etc/shadow")"
done

step "section 2: try the agent locally as the deploy user"
guide_block "2." sh 4 > "$T/s2-try"
grep -q 'cutover-agent deploy web /tmp/web-1.4.2.tar.gz' "$T/s2-try" || fail "local try: $(cat "$T/s2-try")"
for h in $HOSTS; do
	cp "$T/web-1.4.2.tar.gz" "$T/hosts/$h/tmp/"
	on "$h" "$(cat "$T/s2-try")" > "$T/try.out" 2>&1 || { cat "$T/try.out"; fail "$h: local try failed"; }
	[ "$(readlink "$T/hosts/$h/srv/web/current")" = releases/web-1.4.2 ] || fail "$h: not on web-1.4.2"
	[ "$(on "$h" "stat -c %U /srv/web/releases/web-1.4.2")" = deploy ] || fail "$h: release not deploy's"
	if [ -n "$HOOK" ]; then
		grep -qx 'root web /srv/web web-1.4.2' "$T/hosts/$h/srv/web-migrate.log" ||
		    fail "$h: the sudo hook did not see CUTOVER_*: $(cat "$T/hosts/$h/srv/web-migrate.log" 2>&1; cat "$T/try.out")"
	fi
done

step "section 3: the bastion's key and the exact authorized_keys line"
export HOME="$T/bastion"
mkdir -p "$HOME/work"
guide_block "3." sh 1 > "$T/s3-key"
bash -e "$T/s3-key" >/dev/null || fail "section 3 key block failed"
[ "$(stat -c %a "$HOME/.ssh")" = 700 ] || fail "~/.ssh is not 0700"
guide_block "3." "" 1 > "$T/s3-line"
[ "$(wc -l < "$T/s3-line")" = 1 ] || fail "authorized_keys block is not one line: $(cat "$T/s3-line")"
opts=$(sed 's/ ssh-ed25519 AAAA.*//' "$T/s3-line")
case $opts in restrict,*command=\"*\") ;; *) fail "unexpected options: $opts" ;; esac
FORCED=$(printf '%s\n' "$opts" | sed 's/.*command="\([^"]*\)".*/\1/')
echo "forced command: $FORCED"
for h in $HOSTS; do
	printf '%s %s\n' "$opts" "$(cat "$HOME/.ssh/cutover_deploy.pub")" >> "$T/hosts/$h/home/deploy/.ssh/authorized_keys"
done

step "section 4: known_hosts by ssh-keyscan, fingerprints match the servers' own"
guide_block "4." sh 1 > "$T/s4"
bash -e "$T/s4" > "$T/s4.out" 2> "$T/s4.err" || fail "section 4 failed: $(cat "$T/s4.err")"
for h in $HOSTS; do
	fp=$(ssh-keygen -lf "$T/hosts/$h/etc/ssh/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
	grep -q "$fp" "$T/s4.out" || fail "$h's fingerprint $fp not in: $(cat "$T/s4.out")"
done
grep -q '^\[web04\]:2222 ' "$HOME/.ssh/known_hosts" || fail "web04 not stored as [web04]:2222"

step "section 5: the fleet file, dry run and status"
# agent_command: the GUIDE's forced command (sshd runs that one anyway).
sed "s|^\[fleet\]\$|[fleet]\nagent_command = $FORCED|" "$T/fleet.guide" > /etc/cutover/fleet.ini
grep -q "^agent_command = $FORCED\$" /etc/cutover/fleet.ini || fail "agent_command not set"
cp "$T/web-1.4.2.tar.gz" "$HOME/work/"
guide_block "5." sh 1 > "$T/s5"
(cd "$HOME/work" && bash -e "$T/s5") > "$T/s5.out" 2>&1 || { cat "$T/s5.out"; fail "section 5 commands failed"; }
for h in $HOSTS; do grep -q "^$h .*web-1.4.2" "$T/s5.out" || fail "status: $h not on web-1.4.2: $(cat "$T/s5.out")"; done

step "section 6: the CI job as a script on a fresh runner"
guide_block "6." yaml 1 > "$T/s6.yml"
# The script: items, continuation lines folded in, as YAML reads them.
awk '/^  script:/ { s = 1; next } s && /^  [a-z]/ { s = 0 }
	s && /^    - / { if (cmd != "") print cmd; cmd = substr($0, 7); next }
	s && /^      +[^ ]/ { sub(/^ +/, ""); cmd = cmd " " $0 }
	END { if (cmd != "") print cmd }' "$T/s6.yml" > "$T/s6.cmds"
grep -q '^install -d -m 0700 ~/.ssh$' "$T/s6.cmds" || fail "CI script does not make ~/.ssh: $(cat "$T/s6.cmds")"
grep -q -- '--bake 30' "$T/s6.cmds" || fail "CI script: no --bake 30 to shorten: $(cat "$T/s6.cmds")"
{ echo 'set -eo pipefail'; sed 's/--bake 30/--bake 1/' "$T/s6.cmds"; } > "$T/ci-job.sh"
job=$T/job; mkdir -p "$job/deploy" "$job/build"
cp "$HOME/.ssh/known_hosts" "$job/deploy/known_hosts"
cp /etc/cutover/fleet.ini "$job/deploy/fleet.ini"
cp "$T/web-1a2b3c4.tar.gz" "$job/build/"
install -m 0600 "$HOME/.ssh/cutover_deploy" "$T/ci-secret-key"
mkdir -p "$T/runner"
(cd "$job" && env HOME="$T/runner" CUTOVER_DEPLOY_KEY="$T/ci-secret-key" CI_COMMIT_SHORT_SHA=1a2b3c4 \
    bash "$T/ci-job.sh") > "$T/ci.out" 2>&1 || { cat "$T/ci.out"; fail "the CI job failed"; }
[ -s "$job/cutover-events.jsonl" ] || fail "no cutover-events.jsonl"
python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$job/cutover-events.jsonl" ||
    fail "cutover-events.jsonl is not JSON lines"
for h in $HOSTS; do
	[ "$(readlink "$T/hosts/$h/srv/web/current")" = releases/web-1a2b3c4 ] || fail "$h not on web-1a2b3c4"
done

step "a failing deploy is reversed: exit 1, every server still on web-1a2b3c4"
cp "$T/web-1.4.4.tar.gz" "$HOME/work/"
cd "$HOME/work" || fail "cd"
expect_exit 1 cutover deploy web-1.4.4.tar.gz
for h in $HOSTS; do
	[ "$(readlink "$T/hosts/$h/srv/web/current")" = releases/web-1a2b3c4 ] || fail "$h left on $(readlink "$T/hosts/$h/srv/web/current")"
done

step "the incident block's one-server rollback, as the deploy user"
guide_block "In an incident" sh 1 > "$T/incident"
grep -q '^cutover status ' "$T/incident" && grep -q '^cutover rollback ' "$T/incident" || fail "incident block: $(cat "$T/incident")"
one=$(grep 'cutover-agent rollback web' "$T/incident" | sed 's/ *#.*//')
[ -n "$one" ] || fail "no cutover-agent rollback line in the incident block"
first=${HOSTS%% *}
on "$first" "$one" > "$T/one.out" 2>&1 || { cat "$T/one.out"; fail "$one failed on $first"; }
[ "$(readlink "$T/hosts/$first/srv/web/current")" = releases/web-1.4.2 ] || fail "$first not back on web-1.4.2"
on "$first" "find /srv/web -user root" > "$T/rootfiles"
[ ! -s "$T/rootfiles" ] || fail "files owned by root in the app root: $(cat "$T/rootfiles")"

step "cutover status (drift), cutover rollback --hosts (the runbook), cutover history"
expect_exit 0 cutover status
printf '%s\n' "$OUT" | grep -q "^$first .*web-1.4.2" || fail "status: $OUT"
for h in ${HOSTS#* }; do printf '%s\n' "$OUT" | grep -q "^$h .*web-1a2b3c4" || fail "status: $OUT"; done
# The runbook's "only some hosts look wrong" row: the others, by name.
grep -q '`cutover rollback --hosts a,b`' "$GUIDE" || fail "the runbook has no cutover rollback --hosts a,b"
expect_exit 0 cutover rollback --hosts "$(echo ${HOSTS#* } | tr ' ' ,)"
for h in $HOSTS; do
	[ "$(readlink "$T/hosts/$h/srv/web/current")" = releases/web-1.4.2 ] || fail "rollback: $h on $(readlink "$T/hosts/$h/srv/web/current")"
done
expect_exit 0 cutover history
printf '%s\n' "$OUT" | grep -q 'web-1.4.4' || fail "history does not show the failed web-1.4.4: $OUT"

step "a locked account is refused by sshd without PAM, as the GUIDE says"
on "$first" "usermod -L deploy"
set +e; cutover status --hosts "$first" > "$T/locked.out" 2>&1; rc=$?; set +e
[ $rc -ne 0 ] || fail "status of a locked account's host exited 0: $(cat "$T/locked.out")"
grep -q 'not allowed because account is locked' "$T/hosts/$first/log/sshd.log" ||
    fail "sshd log: $(tail -n 5 "$T/hosts/$first/log/sshd.log")"
tr '\n' ' ' < "$GUIDE" | grep -qF 'User deploy not allowed because account is locked' || fail "the GUIDE no longer quotes sshd's message"
on "$first" "usermod -p '*' deploy"
expect_exit 0 cutover status --hosts "$first"
pass
