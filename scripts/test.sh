#!/usr/bin/env bash
# What `npm test` runs: the whole Jest suite against real Redis and PostgreSQL.
#   - installs npm dependencies when needed
#   - Redis: TEST_REDIS_URL when set and answering; else a dedicated throw-away redis-server on
#     127.0.0.1:6390 (dir /tmp/baatcheet-test-redis, no persistence), installed from apt when missing
#   - PostgreSQL: TEST_DATABASE_URL when set and answering; else the server on 127.0.0.1:5432 when it
#     takes password-less logins as postgres; else a private cluster on 127.0.0.1:54329 (/tmp/baatcheet-pg)
#   - nginx (the scale-out tests run one in front of two replicas): installed from apt (nginx) when missing
#   - the web client's npm dependencies (npm ci in client/) and Debian's chromium (apt) for test/browser
#   - S3: TEST_S3_ENDPOINT (with TEST_S3_BUCKET, TEST_S3_ACCESS_KEY_ID, TEST_S3_SECRET_ACCESS_KEY) when
#     set; else a single-node Ceph radosgw on 127.0.0.1:7480 (scripts/ceph.sh start, ~15 s)
#   - exports TEST_REDIS_URL, TEST_DATABASE_URL and TEST_S3_* and runs `jest --ci` with this script's arguments
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

ensure_client_deps # client/node_modules (test/browser builds the web client with Vite)
ensure_chromium    # exports CHROMIUM_PATH (test/browser drives Debian's chromium)

# The S3 driver's e2e tests run against a real S3-compatible store: a single-node Ceph radosgw.
if [[ -n ${TEST_S3_ENDPOINT:-} ]]; then
  log "S3: TEST_S3_ENDPOINT=$TEST_S3_ENDPOINT (given)"
elif bash scripts/ceph.sh start; then
  eval "$(bash scripts/ceph.sh env | grep '^export TEST_S3_')"
  log "S3: TEST_S3_ENDPOINT=$TEST_S3_ENDPOINT (scripts/ceph.sh)"
else
  # Not fatal here, so the rest of the suite still reports: test/e2e/media-s3 fails, naming this.
  warn "S3: scripts/ceph.sh could not start Ceph (see above); the S3 driver's tests will FAIL"
fi

log "running jest --ci $*"
exec npx --no -- jest --ci "$@"
