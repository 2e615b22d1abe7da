#!/bin/bash
# Benchmark: `cutover-agent activate` and `rollback` as whole processes,
# hooks off, on a root with a realistic journal (200 earlier switches).
# Target (issue 2): median under 5 ms each. Prints medians and p90.
set -eu
: "${CUTOVER_AGENT:=${top_builddir:-build}/cutover-agent}"
RUNS=${RUNS:-100}
W=$(mktemp -d /tmp/cutover-bench-switch.XXXXXX)
trap 'rm -rf "$W"' EXIT
for v in 1 2; do
	mkdir -p "$W/src$v" && seq 1 2000 | sed "s/^/line v$v /" > "$W/src$v/app.txt"
	tar -C "$W/src$v" -czf "$W/web-$v.tgz" .
	"$CUTOVER_AGENT" deploy "$W/root" "$W/web-$v.tgz" >/dev/null
done
for i in $(seq 1 100); do
	"$CUTOVER_AGENT" activate "$W/root" web-1 >/dev/null
	"$CUTOVER_AGENT" activate "$W/root" web-2 >/dev/null
done
python3 - "$CUTOVER_AGENT" "$W/root" "$RUNS" <<'PY'
import statistics, subprocess, sys, time
agent, root, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def timed(args):
    t = time.perf_counter()
    subprocess.run([agent] + args, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
# A no-op process start, to show what part is process overhead.
def baseline():
    t = time.perf_counter(); subprocess.run(["/bin/true"], check=True); return (time.perf_counter() - t) * 1000
res = {"activate": [], "rollback": [], "/bin/true": []}
for i in range(runs):
    res["activate"].append(timed(["activate", root, "web-1" if i % 2 else "web-2"]))
    res["rollback"].append(timed(["rollback", root]))
    res["/bin/true"].append(baseline())
for k, v in res.items():
    v.sort()
    print(f"{k:10s} median {statistics.median(v):6.2f} ms   p90 {v[int(len(v) * 0.9)]:6.2f} ms   ({runs} runs)")
med = max(statistics.median(res["activate"]), statistics.median(res["rollback"]))
print(f"target: median under 5 ms: {'met' if med < 5 else 'MISSED'}")
PY
