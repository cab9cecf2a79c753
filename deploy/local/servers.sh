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
  as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $pg_dir -c max_connections=300" -w start >/dev/null \
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

rabbit_env() {
  local dir=$LOCAL_DIR/rabbitmq
  export HOME=$dir/home RABBITMQ_NODENAME=$RABBIT_NODE@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$AMQP_PORT RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT RABBITMQ_MNESIA_BASE=$dir/mnesia \
    RABBITMQ_LOG_BASE=$dir/log RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins \
    RABBITMQ_PID_FILE=$dir/rabbitmq.pid ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP=$dir/erl_crash.dump \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbit_ctl() { (rabbit_env; "$RABBIT_BIN/rabbitmqctl" "$@"); }

start_rabbitmq() {
  local dir=$LOCAL_DIR/rabbitmq
  if (rabbit_env; "$RABBIT_BIN/rabbitmq-diagnostics" -q ping >/dev/null 2>&1); then return 0; fi
  mkdir -p "$dir/home" "$dir/log"
  cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RABBIT_PROMETHEUS_PORT
collect_statistics_interval = 1000
CONF
  # Queue depths and the rest of the broker's figures for Prometheus come from RabbitMQ's own plugin.
  echo '[rabbitmq_management,rabbitmq_prometheus].' >"$dir/enabled_plugins"
  log "starting RabbitMQ on 127.0.0.1:$AMQP_PORT (management on $RABBIT_MGMT_PORT, Prometheus on $RABBIT_PROMETHEUS_PORT)"
  (rabbit_env; setsid nohup "$RABBIT_BIN/rabbitmq-server" >"$dir/log/console.log" 2>&1 &)
  local i
  for i in $(seq 1 120); do
    (rabbit_env; "$RABBIT_BIN/rabbitmq-diagnostics" -q ping >/dev/null 2>&1) && break
    sleep 1
  done
  rabbit_ctl await_startup --timeout 120 >/dev/null 2>&1 || die "RabbitMQ did not start; see $dir/log"
}

stop_rabbitmq() {
  if (rabbit_env; "$RABBIT_BIN/rabbitmq-diagnostics" -q ping >/dev/null 2>&1); then
    rabbit_ctl shutdown >/dev/null 2>&1 && log "RabbitMQ stopped"
  fi
  (rabbit_env; epmd -kill >/dev/null 2>&1) || true
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
