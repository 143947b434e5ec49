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
# The service: every function typed (pyproject.toml's [tool.mypy]).
.venv/bin/mypy
# The bench, as its own program: every body checked, None included; its helpers' signatures may stay untyped.
MYPYPATH=src .venv/bin/mypy --allow-untyped-defs bench
# The tests, with the module names pytest gives them (fixtures.*, customers.test_*...), hence from tests/:
# every body checked against the service's types. None-checks are relaxed (--no-strict-optional): a test that
# meets None where it expected an XML node or a match fails at that line, which is the check it wants.
(cd tests && MYPYPATH=../src ../.venv/bin/mypy --config-file ../pyproject.toml --explicit-package-bases \
  --allow-untyped-defs --no-strict-optional .)
