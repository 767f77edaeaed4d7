#!/usr/bin/env bash
# Watch latency on a real etcd: from a put to the line that
# `ovs config watch -o json` prints for it, median over N puts, with
# `etcdctl watch` timed the same way alongside. Not a test: run it by hand,
# on an otherwise idle machine.
#
#   bash bench/watch.sh            # N=200 by default
#
# Each latency runs from the moment a put is sent to the moment its line is
# read from the watcher's stdout. The puts go through etcd's JSON gateway
# from one long-lived client rather than `etcdctl put`: a process per put
# would add etcdctl's own start and connection (about 50 ms here, more than
# the target) to every figure, and the watch would be done before etcdctl
# had exited. The time until the put's answer is shown for comparison.
# Target: ovs median < 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_etcd

# Each line read, as "MICROSECONDS LINE", into FILE (no fork per line).
stamp() { while IFS= read -r line; do printf '%s %s\n' "${EPOCHREALTIME/./}" "$line"; done >"$1"; }

# --timeout also ends a watch: give it room. One more change than N: the
# first put below only shows that the watch has started.
"$OVS" --store "etcd://$EP" --timeout 1h config watch -o json --count $((N + 1)) /bench \
  > >(stamp "$WORK/ovs.out") 2>"$WORK/ovs.err" &
OVS_PID=$!
etcdctl --endpoints "$EP" watch --prefix /bench/ > >(stamp "$WORK/etcdctl.out") &
ETCDCTL_PID=$!
# Stopped with the servers when the script exits.
SERVERS+=("$OVS_PID" "$ETCDCTL_PID")

sleep 1
etcdctl --endpoints "$EP" put /bench/ready x >/dev/null
for _ in $(seq 100); do grep -q '"/bench/ready"' "$WORK/ovs.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"/bench/ready"' "$WORK/ovs.out" || { echo "the watch did not start:"; cat "$WORK/ovs.err"; exit 1; }

echo "$N puts, 20 ms apart..."
# One client for every put (etcd's JSON gateway over one kept connection),
# so a put's time is the request's, not a process start's.
python3 - "$EP" "$N" >"$WORK/puts" <<'PY'
import base64, http.client, json, sys, time
ep, n = sys.argv[1], int(sys.argv[2])
conn = http.client.HTTPConnection(ep)
b64 = lambda s: base64.b64encode(s.encode()).decode()
for i in range(1, n + 1):
    key = f"/bench/k{i}"
    body = json.dumps({"key": b64(key), "value": b64(f"value {i}")})
    start = time.time_ns() // 1000
    conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200, resp.status
    print(key, start, time.time_ns() // 1000, flush=True)
    time.sleep(0.02)
PY
for _ in $(seq 100); do kill -0 "$OVS_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$OVS_PID" 2>/dev/null && echo "note: ovs watch was still running after $((N + 1)) changes (--count)"
sleep 0.2 # the last lines through stamp

status=0
python3 - "$WORK" "$N" <<'PY' || status=$?
import json, os, re, statistics, sys
work, n = sys.argv[1], int(sys.argv[2])
puts = {key: (int(start), int(done)) for key, start, done in (line.split() for line in open(f"{work}/puts"))}

def seen(path, key_of):
    out = {}
    for line in open(path):
        t, _, text = line.rstrip("\n").partition(" ")
        key = key_of(text)
        if key in puts and key not in out:
            out[key] = int(t)
    return out

def ovs_key(text):
    try:
        return json.loads(text).get("key")
    except ValueError:
        return None

def show(name, lines, note):
    keys = [k for k in puts if k in lines]
    latency = statistics.median((lines[k] - puts[k][0]) / 1000 for k in keys) if keys else float("nan")
    gone = f"  MISSING {n - len(keys)} of {n}" if len(keys) < n else ""
    print(f"   {name:13} median {latency:6.1f} ms from the put{note}{gone}")
    return latency, n - len(keys)

answered = statistics.median((done - start) / 1000 for start, done in puts.values())
print(f"   (a put's answer came after {answered:.1f} ms, median)")
ovs, missing = show("ovs watch", seen(f"{work}/ovs.out", ovs_key), "  target < 50 ms")
ref, _ = show("etcdctl watch", seen(f"{work}/etcdctl.out", lambda text: text if text.startswith("/bench/k") else None), "  (for comparison)")
if os.environ.get("BENCH_RESULTS"):
    with open(os.environ["BENCH_RESULTS"], "a") as out:
        out.write(f"put to the line watch -o json prints, median of {n}\t{ovs:.1f} ms\tetcdctl watch {ref:.1f} ms\t{ovs:.1f} ms\t< 50\n")
sys.exit(1 if missing or not ovs < 50 else 0)
PY
exit $status
