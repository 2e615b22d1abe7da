#!/bin/sh
# A fleet larger than the soft limit of open files: every host keeps its ssh
# connection while the command runs, so cutover raises RLIMIT_NOFILE's soft
# limit to the hard one (coordinator/main.c). 60 hosts (one sshd, 60 names)
# under `ulimit -Sn 40` all answer.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 41))
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 1
fleet_header > "$T/many.ini"
i=1
while [ $i -le 60 ]; do
	printf '\n[host m%d]\naddress = 127.0.0.11\nagent_command = true\n' $i >> "$T/many.ini"
	i=$((i + 1))
done

step "60 hosts under a soft limit of 40 open files"
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -gt 200 ] || skip "hard limit of open files too low"
expect_exit 0 sh -c 'ulimit -Sn 40 && exec "$0" -f "$1" debug-exec "sleep 1; echo ok"' "$CUTOVER" "$T/many.ini"
[ "$(echo "$OUT" | grep -c ': ok$')" = 60 ] || fail "not every host answered: $(echo "$OUT" | grep -vc ': ok$') did not; $ERR"
pass
