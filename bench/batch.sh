#!/usr/bin/env bash
# Many keys at once: times `ovs config import/export/diff` against the
# reference tools on the same real etcd (default server limits: 128 ops and
# 1.5 MiB per txn) in one run, and prints ratios. Not a test: run it by hand,
# on an otherwise idle machine.
#
#   bash bench/batch.sh
#
# 1. import 10,000 keys (--chunked) vs an `etcdctl put` loop   target >= 50x faster
#    (the loop is timed on SAMPLE keys and scaled to 10,000: said in the output)
# 2. export 100,000 keys vs `etcdctl get --prefix -w json`     target <= 1.0, RSS <= 50 MB
# 3. diff of a 10,000-key document vs the export of those keys target <= 1.5
# 4. import 100,000 keys into the directory store              target <= 2 s (one rewrite)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
REPS=${REPS:-20}
SAMPLE=${SAMPLE:-500}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
start_etcd
export OVS_CONFIG_STORE="etcd://$EP"

doc 10000 /ten >"$WORK/ten.yaml"
doc 100000 /bench >"$WORK/bench.yaml"

echo "1. import 10,000 keys into etcd with --chunked (default limits)"
t0=$(now); "$OVS" -q config import --chunked "$WORK/ten.yaml"; t1=$(now)
o=$(secs "$t0" "$t1")
t0=$(now)
for i in $(seq "$SAMPLE"); do etcdctl --endpoints "$EP" put "/loop/$i" "value-$i" >/dev/null; done
t1=$(now)
e=$(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / 1e9 * 10000 / $SAMPLE}")
printf '   ovs %5.2f s   etcdctl put loop %6.1f s (timed on %d keys, scaled to 10,000)   ovs is %sx faster (target >= 50)\n' \
  "$o" "$e" "$SAMPLE" "$(ratio "$e" "$o")"
result "import --chunked of 10,000 keys vs an etcdctl put loop (times faster)" "$o s" "$e s" "$(ratio "$e" "$o")" ">= 50"

echo "2. export 100,000 keys, best of $RUNS"
"$OVS" -q config import --chunked "$WORK/bench.yaml"
read -r ot om < <(best "$OVS" config export /bench)
read -r et em < <(best etcdctl --endpoints "$EP" get --prefix /bench/ -w json)
printf '   ovs %5.2f s %6d KB   etcdctl %5.2f s %6d KB   time ratio %s (target <= 1.0), ovs RSS %d MB (target <= 50)\n' \
  "$ot" "$om" "$et" "$em" "$(ratio "$ot" "$et")" $((om / 1024))
result "export of 100,000 keys vs etcdctl get --prefix -w json" "$ot s, $((om / 1024)) MB" "$et s, $((em / 1024)) MB" "$(ratio "$ot" "$et")" "<= 1.0"

echo "3. diff of a 10,000-key document against etcd vs export of the same keys, mean of $REPS runs"
# The document as an operator has it: exported, then one value edited.
"$OVS" config export /ten | sed 's/"value-1"$/"changed"/' >"$WORK/ten-changed.yaml"
d=$(loop "$OVS" -q config diff "$WORK/ten-changed.yaml"); x=$(loop "$OVS" config export /ten)
printf '   diff %6.1f ms   export %6.1f ms   ratio %s (target <= 1.5)\n' \
  "$(awk "BEGIN{print $d/1000/$REPS}")" "$(awk "BEGIN{print $x/1000/$REPS}")" "$(ratio "$d" "$x")"
result "diff of a 10,000-key document vs export of those keys" "$(awk "BEGIN{print $d/1000/$REPS}") ms" \
  "$(awk "BEGIN{print $x/1000/$REPS}") ms" "$(ratio "$d" "$x")" "<= 1.5"

echo "4. import 100,000 keys into the directory store (one rewrite), best of $RUNS"
read -r it im < <(best sh -c "rm -rf '$WORK/dir' && '$OVS' -q --store 'dir://$WORK/dir' config import '$WORK/bench.yaml'")
printf '   ovs %5.2f s %6d KB (target <= 2 s)\n' "$it" "$im"
result "import of 100,000 keys into the directory store" "$it s, $((im / 1024)) MB" "" "$it s" "<= 2"
