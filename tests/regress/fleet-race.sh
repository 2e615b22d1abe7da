#!/bin/sh
# Two coordinators deploying to the same fleet at the same moment: locks are
# taken in host-name order (the first host alone, then the rest), so exactly
# one wins (exit 0) and the other stops at preflight (exit 4) having changed
# nothing: its release is on no host. Repeated a few times.
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 5))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 5
C="$CUTOVER -f $T/fleet.ini"
make_release "$T/r0" "$T/web-0.tgz" v0
expect_exit 0 $C deploy --batch 5 "$T/web-0.tgz"
# A slow health check keeps the winner's locks held while the loser preflights.
for h in $FLEET_HOSTS; do sed -i 's|^health = .*|health = sleep 1|' "$T/$h/agent.ini"; done
# Every agent session waits for $T/go before it says HELLO, so both
# coordinators see their fleet ready at the same instant and ask for the
# locks together: with all locks requested at once each would win some hosts.
for h in $FLEET_HOSTS; do
	cat > "$T/$h/wrap.sh" <<EOW
touch "$T/$h/waiting.\$\$"
i=0
while [ ! -e "$T/go" ] && [ \$i -lt 1000 ]; do sleep 0.01; i=\$((i + 1)); done
exec "$CUTOVER_AGENT" --config "$T/$h/agent.ini" serve
EOW
done
sed -i "s|^agent_command = .* --config \(.*\)/agent.ini serve|agent_command = sh \1/wrap.sh|" "$T/fleet.ini"
grep -q "wrap.sh" "$T/fleet.ini" || fail "fleet.ini not rewritten"

round=1
while [ $round -le 3 ]; do
	step "round $round: two deploys started together"
	make_release "$T/ra$round" "$T/web-a$round.tgz" "a$round"
	make_release "$T/rb$round" "$T/web-b$round.tgz" "b$round"
	# Reverse host order in the second one's --hosts: the lock order must not depend on it.
	$C deploy --batch 5 "$T/web-a$round.tgz" > "$T/a.out" 2>&1 &
	pa=$!
	$C deploy --batch 5 --hosts h15,h14,h13,h12,h11 "$T/web-b$round.tgz" > "$T/b.out" 2>&1 &
	pb=$!
	at_exit "kill $pa $pb 2>/dev/null"
	i=0
	while [ "$(ls "$T"/h1?/waiting.* 2>/dev/null | wc -l)" -lt 10 ]; do
		i=$((i + 1)); [ $i -le 200 ] || fail "agents did not start: $(ls "$T"/h1?/)"
		sleep 0.05
	done
	touch "$T/go"
	set +e
	wait $pa; ra=$?
	wait $pb; rb=$?
	set +e
	rm -f "$T/go" "$T"/h1?/waiting.*
	echo "a: exit $ra"; cat "$T/a.out"; echo "b: exit $rb"; cat "$T/b.out"
	case "$ra$rb" in
	04) win=a$round lose=b$round ;;
	40) win=b$round lose=a$round ;;
	*) fail "want one exit 0 and one exit 4, got $ra and $rb" ;;
	esac
	for h in $FLEET_HOSTS; do
		[ "$(current_of $h)" = "web-$win" ] || fail "$h on $(current_of $h), want web-$win"
		[ ! -e "$T/$h/root/releases/web-$lose" ] || fail "loser's release web-$lose installed on $h"
	done
	round=$((round + 1))
done

pass
