#!/usr/bin/env bash
# Prints the paths of the Temporal server and its SQL schema tool, one per line (server first), building
# them once from Go modules into the cache outside the repo. This is the server production runs, with
# PostgreSQL persistence; scripts/temporal-cluster.sh brings it up.
set -euo pipefail

# The version tests, CI, the cluster script and docker-compose.yml all use.
readonly SERVER_VERSION=v1.29.1

here="$(dirname "$0")"
"$here/go-tool.sh" temporal-server go.temporal.io/server cmd/server "$SERVER_VERSION"
"$here/go-tool.sh" temporal-sql-tool go.temporal.io/server cmd/tools/sql "$SERVER_VERSION"
