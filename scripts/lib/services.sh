# shellcheck shell=bash
# Baat Cheet: helpers shared by scripts/quickstart.sh, scripts/cluster.sh and scripts/test.sh (source this file).
#
# Every wait is bounded and every failure ends with a message saying what to do. Functions that
# cannot continue call `die` (exit 1). Works under `set -euo pipefail`.
#
# Overrides (all optional):
#   PG_PROBE_PORT    port of an already running PostgreSQL to try first       (default 5432)
#   PG_PRIVATE_PORT  port of the private test cluster started when none fits   (default 54329)
#   PG_PRIVATE_DIR   data (and unix socket) directory of that private cluster  (default /tmp/baatcheet-pg)

BC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_BC_APT_UPDATED=0

log() { printf '[baat-cheet] %s\n' "$*" >&2; }
warn() { printf '[baat-cheet] warning: %s\n' "$*" >&2; }
die() {
  printf '[baat-cheet] error: %s\n' "$*" >&2
  exit 1
}

# URL with its password (if any) replaced by ***, for log lines.
redact_url() { printf '%s' "$1" | sed -E 's#(://[^:/@]*:)[^@/]*@#\1***@#'; }

# --- privileges and apt ------------------------------------------------------------------------

can_root() {
  [[ $EUID -eq 0 ]] && return 0
  command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1
}

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# apt_install PKG...: installs Debian packages (apt-get update once per shell first), or dies with
# the exact command to run when this shell can neither be root nor use password-less sudo.
apt_install() {
  local -a pkgs=("$@")
  if ! command -v apt-get >/dev/null 2>&1; then
    die "missing ${pkgs[*]} and apt-get is not available: install ${pkgs[*]} with your system's package manager, then re-run"
  fi
  if ! can_root; then
    die "missing ${pkgs[*]}: install it with 'sudo apt-get update && sudo apt-get install -y ${pkgs[*]}' (or re-run this as root), then re-run"
  fi
  local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 -o Acquire::http::Timeout=30 -q -y)
  if [[ $_BC_APT_UPDATED != 1 ]]; then
    log "apt-get update"
    as_root timeout 600 "${apt[@]}" update </dev/null >&2 || die "apt-get update failed (see above); install ${pkgs[*]} by hand and re-run"
    _BC_APT_UPDATED=1
  fi
  log "apt-get install -y ${pkgs[*]}"
  as_root timeout 900 "${apt[@]}" install --no-install-recommends "${pkgs[@]}" </dev/null >&2 ||
    die "apt-get install ${pkgs[*]} failed (see above); install it by hand and re-run"
}

# --- node dependencies -------------------------------------------------------------------------

ensure_node() {
  command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20.12 or newer (with npm), then re-run"
  command -v npm >/dev/null 2>&1 || die "npm not found: install npm (it ships with Node.js 20.12+), then re-run"
  local version major minor
  version="$(node -p 'process.versions.node')"
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  if ((major < 20 || (major == 20 && minor < 12))); then
    die "Node.js $version is too old: Baat Cheet needs 20.12 or newer (process.loadEnvFile)"
  fi
}

# npm_ci: `npm ci`. If npm ci refuses package-lock.json only because it lacks packages the registry
# does not serve (other platforms' optional native binaries, reported as "Missing: name@ from lock
# file" with no version; this machine's registry answers 404 for them), installs exactly the lock's
# versions with `npm install --no-save`, which leaves package-lock.json untouched. Any other npm ci
# failure (a real lock/package.json mismatch, network) is fatal.
npm_ci() {
  local out rc
  out="$(mktemp)"
  {
    rc=0
    (cd "$BC_ROOT" && npm ci --no-audit --no-fund </dev/null) 2>&1 || rc=$?
    echo "$rc" >"$out.rc"
  } | tee "$out" >&2
  rc="$(cat "$out.rc" 2>/dev/null || echo 1)"
  if [[ $rc == 0 ]]; then
    rm -f "$out" "$out.rc"
    return 0
  fi
  if grep -q 'are in sync' "$out" && grep -Eq '^npm error Missing: [^ ]+@ from lock file$' "$out" &&
    ! grep -E '^npm error (Missing|Invalid):' "$out" | grep -Evq '^npm error Missing: [^ ]+@ from lock file$'; then
    rm -f "$out" "$out.rc"
    log "npm ci refused package-lock.json only for optional packages the registry does not serve; installing the lock's versions with npm install --no-save"
    (cd "$BC_ROOT" && npm install --no-save --no-audit --no-fund </dev/null) || die "npm install failed (see above)"
    return 0
  fi
  rm -f "$out" "$out.rc"
  die "npm ci failed (see above)"
}

# ensure_deps: `npm ci` when node_modules is missing or package-lock.json changed since the last install.
ensure_deps() {
  ensure_node
  local stamp="$BC_ROOT/node_modules/.package-lock.json"
  if [[ ! -d $BC_ROOT/node_modules || ! -f $stamp || $BC_ROOT/package-lock.json -nt $stamp ]]; then
    log "installing dependencies (npm ci)"
    npm_ci
  else
    log "dependencies are up to date (node_modules matches package-lock.json)"
  fi
}

# --- network probes (bash /dev/tcp; no redis-cli or psql needed) -------------------------------

# tcp_open HOST PORT: something accepts TCP connections there.
tcp_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

# _bc_redis_ping HOST PORT USER PASSWORD: sends AUTH (when a password is given) and PING in RESP.
_bc_redis_ping() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  LC_ALL=C timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    if [[ -n $4 ]]; then
      if [[ -n $3 ]]; then
        printf "*3\r\n\$4\r\nAUTH\r\n\$%d\r\n%s\r\n\$%d\r\n%s\r\n" "${#3}" "$3" "${#4}" "$4" >&3
      else
        printf "*2\r\n\$4\r\nAUTH\r\n\$%d\r\n%s\r\n" "${#4}" "$4" >&3
      fi
      IFS= read -r -t 3 line <&3 || exit 1
      # ioredis carries on when the server has no password: so does this check.
      [[ $line == +OK* || $line == *"without any password configured"* ]] || exit 1
    fi
    printf "*1\r\n\$4\r\nPING\r\n" >&3
    IFS= read -r -t 3 line <&3 || exit 1
    [[ $line == +PONG* ]]
  ' _ "$1" "$2" "$3" "$4" >/dev/null 2>&1
}

# redis_ping PORT [HOST]: a password-less Redis answers PONG there.
redis_ping() { _bc_redis_ping "${2:-127.0.0.1}" "$1" "" ""; }

_bc_urldecode() {
  local s="$1"
  if [[ $s == *%* ]]; then printf '%b' "${s//%/\\x}"; else printf '%s' "$s"; fi
}

# redis_url_ping URL: the Redis at redis://[user[:password]@]host[:port][/db] answers PONG.
# rediss:// (TLS) cannot be spoken over /dev/tcp: only a TCP connect is checked for it.
redis_url_ping() {
  local url="$1" scheme rest auth="" hostport host port user="" pass=""
  [[ $url == *://* ]] || return 1
  scheme="${url%%://*}"
  rest="${url#*://}"
  rest="${rest%%/*}"
  rest="${rest%%\?*}"
  if [[ $rest == *@* ]]; then
    auth="${rest%@*}"
    hostport="${rest##*@}"
  else
    hostport="$rest"
  fi
  if [[ -n $auth ]]; then
    if [[ $auth == *:* ]]; then
      user="$(_bc_urldecode "${auth%%:*}")"
      pass="$(_bc_urldecode "${auth#*:}")"
    else
      user="$(_bc_urldecode "$auth")"
    fi
  fi
  if [[ $hostport == \[* ]]; then # [ipv6]:port
    host="${hostport%%]*}"
    host="${host#[}"
    port="${hostport#*]}"
    port="${port#:}"
  elif [[ $hostport == *:* ]]; then
    host="${hostport%%:*}"
    port="${hostport##*:}"
  else
    host="$hostport"
    port=""
  fi
  [[ -n $host ]] || host=127.0.0.1
  [[ -n $port ]] || port=6379
  case "$scheme" in
    redis) _bc_redis_ping "$host" "$port" "$user" "$pass" ;;
    rediss) tcp_open "$host" "$port" ;;
    *) return 1 ;;
  esac
}

# --- redis -------------------------------------------------------------------------------------

# ensure_redis_binary: installs Debian's redis-server when it is not on PATH.
ensure_redis_binary() {
  command -v redis-server >/dev/null 2>&1 && return 0
  log "redis-server not found; trying to install the Debian package redis-server"
  apt_install redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server is still not on PATH after installing redis-server"
}

# start_redis PORT DIR: a throw-away Redis (no persistence) on 127.0.0.1:PORT unless one answers already.
start_redis() {
  local port="$1" dir="$2" i
  if redis_ping "$port"; then
    log "Redis already answers on 127.0.0.1:$port"
    return 0
  fi
  if tcp_open 127.0.0.1 "$port"; then
    die "127.0.0.1:$port is taken by something that is not a password-less Redis: stop it or free the port"
  fi
  ensure_redis_binary
  mkdir -p "$dir" || die "cannot create $dir"
  dir="$(cd "$dir" && pwd)"
  log "starting redis-server on 127.0.0.1:$port (dir $dir, no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" </dev/null >/dev/null ||
    die "redis-server did not start on port $port; see $dir/redis.log"
  for ((i = 0; i < 50; i++)); do # 50 x 0.2 s = 10 s
    if redis_ping "$port"; then
      log "Redis is up on 127.0.0.1:$port"
      return 0
    fi
    sleep 0.2
  done
  die "Redis on 127.0.0.1:$port did not answer PING within 10 s; last lines of $dir/redis.log:
$(tail -n 10 "$dir/redis.log" 2>/dev/null)"
}

# --- postgresql --------------------------------------------------------------------------------

# pg_ready HOST PORT: a PostgreSQL server accepts connections there (pg_isready, else a TCP connect).
pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    timeout 10 pg_isready -q -h "$1" -p "$2" -t 3 >/dev/null 2>&1
  else
    tcp_open "$1" "$2"
  fi
}

# pg_url_ok URL: `select 1` succeeds with that URL and no password prompt (psql, else node + pg).
pg_url_ok() {
  local url="$1"
  if command -v psql >/dev/null 2>&1; then
    PGCONNECT_TIMEOUT=5 timeout 15 psql -X -w -q -At -d "$url" -c 'select 1' </dev/null >/dev/null 2>&1
  elif [[ -d $BC_ROOT/node_modules/pg ]]; then
    # shellcheck disable=SC2016 # JavaScript, not shell
    timeout 15 node -e '
      const { Client } = require(require.resolve("pg", { paths: [process.argv[1]] }));
      const c = new Client({ connectionString: process.argv[2], connectionTimeoutMillis: 5000 });
      c.connect().then(() => c.query("select 1")).then(() => c.end()).then(() => process.exit(0), () => process.exit(1));
    ' "$BC_ROOT" "$url" </dev/null >/dev/null 2>&1
  else
    return 1
  fi
}

# pg_bindir: the directory holding initdb/pg_ctl/postgres (PATH first, then the newest /usr/lib/postgresql/*/bin).
pg_bindir() {
  local p d
  local -a dirs=()
  if p="$(command -v initdb 2>/dev/null)" && [[ -n $p ]]; then
    p="$(readlink -f "$p")"
    d="$(dirname "$p")"
    if [[ -x $d/pg_ctl && -x $d/postgres ]]; then
      printf '%s\n' "$d"
      return 0
    fi
  fi
  mapfile -t dirs < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
  for d in "${dirs[@]}"; do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

_bc_use_database() {
  TEST_DATABASE_URL="$1"
  export TEST_DATABASE_URL
  log "PostgreSQL: TEST_DATABASE_URL=$(redact_url "$1")"
}

# A stopped Debian cluster (pg_ctlcluster) on PORT whose pg_hba.conf trusts TCP logins from
# 127.0.0.1: start it and use it. Returns 1 when there is none, or it does not fit.
_bc_try_debian_cluster() {
  local want_port="$1" ver name port status url i
  command -v pg_lsclusters >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  can_root || return 1
  while read -r ver name port status _; do
    [[ $name == main && $port == "$want_port" && $status == down ]] || continue
    grep -Eqs '^[[:space:]]*host[[:space:]]+[^[:space:]]+[[:space:]]+(all|postgres)[[:space:]]+(127\.0\.0\.1/32|samehost|all|0\.0\.0\.0/0)[[:space:]]+trust' \
      "/etc/postgresql/$ver/main/pg_hba.conf" || {
      log "Debian cluster $ver/main is stopped and does not trust TCP logins; not starting it"
      return 1
    }
    log "starting the stopped Debian cluster $ver/main on port $port"
    as_root timeout 60 pg_ctlcluster --skip-systemctl-redirect "$ver" main start </dev/null >&2 || {
      warn "pg_ctlcluster $ver main start failed"
      return 1
    }
    url="postgres://postgres@127.0.0.1:$port/postgres"
    for ((i = 0; i < 40; i++)); do # 40 x 0.5 s = 20 s
      if pg_ready 127.0.0.1 "$port" && pg_url_ok "$url"; then
        _bc_use_database "$url"
        return 0
      fi
      sleep 0.5
    done
    warn "Debian cluster $ver/main started but does not accept password-less TCP logins as postgres"
    return 1
  done < <(pg_lsclusters -h 2>/dev/null)
  return 1
}

# Private throw-away cluster (trust auth, fsync off) in DIR on 127.0.0.1:PORT, owned by postgres.
_bc_private_cluster() {
  local dir="$1" port="$2" url bindir major out i
  local -a as_owner=()
  url="postgres://postgres@127.0.0.1:$port/postgres"
  if pg_ready 127.0.0.1 "$port"; then
    if pg_url_ok "$url"; then
      log "private PostgreSQL already running on 127.0.0.1:$port"
      _bc_use_database "$url"
      return 0
    fi
    die "a PostgreSQL on 127.0.0.1:$port refuses password-less logins as postgres: stop it, or set PG_PRIVATE_PORT to a free port"
  fi
  if tcp_open 127.0.0.1 "$port"; then
    die "127.0.0.1:$port is taken by something that is not PostgreSQL: free it, or set PG_PRIVATE_PORT to a free port"
  fi
  if ! bindir="$(pg_bindir)"; then
    log "PostgreSQL server binaries (initdb) not found; trying to install the Debian package postgresql"
    apt_install postgresql
    bindir="$(pg_bindir)" || die "initdb is still missing after installing postgresql (looked on PATH and in /usr/lib/postgresql/*/bin)"
  fi
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "initdb/postgres refuse to run as root and there is no 'postgres' user: install the Debian package postgresql (it creates one)"
    as_owner=(runuser -u postgres --)
  fi
  major="$("$bindir/pg_ctl" --version | sed -E 's/.* ([0-9]+)[.0-9]*.*/\1/')"
  if [[ -e $dir && "$(cat "$dir/PG_VERSION" 2>/dev/null)" != "$major" ]]; then
    log "removing $dir (incomplete, or made by another PostgreSQL version)"
    rm -rf -- "$dir" || die "cannot remove $dir: remove it by hand and re-run"
  fi
  if [[ ! -f $dir/PG_VERSION ]]; then
    log "creating a private PostgreSQL $major cluster in $dir (initdb, trust auth)"
    if [[ $EUID -eq 0 ]]; then
      install -d -m 0700 -o postgres -g postgres "$dir" || die "cannot create $dir"
    else
      { mkdir -p "$dir" && chmod 0700 "$dir"; } || die "cannot create $dir"
    fi
    out="$(cd / && timeout 120 "${as_owner[@]}" "$bindir/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 </dev/null 2>&1)" ||
      die "initdb into $dir failed:
$out"
  fi
  # A leftover server of this cluster that does not answer on PORT (e.g. started with other options): stop it.
  if (cd / && "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1); then
    log "stopping a private cluster in $dir that does not answer on port $port"
    (cd / && timeout 30 "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir" -m fast -w -t 20 stop >/dev/null 2>&1) || true
  fi
  log "starting private PostgreSQL on 127.0.0.1:$port (log $dir/postgres.log)"
  (cd / && timeout 40 "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/postgres.log" -w -t 20 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start </dev/null >/dev/null 2>&1) || true
  for ((i = 0; i < 40; i++)); do # 40 x 0.5 s = 20 s
    if pg_ready 127.0.0.1 "$port" && pg_url_ok "$url"; then
      _bc_use_database "$url"
      return 0
    fi
    sleep 0.5
  done
  die "private PostgreSQL on 127.0.0.1:$port did not accept connections within 20 s; last lines of $dir/postgres.log:
$(tail -n 15 "$dir/postgres.log" 2>/dev/null)"
}

# ensure_postgres: sets and exports TEST_DATABASE_URL, an admin URL the tests may CREATE DATABASE with.
# Order: a reachable pre-set TEST_DATABASE_URL; PostgreSQL on 127.0.0.1:$PG_PROBE_PORT (5432) with
# password-less TCP login as postgres; a stopped Debian main cluster on that port that trusts TCP;
# a private cluster in $PG_PRIVATE_DIR on 127.0.0.1:$PG_PRIVATE_PORT (installing postgresql if needed).
ensure_postgres() {
  local probe_port="${PG_PROBE_PORT:-5432}" priv_port="${PG_PRIVATE_PORT:-54329}" priv_dir="${PG_PRIVATE_DIR:-/tmp/baatcheet-pg}" url
  if [[ -n ${TEST_DATABASE_URL:-} ]]; then
    if pg_url_ok "$TEST_DATABASE_URL"; then
      _bc_use_database "$TEST_DATABASE_URL"
      return 0
    fi
    warn "TEST_DATABASE_URL=$(redact_url "$TEST_DATABASE_URL") does not answer 'select 1'; looking for another PostgreSQL"
  fi
  url="postgres://postgres@127.0.0.1:$probe_port/postgres"
  if pg_ready 127.0.0.1 "$probe_port"; then
    if pg_url_ok "$url"; then
      _bc_use_database "$url"
      return 0
    fi
    log "PostgreSQL on 127.0.0.1:$probe_port wants a password for postgres over TCP; using a private cluster instead"
  elif _bc_try_debian_cluster "$probe_port"; then
    return 0
  fi
  _bc_private_cluster "$priv_dir" "$priv_port"
}

# --- .env --------------------------------------------------------------------------------------

# dotenv_get KEY [FILE]: the value of KEY in FILE (default $BC_ROOT/.env), quotes removed; empty if absent.
dotenv_get() {
  local key="$1" file="${2:-$BC_ROOT/.env}" line val="" found=0
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?${key}[[:space:]]*=(.*)$ ]]; then
      val="${BASH_REMATCH[2]}"
      found=1
    fi
  done <"$file"
  ((found)) || return 0
  val="${val#"${val%%[![:space:]]*}"}"
  if [[ $val == \"*\"* ]]; then
    val="${val#\"}"
    val="${val%%\"*}"
  elif [[ $val == \'*\'* ]]; then
    val="${val#\'}"
    val="${val%%\'*}"
  else
    val="${val%%[[:space:]]#*}"
    val="${val%"${val##*[![:space:]]}"}"
  fi
  printf '%s' "$val"
}

# random_secret: 48 random bytes, base64url (64 characters).
random_secret() {
  node -e "console.log(require('crypto').randomBytes(48).toString('base64url'))"
}

# ensure_env_file: $BC_ROOT/.env from .env.example when missing; any empty JWT_ACCESS_SECRET /
# OTP_SECRET / PASSWORD_PEPPER gets a random value (a missing one is appended). Used by
# scripts/quickstart.sh and scripts/cluster.sh, so both run with the same secrets.
ensure_env_file() {
  local key value env_file="$BC_ROOT/.env"
  if [[ ! -f $env_file ]]; then
    [[ -f $BC_ROOT/.env.example ]] || die ".env.example is missing: cannot create .env"
    (umask 077 && cp "$BC_ROOT/.env.example" "$env_file")
    log "created .env from .env.example"
  fi
  for key in JWT_ACCESS_SECRET OTP_SECRET PASSWORD_PEPPER; do
    if grep -Eq "^${key}=[[:space:]]*(\"\"|'')?[[:space:]]*$" "$env_file"; then
      value="$(random_secret)"
      sed -i -E "s#^${key}=[[:space:]]*(\"\"|'')?[[:space:]]*\$#${key}=${value}#" "$env_file"
      log "generated a random $key in .env"
    elif ! grep -Eq "^${key}=" "$env_file"; then
      value="$(random_secret)"
      printf '%s=%s\n' "$key" "$value" >>"$env_file"
      log "added a random $key to .env"
    fi
  done
  chmod 600 "$env_file"
}

# --- nginx (scale-out tests) -------------------------------------------------------------------

# ensure_nginx: nginx is installed (the scale-out tests run a real one, in a temp dir, in front of
# two replicas); installs Debian's nginx package when missing. Nothing is started or configured here:
# the Debian package's own service is not used (the tests run nginx as their child process).
# Exports NGINX_BIN for the tests.
ensure_nginx() {
  local bin
  bin="$(command -v nginx 2>/dev/null || true)"
  [[ -n $bin ]] || { [[ -x /usr/sbin/nginx ]] && bin=/usr/sbin/nginx; }
  if [[ -z $bin ]]; then
    log "nginx not found; trying to install the Debian package nginx"
    apt_install nginx
    bin="$(command -v nginx 2>/dev/null || true)"
    [[ -n $bin ]] || { [[ -x /usr/sbin/nginx ]] && bin=/usr/sbin/nginx; }
    [[ -n $bin ]] || die "nginx is still missing after installing nginx (looked on PATH and in /usr/sbin)"
  fi
  NGINX_BIN="$bin"
  export NGINX_BIN
  log "nginx: $NGINX_BIN ($("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //'))"
}

# --- web client and chromium (browser tests) ---------------------------------------------------

# ensure_chromium: Debian's chromium for test/browser (playwright-core drives it; it never downloads
# a browser). Installs the Debian package chromium when missing. Exports CHROMIUM_PATH.
ensure_chromium() {
  local bin="${CHROMIUM_PATH:-}"
  [[ -n $bin && -x $bin ]] || bin="$(command -v chromium 2>/dev/null || true)"
  if [[ -z $bin ]]; then
    log "chromium not found; trying to install the Debian package chromium"
    apt_install chromium
    bin="$(command -v chromium 2>/dev/null || true)"
    [[ -n $bin ]] || die "chromium is still missing after installing chromium"
  fi
  CHROMIUM_PATH="$bin"
  export CHROMIUM_PATH
  log "chromium: $CHROMIUM_PATH"
}

# ensure_client_deps: `npm ci` in client/ (the web client has its own package-lock.json) when its
# node_modules is missing or older than the lock. The browser tests build the client with Vite.
ensure_client_deps() {
  local dir="$BC_ROOT/client"
  local stamp="$dir/node_modules/.package-lock.json"
  if [[ ! -d $dir/node_modules || ! -f $stamp || $dir/package-lock.json -nt $stamp ]]; then
    log "installing the web client's dependencies (npm ci in client/)"
    (cd "$dir" && npm ci --no-audit --no-fund </dev/null) >&2 || die "npm ci in client/ failed (see above)"
  else
    log "client dependencies are up to date (client/node_modules matches client/package-lock.json)"
  fi
}
