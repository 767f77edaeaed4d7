# Helpers shared by the benchmark scripts (sourced, not run).

# A free TCP port on 127.0.0.1.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

now() { date +%s%N; }

# Seconds between two `now`s.
secs() { awk "BEGIN{printf \"%.2f\", ($2 - $1) / 1e9}"; }

# Microseconds for REPS runs of a command.
loop() { local t0; t0=$(now); for _ in $(seq "$REPS"); do "$@" >/dev/null; done; echo "$(( ($(now) - t0) / 1000 ))"; }

# Best of RUNS runs: "seconds peak_rss_kb".
best() {
  local best_t="" best_m="" t m
  for _ in $(seq "$RUNS"); do
    read -r t m < <(/usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1)
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; best_m=$m; fi
  done
  echo "$best_t $best_m"
}

# An ovs document of N keys below PREFIX, 10 children of N/10 keys.
doc() {
  python3 -c "
import sys
n, prefix = int(sys.argv[1]), sys.argv[2]
out = [f'ovs-config: 1', f'prefix: {prefix}', 'keys:']
out += [f'  {i * 10 // n:02d}/{i:06d}: value-{i}' for i in range(n)]
print('\\n'.join(out))" "$1" "$2"
}

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

# Milliseconds of one run of a command (a string, word-split), its output dropped.
# (bash's own clock: a `date` per run would add its own start to both sides.)
run_ms() {
  local t0=${EPOCHREALTIME/./} t1
  $1 >/dev/null 2>&1
  t1=${EPOCHREALTIME/./}
  printf '%d.%02d' $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000 / 10))
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Medians of PAIRS paired runs of two commands (strings, word-split), run
# alternately so that both see the same machine: "a_ms b_ms".
paired() {
  local a="" b=""
  for _ in $(seq "${PAIRS:-21}"); do a="$a $(run_ms "$1")"; b="$b $(run_ms "$2")"; done
  echo "$(tr ' ' '\n' <<<"$a" | grep . | median) $(tr ' ' '\n' <<<"$b" | grep . | median)"
}

# Peak RSS in KB of one run of a command.
rss_kb() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }

# One row of the ratio table bench/report.sh prints: WORK, OVS (figure),
# REFERENCE (figure, or "" when there is none), RESULT (a ratio, or a
# figure) and TARGET ("<= 0.15", ">= 50", "report", ...). Also printed here.
result() {
  printf '   => %s: ovs %s | reference %s | %s (target %s)\n' "$1" "$2" "${3:--}" "$4" "$5"
  if [ -n "${BENCH_RESULTS:-}" ]; then printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:--}" "$4" "$5" >>"$BENCH_RESULTS"; fi
}

need() { command -v "$1" >/dev/null || { echo "installing $2"; apt-get install -y -q "$2" >/dev/null; }; }

build_ovs() {
  need protoc protobuf-compiler
  [ -x /usr/bin/time ] || apt-get install -y -q time >/dev/null
  cargo build --release -q
  OVS=$PWD/target/release/ovs
}

# The servers a script started: stopped, and $WORK removed, when it exits.
SERVERS=()
stop_servers() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${WORK:-}" ]; then rm -rf "$WORK"; fi
}
trap stop_servers EXIT

# A one-member etcd on free loopback ports with its data in $WORK, stopped
# when the script exits; extra flags go to etcd. Call it again for another
# cluster. Sets EP (host:port) and exports ETCDCTL_API=3.
start_etcd() {
  need etcd etcd-server; need etcdctl etcd-client
  local cp pp n=${#SERVERS[@]}; cp=$(port); pp=$(port)
  etcd --name "bench$n" --data-dir "$WORK/etcd$n" "$@" \
    --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "bench$n=http://127.0.0.1:$pp" >"$WORK/etcd$n.log" 2>&1 &
  SERVERS+=($!)
  export ETCDCTL_API=3
  EP="127.0.0.1:$cp"
  for _ in $(seq 100); do etcdctl --endpoints "$EP" endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
}

ZKBIN=/usr/share/zookeeper/bin

# A standalone ZooKeeper on a free loopback port with its data in $WORK,
# stopped when the script exits. Sets ZK_EP (host:port).
start_zk() {
  [ -x $ZKBIN/zkServer.sh ] || apt-get install -y -q zookeeper >/dev/null
  local cp n=${#SERVERS[@]}; cp=$(port)
  cat >"$WORK/zoo$n.cfg" <<CFG
tickTime=500
initLimit=10
syncLimit=5
dataDir=$WORK/zk$n
clientPort=$cp
clientPortAddress=127.0.0.1
admin.enableServer=false
CFG
  ZOO_LOG_DIR=$WORK $ZKBIN/zkServer.sh start-foreground "$WORK/zoo$n.cfg" >"$WORK/zk$n.log" 2>&1 &
  SERVERS+=($!)
  ZK_EP="127.0.0.1:$cp"
  for _ in $(seq 100); do "$OVS" --store "zk://$ZK_EP" config list / >/dev/null 2>&1 && break; sleep 0.2; done
}

# A fake server of the test harness (examples/fake-NAME.rs) as a process of
# its own, serving until the script exits; it prints "MARKER URL" when ready.
# Sets OVS_CONFIG_STORE to that URL.
start_fake() {
  local name=$1 marker=$2
  cargo build --release -q --example "fake-$name"
  mkfifo "$WORK/hold-$name"
  target/release/examples/fake-$name <"$WORK/hold-$name" >"$WORK/fake-$name.log" 2>&1 &
  FAKE_PID=$!
  exec 3>"$WORK/hold-$name" # the fake serves until this closes
  trap 'exec 3>&-; wait $FAKE_PID 2>/dev/null; rm -rf "$WORK"' EXIT
  for _ in $(seq 300); do grep -q "$marker" "$WORK/fake-$name.log" && break; sleep 0.1; done
  OVS_CONFIG_STORE=$(sed -n "s/^$marker //p" "$WORK/fake-$name.log")
  export OVS_CONFIG_STORE
}
