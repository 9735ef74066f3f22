#!/usr/bin/env bash
# Runs every test of the platform: formatting and lints, unit tests, and the black-box suite
# against the real binary on SQLite and on a throwaway PostgreSQL 15 cluster; then builds the web
# app (frontend/) and runs its end-to-end tests in Debian's Chromium against the real server.
# Installs what a fresh machine lacks (PostgreSQL 15, libpq, the sqlite3 client, Chromium and a
# CJK font for the screenshots) with apt, and schemathesis with pip; Node.js, npm and Python come
# with the machine.
# Under CI=true a PostgreSQL run that cannot start fails instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
[ -e /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

# The generated-request run (tests/blackbox/generated.rs) drives schemathesis, from PyPI, pinned,
# in a virtual environment of its own under target/.
SCHEMATHESIS_VERSION=4.32.5
if ! target/schemathesis/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into target/schemathesis"
  rm -rf target/schemathesis
  python3 -m venv target/schemathesis
  target/schemathesis/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

echo "==> format and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "==> build the jicai binary the black-box tests drive"
cargo build --locked -p jicai-api

echo "==> unit and black-box tests (SQLite and PostgreSQL)"
log=$(mktemp)
e2e_log=$(mktemp)
trap 'rm -f "$log" "$e2e_log"' EXIT
set +e
mkdir -p target/blackbox && : > target/blackbox/figures.txt
cargo test --locked --workspace -- --test-threads "${JICAI_TEST_THREADS:-2}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "==> figures of this run (docs/reliability.md reports them)"
sort target/blackbox/figures.txt

echo "==> web app: install, generate the API types, type-check and build"
command -v npm >/dev/null || { echo "npm is missing: the web app needs Node.js 20.19+ and npm" >&2; exit 1; }
(cd frontend && npm ci --ignore-scripts --no-audit --no-fund && JICAI_BIN=../target/debug/jicai npm run build)

echo "==> web app: end-to-end tests (real server, Debian's Chromium); screenshots in test-artifacts/"
set +e
(cd frontend && JICAI_BIN=../target/debug/jicai node --test --test-concurrency=1 --test-reporter=tap e2e/) 2>&1 | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary and the end-to-end tests: "N passed, N failed".
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     FILENAME == E && /^# pass [0-9]+$/ { p += $3 }
     FILENAME == E && /^# fail [0-9]+$/ { f += $3 }
     END { printf "%d passed, %d failed\n", p, f }' E="$e2e_log" "$log" "$e2e_log"
[ "$status" -eq 0 ] || exit "$status"
exit "$e2e_status"
