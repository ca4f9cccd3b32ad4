#!/usr/bin/env bash
# Prints the absolute path of a Temporal CLI binary on stdout and nothing else; progress goes to stderr.
# Lookup: $TEMPORAL_CLI, `temporal` on PATH, the cache, else build it from source with Go.
# The cache lives outside the repo so fresh clones (CI) on the same machine reuse one build.
set -euo pipefail

# Later tags carry a replace directive in go.mod, which `go install module@version` refuses.
readonly CLI_MODULE=github.com/temporalio/cli
readonly CLI_VERSION=v1.5.1

cache="${AIMS_FLOW_CACHE:-$HOME/.cache/aims-flow}"
cached="$cache/go-bin/temporal"

log() { echo "temporal-cli: $*" >&2; }

found() {
  realpath -- "$1"
  exit 0
}

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  if [[ -f "$TEMPORAL_CLI" && -x "$TEMPORAL_CLI" ]]; then found "$TEMPORAL_CLI"; fi
  log "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file"
  exit 1
fi
if on_path="$(type -P temporal)"; then found "$on_path"; fi
if [[ -x "$cached" ]]; then found "$cached"; fi

go_bin="$(type -P go || true)"
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then go_bin=/usr/local/go/bin/go; fi
if [[ -z "$go_bin" ]]; then
  log "no Temporal CLI found and no Go toolchain to build one."
  log "Install the Temporal CLI (https://docs.temporal.io/cli) and put 'temporal' on PATH,"
  log "or set TEMPORAL_CLI=/path/to/temporal, or install Go so this script can build $CLI_VERSION."
  exit 1
fi

mkdir -p "$cache"
# One build at a time per cache: a developer and a CI run may ask at once.
exec 9>"$cache/go-bin.lock"
flock 9
if [[ -x "$cached" ]]; then found "$cached"; fi

# Build into a scratch dir and rename into place, so an interrupted build never leaves a
# truncated binary that the -x check above would accept.
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local

log "building Temporal CLI $CLI_VERSION with $("$go_bin" version) (a few minutes the first time)..."
start=$SECONDS
if ! GOBIN="$work" "$go_bin" install "$CLI_MODULE/cmd/temporal@$CLI_VERSION" 2>&1 | tee "$work/install.log" >&2; then
  # The checksum database is normally reached through the module proxy. Where it is not reachable,
  # `go install module@version` fails: it checks every dependency against the database, not against
  # the CLI's own go.sum. So fetch the CLI module alone without the database (trusting the proxy for
  # that one module) and build inside it, where its go.sum verifies every dependency.
  if ! grep -q 'verifying module' "$work/install.log"; then
    log "go install failed; see the output above"
    exit 1
  fi
  log "checksum database unreachable; building inside the $CLI_MODULE module with its go.sum instead"
  module_dir="$(GONOSUMDB="$CLI_MODULE" "$go_bin" mod download -json "$CLI_MODULE@$CLI_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  (cd "${module_dir:?no module dir from go mod download}" && "$go_bin" build -buildvcs=false -o "$work/temporal" ./cmd/temporal) >&2
fi

mkdir -p "$cache/go-bin"
mv -f "$work/temporal" "$cached"
log "built $cached in $((SECONDS - start)) s"
found "$cached"
