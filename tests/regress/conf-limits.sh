#!/bin/sh
# Config input past what inih keeps (ini_read.h): a [section] name or a line
# longer than the parser's buffer is an error naming file:line, never a
# silent cut that names another host or app; indented continuation lines
# join a key's value (cutover.ini(5), cutover-agent.ini(5), "Syntax").
. "$top_srcdir/tests/lib.sh"

cd "$T" || fail "cd"
long=web01-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com
cut=$(printf '%s' "host $long" | cut -c1-49 | sed 's/^host //')

step "a [host] name longer than inih keeps is an error naming file:line"
printf '[fleet]\nuser = deploy\n\n[host %s]\naddress = 10.0.0.1\n' "$long" > fleet.ini
expect_exit 2 "$CUTOVER" -f fleet.ini dump-config
echo "$ERR" | grep -q 'fleet.ini:4: section name longer than 49 characters' || fail "message: $ERR"
case $OUT in *"$cut"*) fail "the cut name dialled: $OUT" ;; esac

step "a line longer than inih's buffer is an error, not two lines"
pad=$(printf '%0200d' 0)
printf '[fleet]\nuser = deploy\n[host a]\naddress = 10.0.0.1 ;%s[host evil]\n' "$pad" > fleet.ini
expect_exit 2 "$CUTOVER" -f fleet.ini dump-config
echo "$ERR" | grep -q 'fleet.ini:4: line longer than 198 bytes (.*continue a long value on indented lines)' || fail "message: $ERR"

step "a line of 198 bytes is fine"
v=$(printf '%0177d' 0)
printf '[fleet]\nuser = deploy\n[host a]\nagent_command = echo %s\n' "$v" > fleet.ini
[ "$(sed -n 4p fleet.ini | wc -c)" = 199 ] || fail "test line length"
expect_exit 0 "$CUTOVER" -f fleet.ini dump-config

step "continuation lines join a value (hosts over several lines)"
cat > fleet.ini <<'EOF2'
[fleet]
user = deploy
[group web]
hosts = web01 web02
	web03
	; a comment between
	web04
[host web01]
address = 10.0.0.1
EOF2
expect_exit 0 "$CUTOVER" -f fleet.ini dump-config --group web
[ "$(echo "$OUT" | grep -c '^\[host ')" = 4 ] || fail "4 hosts: $OUT"
echo "$OUT" | grep -q '^\[host web04\]' || fail "web04: $OUT"

step "a continuation cannot smuggle a section: an indented [host] is part of the value"
printf '[fleet]\nuser = deploy\n[host a]\naddress = 10.0.0.1\n  [host b]\n' > fleet.ini
expect_exit 2 "$CUTOVER" -f fleet.ini dump-config
echo "$ERR" | grep -q 'fleet.ini:5: address' || fail "message: $ERR"

step "more than 4096 batches: 5000 hosts, --batch 1, the hosts listed over continuation lines"
{
	printf '[fleet]\nuser = deploy\napp = web\n[group all]\nhosts ='
	i=1
	while [ $i -le 5000 ]; do
		[ $((i % 10)) = 1 ] && printf '\n '
		printf ' h%d' $i
		i=$((i + 1))
	done
	printf '\n'
} > fleet.ini
make_release src web-1.tar.gz
expect_exit 0 "$CUTOVER" -f fleet.ini deploy --dry-run --batch 1 web-1.tar.gz
echo "$OUT" | grep -q 'to 5000 hosts in 5000 batches of 1' || fail "plan: $(echo "$OUT" | tail -3)"
echo "$OUT" | grep -qx 'batch 4097: h4097' || fail "batch 4097"
echo "$OUT" | grep -qx 'batch 5000: h5000' || fail "batch 5000"

step "agent.ini: a long [app] name is an error naming file:line"
printf '[app %s]\nroot = %s/r\n' "$long" "$T" > agent.ini
expect_exit 2 "$CUTOVER_AGENT" --config agent.ini status "$long"
echo "$ERR" | grep -q 'agent.ini:1: section name longer than 49 characters' || fail "message: $ERR"

step "agent.ini: shared over continuation lines"
printf '[app web]\nroot = %s/r\nshared = log\n  tmp\nkeep = 3\n' "$T" > agent.ini
expect_exit 0 "$CUTOVER_AGENT" --config agent.ini deploy web web-1.tar.gz
[ -L r/releases/web-1/log ] && [ -L r/releases/web-1/tmp ] || fail "log and tmp not shared: $(ls -l r/releases/web-1)"
pass
