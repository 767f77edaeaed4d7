#!/usr/bin/env bash
# Installs everything the tests need on a bare Debian machine (with the Rust
# toolchain), then runs every test. CI calls this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
# protoc builds etcd-client; etcd, etcdctl, ZooKeeper, MariaDB and PostgreSQL are real
# servers for the backend tests (sqlite3 reads the SQLite store's files); openssl makes the
# test certificates for TLS; haproxy -c checks what `render` installs.
as_root apt-get install -y -q --no-install-recommends protobuf-compiler etcd-server etcd-client zookeeper openssl haproxy \
  sqlite3 mariadb-server postgresql
# Consul is in no package registry this project reaches: its store is tested
# against the in-repo fake agent (tests/util/consul.rs), nothing to install.
command -v python3 >/dev/null || as_root apt-get install -y -q --no-install-recommends python3 python3-pip

# Real Celery judges the schedule validator (tests/celery_agreement.rs).
if ! python3 -c 'import celery' 2>/dev/null; then
  python3 -m pip install -q celery 2>/dev/null || python3 -m pip install -q --break-system-packages celery
fi

# Habits first: a tree that is not fmt-clean or that clippy warns about fails
# before any test runs.
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
