#!/usr/bin/env bash
# The Consul store against the fake agent (no Consul server can be installed
# here; the fake is tests/util/consul.rs, built in release and run as its own
# process). Not a test: run it by hand, on an otherwise idle machine.
#
#   bash bench/consul.sh
#
# 1. import of 10,000 keys with --chunked, in 128-operation transactions: keys/s
#    (and a `set` per key, timed on SAMPLE keys, for scale)
# 2. export of those 10,000 keys: a streamed listing, then values in pages of 64 gets
# 3. list -r of 100,000 keys: one streamed ?keys array; time and peak RSS
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SAMPLE=${SAMPLE:-300}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_fake consul FAKE-CONSUL
echo "fake agent at $OVS_CONFIG_STORE"

doc 10000 /ten >"$WORK/ten.yaml"
doc 100000 /bench >"$WORK/bench.yaml"

echo "1. import 10,000 keys with --chunked (79 transactions of up to 128 operations), best of $RUNS"
best_s="" runs=""
for run in $(seq "$RUNS"); do
  t0=$(now); "$OVS" -q config import --chunked --prefix "/run$run" "$WORK/ten.yaml"; t1=$(now)
  s=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
  runs="$runs $s"
  if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; fi
done
t0=$(now)
for i in $(seq "$SAMPLE"); do "$OVS" -q config set "/loop/$i" "value-$i"; done
t1=$(now)
loop_s=$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9 * 10000 / $SAMPLE}")
printf '   ovs import %.3f s = %d keys/s (runs:%s s)   a set per key %.1f s (timed on %d keys, scaled to 10,000)   %sx faster\n' \
  "$best_s" "$(awk "BEGIN{printf \"%d\", 10000 / $best_s}")" "$runs" "$loop_s" "$SAMPLE" "$(ratio "$loop_s" "$best_s")"
result "Consul (fake agent) import --chunked of 10,000 keys vs a set per key (times faster)" "$best_s s" "$loop_s s" \
  "$(ratio "$loop_s" "$best_s")" "report"

echo "2. export 10,000 keys, best of $RUNS"
read -r et em < <(best "$OVS" config export /run1)
printf '   ovs %5.2f s %6d KB\n' "$et" "$em"
result "Consul (fake agent) export of 10,000 keys" "$et s, $((em / 1024)) MB" "" "$et s" "report"

echo "3. list -r of 100,000 keys, best of $RUNS"
"$OVS" -q config import --chunked "$WORK/bench.yaml"
read -r lt lm < <(best "$OVS" config list -r /bench)
printf '   ovs %5.2f s %6d KB\n' "$lt" "$lm"
result "Consul (fake agent) list -r of 100,000 keys" "$lt s, $((lm / 1024)) MB" "" "$lt s" "report"
