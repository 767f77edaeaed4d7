#!/usr/bin/env bash
# Times a fan-out `ovs config set` to three stores (directory, etcd,
# ZooKeeper) against a `set` to each store alone, in one run on the same
# servers, and prints the ratio to the slowest single store (target <= 1.3:
# the stores are written concurrently, not one after another). Not a test:
# run it by hand, on an otherwise idle machine.
#
#   bash bench/fanout.sh        # REPS=50 sets per measurement
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-50}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_etcd
start_zk
DIR="dir://$WORK/dir"
ETCD="etcd://$EP"
ZOO="zk://$ZK_EP"
export XDG_STATE_HOME=$WORK/state

set_on() { local args=(); for s in "$@"; do args+=(--store "$s"); done; "$OVS" -q "${args[@]}" config set /bench/k value; }

for s in "$DIR" "$ETCD" "$ZOO"; do set_on "$s"; done   # warm up, create the key
echo "$REPS sets of one key, microseconds per set"
slowest=0
for s in "$DIR" "$ETCD" "$ZOO"; do
  us=$(( $(loop set_on "$s") / REPS ))
  printf '  %-8s %6d\n' "${s%%:*}" "$us"
  [ "$us" -gt "$slowest" ] && slowest=$us
done
fan=$(( $(loop set_on "$DIR" "$ETCD" "$ZOO") / REPS ))
printf '  fan-out  %6d   ratio to the slowest single store %s (target <= 1.3)\n' "$fan" "$(ratio "$fan" "$slowest")"
result "fan-out set to dir + etcd + ZooKeeper vs the slowest single store" "$fan us" "$slowest us" "$(ratio "$fan" "$slowest")" "<= 1.3"
