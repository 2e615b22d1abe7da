#!/bin/sh
# conf/agent.ini.example and conf/fleet.ini.example are valid as shipped:
# the agent reads the example (roots moved under $T) and reports status;
# the coordinator plans a dry run from the fleet example. Every example of the
# forced command or agent_command names the agent by its absolute path.
. "$top_srcdir/tests/lib.sh"

ex="$top_srcdir/conf/agent.ini.example"
step "agent.ini.example parses and its apps open"
mkdir -p "$T/srv"
sed "s#= /srv/#= $T/srv/#" "$ex" > "$T/agent.ini"
grep -q "$T/srv/web" "$T/agent.ini" || fail "example has no /srv/web root to relocate"
for app in $(sed -n 's/^\[app \(.*\)\]$/\1/p' "$ex"); do
	expect_exit 0 "$CUTOVER_AGENT" --config "$T/agent.ini" status "$app"
	expect_exit 0 "$CUTOVER_AGENT" --config "$T/agent.ini" --json status "$app"
	case $OUT in "{"*"}") ;; *) fail "status --json printed [$OUT]" ;; esac
done

step "agent.ini.example as shipped is a valid config (no file:line error)"
set +e
"$CUTOVER_AGENT" --config "$ex" status nosuchapp > "$T/out" 2> "$T/err"
set -e 2>/dev/null; set +e
grep -q "agent.ini.example:[0-9]" "$T/err" && fail "parse error: $(cat "$T/err")"
grep -q "nosuchapp" "$T/err" || fail "expected a 'no [app nosuchapp]' error, got: $(cat "$T/err")"

step "every forced command and agent_command example names /usr/sbin/cutover-agent"
# sshd gives a non-root user PATH=/usr/local/bin:/usr/bin:/bin:/usr/games and the
# package installs the agent in /usr/sbin: a bare name is "not found" (cutover.ini(5), agent_command).
: > "$T/bad"
for f in docs/GUIDE.md README.md man/cutover-agent.8 man/cutover-agent.ini.5 man/cutover.1 \
    man/cutover.ini.5 conf/agent.ini.example conf/fleet.ini.example \
    packaging/authorized_keys.example proto/PROTOCOL; do
	[ -f "$top_srcdir/$f" ] || fail "$f is missing"
	sed 's/\\-/-/g' "$top_srcdir/$f" | awk -v f="$f" '
	    /command="|agent_command[ \t]*=/ && /cutover-agent/ {
		line = $0
		while ((i = index(line, "cutover-agent")) > 0) {
			if (i < 11 || substr(line, i - 10, 10) != "/usr/sbin/") {
				printf "%s:%d: %s\n", f, NR, $0; break
			}
			line = substr(line, i + 13)
		}
	    }' >> "$T/bad"
done
[ ! -s "$T/bad" ] || fail "examples without the absolute path: $(cat "$T/bad")"

if [ -x "$CUTOVER" ]; then
	step "the default agent_command is /usr/sbin/cutover-agent serve"
	printf '[fleet]\nuser = deploy\n[host a]\naddress = 10.0.0.1\n' > "$T/min.ini"
	expect_exit 0 "$CUTOVER" -f "$T/min.ini" dump-config
	echo "$OUT" | grep -qx 'agent_command = /usr/sbin/cutover-agent serve' ||
	    fail "default agent_command: $OUT"

	step "fleet.ini.example: deploy --dry-run plans without a config error"
	make_release "$T/r" "$T/web-1.0.tar.gz"
	set +e
	"$CUTOVER" -f "$top_srcdir/conf/fleet.ini.example" deploy "$T/web-1.0.tar.gz" --dry-run \
	    > "$T/plan" 2> "$T/plan.err"
	rc=$?
	set +e
	[ $rc -ne 2 ] || fail "config/usage error: $(cat "$T/plan.err")"
	grep -q "fleet.ini.example:[0-9]" "$T/plan.err" && fail "parse error: $(cat "$T/plan.err")"
	for h in web01 web02 web03; do
		grep -q "$h" "$T/plan" || fail "dry-run plan does not name $h: $(cat "$T/plan")"
	done
else
	echo "note: no coordinator at $CUTOVER; fleet.ini.example not checked"
fi
pass
