#!/usr/bin/env bash
# Builds ovs and runs it on the embedded directory store (the default kind),
# in a temporary directory: no server needed, and your own store is untouched.
# (protoc is needed to build the etcd client; it is installed if missing.)
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v protoc >/dev/null; then
  as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q protobuf-compiler
fi
cargo build --release --locked
ovs=target/release/ovs
# The demo writes to a store of its own, never to your default store.
OVS_CONFIG_STORE="dir://$(mktemp -d)/store"
export OVS_CONFIG_STORE
echo "demo store: $OVS_CONFIG_STORE"
set -x
$ovs config stores
$ovs config set /ovs/framework/scheduling/celery \
  '{"ovs.generic.execute_scrub": {"minute": "0", "hour": "*/3"}, "ovs.stats_monkey.run_all": null}'
$ovs config get -o json /ovs/framework/scheduling/celery
$ovs config list /ovs/framework
$ovs config schedule --at 2026-01-01T00:00:00Z --count 2
$ovs config set /ovs/framework/scheduling/celery --field /ovs.generic.execute_scrub/hour '"*/2"'
$ovs config schedule --at 2026-01-01T00:00:00Z --count 2 -o json
$ovs config validate /ovs/framework/scheduling/celery '{"ovs.generic.execute_scrub": {"minute": "61"}}' || echo "rejected with exit $?"
$ovs config list -r /
