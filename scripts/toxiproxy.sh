#!/usr/bin/env bash
# Prints the path of the toxiproxy server, the fault proxy `npm run faults` puts between aims-flow and
# each dependency, building it once from Go modules into the cache outside the repo.
set -euo pipefail
exec "$(dirname "$0")/go-tool.sh" toxiproxy-server github.com/Shopify/toxiproxy/v2 cmd/server v2.12.0
