#!/usr/bin/env bash
# The static checks alone, for the inner loop (./scripts/test.sh runs them before pytest):
# ruff (lint and import order), ruff format, mypy. Needs the .venv of ./scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/ruff ]; then
  echo "no .venv/bin/ruff: run ./scripts/setup.sh (or ./scripts/test.sh) first" >&2
  exit 1
fi
.venv/bin/ruff check --quiet src tests setup.py
.venv/bin/ruff format --check --quiet src tests setup.py
.venv/bin/mypy
