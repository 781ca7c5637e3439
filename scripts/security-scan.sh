#!/usr/bin/env bash
# Baat Cheet: security scan with tools nobody on this team wrote (issue #8). `npm run scan`
#
# Starts a production build of the server on loopback (scripts/lib/scan-target.ts: NODE_ENV=production,
# a throw-away PostgreSQL database, a unique Redis key prefix, an in-process SMTP sink), signs up two
# users with a conversation and messages, then runs, each bounded in time:
#   - sqlmap against login, user search, message history and message send (bearer auth, JSON bodies)
#   - wapiti (modules http_headers, cookieflags, csp, methods, crlf) against the API
#   - nmap --script http-security-headers,http-methods,http-cors against the server's port
#   - npm audit --omit=dev, or, when the registry does not answer the audit endpoint, the installed
#     socket.io / engine.io / socket.io-parser / ws versions against their published advisories
# and prints a summary. Exit status: 0 nothing found, 1 a finding (or a tool failed), 2 a tool
# ran out of time before finishing (nothing found, but nothing proven either).
# Tools missing from PATH are installed from Debian (apt). The server, its database, its Redis keys
# and the scratch directory are removed at exit, whatever happens.
#
# Overrides: SCAN_ADMIN_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres), SCAN_REDIS_URL
# (redis://127.0.0.1:6379), SCAN_BUDGET (600 s for the whole scan, build included: each tool gets
# at most what is left, and a tool with no time left counts as incomplete), SCAN_SQLMAP_TIMEOUT
# (150 s per sqlmap run), SCAN_WAPITI_TIMEOUT (120 s), SCAN_KEEP=1 keeps the scratch directory
# (tool logs and reports) for reading afterwards.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"
cd "$BC_ROOT"

BUDGET="${SCAN_BUDGET:-600}"
SQLMAP_TIMEOUT="${SCAN_SQLMAP_TIMEOUT:-150}"
WAPITI_TIMEOUT="${SCAN_WAPITI_TIMEOUT:-120}"
[[ $BUDGET =~ ^[0-9]+$ && $SQLMAP_TIMEOUT =~ ^[0-9]+$ && $WAPITI_TIMEOUT =~ ^[0-9]+$ ]] ||
  die "SCAN_BUDGET, SCAN_SQLMAP_TIMEOUT and SCAN_WAPITI_TIMEOUT must be whole seconds"

SCAN_DIR="$(mktemp -d /tmp/baatcheet-scan.XXXXXX)"
TARGET_PID=""
STARTED_AT=$SECONDS
FINDINGS=0
INCOMPLETE=0
declare -a SUMMARY=()

finding() {
  FINDINGS=$((FINDINGS + 1))
  SUMMARY+=("FINDING     $*")
}
incomplete() {
  INCOMPLETE=$((INCOMPLETE + 1))
  SUMMARY+=("INCOMPLETE  $*")
}
clean() { SUMMARY+=("ok          $*"); }
note() { SUMMARY+=("note        $*"); }

# allowance LIMIT: seconds a tool may run: LIMIT, or what is left of the budget once 60 s are kept
# for the dependency checks and the summary; 0 when less than 15 s would be left.
allowance() {
  local left=$((BUDGET - (SECONDS - STARTED_AT) - 60))
  ((left > $1)) && left=$1
  ((left >= 15)) || left=0
  echo "$left"
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $TARGET_PID ]] && kill -0 "$TARGET_PID" 2>/dev/null; then
    log "stopping the scanned server (pid $TARGET_PID): it drops its database and Redis keys"
    kill -TERM "$TARGET_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$TARGET_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
    tail -n 1 "$SCAN_DIR/target.log" >&2 || true
  fi
  if [[ ${SCAN_KEEP:-0} == 1 ]]; then
    log "tool logs and reports kept in $SCAN_DIR"
  else
    rm -rf "$SCAN_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools ---------------------------------------------------------------------------------------

ensure_node
[[ -d node_modules/ts-node && -d node_modules/supertest ]] ||
  die "node_modules is missing or incomplete: run 'npm ci' first"
missing=()
for tool in sqlmap wapiti nmap; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]} from Debian"
  apt_install "${missing[@]}"
fi
SQLMAP_VERSION="$(sqlmap --version 2>/dev/null | grep -Eo '^[0-9][0-9.]*[^ ]*' | head -n 1 || true)"
WAPITI_VERSION="$(wapiti --version 2>/dev/null | grep -Eo 'Wapiti[- ][0-9][0-9.]*' | head -n 1 || true)"
NMAP_VERSION="$(nmap --version | head -n 1 | grep -Eo '[0-9]+\.[0-9]+[^ ]*' | head -n 1)"
log "sqlmap ${SQLMAP_VERSION:-?}, ${WAPITI_VERSION:-wapiti ?}, nmap $NMAP_VERSION, node $(node -v), npm $(npm -v 2>/dev/null)"

# --- target --------------------------------------------------------------------------------------

log "starting the server under test (production build; logs in $SCAN_DIR/target.log)"
node -r ts-node/register/transpile-only scripts/lib/scan-target.ts "$SCAN_DIR/target.json" \
  </dev/null >"$SCAN_DIR/target.log" 2>&1 &
TARGET_PID=$!
deadline=$((SECONDS + 420))
until [[ -f $SCAN_DIR/target.json ]]; do
  kill -0 "$TARGET_PID" 2>/dev/null || die "the server under test did not start; its log:
$(tail -n 40 "$SCAN_DIR/target.log")"
  ((SECONDS < deadline)) || die "the server under test was not ready within 420 s; last lines of its log:
$(tail -n 20 "$SCAN_DIR/target.log")"
  sleep 1
done
field() { node -e 'const t=require(process.argv[1]); const v=t[process.argv[2]]; process.stdout.write(typeof v==="string"?v:JSON.stringify(v))' "$SCAN_DIR/target.json" "$1"; }
URL="$(field url)"
PORT="$(field port)"
TOKEN="$(field accessToken)"
CONVERSATION="$(field conversationId)"
LAST_SEQ="$(field lastSeq)"
USERNAME="$(field username)"
EMAIL="$(field email)"
PASSWORD="$(field password)"
ALLOWED_ORIGIN="$(field allowedOrigin)"
API="$URL/api/v1"
log "target: $URL (conversation $CONVERSATION, last seq $LAST_SEQ)"

# --- sqlmap --------------------------------------------------------------------------------------

declare -a SQLMAP_ROWS=()
# run_sqlmap NAME SQLMAP-ARGS...: one bounded sqlmap run; its verdict is read from its own output.
# --union-cols: a search answers "no match" alike to every `ORDER BY n`, so sqlmap's ORDER BY
# shortcut concludes 999 columns and spends the whole budget on UNION attempts.
# --referer: at level 3 and up sqlmap sends its target as Referer, which the login CSRF check
# rightly refuses (403) before any payload reaches a query.
run_sqlmap() {
  local name="$1" out rc=0 started=$SECONDS statuses verdict blocked limit
  shift
  out="$SCAN_DIR/sqlmap-$name.log"
  limit="$(allowance "$SQLMAP_TIMEOUT")"
  if ((limit == 0)); then
    incomplete "sqlmap $name: not run, the ${BUDGET} s budget is spent"
    SQLMAP_ROWS+=("$(printf '%-16s %-20s' "$name" "not run (budget)")")
    return 0
  fi
  log "sqlmap: $name (at most $limit s)"
  timeout --kill-after=10 "$limit" sqlmap --batch --disable-coloring --flush-session \
    --output-dir="$SCAN_DIR/sqlmap" --dbms=PostgreSQL --level=2 --risk=1 --threads=3 \
    --timeout=15 --retries=1 --skip-waf --union-cols=1-12 \
    --referer="$ALLOWED_ORIGIN/" -H "Authorization: Bearer $TOKEN" -H "X-Auth-Transport: bearer" "$@" \
    </dev/null >"$out" 2>&1 || rc=$?
  # e.g. "422 (Unprocessable Entity) - 640 times": payloads the validation layer refused.
  statuses="$(grep -Eo '[0-9]{3} \([^)]*\) - [0-9]+ times' "$out" | awk '{ print $1 " x" $(NF - 1) }' | paste -sd ',' - || true)"
  # Answers refused before the handler: 403 (CSRF origin check) anywhere, 401 where a token is
  # needed (on the login 401 is the ordinary answer to a wrong password).
  blocked="$(grep -Eo '[0-9]{3} \([^)]*\) - [0-9]+ times' "$out" |
    awk -v codes="${SQLMAP_BLOCKING:-401|403}" '$1 ~ "^(" codes ")$" { n += $(NF - 1) } END { print n + 0 }' || true)"
  [[ $blocked =~ ^[0-9]+$ ]] || blocked=0
  if grep -q 'identified the following injection point' "$out"; then
    verdict="INJECTABLE"
    finding "sqlmap $name: injectable, see below"
    grep -A12 'identified the following injection point' "$out" >&2 || true
  elif ((blocked > 50)); then
    # Refused before the handler (CSRF origin check, authentication): the payloads never reached
    # a query, so "not injectable" would prove nothing.
    verdict="blocked ($blocked)"
    incomplete "sqlmap $name: $blocked requests refused (${SQLMAP_BLOCKING:-401|403}) before the handler, inconclusive"
  elif grep -q 'all tested parameters do not appear to be injectable' "$out"; then
    verdict="nothing injectable"
    clean "sqlmap $name: all tested parameters do not appear to be injectable ($((SECONDS - started)) s)"
  elif ((rc == 124 || rc == 137)); then
    verdict="timed out"
    incomplete "sqlmap $name: stopped after $limit s before a verdict"
  else
    verdict="no verdict (exit $rc)"
    finding "sqlmap $name: ended without a verdict (exit $rc); last lines: $(tail -n 3 "$out" | tr '\n' ' ')"
  fi
  SQLMAP_ROWS+=("$(printf '%-16s %-20s %4s s  error answers: %s' "$name" "$verdict" $((SECONDS - started)) "${statuses:-none}")")
}

# -p names each parameter, so none is skipped silently. Login: the baseline is the real account's
# right password, so sqlmap sees 200 against 401 (a clear true/false signal) and each success
# clears the account's failure count (the login slowdown would otherwise hold every baseline
# request 5 s); while the password is attacked, --randomize changes the account on every request
# for the same reason. xforwardedfor gives each request another client address (TRUST_PROXY=1, as
# behind nginx), so the per-IP lockout answers 401 like a normal failure instead of 429.
SQLMAP_BLOCKING=403 run_sqlmap login-email -u "$API/auth/login" --method=POST \
  --data="$(node -e 'process.stdout.write(JSON.stringify({ email: process.argv[1], password: process.argv[2] }))' "$EMAIL" "$PASSWORD")" \
  -p email --tamper=xforwardedfor --ignore-code=401
SQLMAP_BLOCKING=403 run_sqlmap login-password -u "$API/auth/login" --method=POST \
  --data='{"email":"scan.user@example.com","password":"not the password"}' \
  -p password --randomize=email --tamper=xforwardedfor --ignore-code=401
run_sqlmap users-search -u "$API/users?q=${USERNAME:0:6}&limit=10" -p q,limit
run_sqlmap history-before -u "$API/conversations/$CONVERSATION/messages?before=$LAST_SEQ&limit=10" \
  -p before,limit
run_sqlmap history-after -u "$API/conversations/$CONVERSATION/messages?after=1&limit=10" -p after
run_sqlmap history-path-id -u "$API/conversations/${CONVERSATION}*/messages?limit=10"
run_sqlmap message-send -u "$API/conversations/$CONVERSATION/messages" --method=POST \
  --data='{"clientMessageId":"scan-1","body":"hello from the scanner"}' -p clientMessageId,body

# --- wapiti --------------------------------------------------------------------------------------

log "wapiti: http_headers, cookieflags, csp, methods, crlf"
# Its crawler only follows links, and a JSON API has none: the start URLs name the routes, and the
# cookie jar holds the cookies the server set at a real cookie login (flags as the server sent them).
node -e '
  const t = require(process.argv[1]);
  const jar = {};
  for (const line of t.setCookie) {
    const [pair, ...attrs] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!value) continue;
    const path = (attrs.find((a) => /^path=/i.test(a)) || "path=/").slice(5);
    const secure = attrs.some((a) => /^secure$/i.test(a));
    const domain = "127.0.0.1";
    jar[domain] ??= {};
    jar[domain][path] ??= {};
    jar[domain][path][name] = { value, version: 0, expires: null, secure, port: null };
  }
  process.stdout.write(JSON.stringify(jar));
' "$SCAN_DIR/target.json" >"$SCAN_DIR/wapiti-cookies.json"
wapiti_rc=0
started=$SECONDS
wapiti_limit="$(allowance "$WAPITI_TIMEOUT")"
((wapiti_limit >= 30)) || wapiti_limit=30
timeout --kill-after=10 "$wapiti_limit" wapiti -u "$API/" --scope folder \
  -m http_headers,cookieflags,csp,methods,crlf \
  -s "$API/users/me" -s "$API/users?q=${USERNAME:0:6}" -s "$API/conversations" \
  -s "$API/conversations/$CONVERSATION/messages?before=$LAST_SEQ&limit=10" \
  -H "Authorization: Bearer $TOKEN" -c "$SCAN_DIR/wapiti-cookies.json" \
  --flush-session --store-session "$SCAN_DIR/wapiti-session" --store-config "$SCAN_DIR/wapiti-config" \
  --max-scan-time $((wapiti_limit - 20)) -d 2 -v 1 \
  -f json -o "$SCAN_DIR/wapiti.json" </dev/null >"$SCAN_DIR/wapiti.log" 2>&1 || wapiti_rc=$?
WAPITI_SECONDS=$((SECONDS - started))
if [[ ! -s $SCAN_DIR/wapiti.json ]]; then
  if ((wapiti_rc == 124 || wapiti_rc == 137)); then
    incomplete "wapiti: stopped after ${wapiti_limit} s before writing its report"
  else
    finding "wapiti: no report (exit $wapiti_rc); last lines: $(tail -n 5 "$SCAN_DIR/wapiti.log" | tr '\n' ' ')"
  fi
  WAPITI_LINES="no report"
else
  # Accepted, with the reason (docs/SECURITY.md): wapiti 3.0.4 wants "X-XSS-Protection: 1", which
  # current guidance (OWASP Secure Headers, MDN) replaced by "0": the filter it turns on was itself
  # an XSS vector, and a JSON API with CSP default-src 'none' renders nothing for it to filter.
  # shellcheck disable=SC2016 # JavaScript, not shell
  WAPITI_LINES="$(node -e '
    const report = require(process.argv[1]);
    const accepted = [/^X-XSS-Protection is not set$/];
    const out = [];
    let real = 0;
    for (const section of ["vulnerabilities", "anomalies"]) {
      for (const [category, items] of Object.entries(report[section] || {})) {
        for (const item of items) {
          const ok = accepted.some((re) => re.test(item.info));
          if (!ok) real += 1;
          out.push(`${ok ? "accepted" : "FINDING "} ${category}: ${item.info} (${item.method} ${item.path})`);
        }
      }
    }
    out.push(`real=${real}`);
    process.stdout.write(out.join("\n"));
  ' "$SCAN_DIR/wapiti.json")"
  wapiti_real="$(grep -Eo '^real=[0-9]+' <<<"$WAPITI_LINES" | cut -d= -f2)"
  WAPITI_LINES="$(grep -v '^real=' <<<"$WAPITI_LINES" || true)"
  if ((wapiti_real > 0)); then
    finding "wapiti: $wapiti_real finding(s), listed below"
  else
    clean "wapiti: no finding beyond the accepted ones listed below (${WAPITI_SECONDS} s)"
  fi
fi

# --- nmap ----------------------------------------------------------------------------------------

log "nmap: http-security-headers, http-methods, http-cors"
nmap_rc=0
started=$SECONDS
# "+": run the scripts even though nmap does not recognise the port's service as HTTP (it is not
# 80/443 and -sV would cost a minute).
timeout --kill-after=10 60 nmap -Pn -n -p "$PORT" \
  --script +http-security-headers,+http-methods,+http-cors \
  --script-args "http-methods.url-path=/api/v1/users/me,http-security-headers.path=/api/v1/users/me,http-cors.path=/api/v1/users/me,http-cors.origin=https://evil.example" \
  127.0.0.1 </dev/null >"$SCAN_DIR/nmap.log" 2>&1 || nmap_rc=$?
NMAP_SECONDS=$((SECONDS - started))
if ((nmap_rc != 0)); then
  finding "nmap: exit $nmap_rc; last lines: $(tail -n 5 "$SCAN_DIR/nmap.log" | tr '\n' ' ')"
else
  nmap_problems=()
  grep -q 'http-cors:' "$SCAN_DIR/nmap.log" &&
    nmap_problems+=("http-cors: a foreign origin was granted CORS methods")
  grep -Eiq 'Potentially risky methods:.*(TRACE|TRACK|CONNECT)' "$SCAN_DIR/nmap.log" &&
    nmap_problems+=("http-methods: TRACE/TRACK/CONNECT allowed")
  for header in Strict_Transport_Security X_Frame_Options X_Content_Type_Options Content_Security_Policy; do
    grep -q "$header" "$SCAN_DIR/nmap.log" || nmap_problems+=("http-security-headers: no $header")
  done
  if ((${#nmap_problems[@]} > 0)); then
    for problem in "${nmap_problems[@]}"; do finding "nmap $problem"; done
  else
    clean "nmap: security headers present, no wildcard CORS grant, no TRACE (${NMAP_SECONDS} s)"
  fi
fi

# nmap 7.93's http-cors only ever recognises "Access-Control-Allow-Origin: *" (it hands origin_ok
# the response instead of the origin, and always asks for "/"), so it cannot see a reflected
# origin. The same preflight by curl, with the allowed origin as the control that must pass:
declare -a CORS_ROWS=()
cors_problems=0
for origin in "$ALLOWED_ORIGIN" https://evil.example null "https://evil.${ALLOWED_ORIGIN#https://}" \
  "${ALLOWED_ORIGIN}.evil.example"; do
  granted="$(curl -s -o /dev/null -D - -X OPTIONS -m 10 -H "Origin: $origin" \
    -H 'Access-Control-Request-Method: POST' "$API/users/me" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "access-control-allow-origin" { print $2 }' || true)"
  if [[ $origin == "$ALLOWED_ORIGIN" ]]; then
    [[ $granted == "$origin" ]] || cors_problems=$((cors_problems + 1))
    CORS_ROWS+=("$(printf '%-40s %s' "$origin" "${granted:-no grant} (control: must be granted)")")
  else
    [[ -z $granted ]] || cors_problems=$((cors_problems + 1))
    CORS_ROWS+=("$(printf '%-40s %s' "$origin" "${granted:-no grant}")")
  fi
done
if ((cors_problems > 0)); then
  finding "CORS preflight probe: $cors_problems origin(s) answered wrongly (listed below)"
else
  clean "CORS preflight probe: only the allowed origin is granted ($((${#CORS_ROWS[@]} - 1)) hostile origins refused)"
fi

# --- dependencies --------------------------------------------------------------------------------

log "npm audit --omit=dev"
audit_rc=0
timeout 90 npm audit --omit=dev --json </dev/null >"$SCAN_DIR/audit.json" 2>"$SCAN_DIR/audit.err" || audit_rc=$?
# shellcheck disable=SC2016 # JavaScript, not shell
AUDIT_LINE="$(node -e '
  let report;
  try { report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); } catch { report = undefined; }
  const v = report && report.metadata && report.metadata.vulnerabilities;
  if (!v || report.error) {
    const why = report && report.message ? report.message : report && report.error ? (report.error.summary || report.error.code || "error") : "no JSON answer";
    process.stdout.write(`unavailable ${String(why).split("\n")[0].slice(0, 160)}`);
  } else {
    process.stdout.write(`ok ${v.critical || 0} ${v.high || 0} ${v.moderate || 0} ${v.low || 0} ${v.info || 0}`);
  }
' "$SCAN_DIR/audit.json")"
read -r audit_state audit_rest <<<"$AUDIT_LINE"
if [[ $audit_state == ok ]]; then
  read -r crit high moderate low info <<<"$audit_rest"
  AUDIT_SUMMARY="npm audit --omit=dev: critical $crit, high $high, moderate $moderate, low $low, info $info"
  if ((crit + high > 0)); then finding "$AUDIT_SUMMARY"; else clean "$AUDIT_SUMMARY"; fi
else
  AUDIT_SUMMARY="npm audit --omit=dev: the registry did not answer the audit endpoint (exit $audit_rc: $audit_rest)"
  note "$AUDIT_SUMMARY; falling back to the advisory floor check below"
fi

# Whatever npm audit said: every installed copy of the real-time stack must be past the fixes of its
# published advisories (npm ls --all lists nested copies too).
timeout 60 npm ls --all --json --omit=dev socket.io engine.io socket.io-parser ws </dev/null \
  >"$SCAN_DIR/npm-ls.json" 2>/dev/null || true
# shellcheck disable=SC2016 # JavaScript, not shell
VERSION_LINES="$(node -e '
  const tree = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "{}");
  // The first fixed version of each advisory, per major line.
  const floors = {
    "socket.io": [["4", "4.6.2", "CVE-2024-38355 / GHSA-25hc-qcg6-38wj"]],
    "engine.io": [["6", "6.4.2", "CVE-2023-31125"]],
    "socket.io-parser": [["4", "4.2.3", "CVE-2023-32695"]],
    ws: [["8", "8.17.1", "CVE-2024-37890"], ["7", "7.5.10", "CVE-2024-37890"]],
  };
  const cmp = (a, b) => {
    const x = a.split(/[.-]/).map(Number), y = b.split(/[.-]/).map(Number);
    for (let i = 0; i < 3; i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
    return 0;
  };
  const seen = new Map();
  const walk = (node, trail) => {
    for (const [name, dep] of Object.entries(node.dependencies || {})) {
      if (floors[name] && dep.version) seen.set(`${name}@${dep.version}`, [name, dep.version, [...trail, name].join(" > ")]);
      walk(dep, [...trail, name]);
    }
  };
  walk(tree, []);
  const lines = [];
  for (const name of Object.keys(floors)) {
    const copies = [...seen.values()].filter(([n]) => n === name);
    if (copies.length === 0) lines.push(`MISSING ${name}: not installed`);
    for (const [, version, trail] of copies) {
      const rule = floors[name].find(([major]) => version.split(".")[0] === major);
      const ok = rule ? cmp(version, rule[1]) >= 0 : cmp(version, floors[name][0][1]) >= 0;
      lines.push(`${ok ? "ok" : "BELOW"} ${name}@${version} (needs >= ${rule ? rule[1] : floors[name][0][1]}: ${(rule || floors[name][0])[2]}) via ${trail}`);
    }
  }
  process.stdout.write(lines.join("\n"));
' "$SCAN_DIR/npm-ls.json")"
if grep -Eq '^(BELOW|MISSING)' <<<"$VERSION_LINES"; then
  finding "real-time stack versions: $(grep -Ec '^(BELOW|MISSING)' <<<"$VERSION_LINES") below their advisories' fixes (listed below)"
else
  clean "real-time stack versions: $(grep -c '^ok' <<<"$VERSION_LINES") installed copies, all past their advisories"
fi

# --- summary -------------------------------------------------------------------------------------

TOTAL=$((SECONDS - STARTED_AT))
{
  echo
  echo "== Baat Cheet security scan: $(date -u +%Y-%m-%dT%H:%M:%SZ), ${TOTAL} s =="
  echo "target   $URL (NODE_ENV=production, CORS_ORIGINS=$ALLOWED_ORIGIN, user $EMAIL)"
  echo "tools    sqlmap ${SQLMAP_VERSION:-?} | ${WAPITI_VERSION:-wapiti ?} | nmap $NMAP_VERSION | npm $(npm -v 2>/dev/null)"
  echo
  echo "sqlmap (level 2, risk 1, PostgreSQL payloads, UNION 1-12 columns, bearer auth):"
  printf '  %s\n' "${SQLMAP_ROWS[@]}"
  echo
  echo "wapiti (http_headers, cookieflags, csp, methods, crlf; ${WAPITI_SECONDS:-?} s):"
  if [[ -n ${WAPITI_LINES:-} ]]; then printf '%s\n' "$WAPITI_LINES" | sed 's/^/  /'; else echo "  nothing reported"; fi
  echo
  echo "nmap (${NMAP_SECONDS:-?} s):"
  sed -n '/^PORT/,/^Nmap done/p' "$SCAN_DIR/nmap.log" | grep -v '^Nmap done' | sed 's/^/  /'
  echo
  echo "CORS preflight (curl, OPTIONS /api/v1/users/me):"
  printf '  %s\n' "${CORS_ROWS[@]}"
  echo
  echo "dependencies:"
  echo "  $AUDIT_SUMMARY"
  printf '%s\n' "$VERSION_LINES" | sed 's/^/  /'
  echo
  echo "verdicts:"
  printf '  %s\n' "${SUMMARY[@]}"
  echo
  echo "findings $FINDINGS, incomplete $INCOMPLETE, total ${TOTAL} s (budget ${BUDGET} s)"
} | tee "$SCAN_DIR/summary.txt"

if ((FINDINGS > 0)); then exit 1; fi
if ((INCOMPLETE > 0)); then exit 2; fi
exit 0
