#!/usr/bin/env bash
# Runs a command against a Temporal cluster of its own (scripts/temporal-cluster.sh) on free ports, with
# two databases named for the run, dropped at the end whatever the command's outcome.
#
#   scripts/with-temporal-cluster.sh npm test
#
# The command sees TEST_TEMPORAL_ADDRESS, and TEMPORAL_CLUSTER_* so it may restart the cluster itself.
set -euo pipefail
cd "$(dirname "$0")/.."

run="run_$(date +%s)_$$"
export TEMPORAL_CLUSTER_PORT=auto TEMPORAL_CLUSTER_DB="${run}_temporal" TEMPORAL_CLUSTER_VISIBILITY_DB="${run}_temporal_visibility"
TEMPORAL_CLUSTER_DIR="$(mktemp -d)"
export TEMPORAL_CLUSTER_DIR
trap 'scripts/temporal-cluster.sh down --purge; rm -rf "$TEMPORAL_CLUSTER_DIR"' EXIT
TEST_TEMPORAL_ADDRESS="$(scripts/temporal-cluster.sh up)"
export TEST_TEMPORAL_ADDRESS
"$@"
