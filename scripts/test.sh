#!/usr/bin/env bash
# What `npm test` runs: the whole Jest suite against real Redis and PostgreSQL.
#   - installs npm dependencies when needed
#   - Redis: TEST_REDIS_URL when set and answering; else a dedicated throw-away redis-server on
#     127.0.0.1:6390 (dir /tmp/baatcheet-test-redis, no persistence), installed from apt when missing
#   - PostgreSQL: TEST_DATABASE_URL when set and answering; else the server on 127.0.0.1:5432 when it
#     takes password-less logins as postgres; else a private cluster on 127.0.0.1:54329 (/tmp/baatcheet-pg)
#   - nginx (the scale-out tests run one in front of two replicas): installed from apt (nginx) when missing
#   - exports TEST_REDIS_URL and TEST_DATABASE_URL and runs `jest --ci` with this script's arguments
# The services are left running for the next run (starting them is the slow part).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"
cd "$BC_ROOT"

TEST_REDIS_PORT="${TEST_REDIS_PORT:-6390}"
TEST_REDIS_DIR="${TEST_REDIS_DIR:-/tmp/baatcheet-test-redis}"

ensure_deps

if [[ -n ${TEST_REDIS_URL:-} ]] && redis_url_ping "$TEST_REDIS_URL"; then
  log "Redis: TEST_REDIS_URL=$(redact_url "$TEST_REDIS_URL") answers"
else
  if [[ -n ${TEST_REDIS_URL:-} ]]; then
    warn "TEST_REDIS_URL=$(redact_url "$TEST_REDIS_URL") does not answer; using a test Redis on 127.0.0.1:$TEST_REDIS_PORT"
  fi
  start_redis "$TEST_REDIS_PORT" "$TEST_REDIS_DIR"
  TEST_REDIS_URL="redis://127.0.0.1:$TEST_REDIS_PORT"
  log "Redis: TEST_REDIS_URL=$TEST_REDIS_URL"
fi
export TEST_REDIS_URL

ensure_postgres # exports TEST_DATABASE_URL

ensure_nginx # exports NGINX_BIN (test/e2e/scale-out.e2e-spec.ts runs a real nginx)

log "running jest --ci $*"
exec npx --no -- jest --ci "$@"
