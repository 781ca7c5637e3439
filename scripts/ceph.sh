#!/usr/bin/env bash
# A throw-away single-node Ceph with an S3 gateway on loopback, for the S3 storage driver's tests.
#
#   scripts/ceph.sh start    one mon, one OSD (memstore: objects live in RAM), pool size 1, and
#                            radosgw (beast) on 127.0.0.1:$CEPH_RGW_PORT; an S3 user with fixed test
#                            keys and the test bucket. A no-op when it already runs and answers.
#   scripts/ceph.sh stop     stops the daemons by their pid files and removes the state
#   scripts/ceph.sh status   exit 0 when every daemon runs and the gateway answers
#   scripts/ceph.sh env      prints the S3_* and TEST_S3_* variables to export (eval "$(… env)")
#
# Everything lives under $CEPH_DIR (default /tmp/baatcheet-ceph): config, mon store, logs, pid
# files. No systemd, no cephx (loopback only; S3 requests are still signed and checked by radosgw).
# Installs Debian's ceph-mon, ceph-osd and radosgw when missing.
#
# Overrides: CEPH_DIR, CEPH_RGW_PORT (7480), CEPH_MON_PORT (6789), CEPH_S3_BUCKET (baatcheet-test).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"

CEPH_DIR="${CEPH_DIR:-/tmp/baatcheet-ceph}"
CEPH_RGW_PORT="${CEPH_RGW_PORT:-7480}"
CEPH_MON_PORT="${CEPH_MON_PORT:-6789}"
CEPH_S3_BUCKET="${CEPH_S3_BUCKET:-baatcheet-test}"
# Test-only credentials of a store that exists only on loopback, for as long as the tests run.
readonly S3_TEST_ACCESS_KEY='BAATCHEETTESTACCESS1'
readonly S3_TEST_SECRET_KEY='baatcheet-test-secret-key-0123456789abcdef'
readonly S3_TEST_REGION='us-east-1'
readonly DAEMONS=(mon.a osd.0 client.rgw.a)

CONF="$CEPH_DIR/ceph.conf"
RUN_DIR="$CEPH_DIR/run"
LOG_DIR="$CEPH_DIR/log"

rgw_url() { printf 'http://127.0.0.1:%s' "$CEPH_RGW_PORT"; }

pid_of() { cat "$RUN_DIR/$1.pid" 2>/dev/null || true; }

# The daemon's program name, to tell its pid from a reused one.
program_of() {
  case "$1" in
    mon.*) printf 'ceph-mon' ;;
    osd.*) printf 'ceph-osd' ;;
    *) printf 'radosgw' ;;
  esac
}

daemon_alive() {
  local pid
  pid="$(pid_of "$1")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$(program_of "$1")" ]]
}

# The gateway answers an anonymous request with S3 XML (ListAllMyBuckets).
rgw_answers() {
  curl -s -m 3 "$(rgw_url)/" 2>/dev/null | grep -q 'ListAllMyBucketsResult'
}

# The test bucket exists and the test keys can list it (a signed request).
bucket_ready() {
  [[ "$(s3_curl -o /dev/null -w '%{http_code}' "$(rgw_url)/$CEPH_S3_BUCKET?max-keys=1")" == 200 ]]
}

running() {
  local d
  for d in "${DAEMONS[@]}"; do daemon_alive "$d" || return 1; done
  rgw_answers && bucket_ready
}

# curl with AWS SigV4 (curl >= 7.75), as the test user.
s3_curl() {
  # radosgw wants x-amz-content-sha256, which curl only signs when it is given.
  curl -s -m 10 --aws-sigv4 "aws:amz:$S3_TEST_REGION:s3" \
    --user "$S3_TEST_ACCESS_KEY:$S3_TEST_SECRET_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

tail_log() {
  printf '\n--- last lines of %s ---\n' "$1"
  tail -n "${2:-15}" "$1" 2>/dev/null || printf '(no log)\n'
}

fail() {
  local why="$1" d
  for d in "${DAEMONS[@]}"; do
    [[ -f $LOG_DIR/$d.log ]] && why+="$(tail_log "$LOG_DIR/$d.log" 10)"
  done
  die "ceph: $why"
}

ensure_binaries() {
  local -a missing=()
  command -v ceph-mon >/dev/null 2>&1 || missing+=(ceph-mon)
  command -v ceph-osd >/dev/null 2>&1 || missing+=(ceph-osd)
  command -v radosgw >/dev/null 2>&1 || missing+=(radosgw)
  if ((${#missing[@]} > 0)); then
    log "ceph: ${missing[*]} not found; installing the Debian packages"
    apt_install "${missing[@]}"
  fi
  local b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen curl; do
    command -v "$b" >/dev/null 2>&1 ||
      die "ceph: '$b' is still missing (packages ceph-mon, ceph-osd, radosgw, ceph-common, uuid-runtime, curl)"
  done
  if ! curl --help all 2>/dev/null | grep -q -- '--aws-sigv4'; then
    die "ceph: curl has no --aws-sigv4 (needs curl 7.75+) to create the test bucket"
  fi
}

write_conf() {
  local fsid="$1"
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$CEPH_MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
run dir = $RUN_DIR
admin socket = $RUN_DIR/\$name.asok
pid file = $RUN_DIR/\$name.pid
log file = $LOG_DIR/\$name.log
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000

[mon]
mon data = $CEPH_DIR/mon/\$cluster-\$id
mon data avail crit = 0
mon data avail warn = 0
mon cluster log file = $LOG_DIR/mon-cluster.log

[osd]
osd data = $CEPH_DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 460
osd max object namespace len = 64

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$CEPH_RGW_PORT
rgw dns name = 127.0.0.1
rgw thread pool size = 32
rgw enable usage log = false
rgw gc obj min wait = 1
EOF
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.25 s.
wait_for() {
  local seconds="$1" what="$2" i
  shift 2
  for ((i = 0; i < seconds * 4; i++)); do
    "$@" && return 0
    sleep 0.25
  done
  fail "$what did not happen within ${seconds} s"
}

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@"; }

mon_answers() { ceph_cli mon stat >/dev/null 2>&1; }

osd_up() { ceph_cli osd dump 2>/dev/null | grep -Eq '^osd\.0 up +in'; }

stop_daemons() {
  local d pid i
  # Reverse order: the gateway first, the monitor last.
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    d="${DAEMONS[i]}"
    if daemon_alive "$d"; then kill "$(pid_of "$d")" 2>/dev/null || true; fi
  done
  for ((i = 0; i < 40; i++)); do # up to 10 s
    local alive=0
    for d in "${DAEMONS[@]}"; do daemon_alive "$d" && alive=1; done
    ((alive)) || return 0
    sleep 0.25
  done
  for d in "${DAEMONS[@]}"; do
    if daemon_alive "$d"; then
      pid="$(pid_of "$d")"
      warn "ceph: $d (pid $pid) ignored SIGTERM; sending SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

cmd_start() {
  local started=$SECONDS
  if [[ -d $CEPH_DIR ]] && running; then
    log "ceph: already running; S3 gateway $(rgw_url), bucket $CEPH_S3_BUCKET"
    return 0
  fi
  ensure_binaries
  # Anything left of an earlier cluster (memstore loses its data with the OSD anyway).
  if [[ -d $RUN_DIR ]]; then stop_daemons; fi
  if tcp_open 127.0.0.1 "$CEPH_RGW_PORT"; then
    die "ceph: 127.0.0.1:$CEPH_RGW_PORT is taken by something else: free it or set CEPH_RGW_PORT"
  fi
  if tcp_open 127.0.0.1 "$CEPH_MON_PORT"; then
    die "ceph: 127.0.0.1:$CEPH_MON_PORT is taken by something else: free it or set CEPH_MON_PORT"
  fi
  rm -rf -- "$CEPH_DIR"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$CEPH_DIR/mon/ceph-a" "$CEPH_DIR/osd/ceph-0"

  local fsid osd_uuid osd_id out
  fsid="$(uuidgen)"
  write_conf "$fsid"
  export CEPH_CONF="$CONF"

  log "ceph: creating the monitor (127.0.0.1:$CEPH_MON_PORT)"
  out="$(monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$CEPH_MON_PORT]" \
    "$CEPH_DIR/monmap" 2>&1)" || fail "monmaptool failed: $out"
  out="$(ceph-mon -c "$CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring /dev/null 2>&1)" ||
    fail "ceph-mon --mkfs failed: $out"
  ceph-mon -c "$CONF" -i a 2>>"$LOG_DIR/mon.a.stderr" || fail "ceph-mon did not start"
  wait_for 20 "the monitor answering" mon_answers

  log "ceph: creating the OSD (memstore)"
  osd_uuid="$(uuidgen)"
  osd_id="$(ceph_cli osd new "$osd_uuid" 2>"$LOG_DIR/osd-new.err")" ||
    fail "'ceph osd new' failed: $(cat "$LOG_DIR/osd-new.err")"
  [[ $osd_id == 0 ]] || fail "expected osd id 0, got '$osd_id'"
  out="$(ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" 2>&1)" || fail "ceph-osd --mkfs failed: $out"
  ceph-osd -c "$CONF" -i 0 2>>"$LOG_DIR/osd.0.stderr" || fail "ceph-osd did not start"
  wait_for 30 "osd.0 coming up" osd_up

  log "ceph: starting radosgw on $(rgw_url)"
  radosgw -c "$CONF" -n client.rgw.a 2>>"$LOG_DIR/client.rgw.a.stderr" || fail "radosgw did not start"
  wait_for 60 "radosgw answering on $(rgw_url)" rgw_answers

  out="$(timeout 60 radosgw-admin -c "$CONF" user create --uid=baatcheet-test \
    --display-name='Baat Cheet tests' --access-key="$S3_TEST_ACCESS_KEY" \
    --secret-key="$S3_TEST_SECRET_KEY" 2>&1)" || fail "radosgw-admin user create failed: $out"
  local code
  code="$(s3_curl -o "$LOG_DIR/bucket-create.out" -w '%{http_code}' -X PUT "$(rgw_url)/$CEPH_S3_BUCKET")" || true
  [[ $code == 200 ]] || fail "creating bucket $CEPH_S3_BUCKET answered HTTP $code: $(cat "$LOG_DIR/bucket-create.out" 2>/dev/null)"
  wait_for 10 "bucket $CEPH_S3_BUCKET listing" bucket_ready
  log "ceph: up in $((SECONDS - started)) s; S3 gateway $(rgw_url), bucket $CEPH_S3_BUCKET (state in $CEPH_DIR)"
}

cmd_stop() {
  if [[ ! -d $RUN_DIR ]]; then
    log "ceph: not running (no $RUN_DIR)"
    return 0
  fi
  stop_daemons
  rm -rf -- "$CEPH_DIR"
  log "ceph: stopped"
}

cmd_status() {
  local d ok=0
  for d in "${DAEMONS[@]}"; do
    if daemon_alive "$d"; then
      printf '%-13s running (pid %s)\n' "$d" "$(pid_of "$d")"
    else
      printf '%-13s stopped\n' "$d"
      ok=1
    fi
  done
  if rgw_answers; then
    printf 'gateway       answers on %s\n' "$(rgw_url)"
  else
    printf 'gateway       no answer on %s\n' "$(rgw_url)"
    ok=1
  fi
  if ((ok == 0)) && bucket_ready; then
    printf 'bucket        %s ready\n' "$CEPH_S3_BUCKET"
  else
    printf 'bucket        %s not ready\n' "$CEPH_S3_BUCKET"
    ok=1
  fi
  return "$ok"
}

cmd_env() {
  local url
  url="$(rgw_url)"
  cat <<EOF
export S3_ENDPOINT=$url
export S3_REGION=$S3_TEST_REGION
export S3_BUCKET=$CEPH_S3_BUCKET
export S3_ACCESS_KEY_ID=$S3_TEST_ACCESS_KEY
export S3_SECRET_ACCESS_KEY=$S3_TEST_SECRET_KEY
export S3_FORCE_PATH_STYLE=true
export TEST_S3_ENDPOINT=$url
export TEST_S3_REGION=$S3_TEST_REGION
export TEST_S3_BUCKET=$CEPH_S3_BUCKET
export TEST_S3_ACCESS_KEY_ID=$S3_TEST_ACCESS_KEY
export TEST_S3_SECRET_ACCESS_KEY=$S3_TEST_SECRET_KEY
EOF
}

case "${1:-}" in
  start)
    # A brand-new cluster's first OSD now and then registers with a zero fsid ('wrong fsid',
    # seen once right after the packages were installed); a second attempt from scratch works.
    if ! bash "${BASH_SOURCE[0]}" start-once; then
      warn "ceph: the first start failed (above); trying once more from scratch"
      bash "${BASH_SOURCE[0]}" start-once
    fi
    ;;
  start-once) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    printf 'usage: %s start|stop|status|env\n' "$0" >&2
    exit 2
    ;;
esac
