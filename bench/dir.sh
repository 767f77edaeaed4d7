#!/usr/bin/env bash
# How the directory store's `get` and `set` grow with its size: a store of
# 1,000, 10,000 and 100,000 keys (10 children, short values), each timed as
# whole processes, median of RUNS runs, with peak RSS. There is no reference
# tool: the figures are reported, and the growth from one size to the next
# is what tells up to what size the store is the right choice (README, "The
# directory store"). Not a test: run it by hand (or through bench/report.sh).
#
#   bash bench/dir.sh            # RUNS=21 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-21}

. bench/lib.sh
build_ovs
WORK=$(mktemp -d)
export XDG_STATE_HOME=$WORK/state

median_ms() { local all=""; for _ in $(seq "$RUNS"); do all="$all $(run_ms "$1")"; done; tr ' ' '\n' <<<"$all" | grep . | median; }

printf '   %-8s %10s %10s %10s %10s %9s\n' keys "file MB" "get ms" "set ms" "list ms" "RSS MB"
for n in 1000 10000 100000; do
  store="dir://$WORK/s$n"
  doc "$n" /bench >"$WORK/doc$n.yaml"
  "$OVS" -q --store "$store" config import "$WORK/doc$n.yaml"
  key=/bench/05/$(printf %06d $((n / 2)))
  get=$(median_ms "$OVS --store $store config get $key")
  set=$(median_ms "$OVS -q --store $store config set $key changed")
  list=$(median_ms "$OVS --store $store config list /bench")
  rss=$(( $(rss_kb "$OVS" -q --store "$store" config set "$key" again) / 1024 ))
  mb=$(awk "BEGIN{printf \"%.2f\", $(stat -c %s "$WORK/s$n/ovs-config.jsonl") / 1048576}")
  printf '   %-8s %10s %10s %10s %10s %9s\n' "$n" "$mb" "$get" "$set" "$list" "$rss"
  result "directory store of $n keys ($mb MB): get / set / list" "$get / $set / $list ms, $rss MB" "" "$set ms per set" "report"
done
