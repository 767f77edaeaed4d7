#!/usr/bin/env bash
# Times the relational store on a real PostgreSQL and MariaDB (started here
# as the test harness starts them, with their default durability) and on an
# SQLite file, and prints the figures and ratios. Not a test: run it by
# hand, on an otherwise idle machine.
#
#   bash bench/sql.sh            # KEYS=100000 IMPORT=10000 RUNS=5 by default
#
# 1. list -r over KEYS keys on PostgreSQL, against
#    psql -c "SELECT key FROM ... ORDER BY key" > /dev/null on the same table:
#    time ratio target <= 1.0, ovs RSS target <= 50 MB
# 2. import of IMPORT keys (one transaction) into each engine, a fresh table
#    each run: target <= 2 s
# 3. next to a BIG_MB value at /big (100 MB by default; MariaDB is started
#    with max_allowed_packet=1G, its largest, as its default 16 MiB refuses
#    it), get /small, list /, list -r / and export /small on each engine:
#    target < 20 ms and < 20 MB peak RSS each
#
#   PARTS="3" bash bench/sql.sh  # only some of the parts
#   OVS=target/debug/ovs bash bench/sql.sh  # another build (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-100000}
IMPORT=${IMPORT:-10000}
RUNS=${RUNS:-5}
BIG_MB=${BIG_MB:-100}
PARTS=${PARTS:-"1 2 3"}
part() { [[ " $PARTS " == *" $1 "* ]]; }

. bench/lib.sh
if [ -n "${OVS:-}" ]; then OVS=$(realpath "$OVS"); else build_ovs; fi
WORK=$(mktemp -d)
chmod 755 "$WORK"
ME=$(id -un)
PIDS=()
as_pg=()
cleanup() {
  # runuser may stay the parent of postgres: stop the server itself.
  [ -f "$WORK/pg/data/postmaster.pid" ] && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" stop -m immediate >/dev/null 2>&1
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL: Debian keeps its binaries off PATH; as root it runs as postgres.
need mariadbd mariadb-server; [ -d /usr/lib/postgresql ] || need psql postgresql
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); mkdir "$WORK/pg" && chown postgres "$WORK/pg"; fi
"${as_pg[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1
PGPORT=$(port)
"${as_pg[@]}" "$PGBIN/postgres" -D "$WORK/pg/data" -p "$PGPORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 \
  >"$WORK/postgres.log" 2>&1 &
PIDS+=($!)
psql() { "$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPORT" "$@"; }
for _ in $(seq 100); do psql -U postgres -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
[ "$ME" = postgres ] || psql -U postgres -q -c "CREATE ROLE \"$ME\" LOGIN SUPERUSER"
psql -U postgres -q -c "CREATE DATABASE ovs"

# MariaDB.
mariadb-install-db --no-defaults --datadir="$WORK/my" --auth-root-authentication-method=normal --skip-test-db \
  --user="$ME" >"$WORK/install.log" 2>&1
MYPORT=$(port)
mariadbd --no-defaults --datadir="$WORK/my" --socket="$WORK/my.sock" --port="$MYPORT" --bind-address=127.0.0.1 \
  --skip-name-resolve --skip-log-bin --user="$ME" --log-error="$WORK/mariadb.log" --max-allowed-packet=1G \
  >/dev/null 2>&1 &
PIDS+=($!)
my() { mariadb --no-defaults --socket="$WORK/my.sock" -uroot "$@"; }
for _ in $(seq 100); do my -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
my -e "CREATE DATABASE ovs; CREATE USER IF NOT EXISTS '$ME'@'127.0.0.1'; GRANT ALL ON *.* TO '$ME'@'127.0.0.1'"

PG_URL="postgres://127.0.0.1:$PGPORT/ovs"
MY_URL="mysql://127.0.0.1:$MYPORT/ovs"
LITE_URL="sqlite://$WORK/store.db"

# A document of N keys below /bench: 10 children of N/10 keys each.
document() {
  python3 -c "
import sys
n = int(sys.argv[1]); per = max(n // 10, 1)
out = ['ovs-config: 1', 'prefix: /bench', 'keys:']
out += [f'  {i // per:02d}/{i:06d}: value-{i}' for i in range(n)]
print('\n'.join(out))" "$1" >"$2"
}
if part 1 || part 2; then
  document "$KEYS" "$WORK/keys.yaml"
  document "$IMPORT" "$WORK/import.yaml"
fi

# Milliseconds, best of RUNS (finer than /usr/bin/time's hundredths).
best_ms() {
  local best="" t0 t
  for _ in $(seq "$RUNS"); do
    t0=$(now); "$@" >/dev/null; t=$(( ($(now) - t0) / 1000 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  awk "BEGIN{printf \"%.1f\", $best / 1000}"
}

if part 1; then
echo "loading $KEYS keys into PostgreSQL (one import)..."
t0=$(now)
"$OVS" --store "$PG_URL" config import "$WORK/keys.yaml" >/dev/null 2>&1
echo "   $(awk "BEGIN{printf \"%.2f\", ($(now) - $t0) / 1e9}") s"
[ "$("$OVS" --store "$PG_URL" config list -r /bench | wc -l)" -eq "$KEYS" ] || { echo "load failed"; exit 1; }

echo
echo "1. list -r /bench over $KEYS keys on PostgreSQL, best of $RUNS (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
ot=$(best_ms "$OVS" --store "$PG_URL" config list -r /bench)
pt=$(best_ms "$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPORT" -d ovs -c "SELECT key FROM ovs_config ORDER BY key")
read -r _ om < <(best "$OVS" --store "$PG_URL" config list -r /bench)
printf '   ovs %6.1f ms   psql %6.1f ms   time ratio %s (target <= 1.0), ovs peak RSS %d MB (target <= 50)\n' \
  "$ot" "$pt" "$(ratio "$ot" "$pt")" $((om / 1024))
result "PostgreSQL list -r of $KEYS keys vs psql SELECT key" "$ot ms, $((om / 1024)) MB" "$pt ms" "$(ratio "$ot" "$pt")" "<= 1.0"

echo "   the same on the other engines (no target; the first import of $KEYS keys into each, then list -r):"
for engine in "MariaDB $MY_URL" "SQLite $LITE_URL"; do
  read -r name url <<<"$engine"
  "$OVS" --store "$url" config import "$WORK/keys.yaml" >/dev/null 2>&1
  printf '   %-10s list -r %6.1f ms\n' "$name" "$(best_ms "$OVS" --store "$url" config list -r /bench)"
done
echo "   list /bench (10 children of $((KEYS / 10)) keys: subtrees skipped) on PostgreSQL: $(best_ms "$OVS" --store "$PG_URL" config list /bench) ms"

fi

if part 2; then
echo "2. import of $IMPORT keys in one transaction, a fresh table each run, best of $RUNS"
for engine in "PostgreSQL $PG_URL" "MariaDB $MY_URL" "SQLite $LITE_URL"; do
  read -r name url <<<"$engine"
  best_t=""
  for run in $(seq "$RUNS"); do
    read -r t _ < <(/usr/bin/time -f "%e %M" "$OVS" --store "$url?table=import_$run" config import \
      "$WORK/import.yaml" 2>&1 >/dev/null | tail -1)
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; fi
  done
  [ "$("$OVS" --store "$url?table=import_1" config list -r /bench | wc -l)" -eq "$IMPORT" ] || { echo "import failed"; exit 1; }
  printf '   %-10s %5.2f s (target <= 2)\n' "$name" "$best_t"
  result "$name import of $IMPORT keys in one transaction" "$best_t s" "" "$best_t s" "<= 2"
done
fi

if part 3; then
echo "3. next to a $BIG_MB MB value at /big, best of $RUNS (target < 20 ms and < 20 MB each)"
# base64 of 3/4 of the size: text, exactly BIG_MB MB, compressed by no engine.
head -c $((BIG_MB * 3 << 18)) /dev/urandom | base64 -w0 >"$WORK/big"
for engine in "PostgreSQL $PG_URL" "MariaDB $MY_URL" "SQLite $LITE_URL"; do
  read -r name url <<<"$engine"
  url="$url?table=big"
  "$OVS" -q --store "$url" config set /small v >/dev/null
  "$OVS" -q --store "$url" config set /x/small v >/dev/null
  "$OVS" -q --store "$url" config set /big -f "$WORK/big" --max-value-size $((BIG_MB << 21)) >/dev/null
  "$OVS" -q --store "$url" config set /x/big -f "$WORK/big" --max-value-size $((BIG_MB << 21)) >/dev/null
  printf '   %-10s' "$name"
  for cmd in "get /small" "list /" "list -r /" "export /x/small"; do
    read -r _ m < <(best "$OVS" --store "$url" config $cmd)
    # shellcheck disable=SC2086
    printf '  %s %5.1f ms %3d MB' "$cmd" "$(best_ms "$OVS" --store "$url" config $cmd)" $((m / 1024))
  done
  echo
done
fi
