#!/usr/bin/env bash
# Runs every test of the platform: formatting and lints, unit tests, and the black-box suite
# against the real binary on SQLite and on a throwaway PostgreSQL 15 cluster.
# Installs what a fresh machine lacks (PostgreSQL 15, libpq, the sqlite3 client) with apt.
# Under CI=true a PostgreSQL run that cannot start fails instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
[ -e /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
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

echo "==> format and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "==> build the jicai binary the black-box tests drive"
cargo build --locked -p jicai-api

echo "==> unit and black-box tests (SQLite and PostgreSQL)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked --workspace -- --test-threads "${JICAI_TEST_THREADS:-2}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary: "N passed, N failed".
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
