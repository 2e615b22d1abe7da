#!/bin/sh
# The fleet file: defaults, [group]/[host] overrides, host selection, ~
# expansion, and errors that name file, line and key (exit 2).
. "$top_srcdir/tests/lib.sh"

cd "$T" || fail "cd"
cat > fleet.ini <<'EOF2'
; a comment
[fleet]
user = deploy
identity = ~/keys/id
batch = 5
agent_command = cutover-agent serve

[group web]
hosts = web01 web02, web03
port = 2200
batch = 50%

[group db]
hosts = db01

[host web02]
address = 10.0.0.12
agent_command = cutover-agent --config /etc/w2.ini serve
port = 2202

[host lone]
address = 10.9.9.9
EOF2

step "every host, in order of first mention, with overrides"
expect_exit 0 env HOME=/home/op "$CUTOVER" -f fleet.ini dump-config
echo "$OUT" | grep '^\[host ' | tr '\n' ' ' | grep -qx '\[host web01\] \[host web02\] \[host web03\] \[host db01\] \[host lone\] ' || fail "order: $OUT"
echo "$OUT" | awk '/^\[host web02\]/{p=1} p&&/^port/{print; exit}' | grep -qx 'port = 2202' || fail "host override: $OUT"
echo "$OUT" | awk '/^\[host web01\]/{p=1} p&&/^port/{print; exit}' | grep -qx 'port = 2200' || fail "group override: $OUT"
echo "$OUT" | awk '/^\[host web01\]/{p=1} p&&/^address/{print; exit}' | grep -qx 'address = web01' || fail "default address: $OUT"
echo "$OUT" | awk '/^\[host lone\]/{p=1} p&&/^port/{print; exit}' | grep -qx 'port = 22' || fail "default port: $OUT"
echo "$OUT" | grep -q '^identity = /home/op/keys/id$' || fail "~ expansion: $OUT"
echo "$OUT" | grep -q '^parallel = 64$' || fail "parallel default: $OUT"

step "blue_green and switch are printed in [fleet]"
printf '[fleet]\nblue_green = web db\nswitch = lb-switch --reload\n' > bg.ini
sed -n '/^\[group web\]/,$p' fleet.ini >> bg.ini
expect_exit 0 "$CUTOVER" -f bg.ini dump-config
echo "$OUT" | sed -n '/^\[fleet\]/,/^$/p' | grep -qx 'blue_green = web db' || fail "blue_green: $OUT"
echo "$OUT" | sed -n '/^\[fleet\]/,/^$/p' | grep -qx 'switch = lb-switch --reload' || fail "switch: $OUT"

step "--group takes the group's settings as rollout-wide ones"
expect_exit 0 "$CUTOVER" -f fleet.ini dump-config --group web
[ "$(echo "$OUT" | grep -c '^\[host ')" = 3 ] || fail "web has 3 hosts: $OUT"
echo "$OUT" | sed -n '/^\[fleet\]/,/^$/p' | grep -qx 'batch = 50%' || fail "group batch: $OUT"

step "--hosts keeps the order given and rejects unknown names"
expect_exit 0 "$CUTOVER" -f fleet.ini dump-config --hosts lone,web01
echo "$OUT" | grep '^\[host ' | tr '\n' ' ' | grep -qx '\[host lone\] \[host web01\] ' || fail "order: $OUT"
expect_exit 2 "$CUTOVER" -f fleet.ini dump-config --hosts web01,nope
echo "$ERR" | grep -q 'nope: no such host' || fail "message: $ERR"
expect_exit 2 "$CUTOVER" -f fleet.ini dump-config --group nope

step "--hosts with --group: the intersection, with the group's settings; a name outside it is exit 2"
expect_exit 0 "$CUTOVER" -f fleet.ini dump-config --group web --hosts web03,web01
echo "$OUT" | grep '^\[host ' | tr '\n' ' ' | grep -qx '\[host web03\] \[host web01\] ' || fail "intersection: $OUT"
echo "$OUT" | sed -n '/^\[fleet\]/,/^$/p' | grep -qx 'batch = 50%' || fail "group batch: $OUT"
expect_exit 2 "$CUTOVER" -f fleet.ini dump-config --group web --hosts web01,db01
echo "$ERR" | grep -q 'db01: not in group web' || fail "message: $ERR"

step "errors name file, line and key"
printf '[fleet]\nuser = x\nparallel = lots\n' > bad1.ini
expect_exit 2 "$CUTOVER" -f bad1.ini dump-config
echo "$ERR" | grep -q 'bad1.ini:3: parallel: "lots" is not a number' || fail "message: $ERR"
printf '[fleet]\n\n[host a]\nadress = 1.2.3.4\n' > bad2.ini
expect_exit 2 "$CUTOVER" -f bad2.ini dump-config
echo "$ERR" | grep -q 'bad2.ini:4: adress: unknown key' || fail "message: $ERR"
printf '[fleet]\nbatch = 0%%\n' > bad3.ini
expect_exit 2 "$CUTOVER" -f bad3.ini dump-config
echo "$ERR" | grep -q 'bad3.ini:2: batch:' || fail "message: $ERR"
printf '[fleets]\nuser = x\n' > bad4.ini
expect_exit 2 "$CUTOVER" -f bad4.ini dump-config
echo "$ERR" | grep -q 'bad4.ini:2: \[fleets\]: unknown section' || fail "message: $ERR"
printf '[group g]\nhosts = a b/c\n' > bad5.ini
expect_exit 2 "$CUTOVER" -f bad5.ini dump-config
echo "$ERR" | grep -q 'bad5.ini:2: hosts: "b/c" is not a valid host name' || fail "message: $ERR"
printf '[host a]\nport = 70000\n' > bad6.ini
expect_exit 2 "$CUTOVER" -f bad6.ini dump-config
echo "$ERR" | grep -q 'bad6.ini:2: port:' || fail "message: $ERR"
expect_exit 2 "$CUTOVER" -f missing.ini dump-config
echo "$ERR" | grep -q 'missing.ini: cannot open' || fail "message: $ERR"

step "./cutover.ini is the default fleet file"
cp fleet.ini cutover.ini
expect_exit 0 "$CUTOVER" dump-config --hosts lone
echo "$OUT" | grep -q '^address = 10.9.9.9$' || fail "default file not read: $OUT"

step "CMD --help prints the usage and exits 0; options may follow ARCHIVE"
for c in deploy rollback status history; do
	expect_exit 0 "$CUTOVER" -f fleet.ini $c --help
	echo "$OUT" | grep -q "^usage: cutover .* $c" || fail "$c --help: $OUT"
done
expect_exit 0 "$CUTOVER" -f fleet.ini deploy web-1.0.tgz --dry-run --app web --group web --batch 2
echo "$OUT" | grep -q '^batch 1: web01 web02$' || fail "plan: $OUT"
echo "$OUT" | grep -q '^batch 2: web03$' || fail "plan: $OUT"
expect_exit 2 "$CUTOVER" -f fleet.ini deploy a.tgz b.tgz --dry-run
expect_exit 2 "$CUTOVER" -f fleet.ini deploy --dry-run
expect_exit 0 "$CUTOVER" -f fleet.ini deploy --dry-run --app web --hosts lone -- web-1.0.tgz
echo "$OUT" | grep -q '^batch 1: lone$' || fail "plan after --: $OUT"

pass
