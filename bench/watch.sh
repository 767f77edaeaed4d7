#!/usr/bin/env bash
# Watch latency on a real etcd: from an `etcdctl put` to the line that
# `ovs config watch -o json` prints for it, median over N puts, with
# `etcdctl watch` timed the same way alongside as the floor. Not a test: run
# it by hand, on an otherwise idle machine.
#
#   bash bench/watch.sh            # N=200 by default
#
# Each latency runs from just before `etcdctl put` starts to the moment its
# line is read from the watcher's stdout, so it includes etcdctl's own start
# (the etcdctl watch figure shows how much of it that is).
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
trap 'kill $OVS_PID $ETCDCTL_PID $ETCD_PID 2>/dev/null; wait $ETCD_PID 2>/dev/null; rm -rf "$WORK"' EXIT

sleep 1
etcdctl --endpoints "$EP" put /bench/ready x >/dev/null
for _ in $(seq 100); do grep -q '"/bench/ready"' "$WORK/ovs.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"/bench/ready"' "$WORK/ovs.out" || { echo "the watch did not start:"; cat "$WORK/ovs.err"; exit 1; }

echo "$N puts, 20 ms apart..."
for i in $(seq "$N"); do
  t=${EPOCHREALTIME/./}
  etcdctl --endpoints "$EP" put "/bench/k$i" "value $i" >/dev/null
  echo "/bench/k$i $t" >>"$WORK/puts"
  sleep 0.02
done
for _ in $(seq 100); do kill -0 "$OVS_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$OVS_PID" 2>/dev/null && echo "note: ovs watch was still running after $((N + 1)) changes (--count)"
sleep 0.2 # the last lines through stamp

python3 - "$WORK" "$N" <<'PY'
import json, re, statistics, sys
work, n = sys.argv[1], int(sys.argv[2])
puts = dict(line.split() for line in open(f"{work}/puts"))

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

def median_ms(lines):
    lat = [(lines[k] - int(t)) / 1000 for k, t in puts.items() if k in lines]
    return (statistics.median(lat) if lat else float("nan")), n - len(lat)

ovs, o_missing = median_ms(seen(f"{work}/ovs.out", ovs_key))
ctl, c_missing = median_ms(seen(f"{work}/etcdctl.out", lambda text: text if text.startswith("/bench/k") else None))
print(f"   ovs watch      median {ovs:6.1f} ms  (target < 50 ms){'  MISSING %d' % o_missing if o_missing else ''}")
print(f"   etcdctl watch  median {ctl:6.1f} ms  (the floor: etcdctl put's own start included){'  MISSING %d' % c_missing if c_missing else ''}")
sys.exit(1 if o_missing or not ovs < 50 else 0)
PY
