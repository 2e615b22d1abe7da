#!/bin/sh
# cutover report and the fleet's notify command on real sshd hosts
# (cutover(1) "report", cutover.ini(5) "notify"): the metrics are computed
# from the hosts' journals exactly as defined (a rollout counts once, a
# drill is never a failed deployment, a refused rollback changes nothing),
# --rollout prints a Markdown timeline, --html writes one self-contained
# page that Debian's headless chromium renders with one SVG row per host;
# notify gets start, pause, finish and failure as JSON, and a failing
# notify is reported, never fatal.
. "$top_srcdir/tests/lib.sh"
FLEET_PORT=$((${FLEET_PORT_BASE:-2300} + 61))	# own port: tests may run in parallel
. "$top_srcdir/tests/lib-fleet.sh"

start_fleet 3
C="$CUTOVER -f $T/fleet.ini"
sed -i "/^\[fleet\]/a notify = cat >> $T/notify.log && echo >> $T/notify.log" "$T/fleet.ini"
rel() {	# rel NAME COMMITTED_AT [broken]
	mkdir -p "$T/src-$1"
	echo "$1" > "$T/src-$1/index.html"
	[ -z "${3:-}" ] || touch "$T/src-$1/broken"
	printf '[release]\nversion = %s\ncommit = c0ffee\ncommitted_at = %s\n' "$1" "$2" > "$T/src-$1/cutover-release.ini"
	tar -C "$T/src-$1" -czf "$T/$1.tgz" .
}
now=$(date -u +%s)
rel web-1 "$(date -u -d @$((now - 3600)) +%Y-%m-%dT%H:%M:%SZ)"
rel web-2 "$(date -u -d @$((now - 7200)) +%Y-%m-%dT%H:%M:%SZ)"
rel web-3 "$(date -u -d @$((now - 60)) +%Y-%m-%dT%H:%M:%SZ)" broken
rel web-4 "$(date -u -d @$((now - 600)) +%Y-%m-%dT%H:%M:%SZ)"
for h in h11 h12 h13; do sed -i 's|^health = .*|health = test ! -e broken|' "$T/$h/agent.ini"; done
rid() { printf '%s\n' "$1" | sed -n 's/.*"rollout":"\([^"]*\)".*/\1/p' | head -n 1; }

step "notify: start and finish of a deploy, as JSON on stdin"
expect_exit 0 $C deploy "$T/web-1.tgz"
grep -q '"event":"start".*"release":"web-1"' "$T/notify.log" || fail "notify: $(cat "$T/notify.log")"
grep -q '"event":"finish".*"outcome":"done"' "$T/notify.log" || fail "notify: $(cat "$T/notify.log")"

step "notify: pause, then the resumed rollout's finish"
expect_exit 0 $C deploy --batch 1 --pause-after 1 "$T/web-2.tgz"
grep -q '"event":"pause".*"release":"web-2".*"outcome":"paused"' "$T/notify.log" || fail "$(cat "$T/notify.log")"
expect_exit 0 $C resume
[ "$(grep -c '"event":"finish"' "$T/notify.log")" = 2 ] || fail "$(cat "$T/notify.log")"

step "notify: failure of a reversed deploy"
expect_exit 1 $C deploy "$T/web-3.tgz"
grep -q '"event":"failure".*"release":"web-3".*"outcome":"reversed"' "$T/notify.log" || fail "$(cat "$T/notify.log")"
r3=$(rid "$(grep '"event":"failure"' "$T/notify.log")")
[ -n "$r3" ] || fail "no rollout ID in the failure event"

step "a failing notify is reported, never fatal"
sed -i "s|^notify = .*|notify = cat > /dev/null; exit 3|" "$T/fleet.ini"
expect_exit 0 $C deploy "$T/web-4.tgz"
printf '%s\n' "$ERR" | grep -q 'notify exited with status 3 (not fatal)' || fail "$ERR"
sed -i "s|^notify = .*|notify = true|" "$T/fleet.ini"

step "a drill changes no metric; the rollback of web-4 fails that deploy"
expect_exit 0 $C drill
expect_exit 0 $C rollback
for h in h11 h12 h13; do [ "$(current_of $h)" = web-2 ] || fail "$h on $(current_of $h)"; done

step "report --json: every key, computed exactly"
expect_exit 0 $C report --json
j=$OUT
# deployments: web-1, web-2 (paused + resumed: one rollout), web-3 (reversed), web-4 (rolled back) = 4;
# failed: web-3 and web-4 = 2; done: web-1, web-2, web-4 (it ended done) = 3 over 30 days.
printf '%s\n' "$j" | grep -q '"deployments":4,"failed_deployments":2,"change_failure_rate":0.5000,"deployment_frequency_per_day":0.1000,' ||
    fail "metrics: $j"
printf '%s\n' "$j" | grep -q '"lead_time_median_s":[0-9]' || fail "lead time: $j"
lead=$(printf '%s\n' "$j" | sed -n 's/.*"lead_time_median_s":\([0-9]*\).*/\1/p')
# committed 1 h, 2 h and 10 min before the rollouts: the median is about an hour.
[ "$lead" -ge 3000 ] && [ "$lead" -le 4500 ] || fail "lead time $lead s, not about 3600: $j"
printf '%s\n' "$j" | grep -q '"time_to_restore_median_s":[0-9]' || fail "time to restore: $j"
printf '%s\n' "$j" | grep -q '"drills":1,"drills_ok":1' || fail "drills: $j"
printf '%s\n' "$j" | grep -q "\"id\":\"$r3\",\"kind\":\"deploy\",\"release\":\"web-3\",\"started\":\"[0-9T:Z-]*\",\"ended\":\"[0-9T:Z-]*\",\"outcome\":\"reversed\"" ||
    fail "rollouts: $j"
[ "$(printf '%s\n' "$j" | grep -o '"kind":"deploy"' | wc -l)" = 4 ] || fail "a rollout counted twice: $j"
expect_exit 0 $C report
printf '%s\n' "$OUT" | grep -q '^change failure rate  *50.0%' || fail "text: $OUT"
expect_exit 0 $C report --since 1 --json
expect_exit 2 $C report --since 0

step "report --rollout ID: a Markdown timeline of every host's events in time order"
expect_exit 0 $C report --rollout "$r3"
printf '%s\n' "$OUT" | grep -q "^# Rollout $r3" || fail "$OUT"
for h in h11 h12 h13; do printf '%s\n' "$OUT" | grep -q "| $h | install | end |" || fail "$h missing: $OUT"; done
printf '%s\n' "$OUT" | grep -q "| h11 | activate | end | release=web-3 previous=web-2 outcome=reversed" || fail "no failed activation: $OUT"
printf '%s\n' "$OUT" | grep '^| 20' | cut -d'|' -f2 | sort -c || fail "not in time order: $OUT"
expect_exit 3 $C report --rollout no-such-rollout

step "report --html: one self-contained page; headless chromium renders it with one SVG row per host"
expect_exit 0 $C report --html "$T/report.html"
grep -q '<svg id="timeline"' "$T/report.html" || fail "no SVG"
grep -qi 'src=\|href=\|<script' "$T/report.html" && fail "not self-contained"
[ "$(grep -c 'class="host-row"' "$T/report.html")" = 3 ] || fail "rows: $(grep -c 'class="host-row"' "$T/report.html")"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (apt-get install chromium; tests/regress/fleet-report.sh)"
HOME=$T/chrome timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom "file://$T/report.html" \
    > "$T/dom.html" 2> "$T/chrome.err" || fail "chromium: $(tail -n 5 "$T/chrome.err")"
[ "$(grep -o 'class="host-row"' "$T/dom.html" | wc -l)" = 3 ] || fail "rendered DOM rows: $(grep -o 'class="host-row"' "$T/dom.html" | wc -l)"
for h in h11 h12 h13; do grep -q "data-host=\"$h\"" "$T/dom.html" || fail "row $h missing from the rendered page"; done
HOME=$T/chrome timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --screenshot="$T/report.png" \
    --window-size=1280,900 "file://$T/report.html" > /dev/null 2>&1 || fail "chromium screenshot"
[ "$(stat -c %s "$T/report.png")" -gt 5000 ] || fail "empty screenshot"
pass
