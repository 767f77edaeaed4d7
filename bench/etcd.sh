#!/usr/bin/env bash
# Times `ovs` against `etcdctl` on the same real etcd in one run and prints
# ratios (ovs / etcdctl; below 1 means ovs is faster): medians of paired
# runs, each pair one ovs run then one etcdctl run, so both see the same
# machine. Not a test: run it by hand (or through bench/report.sh).
#
#   bash bench/etcd.sh            # PAIRS=21 KEYS=100000 by default
#
# 1. get KEY, whole process                          target <= 0.15
# 2. list -r over KEYS keys, time and peak RSS       target <= 0.4, RSS <= 20 MB
# 3. list (children only), 10 children x KEYS/10     target <= 0.12
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-100000}
PAIRS=${PAIRS:-21}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_etcd --max-txn-ops 10000
export OVS_CONFIG_STORE="etcd://$EP"

echo "loading $KEYS keys (10 children x $((KEYS / 10)))..."
per_child=$((KEYS / 10))
# etcdctl txn reads: compares, blank line, operations, blank line, else-operations, blank line.
for batch in $(seq 0 $((KEYS / 10000 - 1))); do
  python3 -c "
import sys
b, per = int(sys.argv[1]), int(sys.argv[2])
ops = ''.join(f'put /bench/{i // per:02d}/{i:06d} value-{i}\\n' for i in range(b * 10000, b * 10000 + 10000))
sys.stdout.write('\\n' + ops + '\\n\\n')" "$batch" "$per_child" | etcdctl --endpoints "$EP" txn >/dev/null
done
[ "$("$OVS" config list -r /bench | wc -l)" -eq "$KEYS" ] || { echo "load failed"; exit 1; }
ETCDCTL="etcdctl --endpoints $EP"

KEY=/bench/05/$(printf %06d $((KEYS / 2)))
"$OVS" config get "$KEY" >/dev/null
echo
echo "1. get $KEY, median of $PAIRS paired runs"
read -r o e < <(paired "$OVS config get $KEY" "$ETCDCTL get $KEY")
result "config get KEY vs etcdctl get" "$o ms" "$e ms" "$(ratio "$o" "$e")" "<= 0.15"

echo "2. list -r /bench over $KEYS keys vs etcdctl get --prefix --keys-only, median of $PAIRS paired runs"
read -r o e < <(paired "$OVS config list -r /bench" "$ETCDCTL get --prefix --keys-only /bench/")
om=$(rss_kb "$OVS" config list -r /bench); em=$(rss_kb $ETCDCTL get --prefix --keys-only /bench/)
result "list -r of $KEYS keys vs etcdctl get --prefix --keys-only" "$o ms, $((om / 1024)) MB" "$e ms, $((em / 1024)) MB" \
  "$(ratio "$o" "$e")" "<= 0.4"
result "list -r of $KEYS keys: ovs peak RSS" "$((om / 1024)) MB" "" "$((om / 1024)) MB" "<= 20 MB"

echo "3. list /bench (10 children x $per_child keys) vs the same etcdctl listing, median of $PAIRS paired runs"
read -r o e < <(paired "$OVS config list /bench" "$ETCDCTL get --prefix --keys-only /bench/")
result "list (children) of 10 x $per_child vs etcdctl get --prefix --keys-only" "$o ms" "$e ms" "$(ratio "$o" "$e")" "<= 0.12"
