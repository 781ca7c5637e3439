#!/usr/bin/env bash
# Baat Cheet local cluster: N API replicas behind a real nginx, in the foreground.
#   bash scripts/cluster.sh [N]            N replicas (1-20, default 2)
#
#   - installs npm dependencies when needed, builds once (npm run build)
#   - .env with random secrets, exactly as scripts/quickstart.sh makes it
#   - PostgreSQL (a cluster needs one: embedded PGlite can't be shared by processes): the one
#     scripts/test.sh would use (127.0.0.1:5432 with password-less login, else a private cluster on
#     127.0.0.1:54329), with a database baatcheet_cluster created when missing; migrated once
#   - Redis: REDIS_URL (environment, else .env) when it answers; else a local redis-server on
#     127.0.0.1:6380 (the quick start's, files in .data/redis)
#   - replicas `node dist/main.js` on 127.0.0.1:3001..300N: WORKERS=on for the first (it runs the
#     mail/media queue processors; without SMTP_URL it writes mails to MAIL_DEV_DIR, .data/mail),
#     WORKERS=off for the others, TRUST_PROXY=1, DATABASE_MIGRATE_ON_START=false
#   - nginx on 127.0.0.1:8080 running deploy/nginx.conf (ip_hash, WebSocket upgrade, X-Forwarded-For,
#     X-Request-Id), rewritten for this machine by scripts/lib/nginx-config.ts, plus an X-Upstream
#     response header naming the replica that answered
#   - logs in .data/cluster/ (replica-<i>.log, nginx/access.log, nginx/error.log)
# Ctrl-C or SIGTERM: the replicas drain and exit (SIGTERM), then nginx stops. Re-running is safe:
# processes an earlier run left behind (its shell was killed) are stopped first.
#
# Overrides: CLUSTER_BASE_PORT (3000: replica i listens on BASE+i), CLUSTER_NGINX_PORT (8080),
# CLUSTER_HOST (127.0.0.1, nginx's listen address), CLUSTER_DATABASE (baatcheet_cluster),
# CLUSTER_DATABASE_URL (an existing database to use as is), CLUSTER_REDIS_PORT (6380),
# CLUSTER_REDIS_KEY_PREFIX (bccluster:), CLUSTER_READY_TIMEOUT (60 s per replica).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"
cd "$BC_ROOT"

COUNT="${1:-2}"
[[ $# -le 1 && $COUNT =~ ^([1-9]|1[0-9]|20)$ ]] ||
  die "usage: bash scripts/cluster.sh [N]   (N = number of API replicas, 1-20, default 2; got '$*')"
BASE_PORT="${CLUSTER_BASE_PORT:-3000}"
NGINX_PORT="${CLUSTER_NGINX_PORT:-8080}"
NGINX_HOST="${CLUSTER_HOST:-127.0.0.1}"
DB_NAME="${CLUSTER_DATABASE:-baatcheet_cluster}"
REDIS_PORT="${CLUSTER_REDIS_PORT:-6380}"
KEY_PREFIX="${CLUSTER_REDIS_KEY_PREFIX:-bccluster:}"
READY_TIMEOUT="${CLUSTER_READY_TIMEOUT:-60}"
CLUSTER_DIR="$BC_ROOT/.data/cluster"
NGINX_DIR="$CLUSTER_DIR/nginx"

if ! [[ $BASE_PORT =~ ^[0-9]+$ ]] || ((BASE_PORT < 1 || BASE_PORT + COUNT > 65535)); then
  die "CLUSTER_BASE_PORT must be a port number (got '$BASE_PORT')"
fi
if ! [[ $NGINX_PORT =~ ^[0-9]+$ ]] || ((NGINX_PORT < 1 || NGINX_PORT > 65535)); then
  die "CLUSTER_NGINX_PORT must be a port number (got '$NGINX_PORT')"
fi
[[ $DB_NAME =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
  die "CLUSTER_DATABASE must be a plain lower-case PostgreSQL name (got '$DB_NAME')"
[[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || die "CLUSTER_READY_TIMEOUT must be whole seconds (got '$READY_TIMEOUT')"

declare -a REPLICA_PIDS=()
NGINX_PID=""
SLEEP_PID=""
STOPPING=0

# --- process helpers -----------------------------------------------------------------------------

# cmdline_of PID: the process's command line, arguments separated by spaces.
cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# is_ours PID: the process is one this script starts here (a replica of this checkout, or nginx
# with this cluster's config), so a stale pid file never makes us signal someone else's process.
is_ours() {
  local pid="$1" cmd
  cmd="$(cmdline_of "$pid")"
  if [[ $cmd == "node dist/main.js "* ]]; then
    [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$BC_ROOT" ]]
  else
    [[ $cmd == *"-c $NGINX_DIR/nginx.conf"* ]]
  fi
}

# wait_gone SECONDS PID...: true once none of the processes is alive, false at the deadline.
wait_gone() {
  local deadline=$((SECONDS + $1)) pid alive
  shift
  while :; do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Leftovers of an earlier run whose shell was killed (SIGKILL, closed terminal): stop them.
stop_leftovers() {
  local file pid
  if [[ -f $CLUSTER_DIR/cluster.pid ]]; then
    pid="$(cat "$CLUSTER_DIR/cluster.pid" 2>/dev/null || true)"
    if [[ $pid =~ ^[0-9]+$ && $pid != "$$" ]] && kill -0 "$pid" 2>/dev/null &&
      [[ "$(cmdline_of "$pid")" == *scripts/cluster.sh* ]]; then
      die "a cluster is already running (scripts/cluster.sh, pid $pid): stop it with Ctrl-C (or kill $pid) first"
    fi
  fi
  for file in "$CLUSTER_DIR"/replica-*.pid "$NGINX_DIR/nginx.pid"; do
    [[ -f $file ]] || continue
    pid="$(cat "$file" 2>/dev/null || true)"
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && is_ours "$pid"; then
      log "stopping pid $pid, left running by an earlier cluster ($(basename "$file"))"
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone 15 "$pid" || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
  done
}

# Stops everything this run started: replicas first (SIGTERM: they drain and exit 0), then nginx.
# Returns 1 when a replica did not exit cleanly.
stop_all() {
  local i pid rc status=0 grace
  STOPPING=1
  [[ -n $SLEEP_PID ]] && kill "$SLEEP_PID" 2>/dev/null
  if ((${#REPLICA_PIDS[@]} > 0)); then
    log "stopping ${#REPLICA_PIDS[@]} replica(s) (SIGTERM: they finish requests, close sockets and exit)"
    for pid in "${REPLICA_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    grace="$(dotenv_get SHUTDOWN_GRACE_MS)"
    grace="${SHUTDOWN_GRACE_MS:-${grace:-10000}}"
    [[ $grace =~ ^[0-9]+$ ]] || grace=10000
    if ! wait_gone $((grace / 1000 + 5)) "${REPLICA_PIDS[@]}"; then
      warn "replica(s) still running $((grace / 1000 + 5)) s after SIGTERM: sending SIGKILL"
      for pid in "${REPLICA_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    for i in "${!REPLICA_PIDS[@]}"; do
      rc=0
      wait "${REPLICA_PIDS[$i]}" 2>/dev/null || rc=$?
      if ((rc == 0)); then
        log "replica $((i + 1)) exited 0"
      else
        warn "replica $((i + 1)) exited with status $rc (see $CLUSTER_DIR/replica-$((i + 1)).log)"
        status=1
      fi
      rm -f "$CLUSTER_DIR/replica-$((i + 1)).pid"
    done
    REPLICA_PIDS=()
  fi
  if [[ -n $NGINX_PID ]]; then
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    wait_gone 10 "$NGINX_PID" || kill -KILL "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    log "nginx stopped"
    NGINX_PID=""
  fi
  rm -f "$CLUSTER_DIR/cluster.pid"
  return "$status"
}

on_signal() {
  trap - INT TERM HUP
  log "$1 received: stopping the cluster"
  if stop_all; then exit 0; else exit 1; fi
}

# Anything that ends the script early (die, an unexpected error) still stops what it started.
on_exit() {
  local rc=$?
  ((STOPPING)) || stop_all || true
  exit "$rc"
}

# http_status HOST PORT PATH: the status code of a GET (HTTP/1.0 over bash /dev/tcp), or nothing.
http_status() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  LC_ALL=C timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3
    IFS= read -r -t 4 line <&3 || exit 1
    [[ $line =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]] && printf "%s" "${BASH_REMATCH[1]}"
  ' _ "$1" "$2" "$3" 2>/dev/null || true
}

# --- preparation ---------------------------------------------------------------------------------

mkdir -p "$CLUSTER_DIR" "$NGINX_DIR" || die "cannot create $CLUSTER_DIR"
stop_leftovers
echo "$$" >"$CLUSTER_DIR/cluster.pid"
trap on_exit EXIT
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGHUP' HUP

for ((i = 1; i <= COUNT; i++)); do
  if tcp_open 127.0.0.1 $((BASE_PORT + i)); then
    die "port $((BASE_PORT + i)) (replica $i) is in use: stop what listens there (e.g. a quick-start server), or set CLUSTER_BASE_PORT"
  fi
done
nginx_probe_host="$NGINX_HOST"
[[ $nginx_probe_host == 0.0.0.0 || $nginx_probe_host == '*' ]] && nginx_probe_host=127.0.0.1
if tcp_open "$nginx_probe_host" "$NGINX_PORT"; then
  die "port $NGINX_PORT (nginx) is in use on $nginx_probe_host: free it, or set CLUSTER_NGINX_PORT"
fi

ensure_deps
ensure_env_file
ensure_nginx # exports NGINX_BIN

# --- Redis (as the quick start) ---
redis_url="${REDIS_URL:-$(dotenv_get REDIS_URL)}"
if [[ -n $redis_url ]] && redis_url_ping "$redis_url"; then
  log "Redis: $(redact_url "$redis_url") answers"
else
  if [[ -n $redis_url ]]; then
    log "Redis at $(redact_url "$redis_url") does not answer; starting a local one on 127.0.0.1:$REDIS_PORT"
  fi
  start_redis "$REDIS_PORT" "$BC_ROOT/.data/redis"
  redis_url="redis://127.0.0.1:$REDIS_PORT"
fi
export REDIS_URL="$redis_url"
# Apart from the quick start's keys (another database's users, sessions and queues).
export REDIS_KEY_PREFIX="$KEY_PREFIX"

# --- PostgreSQL ---
if [[ -n ${CLUSTER_DATABASE_URL:-} ]]; then
  pg_url_ok "$CLUSTER_DATABASE_URL" ||
    die "CLUSTER_DATABASE_URL=$(redact_url "$CLUSTER_DATABASE_URL") does not answer 'select 1'"
  database_url="$CLUSTER_DATABASE_URL"
else
  ensure_postgres # exports TEST_DATABASE_URL: an admin URL that may CREATE DATABASE
  admin_url="$TEST_DATABASE_URL"
  unset TEST_DATABASE_URL
  # shellcheck disable=SC2016 # JavaScript, not shell
  database_url="$(timeout 30 node -e '
    const { Client } = require(require.resolve("pg", { paths: [process.argv[1]] }));
    const [admin, name] = process.argv.slice(2);
    (async () => {
      const client = new Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        const found = await client.query("select 1 from pg_database where datname = $1", [name]);
        if (found.rowCount === 0) {
          await client.query(`create database "${name}"`);
          process.stderr.write(`[baat-cheet] created database ${name}\n`);
        }
      } finally {
        await client.end();
      }
      const url = new URL(admin);
      url.pathname = "/" + name;
      process.stdout.write(url.toString());
    })().catch((error) => {
      process.stderr.write(`[baat-cheet] error: ${error.message}\n`);
      process.exit(1);
    });
  ' "$BC_ROOT" "$admin_url" "$DB_NAME" </dev/null)" ||
    die "could not create or reach the database $DB_NAME on $(redact_url "$admin_url") (see above)"
fi
export DATABASE_URL="$database_url"
log "database: PostgreSQL at $(redact_url "$DATABASE_URL")"

# --- build and migrate, once ---
log "building (npm run build)"
npm run build </dev/null || die "npm run build failed (see above)"
log "applying migrations (node dist/infra/database/migrate.cli.js)"
timeout 120 node dist/infra/database/migrate.cli.js </dev/null ||
  die "migrations failed on $(redact_url "$DATABASE_URL") (see above)"

# --- replicas ---
for ((i = 1; i <= COUNT; i++)); do
  port=$((BASE_PORT + i))
  replica_log="$CLUSTER_DIR/replica-$i.log"
  workers=off
  ((i == 1)) && workers=on
  : >"$replica_log"
  # setsid: Ctrl-C reaches this script only, which stops the replicas before nginx.
  setsid env PORT="$port" HOST=127.0.0.1 WORKERS="$workers" TRUST_PROXY=1 DATABASE_MIGRATE_ON_START=false \
    node dist/main.js </dev/null >>"$replica_log" 2>&1 &
  REPLICA_PIDS+=("$!")
  echo "$!" >"$CLUSTER_DIR/replica-$i.pid"
  log "replica $i: pid $!, http://127.0.0.1:$port (WORKERS=$workers), log $replica_log"
done

for ((i = 1; i <= COUNT; i++)); do
  port=$((BASE_PORT + i))
  pid="${REPLICA_PIDS[$((i - 1))]}"
  replica_log="$CLUSTER_DIR/replica-$i.log"
  deadline=$((SECONDS + READY_TIMEOUT))
  until [[ "$(http_status 127.0.0.1 "$port" /health/ready)" == 200 ]]; do
    kill -0 "$pid" 2>/dev/null || die "replica $i exited while starting; last lines of $replica_log:
$(tail -n 20 "$replica_log")"
    ((SECONDS < deadline)) || die "replica $i (127.0.0.1:$port) was not ready (GET /health/ready = 200) within ${READY_TIMEOUT} s; last lines of $replica_log:
$(tail -n 20 "$replica_log")"
    sleep 0.5
  done
  log "replica $i is ready"
done

# --- nginx ---
upstream_args=()
for ((i = 1; i <= COUNT; i++)); do upstream_args+=(--upstream "127.0.0.1:$((BASE_PORT + i))"); done
user_args=()
if [[ $EUID -eq 0 ]]; then
  # nginx's workers drop root; they must still reach their temp files in .data/cluster/nginx.
  if runuser -u nobody -- test -x "$NGINX_DIR" 2>/dev/null; then
    user_args=(--user "nobody $(id -gn nobody 2>/dev/null || echo nogroup)")
  else
    warn "user nobody cannot reach $NGINX_DIR: nginx's workers run as root"
    user_args=(--user "root root")
  fi
fi
node -r ts-node/register/transpile-only scripts/lib/nginx-config.ts --dir "$NGINX_DIR" \
  --listen "$NGINX_HOST:$NGINX_PORT" --balance ip_hash --expose-upstream "${upstream_args[@]}" \
  "${user_args[@]}" </dev/null >"$NGINX_DIR/nginx.conf.new" ||
  die "could not generate the nginx config from deploy/nginx.conf (see above)"
mv "$NGINX_DIR/nginx.conf.new" "$NGINX_DIR/nginx.conf"
: >"$NGINX_DIR/error.log"
: >"$NGINX_DIR/access.log"
if ! out="$("$NGINX_BIN" -t -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" 2>&1)"; then
  die "nginx refuses the generated $NGINX_DIR/nginx.conf:
$out"
fi
setsid "$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" </dev/null \
  >"$NGINX_DIR/console.log" 2>&1 &
NGINX_PID="$!"
deadline=$((SECONDS + 15))
until [[ "$(http_status "$nginx_probe_host" "$NGINX_PORT" /health/ready)" == 200 ]]; do
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited while starting; last lines of its logs:
$(tail -n 20 "$NGINX_DIR/error.log" "$NGINX_DIR/console.log")"
  ((SECONDS < deadline)) || die "nginx on $nginx_probe_host:$NGINX_PORT did not answer /health/ready with 200 within 15 s; see $NGINX_DIR/error.log"
  sleep 0.3
done
log "nginx: pid $NGINX_PID, http://$nginx_probe_host:$NGINX_PORT"

smtp_url="${SMTP_URL:-$(dotenv_get SMTP_URL)}"
mail_dir="${MAIL_DEV_DIR:-$(dotenv_get MAIL_DEV_DIR)}"
if [[ -n $smtp_url ]]; then
  mail_line="mails go through $(redact_url "$smtp_url")"
else
  mail_line="dev mails (OTPs) are written by replica 1 as .eml files to ${mail_dir:-.data/mail}/"
fi
replica_lines=""
for ((i = 1; i <= COUNT; i++)); do
  replica_lines+="$(printf '\n    replica %-2d http://127.0.0.1:%d   (WORKERS=%s, log .data/cluster/replica-%d.log)' \
    "$i" $((BASE_PORT + i)) "$([[ $i == 1 ]] && echo on || echo off)" "$i")"
done
entry="http://$nginx_probe_host:$NGINX_PORT"
cat >&2 <<BANNER

  Baat Cheet cluster is running: $COUNT replica(s) behind nginx
    API      $entry/api/v1   (nginx: ip_hash, WebSocket upgrade; X-Upstream names the replica)
    health   $entry/health/ready
    docs     $entry/docs$replica_lines
    nginx    .data/cluster/nginx/{nginx.conf,access.log,error.log}
    database $(redact_url "$DATABASE_URL")
    Redis    $(redact_url "$REDIS_URL") (key prefix $REDIS_KEY_PREFIX)
    mail     $mail_line
  Try:  npx ts-node -T scripts/chat-demo.ts $entry
  Stop with Ctrl-C (the replicas drain first, then nginx stops).

BANNER

# --- supervise: a replica or nginx that dies takes the cluster down (loudly) ---
while :; do
  for i in "${!REPLICA_PIDS[@]}"; do
    if ! kill -0 "${REPLICA_PIDS[$i]}" 2>/dev/null; then
      rc=0
      wait "${REPLICA_PIDS[$i]}" 2>/dev/null || rc=$?
      warn "replica $((i + 1)) exited unexpectedly (status $rc); last lines of $CLUSTER_DIR/replica-$((i + 1)).log:"
      tail -n 20 "$CLUSTER_DIR/replica-$((i + 1)).log" >&2 || true
      unset 'REPLICA_PIDS[i]'
      rm -f "$CLUSTER_DIR/replica-$((i + 1)).pid"
      trap - INT TERM HUP
      stop_all || true
      exit 1
    fi
  done
  if ! kill -0 "$NGINX_PID" 2>/dev/null; then
    warn "nginx exited unexpectedly; last lines of $NGINX_DIR/error.log:"
    tail -n 20 "$NGINX_DIR/error.log" >&2 || true
    NGINX_PID=""
    trap - INT TERM HUP
    stop_all || true
    exit 1
  fi
  sleep 1 &
  SLEEP_PID="$!"
  wait "$SLEEP_PID" 2>/dev/null || true
  SLEEP_PID=""
done
