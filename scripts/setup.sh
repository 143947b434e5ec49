#!/usr/bin/env bash
# Creates .venv and installs the service with its pinned dependencies, and the
# back office's front-end packages (package-lock.json: pinned, integrity-checked).
set -euo pipefail
cd "$(dirname "$0")/.."

_apt_install() {
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# pip install again only when pyproject.toml changed (the stamp keeps the copy it installed;
# the install is editable, so changes to src/ need none). A failing pip stops here.
if ! cmp -s pyproject.toml .venv/.nitida-installed-pyproject.toml 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | { grep -v "^WARNING: Location" || true; }
  cp pyproject.toml .venv/.nitida-installed-pyproject.toml
fi
.venv/bin/python -c "import nitida, fastapi, sqlalchemy, psycopg, jinja2" # fail loudly if the install did not work

# Front-end packages (htmx, Pico.css, axe-core) from the npm registry, served by
# the app from node_modules under /app/static/vendor/. Nothing of them is committed.
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: installing the Debian packages 'nodejs' and 'npm'" >&2
  _apt_install nodejs npm
fi
# npm ci again only when package-lock.json changed (the stamp keeps the copy it installed).
if ! cmp -s package-lock.json node_modules/.nitida-installed-lock.json 2>/dev/null; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 2>&1 | grep -v "Unknown user config" || true
  cp package-lock.json node_modules/.nitida-installed-lock.json
fi
test -f node_modules/htmx.org/dist/htmx.min.js # fail loudly if the install did not work
