#!/usr/bin/env bash
# Every benchmark in bench/, each on fresh servers of its own, then one
# table: what ovs took, what the reference tool took in the same run, the
# ratio (ovs / reference; below 1 means ovs is faster) or figure, and the
# target. The README's Performance section is this table. Not a test: run it
# on an otherwise idle machine; it takes about ten minutes.
#
#   bash bench/report.sh             # every script
#   bash bench/report.sh etcd zk     # some of them
set -uo pipefail
cd "$(dirname "$0")/.."
scripts=("$@")
if [ ${#scripts[@]} -eq 0 ]; then
  for f in bench/*.sh; do
    case $f in bench/lib.sh | bench/report.sh) ;; *) scripts+=("$(basename "$f" .sh)") ;; esac
  done
fi
BENCH_RESULTS=$(mktemp)
export BENCH_RESULTS
trap 'rm -f "$BENCH_RESULTS"' EXIT
failed=()
for s in "${scripts[@]}"; do
  echo "== bench/$s.sh (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  bash "bench/$s.sh" || failed+=("$s")
done

echo
echo "| work | ovs | reference | result | target | met |"
echo "| --- | --- | --- | --- | --- | --- |"
while IFS=$'\t' read -r work ovs ref res target; do
  met=$(awk -v r="${res%% *}" -v t="$target" 'BEGIN {
    split(t, p, " "); if (r !~ /^[0-9.]+$/ || p[2] !~ /^[0-9.]+$/) { print "-"; exit }
    ok = (p[1] == "<=") ? r <= p[2] : (p[1] == ">=") ? r >= p[2] : (p[1] == "<") ? r < p[2] : (p[1] == ">") ? r > p[2] : -1
    print (ok == -1) ? "-" : ok ? "yes" : "**no**" }')
  echo "| $work | $ovs | $ref | $res | $target | $met |"
done <"$BENCH_RESULTS"
echo
echo "$(nproc) cores, $(uname -m), $(etcd --version 2>/dev/null | head -1), release build; $(date -u +%Y-%m-%d)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}"
  exit 1
fi
