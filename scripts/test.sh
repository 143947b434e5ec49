#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the whole test suite,
# on SQLite and on a throwaway PostgreSQL cluster that the tests start.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  echo "PostgreSQL server not found: installing the Debian package 'postgresql'" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
fi

# The back office's browser tests drive Debian's Chromium (Playwright cannot download its own here);
# chromium-l10n and LANG=es_CO make date inputs show dd/mm/aaaa as a Colombian user sees them.
if [ ! -x /usr/lib/chromium/chromium ]; then
  echo "Chromium not found: installing the Debian packages 'chromium' and 'chromium-l10n'" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-l10n >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-l10n >/dev/null
  fi
fi

./scripts/setup.sh
.venv/bin/ruff check --quiet src tests
.venv/bin/ruff format --check --quiet src tests
.venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
