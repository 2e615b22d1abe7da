#!/bin/bash
# A torn journal record never changes meaning later (issue 11). The test
# build writes only the first KEEP bytes of the Nth record of an operation
# (CUTOVER_FAULT=journal.torn@N, CUTOVER_FAULT_KEEP) and is killed; every
# record type of deploy (install, activate, prune), rollback, pin and unpin
# is cut at many places. What status and the next rollback then say must be
# exactly what they say when the process was killed before writing that
# record at all (CUTOVER_FAULT=journal.append@N): the torn tail is cut off,
# never completed into a record.
. "$top_srcdir/tests/lib.sh"

agent --help >/dev/null
strings "$CUTOVER_AGENT" | grep -q CUTOVER_FAULT_KEEP ||
	skip "agent built without --enable-fault-injection"

for i in 1 2 3; do make_release "$T/v$i" "$T/web-$i.tgz" "v$i"; done

# setup DIR: an app with web-1 and web-2 deployed (web-2 current).
setup() {
	rm -rf "$1"; mkdir -p "$1"
	printf '[app web]\nroot = %s\nkeep = 1\n' "$1/root" > "$1.ini"
	agent --config "$1.ini" deploy web "$T/web-1.tgz" >/dev/null 2>&1 &&
	    agent --config "$1.ini" deploy web "$T/web-2.tgz" >/dev/null 2>&1 || fail "setup"
}
# facts INI: what status says, then where a rollback goes and what status says then.
facts() {
	for s in 1 2; do
		agent --config "$1" --json status web 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%s" % (k, d.get(k)) for k in
    ("current", "previous", "releases", "bad", "pinned", "pending")))'
		[ $s = 2 ] || { agent --config "$1" rollback web >/dev/null 2>&1; echo "rollback exit $?"; }
	done
}
# killed INI FAULT KEEP OP...: run OP under the fault; it must be killed.
killed() {
	_ini=$1 _f=$2 _k=$3; shift 3
	CUTOVER_FAULT=$_f CUTOVER_FAULT_KEEP=$_k "$CUTOVER_AGENT" --config "$_ini" "$@" >"$T/.out" 2>&1
	[ $? = 137 ] || fail "$_f $*: not killed: $(cat "$T/.out")"
}

# Each operation and how many records it appends after setup.
ops=("deploy web $T/web-3.tgz:6" "rollback web:2" "pin web web-1:1" "unpin web web-1:1")
checked=0
for o in "${ops[@]}"; do
	op=${o%:*} n=${o##*:}
	for ((rec = 1; rec <= n; rec++)); do
		step "$op, record $rec: torn anywhere = never written"
		D=$T/base; setup "$D"
		[[ $op == unpin* ]] && agent --config "$D.ini" pin web web-1 >/dev/null
		# shellcheck disable=SC2086
		killed "$D.ini" "journal.append@$rec" 0 $op
		want=$(facts "$D.ini")
		for keep in 1 45 70 90 110 135 170 250 100000; do
			D=$T/torn; setup "$D"
			[[ $op == unpin* ]] && agent --config "$D.ini" pin web web-1 >/dev/null
			# shellcheck disable=SC2086
			killed "$D.ini" "journal.torn@$rec" "$keep" $op
			tail -c 1 "$D/root/.cutover/journal" | od -c | grep -q '\\n' &&
			    fail "keep $keep: the journal ends in a newline: nothing was torn"
			got=$(facts "$D.ini")
			[ "$got" = "$want" ] || fail "torn after $keep bytes:
$(tail -n 3 "$D/root/.cutover/journal")
got:  $got
want: $want"
			checked=$((checked + 1))
		done
	done
done
echo "$checked torn records checked"
pass
