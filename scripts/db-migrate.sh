#!/usr/bin/env bash
# `npm run db:migrate`: apply pending migrations to the configured database (DATABASE_URL, or PGlite).
# Uses the build when there is one (production images have no dev dependencies), else the sources.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -f dist/infra/database/migrate.cli.js ]]; then
  exec node dist/infra/database/migrate.cli.js
fi
exec node -r ts-node/register/transpile-only src/infra/database/migrate.cli.ts
