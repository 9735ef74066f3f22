#!/usr/bin/env bash
# Builds and starts the whole platform on this machine: an embedded SQLite database under
# ./data, the demo data (seeded once), and the server with its API on http://127.0.0.1:8080.
# Set DATABASE_URL=postgres://… to use PostgreSQL instead; JICAI_BIND to listen elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building (release)"
cargo build --release --locked -p jicai-api

echo "==> demo data"
./target/release/jicai demo

echo "==> starting"
exec ./target/release/jicai serve
