#!/usr/bin/env bash
# A Temporal cluster as production runs it: the Temporal server (scripts/temporal-server.sh) with
# PostgreSQL persistence in two databases of its own, configured from the server's own docker.yaml
# template through the environment, with aims-flow's namespace and search attributes set up.
#
#   scripts/temporal-cluster.sh up           # prints the frontend address on stdout when it is ready
#   scripts/temporal-cluster.sh restart      # stops and starts the server on the same databases and ports
#   scripts/temporal-cluster.sh down [--purge]   # stops it; --purge also drops its two databases
#
# Settings (environment): TEMPORAL_CLUSTER_PORT (frontend gRPC, 7233, or `auto` for a free range, which
# needs TEMPORAL_CLUSTER_DIR; the other services use the ports after it), TEMPORAL_CLUSTER_DB and TEMPORAL_CLUSTER_VISIBILITY_DB (temporal, temporal_visibility),
# TEMPORAL_CLUSTER_DIR (where its config, log and pid live), POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER,
# POSTGRES_PASSWORD (127.0.0.1, 5432, postgres, none), TEMPORAL_NAMESPACE (default).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "temporal-cluster: $*" >&2; }

# The offsets of the ports the services use from the frontend's (see the environment in up).
readonly port_offsets=(0 1 2 6 10 13 100 101 102 106)

# A frontend port whose neighbours are free too. Below 32768: the cluster records membership ports as smallint.
free_port_range() {
  local base offset
  for _ in $(seq 50); do
    base=$((20000 + (RANDOM % 120) * 100))
    for offset in "${port_offsets[@]}"; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((base + offset))") 2>/dev/null; then continue 2; fi
    done
    echo "$base"
    return
  done
  log "no free port range found"
  return 1
}

port="${TEMPORAL_CLUSTER_PORT:-7233}"
if [[ "$port" == auto ]]; then
  readonly dir="${TEMPORAL_CLUSTER_DIR:?TEMPORAL_CLUSTER_PORT=auto needs TEMPORAL_CLUSTER_DIR}"
  if [[ -f "$dir/port" ]]; then port="$(cat "$dir/port")"; else port="$(free_port_range)"; fi
else
  readonly dir="${TEMPORAL_CLUSTER_DIR:-$PWD/.local/temporal-cluster-$port}"
fi
readonly port
readonly db="${TEMPORAL_CLUSTER_DB:-temporal}"
readonly visibility_db="${TEMPORAL_CLUSTER_VISIBILITY_DB:-temporal_visibility}"
readonly pg_host="${POSTGRES_HOST:-127.0.0.1}" pg_port="${POSTGRES_PORT:-5432}" pg_user="${POSTGRES_USER:-postgres}"
export SQL_PASSWORD="${POSTGRES_PASSWORD:-}"

sql_tool() {
  "$sql_tool_bin" --plugin postgres12 --endpoint "$pg_host" --port "$pg_port" --user "$pg_user" "$@"
}

# The schema files ship in the server's Go module, at the version of the binaries.
schema_dir() {
  local version module_dir
  version="$("$server_bin" --version | awk '{print $NF}')"
  module_dir="$("$(type -P go || echo /usr/local/go/bin/go)" mod download -json "go.temporal.io/server@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  echo "${module_dir:?the go.temporal.io/server module could not be downloaded}/schema/postgresql/v12"
}

# create, then setup-schema 0.0 and update-schema: each step is idempotent, as in Temporal's compose.
setup_database() {
  local name=$1 versioned=$2
  sql_tool --database "$name" create-database >>"$dir/schema.log" 2>&1 || true
  if ! { sql_tool --database "$name" setup-schema -v 0.0 && sql_tool --database "$name" update-schema -d "$versioned"; } >>"$dir/schema.log" 2>&1; then
    log "the schema of database $name could not be set up; $dir/schema.log ends:"
    tail -n 20 "$dir/schema.log" >&2
    return 1
  fi
}

running() { [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

up() {
  if running; then
    log "already running (pid $(cat "$dir/pid"))"
    echo "127.0.0.1:$port"
    return
  fi
  local binaries
  binaries="$(scripts/temporal-server.sh)"
  server_bin="$(sed -n 1p <<<"$binaries")" sql_tool_bin="$(sed -n 2p <<<"$binaries")"
  local schemas
  schemas="$(schema_dir)"
  mkdir -p "$dir/config"
  echo "$port" >"$dir/port"
  # A restart finds its databases as it left them.
  if [[ ! -f "$dir/schema-ready" ]]; then
    setup_database "$db" "$schemas/temporal/versioned"
    setup_database "$visibility_db" "$schemas/visibility/versioned"
    touch "$dir/schema-ready"
  fi

  cp "$(dirname "$schemas")/../../config/docker.yaml" "$dir/config/docker.yaml"
  # The template's variables (docker.yaml of the server's module), the same the temporalio/server image reads.
  env DB=postgres12 DBNAME="$db" VISIBILITY_DBNAME="$visibility_db" \
    POSTGRES_SEEDS="$pg_host" DB_PORT="$pg_port" POSTGRES_PORT="$pg_port" POSTGRES_USER="$pg_user" POSTGRES_PWD="$SQL_PASSWORD" \
    BIND_ON_IP=127.0.0.1 LOG_LEVEL="${TEMPORAL_CLUSTER_LOG_LEVEL:-warn}" \
    FRONTEND_GRPC_PORT="$port" FRONTEND_HTTP_PORT=$((port + 10)) INTERNAL_FRONTEND_HTTP_PORT=$((port + 13)) \
    HISTORY_GRPC_PORT=$((port + 1)) MATCHING_GRPC_PORT=$((port + 2)) WORKER_GRPC_PORT=$((port + 6)) \
    FRONTEND_MEMBERSHIP_PORT=$((port + 100)) HISTORY_MEMBERSHIP_PORT=$((port + 101)) \
    MATCHING_MEMBERSHIP_PORT=$((port + 102)) WORKER_MEMBERSHIP_PORT=$((port + 106)) \
    DYNAMIC_CONFIG_FILE_PATH="$PWD/temporal/dynamicconfig.yaml" \
    setsid "$server_bin" --root "$dir" --config config --env docker --allow-no-auth start >"$dir/server.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/pid"
  log "server started (pid $pid, log $dir/server.log)"
  # Until the frontend listens; a server that exits on a bad config or database says why at once.
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the server exited; its log ends:"
      tail -n 5 "$dir/server.log" | cut -c 1-400 >&2
      rm -f "$dir/pid"
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "the frontend does not listen on $port after 60 s; trying the namespace set-up anyway"; fi
  log "setting up namespace ${TEMPORAL_NAMESPACE:-default}"
  if ! TEMPORAL_ADDRESS="127.0.0.1:$port" npx tsx scripts/temporalNamespace.ts >&2; then
    log "the namespace set-up failed; the server log ends:"
    tail -n 30 "$dir/server.log" >&2
    down
    return 1
  fi
  echo "127.0.0.1:$port"
}

down() {
  if running; then
    local pid
    pid="$(cat "$dir/pid")"
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "stopped (pid $pid)"
  fi
  rm -f "$dir/pid"
  if [[ "${1:-}" == "--purge" ]]; then
    rm -f "$dir/port" "$dir/schema-ready"
    local failed=0
    for name in "$db" "$visibility_db"; do
      PGPASSWORD="$SQL_PASSWORD" psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >&2 || failed=1
    done
    if ((failed)); then log "a database could not be dropped"; return 1; fi
    log "dropped databases $db and $visibility_db"
  fi
}

case "${1:-}" in
  up) up ;;
  restart) down && up ;;
  down) shift; down "$@" ;;
  *) echo "usage: $0 up | restart | down [--purge]" >&2; exit 2 ;;
esac
