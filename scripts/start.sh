#!/usr/bin/env bash
# Builds and starts the whole platform on this machine: an embedded SQLite database under
# ./data, the demo data (seeded once), and the server with its web app and API on
# http://127.0.0.1:8080. The web app needs Node.js 20.19+ and npm.
# Set DATABASE_URL=postgres://… to use PostgreSQL instead; JICAI_BIND to listen elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building (release)"
cargo build --release --locked -p jicai-api

echo "==> building the web app (frontend/dist)"
(
  cd frontend
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund
  fi
  JICAI_BIN=../target/release/jicai npm run build
)

echo "==> demo data"
./target/release/jicai demo

echo "==> starting"
exec ./target/release/jicai serve
