# Local RabbitMQ and PostgreSQL for ImageBus, from Debian packages, on loopback only, with their
# data under .local/ (git-ignored). Sourced by ./imagebus; every function is safe to call twice.
# shellcheck shell=bash

IMAGEBUS_ROOT=${IMAGEBUS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LOCAL_DIR=${IMAGEBUS_LOCAL_DIR:-$IMAGEBUS_ROOT/.local}
PG_PORT=${IMAGEBUS_PG_PORT:-55433}
AMQP_PORT=${IMAGEBUS_AMQP_PORT:-5673}
RABBIT_MGMT_PORT=${IMAGEBUS_RABBIT_MGMT_PORT:-15673}
RABBIT_DIST_PORT=${IMAGEBUS_RABBIT_DIST_PORT:-25673}
RABBIT_PROMETHEUS_PORT=${IMAGEBUS_RABBIT_PROMETHEUS_PORT:-15693}
RABBIT_NODE=${IMAGEBUS_RABBIT_NODE:-imagebus}
PG_BIN=/usr/lib/postgresql/15/bin
RABBIT_BIN=/usr/lib/rabbitmq/bin

log() { printf '\033[1m[imagebus]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages ImageBus needs that are not there yet (one apt-get update, only if needed).
# Extra packages may be named (./imagebus test adds what only the tests use).
install_packages() {
  local wanted=(rabbitmq-server postgresql-15 curl jq "$@") missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  as_root apt-get update -qq
  # The packages' own service start is refused without systemd; the scripts below start them instead.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Runs a command as the postgres user (PostgreSQL refuses to run as root).
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local pg_dir=$LOCAL_DIR/postgres
  if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then return 0; fi
  mkdir -p "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
  if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in $pg_dir/data"
    as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # Each service process pools up to its Database:MaxPoolSize (120 an instance of all four): room for three instances
  # (./imagebus up --instances 3) beside the tests' own clusters.
  as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $pg_dir -c max_connections=500" -w start >/dev/null \
    || die "PostgreSQL did not start; see $pg_dir/postgres.log"
}

stop_postgres() {
  local data=$LOCAL_DIR/postgres/data
  [ -f "$data/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  return 0
}

# Creates a database if it does not exist yet.
ensure_database() {
  local name=$1
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
}

# A three-node RabbitMQ cluster (./imagebus up --instances N): node K (1-3) is $CLUSTER_NODE-K@localhost, its ports
# the bases below plus K-1, its data under $LOCAL_DIR/rabbitmq-cluster/nodeK.
CLUSTER_SIZE=3
CLUSTER_NODE=${IMAGEBUS_CLUSTER_NODE:-imagebus}
CLUSTER_AMQP_PORT=${IMAGEBUS_CLUSTER_AMQP_PORT:-5674}
CLUSTER_MGMT_PORT=${IMAGEBUS_CLUSTER_MGMT_PORT:-15674}
CLUSTER_DIST_PORT=${IMAGEBUS_CLUSTER_DIST_PORT:-25674}
CLUSTER_PROMETHEUS_PORT=${IMAGEBUS_CLUSTER_PROMETHEUS_PORT:-15694}
CLUSTER_DIR=$LOCAL_DIR/rabbitmq-cluster

# Exports the environment of one RabbitMQ node: node_env "" is the single node, node_env K node K of the cluster.
# Server and CLI of a node must see the same HOME: the Erlang cookie lives there.
node_env() {
  local k=${1:-} dir name amqp dist home
  if [ -z "$k" ]; then
    dir=$LOCAL_DIR/rabbitmq name=$RABBIT_NODE amqp=$AMQP_PORT dist=$RABBIT_DIST_PORT home=$dir/home
  else
    # One HOME for the three nodes: they (and the CLI) share one cookie, as a cluster's nodes must.
    dir=$CLUSTER_DIR/node$k name=$CLUSTER_NODE-$k amqp=$((CLUSTER_AMQP_PORT + k - 1)) dist=$((CLUSTER_DIST_PORT + k - 1)) home=$CLUSTER_DIR/home
  fi
  export HOME=$home RABBITMQ_NODENAME=$name@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$amqp RABBITMQ_DIST_PORT=$dist RABBITMQ_MNESIA_BASE=$dir/mnesia \
    RABBITMQ_LOG_BASE=$dir/log RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins \
    RABBITMQ_PID_FILE=$dir/rabbitmq.pid ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP=$dir/erl_crash.dump \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbit_env() { node_env ""; }
node_ctl() { local k=$1; shift; (node_env "$k"; "$RABBIT_BIN/rabbitmqctl" "$@"); }
rabbit_ctl() { node_ctl "" "$@"; }
node_running() { (node_env "$1"; "$RABBIT_BIN/rabbitmq-diagnostics" -q ping >/dev/null 2>&1); }

# Writes a node's configuration and starts it in the background: launch_node K AMQP MGMT PROMETHEUS ("" for the single node).
launch_node() {
  local k=$1 dir
  dir=$(node_env "$k"; dirname "$RABBITMQ_CONFIG_FILE")
  mkdir -p "$dir/log" "$(node_env "$k"; echo "$HOME")"
  cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$2
management.tcp.ip = 127.0.0.1
management.tcp.port = $3
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $4
collect_statistics_interval = 1000
CONF
  # Queue depths and the rest of the broker's figures for Prometheus come from RabbitMQ's own plugin.
  echo '[rabbitmq_management,rabbitmq_prometheus].' >"$dir/enabled_plugins"
  log "starting RabbitMQ node $(node_env "$k"; echo "$RABBITMQ_NODENAME") on 127.0.0.1:$2 (management on $3, Prometheus on $4)"
  (node_env "$k"; setsid nohup "$RABBIT_BIN/rabbitmq-server" >"$dir/log/console.log" 2>&1 &)
}

# Waits until a node started by launch_node accepts clients.
await_node() {
  local k=$1
  for _ in $(seq 1 120); do node_running "$k" && break; sleep 1; done
  node_ctl "$k" await_startup --timeout 120 >/dev/null 2>&1 \
    || die "RabbitMQ node $(node_env "$k"; echo "$RABBITMQ_NODENAME") did not start; see $(node_env "$k"; echo "$RABBITMQ_LOG_BASE")"
}

# epmd is shared by every Erlang node on the machine (another checkout's broker too): it goes only with the last one.
stop_epmd_if_unused() {
  (node_env ""; epmd -names 2>/dev/null | grep -q '^name ') || (node_env ""; epmd -kill >/dev/null 2>&1) || true
}

start_rabbitmq() {
  node_running "" && return 0
  launch_node "" "$AMQP_PORT" "$RABBIT_MGMT_PORT" "$RABBIT_PROMETHEUS_PORT"
  await_node ""
}

stop_rabbitmq() {
  if node_running ""; then
    rabbit_ctl shutdown >/dev/null 2>&1 && log "RabbitMQ stopped"
  fi
  stop_epmd_if_unused
}

# Starts the cluster's nodes that are not running (together: each waits for the others as it boots), then joins
# nodes 2 and 3 to node 1 where they are not members yet. Quorum queues declared afterwards have a member on each.
start_cluster() {
  local k
  [ -s "$CLUSTER_DIR/home/.erlang.cookie" ] || {
    mkdir -p "$CLUSTER_DIR/home"
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F >"$CLUSTER_DIR/home/.erlang.cookie")
    chmod 400 "$CLUSTER_DIR/home/.erlang.cookie"
  }
  for k in $(seq 1 "$CLUSTER_SIZE"); do
    node_running "$k" || launch_node "$k" "$(cluster_port AMQP "$k")" "$(cluster_port MGMT "$k")" "$(cluster_port PROMETHEUS "$k")"
  done
  for k in $(seq 1 "$CLUSTER_SIZE"); do await_node "$k"; done
  local first=$CLUSTER_NODE-1@localhost
  for k in $(seq 2 "$CLUSTER_SIZE"); do
    node_ctl "$k" cluster_status --formatter json 2>/dev/null | jq -e --arg n "$first" '.running_nodes | index($n)' >/dev/null && continue
    log "joining $CLUSTER_NODE-$k@localhost to $first"
    node_ctl "$k" stop_app >/dev/null
    node_ctl "$k" join_cluster "$first" >/dev/null || die "node $k did not join the cluster; see $CLUSTER_DIR/node$k/log"
    node_ctl "$k" start_app >/dev/null
    await_node "$k"
  done
}

# A cluster node's port: cluster_port AMQP|MGMT|DIST|PROMETHEUS K.
cluster_port() { local base=CLUSTER_$1_PORT; echo $((${!base} + $2 - 1)); }

# host:port of every cluster node, starting with node FIRST (default 1), so instances can spread their connections.
cluster_nodes() {
  local first=${1:-1} i
  for i in $(seq 0 $((CLUSTER_SIZE - 1))); do echo "127.0.0.1:$(cluster_port AMQP $(((first - 1 + i) % CLUSTER_SIZE + 1)))"; done
}

cluster_node_number() { [[ $1 =~ ^[1-9]$ ]] && [ "$1" -le "$CLUSTER_SIZE" ] || die "a cluster node is 1-$CLUSTER_SIZE, not '$1'"; }

# Kills a cluster node as a crash would (SIGKILL to its Erlang VM): the chaos of a broker node lost mid-run.
kill_cluster_node() {
  local k=$1 pid_file
  cluster_node_number "$k"
  pid_file=$(node_env "$k"; echo "$RABBITMQ_PID_FILE")
  [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null || die "cluster node $k is not running"
  kill -9 "$(cat "$pid_file")" && log "killed RabbitMQ node $CLUSTER_NODE-$k@localhost (pid $(cat "$pid_file"))"
  rm -f "$pid_file"
}

# Starts a cluster node again (it rejoins the cluster with its data) and waits for it.
restart_cluster_node() {
  local k=$1
  cluster_node_number "$k"
  node_running "$k" && return 0
  launch_node "$k" "$(cluster_port AMQP "$k")" "$(cluster_port MGMT "$k")" "$(cluster_port PROMETHEUS "$k")"
  await_node "$k"
}

stop_cluster() {
  local k
  # Node 1, the one the others joined, stops last.
  for k in $(seq "$CLUSTER_SIZE" -1 1); do
    node_running "$k" && node_ctl "$k" shutdown >/dev/null 2>&1 && log "RabbitMQ node $CLUSTER_NODE-$k stopped"
  done
  stop_epmd_if_unused
}

# One line a node: running or stopped, and the cluster's running nodes as node 1 (or the first running one) sees them.
cluster_status() {
  local k seen=""
  for k in $(seq 1 "$CLUSTER_SIZE"); do
    if node_running "$k"; then
      echo "RabbitMQ node $CLUSTER_NODE-$k (127.0.0.1:$(cluster_port AMQP "$k")): running"
      [ -n "$seen" ] || seen=$(node_ctl "$k" cluster_status --formatter json 2>/dev/null | jq -r '.running_nodes | join(", ")')
    else
      echo "RabbitMQ node $CLUSTER_NODE-$k (127.0.0.1:$(cluster_port AMQP "$k")): stopped"
    fi
  done
  [ -z "$seen" ] || echo "RabbitMQ cluster: $seen"
}

# Calls RabbitMQ's management API (loopback; IMAGEBUS_RABBIT_ADMIN=user:password where guest is not allowed).
rabbit_api() {
  curl -fsS -u "${IMAGEBUS_RABBIT_ADMIN:-guest:guest}" -X "$1" -H 'content-type: application/json' \
    "http://127.0.0.1:$RABBIT_MGMT_PORT/api/$2" ${3:+--data "$3"} >/dev/null
}

# Creates (or gives a new password to) the RabbitMQ user upstream.APP an upstream app publishes its commands
# with, allowed only what deploy/rabbitmq/upstream-app-permissions.json says, and prints the password once.
create_bus_user() {
  local app=$1 vhost=${2:-/} password permissions
  [[ $app =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die "an app name is 1-63 lower-case letters, digits and '-': '$app'"
  password=$(head -c 30 /dev/urandom | base64 | tr '+/' '-_')
  permissions=$(jq -c --arg app "$app" 'del(.comment) | map_values(gsub("[{]app[}]"; $app))' \
    "$IMAGEBUS_ROOT/deploy/rabbitmq/upstream-app-permissions.json")
  rabbit_api PUT "users/upstream.$app" "$(jq -nc --arg p "$password" '{password: $p, tags: ""}')" \
    || die "RabbitMQ's management API refused to create user upstream.$app"
  rabbit_api PUT "permissions/$(jq -rn --arg v "$vhost" '$v | @uri')/upstream.$app" "$permissions" \
    || die "RabbitMQ's management API refused the permissions of upstream.$app on vhost $vhost"
  printf 'user=upstream.%s\npassword=%s\nvhost=%s\n' "$app" "$password" "$vhost"
}

start_servers() {
  install_packages "$@"
  start_postgres
  start_rabbitmq
}
