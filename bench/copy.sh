#!/usr/bin/env bash
# Times `ovs config copy` (verified) against `etcdctl make-mirror` bringing
# another etcd to the same keys, on real servers in one run, and prints the
# ratio (ovs / make-mirror; below 1 means ovs is faster); then copies the same
# keys from etcd into ZooKeeper and prints keys/s. Not a test: run it by hand,
# on an otherwise idle machine.
#
#   bash bench/copy.sh            # KEYS=100000 by default
#
# 1. etcd -> etcd, KEYS keys: ovs copy --chunked vs make-mirror   target <= 1.0
#    (the destinations keep etcd's default limits, 128 operations and
#    1.5 MiB per txn, so ovs needs --chunked; make-mirror puts key by key.
#    make-mirror never exits: it runs in the background until the
#    destination's key count, polled with `etcdctl get --limit 1 -w json`
#    (etcdctl 3.4 has no --count-only), reaches KEYS)
# 2. etcd -> ZooKeeper, KEYS keys: ovs copy --chunked, keys/s
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-100000}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_etcd; SRC=$EP
start_etcd; DST_OVS=$EP
start_etcd; DST_MIRROR=$EP
start_zk

echo "loading $KEYS keys into the source etcd..."
doc "$KEYS" /bench >"$WORK/bench.yaml"
"$OVS" -q --store "etcd://$SRC" config import --chunked "$WORK/bench.yaml"

count() { etcdctl --endpoints "$1" get --prefix --keys-only --limit 1 -w json /bench/ | python3 -c 'import json,sys; print(json.load(sys.stdin).get("count", 0))'; }
[ "$(count "$SRC")" -eq "$KEYS" ] || { echo "load failed"; exit 1; }

echo
echo "1. etcd -> etcd, $KEYS keys"
t0=$(now)
"$OVS" config copy --chunked --prefix /bench "etcd://$SRC" "etcd://$DST_OVS" 2>"$WORK/copy.err"
t1=$(now)
o=$(secs "$t0" "$t1")
echo "   ovs: $(tail -1 "$WORK/copy.err")"
[ "$(count "$DST_OVS")" -eq "$KEYS" ] || { echo "ovs copy incomplete"; exit 1; }

t0=$(now)
etcdctl --endpoints "$SRC" make-mirror --prefix /bench/ "$DST_MIRROR" >"$WORK/mirror.log" 2>&1 &
MIRROR=$!
SERVERS+=("$MIRROR")
until [ "$(count "$DST_MIRROR")" -ge "$KEYS" ]; do
  kill -0 "$MIRROR" 2>/dev/null || { echo "make-mirror ended early:"; cat "$WORK/mirror.log"; exit 1; }
  sleep 0.05
done
t1=$(now)
kill "$MIRROR" 2>/dev/null || true
m=$(secs "$t0" "$t1")
printf '   ovs copy (verified) %6.2f s   etcdctl make-mirror %6.2f s   ratio %s (target <= 1.0)\n' \
  "$o" "$m" "$(ratio "$o" "$m")"
result "copy --chunked of $KEYS keys etcd -> etcd (verified) vs etcdctl make-mirror" "$o s" "$m s" "$(ratio "$o" "$m")" "<= 1.0"

echo "2. etcd -> ZooKeeper, $KEYS keys"
t0=$(now)
"$OVS" config copy --chunked --prefix /bench "etcd://$SRC" "zk://$ZK_EP" 2>"$WORK/zk.err"
t1=$(now)
z=$(secs "$t0" "$t1")
echo "   ovs: $(tail -1 "$WORK/zk.err")"
printf '   ovs copy (verified) %6.2f s   %s keys/s\n' "$z" "$(awk "BEGIN{printf \"%d\", $KEYS / $z}")"
result "copy --chunked of $KEYS keys etcd -> ZooKeeper (verified)" "$z s" "" "$(awk "BEGIN{printf \"%d\", $KEYS / $z}") keys/s" "report"
