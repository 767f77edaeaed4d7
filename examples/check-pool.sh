#!/bin/sh
# A `command` validator for Flocker's ZFS dataset block: the pool it names
# must be one the nodes have. ovs passes the key as $1 and the value (JSON
# or YAML, already checked against flocker-dataset.schema.json) on stdin;
# exit 0 accepts, anything else refuses with the first line of stderr.
#
# The nodes' pools: $OVS_NODE_POOLS (separated by spaces or commas), else
# the file $OVS_NODE_POOLS_FILE (default /etc/ovs/node-pools), one a line,
# e.g. made by `ssh NODE zpool list -H -o name` on every node.
set -eu
key=${1:-?}
value=$(cat)
# The first `pool:` (YAML) or `"pool":` (JSON) and its name.
pool=$(printf '%s\n' "$value" | sed -n 's/.*"\{0,1\}pool"\{0,1\}[[:space:]]*:[[:space:]]*"\{0,1\}\([A-Za-z][A-Za-z0-9_.:-]*\).*/\1/p' | head -n 1)
if [ -z "$pool" ]; then
    # Not a ZFS block (another backend names no pool): nothing to check.
    exit 0
fi
if [ -n "${OVS_NODE_POOLS:-}" ]; then
    pools=$(printf '%s\n' "$OVS_NODE_POOLS" | tr ', ' '\n\n')
else
    file=${OVS_NODE_POOLS_FILE:-/etc/ovs/node-pools}
    if ! pools=$(cat "$file" 2>/dev/null); then
        echo "$key: cannot read the nodes' pools from $file (set OVS_NODE_POOLS or OVS_NODE_POOLS_FILE)" >&2
        exit 2
    fi
fi
if printf '%s\n' "$pools" | grep -qxF -- "$pool"; then
    exit 0
fi
echo "/dataset/pool: no node has a pool named $pool (they have: $(printf '%s\n' "$pools" | grep . | tr '\n' ' ' | sed 's/ $//'))" >&2
exit 1
