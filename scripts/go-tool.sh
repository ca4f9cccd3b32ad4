#!/usr/bin/env bash
# Prints the absolute path of a Go program built from a module version, building it once into a cache
# outside the repo so fresh clones (CI) on the same machine reuse one build. Progress goes to stderr.
#
#   scripts/go-tool.sh NAME MODULE PACKAGE VERSION
#   scripts/go-tool.sh temporal-server go.temporal.io/server cmd/server v1.29.1
#
# The cached binary is NAME@VERSION, so a version bump builds anew and never runs a stale binary.
set -euo pipefail

readonly name=$1 module=$2 package=$3 version=$4

cache="${AIMS_FLOW_CACHE:-$HOME/.cache/aims-flow}"
cached="$cache/go-bin/$name@$version"

log() { echo "$name: $*" >&2; }

found() {
  realpath -- "$1"
  exit 0
}

if [[ -x "$cached" ]]; then found "$cached"; fi

go_bin="$(type -P go || true)"
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then go_bin=/usr/local/go/bin/go; fi
if [[ -z "$go_bin" ]]; then
  log "not built yet, and no Go toolchain to build $module/$package@$version; install Go"
  exit 1
fi

mkdir -p "$cache/go-bin"
# One build at a time per cache: a developer and a CI run may ask at once.
exec 9>"$cache/go-bin.lock"
flock 9
if [[ -x "$cached" ]]; then found "$cached"; fi

# Build into a scratch dir and rename into place, so an interrupted build never leaves a
# truncated binary that the -x check above would accept.
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local

log "building $module/$package@$version with $("$go_bin" version) (minutes, once per machine)..."
start=$SECONDS
if ! GOBIN="$work/bin" "$go_bin" install "$module/$package@$version" 2>&1 | tee "$work/install.log" >&2; then
  # The checksum database is normally reached through the module proxy. Where it is not reachable,
  # `go install module@version` fails: it checks every dependency against the database, not against
  # the module's own go.sum. So fetch the module alone without the database (trusting the proxy for
  # that one module) and build inside it, where its go.sum verifies every dependency.
  if ! grep -q 'verifying module' "$work/install.log"; then
    log "go install failed; see the output above"
    exit 1
  fi
  log "checksum database unreachable; building inside the $module module with its go.sum instead"
  module_dir="$(GONOSUMDB="$module" "$go_bin" mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  mkdir -p "$work/bin"
  (cd "${module_dir:?no module dir from go mod download}" && "$go_bin" build -buildvcs=false -o "$work/bin/" "./$package") >&2
fi

built=("$work"/bin/*)
mv -f "${built[0]}" "$cached"
log "built $cached in $((SECONDS - start)) s"
found "$cached"
