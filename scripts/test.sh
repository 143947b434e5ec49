#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the whole test suite,
# on SQLite and on a throwaway PostgreSQL cluster that the tests start.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/debian-packages.sh --tests
./scripts/setup.sh
./scripts/check.sh
exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
