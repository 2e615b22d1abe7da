#!/bin/bash
# The reference "parallel ssh + tar + mv -T" rollout that bench-fleet.sh
# measures cutover against: what a careful team writes by hand.
#
#	fleet-shell.sh deploy   HOSTS ARCHIVE ID [BATCH]
#	fleet-shell.sh rollback HOSTS
#	fleet-shell.sh status   HOSTS
#
# HOSTS: a file of "ADDRESS ROOT" lines. deploy streams ARCHIVE over ssh
# into ROOT/releases/.ID.tmp on every host at once, renames it to
# ROOT/releases/ID, then switches ROOT/current in batches of BATCH
# (default 5) with ln -s + mv -T (an atomic rename), remembering the old
# target in ROOT/.previous. rollback points every host back at .previous
# at once; status prints "ADDRESS RELEASE" for every host, asked at once.
# Any failed host makes the command exit 1 (no reversal: that is what the
# hand-written script typically lacks).
#
# Environment: SSH_OPTS (options for ssh, e.g. -i KEY -p PORT
# -o UserKnownHostsFile=FILE), SSH_USER (default: the current user),
# SSH_TIMEOUT (seconds per ssh command, default 300).
set -u

SSH_USER=${SSH_USER:-$(id -un)}
SSH_TIMEOUT=${SSH_TIMEOUT:-300}
# shellcheck disable=SC2206 # word splitting of the option string is wanted
SSH_ARGS=(${SSH_OPTS:-} -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10)

die() { echo "fleet-shell: $*" >&2; exit 2; }

# on ADDRESS CMD [< input]: one remote command, bounded in time.
on() {
	_a=$1; shift
	timeout "$SSH_TIMEOUT" ssh "${SSH_ARGS[@]}" "$SSH_USER@$_a" "$@"
}

# bg_on INPUT ADDRESS CMD: `on` in the background, its failure noted in
# $FAILS: `wait PID` for hundreds of children can lose track of one
# ("not a child of this shell") when PIDs are reused on a busy machine.
FAILS=$(mktemp "${TMPDIR:-/tmp}/fleet-shell.XXXXXX") || exit 2
trap 'rm -f "$FAILS"' EXIT
bg_on() {
	_in=$1; shift
	{ on "$@" < "$_in" || echo "$1" >> "$FAILS"; } &
}

# wait_all: wait for every job started; 1 when any failed.
wait_all() {
	wait
	[ ! -s "$FAILS" ] || { : > "$FAILS"; return 1; }
}

# Quote one word for the remote shell.
q() { printf '%q' "$1"; }

[ $# -ge 2 ] || die "usage: fleet-shell.sh deploy HOSTS ARCHIVE ID [BATCH] | rollback HOSTS | status HOSTS"
CMD=$1; HOSTS=$2
[ -r "$HOSTS" ] || die "cannot read $HOSTS"
mapfile -t LINES < <(grep -v '^[[:space:]]*\(#\|$\)' "$HOSTS")
[ ${#LINES[@]} -gt 0 ] || die "no hosts in $HOSTS"
rc=0

case $CMD in
deploy)
	[ $# -ge 4 ] || die "usage: fleet-shell.sh deploy HOSTS ARCHIVE ID [BATCH]"
	ARCHIVE=$3; ID=$4; BATCH=${5:-5}
	[ -r "$ARCHIVE" ] || die "cannot read $ARCHIVE"
	[[ $ID =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$ ]] || die "bad release ID $ID"
	# Upload + unpack everywhere at once.
	for l in "${LINES[@]}"; do
		read -r addr root <<< "$l"
		r=$(q "$root")
		bg_on "$ARCHIVE" "$addr" "set -e; mkdir -p $r/releases; rm -rf $r/releases/.$ID.tmp;
		    mkdir $r/releases/.$ID.tmp; tar -xzf - -C $r/releases/.$ID.tmp;
		    rm -rf $r/releases/$ID; mv -T $r/releases/.$ID.tmp $r/releases/$ID"
	done
	wait_all || { echo "fleet-shell: upload failed on some hosts; nothing switched" >&2; exit 1; }
	# Switch in batches.
	i=0
	for l in "${LINES[@]}"; do
		read -r addr root <<< "$l"
		r=$(q "$root")
		bg_on /dev/null "$addr" "set -e; cd $r; p=\$(readlink current || true);
		    ln -sfn releases/$ID .current.new; mv -T .current.new current;
		    if [ -n \"\$p\" ] && [ \"\$p\" != releases/$ID ]; then echo \"\$p\" > .previous; fi"
		i=$((i + 1))
		if [ $((i % BATCH)) = 0 ]; then wait_all || { rc=1; break; }; fi
	done
	wait_all || rc=1
	;;
rollback)
	for l in "${LINES[@]}"; do
		read -r addr root <<< "$l"
		r=$(q "$root")
		bg_on /dev/null "$addr" "set -e; cd $r; p=\$(cat .previous); c=\$(readlink current);
		    ln -sfn \"\$p\" .current.new; mv -T .current.new current; echo \"\$c\" > .previous"
	done
	wait_all || rc=1
	;;
status)
	for l in "${LINES[@]}"; do
		read -r addr root <<< "$l"
		r=$(q "$root")
		bg_on /dev/null "$addr" "echo $(q "$addr") \$(readlink $r/current)"
	done
	wait_all || rc=1
	;;
*)
	die "unknown command $CMD"
	;;
esac
[ $rc = 0 ] || echo "fleet-shell: $CMD failed on some hosts" >&2
exit $rc
