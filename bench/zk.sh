#!/usr/bin/env bash
# Times `ovs config list -r` against ZooKeeper's own `zkCli.sh ls -R` on the
# same real server in one run and prints the ratio (ovs / zkCli; target
# <= 0.2). Not a test: run it by hand, on an otherwise idle machine.
#
#   bash bench/zk.sh            # DIRS=10 PER_DIR=1000 (10,000 znodes) RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
DIRS=${DIRS:-10}
PER_DIR=${PER_DIR:-1000}
RUNS=${RUNS:-3}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_zk
CP=${ZK_EP##*:}
export OVS_CONFIG_STORE="zk://$ZK_EP"

total=$((DIRS * PER_DIR))
echo "loading $total znodes ($DIRS directories x $PER_DIR) with one zkCli session..."
python3 -c "
import sys
d, p = int(sys.argv[1]), int(sys.argv[2])
print('create /bench')
for i in range(d):
    print(f'create /bench/{i:02d}')
    for j in range(p):
        print(f'create /bench/{i:02d}/{j:05d} value-{j}')
print('quit')" "$DIRS" "$PER_DIR" | $ZKBIN/zkCli.sh -server "127.0.0.1:$CP" >/dev/null 2>&1
[ "$("$OVS" config list -r /bench | wc -l)" -eq "$total" ] || { echo "load failed"; exit 1; }

echo "list -r /bench over $total znodes, best of $RUNS"
read -r ot om < <(best "$OVS" config list -r /bench)
read -r zt zm < <(best $ZKBIN/zkCli.sh -server "127.0.0.1:$CP" ls -R /bench)
printf '   ovs %5.2f s %6d KB   zkCli %5.2f s %6d KB   time ratio %s (target <= 0.2)\n' \
  "$ot" "$om" "$zt" "$zm" "$(ratio "$ot" "$zt")"
result "ZooKeeper list -r of $total znodes vs zkCli ls -R" "$ot s, $((om / 1024)) MB" "$zt s, $((zm / 1024)) MB" "$(ratio "$ot" "$zt")" "<= 0.2"
