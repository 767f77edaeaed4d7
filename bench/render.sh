#!/usr/bin/env bash
# Times `ovs config render` of a template over 10,000 keys (every key of a
# subtree through tree(), one line each), on a real etcd and on the
# directory store: best of RUNS, and peak memory. Not a test: run it by hand,
# on an otherwise idle machine.
#
#   bash bench/render.sh          # KEYS=10000, RUNS=5; OVS=path/to/ovs skips the release build
#
# 1. etcd, KEYS keys, one render to stdout          target < 0.2 s
# 2. directory store, the same                      target < 0.2 s
# (From a put to the file replaced under --watch, and --watch's memory after
# many re-renders, are measured with --watch's own benchmark.)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-10000}
RUNS=${RUNS:-5}

. bench/lib.sh
if [ -z "${OVS:-}" ]; then build_ovs; fi
WORK=$(mktemp -d)
start_etcd

doc "$KEYS" /bench >"$WORK/bench.yaml"
printf '%s\n' '{% for rel, value in tree("/bench") | items %}{{ rel }} = {{ value }}' '{% endfor -%}' >"$WORK/all.j2"

for store in "etcd://$EP" "dir://$WORK/store"; do
  "$OVS" -q --store "$store" config import --chunked "$WORK/bench.yaml"
  lines=$("$OVS" --store "$store" config render "$WORK/all.j2" | wc -l)
  [ "$lines" -eq "$KEYS" ] || { echo "rendered $lines lines, not $KEYS"; exit 1; }
  read -r t m < <(best "$OVS" --store "$store" config render "$WORK/all.j2")
  echo "${store%%:*}: render over $KEYS keys: ${t}s (target < 0.2 s), peak ${m} KiB"
done
