#!/usr/bin/env bash
# Baat Cheet quick start: one command from a fresh clone to a running server on embedded defaults.
#   - installs npm dependencies when needed
#   - creates .env from .env.example with random secrets (fills empty secrets of an existing .env)
#   - Redis: REDIS_URL (environment, else .env) when it answers; else a local redis-server on
#     127.0.0.1:6380 with its files in .data/redis (installed from apt when missing and allowed)
#   - database: embedded PGlite (.data/pglite) unless DATABASE_URL is set (environment or .env)
#   - builds, then runs node dist/main.js in the foreground (Ctrl-C stops it)
# Variables exported here override .env (the app loads .env itself and applies migrations at start).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"
cd "$BC_ROOT"

QUICKSTART_REDIS_PORT="${QUICKSTART_REDIS_PORT:-6380}"

ensure_deps
ensure_env_file

# --- Redis ---
redis_url="${REDIS_URL:-$(dotenv_get REDIS_URL)}"
if [[ -n $redis_url ]] && redis_url_ping "$redis_url"; then
  log "Redis: $(redact_url "$redis_url") answers"
  export REDIS_URL="$redis_url"
else
  if [[ -n $redis_url ]]; then
    log "Redis at $(redact_url "$redis_url") does not answer; starting a local one on 127.0.0.1:$QUICKSTART_REDIS_PORT"
  fi
  start_redis "$QUICKSTART_REDIS_PORT" "$BC_ROOT/.data/redis"
  export REDIS_URL="redis://127.0.0.1:$QUICKSTART_REDIS_PORT"
fi

# --- database ---
database_url="${DATABASE_URL:-$(dotenv_get DATABASE_URL)}"
if [[ -n $database_url ]]; then
  log "database: PostgreSQL at $(redact_url "$database_url")"
else
  pglite_dir="${PGLITE_DATA_DIR:-$(dotenv_get PGLITE_DATA_DIR)}"
  log "database: embedded PGlite in ${pglite_dir:-.data/pglite}"
fi

# --- build and run ---
log "building (npm run build)"
npm run build </dev/null || die "npm run build failed (see above)"

port="${PORT:-$(dotenv_get PORT)}"
port="${port:-3000}"
smtp_url="${SMTP_URL:-$(dotenv_get SMTP_URL)}"
mail_dir="${MAIL_DEV_DIR:-$(dotenv_get MAIL_DEV_DIR)}"
if [[ -n $smtp_url ]]; then
  mail_line="mails go through $(redact_url "$smtp_url")"
else
  mail_line="dev mails (OTPs) are written as .eml files to ${mail_dir:-.data/mail}/"
fi
cat >&2 <<BANNER

  Baat Cheet is starting
    API      http://localhost:$port/api/v1   (health: http://localhost:$port/health/live)
    docs     http://localhost:$port/docs
    mail     $mail_line
    Redis    $(redact_url "$REDIS_URL")
  Stop it with Ctrl-C. Settings live in .env (environment variables override it).

BANNER
exec node dist/main.js
