#!/usr/bin/env bash
# Mutation testing (mutmut, pinned in pyproject's dev extra) of the pure-logic modules.
#
#   ./scripts/mutation.sh                  # SQLite and PostgreSQL halves of the tests, every module below
#   ./scripts/mutation.sh --engine sqlite  # faster: the SQLite half only (PostgreSQL-only paths then survive)
#   ./scripts/mutation.sh src/nitida/core/text.py   # only the modules named
#
# Prints, per module, mutants / killed / score and every survivor; survivors that
# change no behaviour are explained in tests/MUTATION.md. Works from a fresh
# ./mutants/ copy each run (mutmut runs the tests there; it is git-ignored).

# Pure-logic modules under mutation testing. Add new ones here (path under src/).
MODULES=(
  src/nitida/customers/identity.py
  src/nitida/invoices/totals.py
  src/nitida/invoices/numbering.py
  src/nitida/core/text.py
  src/nitida/core/text_policy.py
  src/nitida/core/passwords.py
)
# Tests mutmut chooses from: each mutant runs only the tests that call its function.
TEST_PATHS=(tests/customers tests/invoices tests/core tests/users)

set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=both
CHILDREN=2
SELECTED=()
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --children) CHILDREN="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) SELECTED+=("$1"); shift ;;
  esac
done
[ ${#SELECTED[@]} -gt 0 ] && MODULES=("${SELECTED[@]}")
case "$ENGINE" in
  sqlite) KEYWORD="not postgresql" ;;
  postgresql) KEYWORD="not sqlite" ;;
  both) KEYWORD="" ;;
  *) echo "--engine is sqlite, postgresql or both" >&2; exit 2 ;;
esac

./scripts/setup.sh
rm -rf mutants  # a clean copy: scores always come from this run

EXISTING_TESTS=()
for t in "${TEST_PATHS[@]}"; do [ -e "$t" ] && EXISTING_TESTS+=("$t"); done

MUTATE="$(IFS=:; echo "${MODULES[*]}")" TESTS="$(IFS=:; echo "${EXISTING_TESTS[*]}")" KEYWORD="$KEYWORD" \
ENGINE="$ENGINE" CHILDREN="$CHILDREN" exec .venv/bin/python - <<'PY'
import json
import os
import sys
from pathlib import Path

from mutmut import configuration
from mutmut.__main__ import cli
from mutmut.stats import status_by_exit_code

modules = os.environ["MUTATE"].split(":")
cfg = configuration.config()  # [tool.mutmut] in pyproject.toml, then the module list of this script
cfg.only_mutate = modules
cfg.pytest_add_cli_args_test_selection = os.environ["TESTS"].split(":") + (
    ["-k", os.environ["KEYWORD"]] if os.environ["KEYWORD"] else []
)

cluster = None
if os.environ["ENGINE"] != "sqlite" and not os.environ.get("NITIDA_TEST_POSTGRES_URL"):
    # One cluster for the whole run (tests/conftest.py uses it instead of starting one per pytest session).
    from nitida.devtools.throwaway_pg import ThrowawayPostgres

    cluster = ThrowawayPostgres().start()
    os.environ["NITIDA_TEST_POSTGRES_URL"] = cluster.app_url
    # The tests must import nitida from mutants/, not the copy imported just now.
    for name in [m for m in sys.modules if m == "nitida" or m.startswith("nitida.")]:
        del sys.modules[name]
pid = os.getpid()
try:
    try:
        cli.main(["run", "--max-children", os.environ["CHILDREN"]], standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            raise
finally:
    if cluster is not None and os.getpid() == pid:
        cluster.stop()

print(f"\nMutation score per module (engine: {os.environ['ENGINE']}):")
print(f"{'module':<42} {'mutants':>7} {'killed':>7} {'score':>7}")
worst = 100.0
survivors = []
for module in modules:
    meta = json.loads(Path("mutants", module + ".meta").read_text())["exit_code_by_key"]
    statuses = {name: status_by_exit_code[code] for name, code in meta.items()}
    killed = sum(s in ("killed", "timeout", "caught by type check") for s in statuses.values())
    score = 100.0 * killed / len(statuses) if statuses else 100.0
    worst = min(worst, score)
    print(f"{module.removeprefix('src/nitida/'):<42} {len(statuses):>7} {killed:>7} {score:>6.1f}%")
    survivors += [f"  {name}: {s}" for name, s in sorted(statuses.items()) if s not in ("killed", "timeout")]
if survivors:
    print("\nNot killed (see them with .venv/bin/mutmut show NAME; explain equivalent ones in tests/MUTATION.md):")
    print("\n".join(survivors))
sys.exit(0)
PY
