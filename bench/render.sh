#!/usr/bin/env bash
# render on a real etcd (and the directory store). Not a test: run it by
# hand, on an otherwise idle machine.
#
#   bash bench/render.sh          # KEYS=10000, RUNS=5, N=100, M=1000; OVS=path/to/ovs skips the release build
#
# 1. etcd, KEYS keys, one render to stdout          target < 0.2 s
# 2. directory store, the same                      target < 0.2 s
# 3. --watch: from a put to the file replaced, median of N (target: under
#    50 ms plus --wait's minimum, which is 0 here), and ovs's resident
#    memory after 100 and after M more re-renders (target: flat). The moment
#    a file is replaced is taken by its --reload command (it runs only when
#    the content changed), so each figure includes starting that shell: a
#    few ms high.
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-10000}
RUNS=${RUNS:-5}
N=${N:-100}
M=${M:-1000}

. bench/lib.sh
if [ -z "${OVS:-}" ]; then build_ovs; fi
WORK=$(mktemp -d)
start_etcd

# Rendering a template over KEYS keys (every key of a subtree through
# tree(), one line each): best of RUNS, and peak memory.
render_section() {
  doc "$KEYS" /bench >"$WORK/bench.yaml"
  printf '%s\n' '{% for rel, value in tree("/bench") | items %}{{ rel }} = {{ value }}' '{% endfor -%}' >"$WORK/all.j2"
  local store lines t m
  for store in "etcd://$EP" "dir://$WORK/store"; do
    "$OVS" -q --store "$store" config import --chunked "$WORK/bench.yaml"
    lines=$("$OVS" --store "$store" config render "$WORK/all.j2" | wc -l)
    [ "$lines" -eq "$KEYS" ] || { echo "rendered $lines lines, not $KEYS"; exit 1; }
    read -r t m < <(best "$OVS" --store "$store" config render "$WORK/all.j2")
    echo "${store%%:*}: render over $KEYS keys: ${t}s (target < 0.2 s), peak ${m} KiB"
    result "render of a template over $KEYS keys (${store%%:*})" "$t s, $((m / 1024)) MB" "" "$t s" "< 0.2"
  done
}

# One client for every put (etcd's JSON gateway over one kept connection),
# so a put's time is the request's, not a process start's. Prints
# "start_us" per put; waits for FILE to hold the value before the next.
puts() {
  python3 - "$EP" "$1" "$2" "$WORK/out.cfg" <<'PY'
import base64, http.client, json, os, sys, time
ep, first, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection(ep)
b64 = lambda s: base64.b64encode(s.encode()).decode()
for i in range(first, first + n):
    body = json.dumps({"key": b64("/bench/render/value"), "value": b64(f"v{i}")})
    start = time.time_ns() // 1000
    conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200, resp.status
    print(start, flush=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if open(out).read() == f"value=v{i}\n":
                break
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    else:
        sys.exit(f"the file never held v{i}")
PY
}

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

watch_section() {
  etcdctl --endpoints "$EP" put /bench/render/value v0 >/dev/null
  printf "value={{ key('/bench/render/value') }}\n" >"$WORK/t.j2"
  "$OVS" --store "etcd://$EP" config render "$WORK/t.j2" --out "$WORK/out.cfg" --watch \
    --reload "date +%s%6N >> '$WORK/stamps'" >/dev/null 2>"$WORK/ovs.err" &
  local pid=$!
  SERVERS+=("$pid")
  for _ in $(seq 100); do grep -q watching "$WORK/ovs.err" && break; sleep 0.1; done
  rm -f "$WORK/stamps"
  echo "render --watch: $N puts, each waited for..."
  puts 1 "$N" >"$WORK/puts"
  sleep 0.2
  python3 - "$WORK" <<'PY'
import statistics, sys
work = sys.argv[1]
puts = [int(l) for l in open(f"{work}/puts")]
stamps = [int(l) for l in open(f"{work}/stamps")]
assert len(stamps) == len(puts), (len(stamps), len(puts))
latency = statistics.median((s - p) / 1000 for p, s in zip(puts, stamps))
print(f"   put -> file replaced: median {latency:.1f} ms  target < 50 ms")
import os
if os.environ.get("BENCH_RESULTS"):
    with open(os.environ["BENCH_RESULTS"], "a") as out:
        out.write(f"render --watch: put to file replaced, median of {len(puts)}\t{latency:.1f} ms\t-\t{latency:.1f} ms\t< 50\n")
PY
  local before after
  before=$(rss "$pid")
  echo "render --watch: $M more re-renders..."
  puts $((N + 1)) "$M" >/dev/null
  after=$(rss "$pid")
  echo "   resident memory after $N re-renders: ${before} kB; after $((N + M)): ${after} kB"
  result "render --watch: resident memory after $N and $((N + M)) re-renders" "$((before / 1024)) MB, $((after / 1024)) MB" "" \
    "$(ratio "$after" "$before")" "<= 1.1"
}

render_section
watch_section
