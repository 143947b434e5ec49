#!/usr/bin/env bash
# Creates .venv and installs the service with its pinned dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import nitida, fastapi, sqlalchemy, psycopg" # fail loudly if the install did not work
