#!/usr/bin/env bash
# Sets everything up and runs the service on SQLite (./nitida.db) with the
# demo tenant, at http://127.0.0.1:8000 (OpenAPI UI at /docs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/debian-packages.sh
./scripts/setup.sh
.venv/bin/nitida demo
exec .venv/bin/nitida serve --host 127.0.0.1 --port 8000
