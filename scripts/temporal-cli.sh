#!/usr/bin/env bash
# Prints the absolute path of a Temporal CLI binary on stdout and nothing else; progress goes to stderr.
# Lookup: $TEMPORAL_CLI, `temporal` on PATH, else the build cache of scripts/go-tool.sh.
set -euo pipefail

# Later tags carry a replace directive in go.mod, which `go install module@version` refuses.
readonly CLI_VERSION=v1.5.1

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  if [[ -f "$TEMPORAL_CLI" && -x "$TEMPORAL_CLI" ]]; then realpath -- "$TEMPORAL_CLI" && exit 0; fi
  echo "temporal-cli: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2
  exit 1
fi
if on_path="$(type -P temporal)"; then realpath -- "$on_path" && exit 0; fi
exec "$(dirname "$0")/go-tool.sh" temporal github.com/temporalio/cli cmd/temporal "$CLI_VERSION"
