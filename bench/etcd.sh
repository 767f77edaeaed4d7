#!/usr/bin/env bash
# Times `ovs` against `etcdctl` on the same real etcd in one run and prints
# ratios (ovs / etcdctl; below 1 means ovs is faster). Not a test: run it by
# hand, on an otherwise idle machine.
#
#   bash bench/etcd.sh            # REPS=200 KEYS=100000 by default
#
# 1. get KEY, whole process, REPS times          target <= 0.5
# 2. list -r over KEYS keys, time and peak RSS   target <= 1.0, RSS <= 50 MB
# 3. list (children only), 10 children x KEYS/10 target <= 0.2
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-200}
KEYS=${KEYS:-100000}
RUNS=${RUNS:-5}

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

KEY=/bench/05/$(printf %06d $((KEYS / 2)))
"$OVS" config get "$KEY" >/dev/null
echo
echo "1. get $KEY, $REPS runs each"
o=$(loop "$OVS" config get "$KEY"); e=$(loop etcdctl --endpoints "$EP" get "$KEY")
printf '   ovs %6.1f ms/run   etcdctl %6.1f ms/run   ratio %s (target <= 0.5)\n' \
  "$(awk "BEGIN{print $o/1000/$REPS}")" "$(awk "BEGIN{print $e/1000/$REPS}")" "$(ratio "$o" "$e")"

echo "2. list -r /bench over $KEYS keys, best of $RUNS"
read -r ot om < <(best "$OVS" config list -r /bench)
read -r et em < <(best etcdctl --endpoints "$EP" get --prefix --keys-only /bench/)
printf '   ovs %5.2f s %6d KB   etcdctl %5.2f s %6d KB   time ratio %s (target <= 1.0), ovs RSS %d MB (target <= 50)\n' \
  "$ot" "$om" "$et" "$em" "$(ratio "$ot" "$et")" $((om / 1024))

echo "3. list /bench (10 children x $per_child keys), best of $RUNS"
read -r ot om < <(best "$OVS" config list /bench)
read -r et em < <(best etcdctl --endpoints "$EP" get --prefix --keys-only /bench/)
printf '   ovs %5.2f s %6d KB   etcdctl %5.2f s %6d KB   time ratio %s (target <= 0.2)\n' \
  "$ot" "$om" "$et" "$em" "$(ratio "$ot" "$et")"
