#!/bin/bash
# Shared-path linking cannot be redirected (issue 11): the app's user owns
# ROOT/shared and may swap a directory in it for a symlink while a deploy
# runs. The test build stops the agent (SIGSTOP, CUTOVER_FAULT_STOP) after
# it has made sure of a shared path's parent directories; the test swaps the
# parent for a symlink to a directory outside ROOT and lets it go on.
# Nothing may be moved or created outside ROOT.
. "$top_srcdir/tests/lib.sh"

agent --help >/dev/null
strings "$CUTOVER_AGENT" | grep -q CUTOVER_FAULT_STOP ||
	skip "agent built without --enable-fault-injection"

mkdir -p "$T/v1/config"
echo "db: v1" > "$T/v1/config/database.yml"
make_release "$T/v1" "$T/web-1.tgz" v1

# race NAME SHARED PARENT: deploy with shared = SHARED, stopped once PARENT
# (below shared/) is checked; PARENT is then swapped for a symlink to $T/out-NAME.
race() {
	R=$T/root-$1 O=$T/out-$1
	mkdir -p "$O"
	printf '[app web]\nroot = %s\nshared = %s\n' "$R" "$2" > "$T/$1.ini"
	CUTOVER_FAULT_STOP=install.shared_parents "$CUTOVER_AGENT" --config "$T/$1.ini" \
	    deploy web "$T/web-1.tgz" >"$T/$1.out" 2>&1 &
	pid=$!
	at_exit "kill -9 $pid"
	i=0
	until [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = T ]; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "$1: the agent never stopped: $(cat "$T/$1.out")"
		sleep 0.05
	done
	[ -d "$R/shared/$3" ] || fail "$1: shared/$3 not made before the stop"
	mv "$R/shared/$3" "$R/shared/$3.real"
	ln -s "$O" "$R/shared/$3"
	kill -CONT "$pid"
	wait "$pid"
	RC=$?
	echo "$1: deploy exit $RC: $(cat "$T/$1.out")"
	[ -z "$(ls -A "$O")" ] || fail "$1: written outside ROOT: $(ls -la "$O")"
}

step "the first release's copy seeding shared/: the move stays below ROOT"
race seed config/database.yml config
[ "$RC" = 0 ] || fail "exit $RC"
[ "$(cat "$R/shared/config.real/database.yml")" = "db: v1" ] || fail "the copy went missing"

step "a shared directory made on first use: the mkdir stays below ROOT"
race mkdir data/cache data
[ -d "$R/shared/data.real/cache" ] || fail "shared/data.real/cache not made"

step "a parent that is already a symlink is refused (exit 3), nothing outside"
R=$T/root-pre; mkdir -p "$R/shared" "$T/out-pre"
ln -s "$T/out-pre" "$R/shared/config"
printf '[app web]\nroot = %s\nshared = config/database.yml\n' "$R" > "$T/pre.ini"
expect_exit 3 agent --config "$T/pre.ini" deploy web "$T/web-1.tgz"
case $ERR in *'shared path "config/database.yml": parent is not a directory'*) ;; *) fail "$ERR" ;; esac
[ -z "$(ls -A "$T/out-pre")" ] || fail "written outside ROOT"
pass
