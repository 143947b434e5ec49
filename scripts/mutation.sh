#!/usr/bin/env bash
# Mutation testing (mutmut, pinned in pyproject's dev extra) of the pure-logic modules.
#
#   ./scripts/mutation.sh                    # every module below, SQLite half then PostgreSQL half
#   ./scripts/mutation.sh --engine sqlite    # the SQLite half only (PostgreSQL-only paths then survive)
#   ./scripts/mutation.sh src/nitida/core/text.py   # only the modules named
#   ./scripts/mutation.sh --resume           # the PostgreSQL half only, on the SQLite results
#                                            # kept in ./mutants-sqlite (same code and tests)
#
# Each mutant runs only the tests that call its function (mutmut's per-function test
# selection, -x). Phase 1 runs the SQLite half of those tests; phase 2 gives the mutants that
# survived it in the modules that reach the database to the PostgreSQL half (a throwaway
# cluster), which is what can kill the PostgreSQL-only paths (advisory locks, FOR UPDATE);
# a pure module's code runs the same on both engines. Prints, per module, mutants / killed /
# score and every survivor; survivors that change no behaviour are explained in
# tests/MUTATION.md. mutmut works in a fresh ./mutants/ copy (git-ignored).

# Pure-logic modules under mutation testing. Add new ones here (path under src/).
MODULES=(
  src/nitida/vocabulary/identity.py
  src/nitida/invoices/totals.py
  src/nitida/invoices/numbering.py
  src/nitida/core/text.py
  src/nitida/core/text_policy.py
  src/nitida/core/passwords.py
  src/nitida/einvoicing/cufe.py
  src/nitida/einvoicing/documents.py
  src/nitida/reports/ageing.py
  src/nitida/customers/importing.py
)
# Tests mutmut chooses from (per function, it keeps those that call it).
TEST_PATHS=(tests/customers tests/invoices tests/core tests/users tests/einvoicing tests/reports)
# Functions only PostgreSQL can judge (row and advisory locks, which SQLite has not: its writers
# are serial): the SQLite half skips their mutants, which would all survive it after running
# every test that calls them; the PostgreSQL half runs them. mutmut's names, fnmatch patterns.
POSTGRESQL_ONLY=(
  'nitida.invoices.numbering.x__advisory_lock__mutmut_*'
  'nitida.invoices.numbering.x__lock_prefix__mutmut_*'
  'nitida.invoices.numbering.x__lock_prefixes__mutmut_*'
  'nitida.invoices.numbering.x_find_resolution__mutmut_*'
  'nitida.invoices.numbering.x_get_resolution__mutmut_*'
)

set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=both
CHILDREN=2
RESUME=0
SELECTED=()
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --children) CHILDREN="$2"; shift 2 ;;
    --resume) RESUME=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) SELECTED+=("$1"); shift ;;
  esac
done
[ ${#SELECTED[@]} -gt 0 ] && MODULES=("${SELECTED[@]}")
case "$ENGINE" in sqlite|postgresql|both) ;; *) echo "--engine is sqlite, postgresql or both" >&2; exit 2 ;; esac

./scripts/setup.sh
EXISTING_TESTS=()
for t in "${TEST_PATHS[@]}"; do [ -e "$t" ] && EXISTING_TESTS+=("$t"); done
export MUTATE="$(IFS=:; echo "${MODULES[*]}")" TESTS="$(IFS=:; echo "${EXISTING_TESTS[*]}")" CHILDREN
export SKIP_ON_SQLITE="$(IFS=:; echo "${POSTGRESQL_ONLY[*]}")"

# One phase: mutmut on MUTATE with the tests of one engine; with SURVIVORS_OF=<dir>,
# only the mutants that survived the phase whose results are in <dir>.
phase() {
  KEYWORD="$1" SURVIVORS_OF="${2:-}" .venv/bin/python - <<'PY'
import json
import os
import sys
from pathlib import Path

from mutmut import configuration
from mutmut.__main__ import cli
from mutmut.stats import status_by_exit_code

modules = os.environ["MUTATE"].split(":")
cfg = configuration.config()  # [tool.mutmut] in pyproject.toml, then this script's lists
cfg.only_mutate = modules
cfg.pytest_add_cli_args_test_selection = os.environ["TESTS"].split(":") + ["-k", os.environ["KEYWORD"]]

names = []
first_files: set[str] = set()  # test files whose tests a mutant runs before its others
skipped = [p for p in os.environ["SKIP_ON_SQLITE"].split(":") if p]
if os.environ["KEYWORD"] == "not postgresql" and skipped:
    # Generate the mutants first to name those the SQLite half runs (mutmut then reuses them).
    from fnmatch import fnmatch

    from mutmut import __main__ as mutmut_main

    Path("mutants").mkdir(exist_ok=True)
    mutmut_main.copy_src_dir()
    mutmut_main.copy_also_copy_files()
    mutmut_main.setup_source_paths()
    mutmut_main.create_mutants(1)
    for module in modules:
        meta = json.loads(Path("mutants", module + ".meta").read_text())["exit_code_by_key"]
        names += [n for n in meta if not any(fnmatch(n, p) for p in skipped)]
if os.environ["SURVIVORS_OF"]:
    for module in modules:
        if "sqlalchemy" not in Path(module).read_text():
            continue  # pure: its survivors would survive the same code on PostgreSQL
        meta = json.loads(Path(os.environ["SURVIVORS_OF"], module + ".meta").read_text())["exit_code_by_key"]
        names += [n for n, code in meta.items() if status_by_exit_code[code] not in ("killed", "timeout")]
    if not names:
        sys.exit(0)
    # Only the test files that called those functions in phase 1, and those with PostgreSQL-only
    # tests; each mutant runs the PostgreSQL-only tests first (its other tests passed on SQLite).
    called = json.loads(Path(os.environ["SURVIVORS_OF"], "mutmut-stats.json").read_text())
    called = called["tests_by_mangled_function_name"]
    functions = {n.split("__mutmut_")[0] for n in names}
    files = {test.split("::")[0] for f in functions for test in called.get(f, ())}
    tests_dirs = [Path(t) for t in os.environ["TESTS"].split(":")]
    postgres_only = {
        str(p) for d in tests_dirs for p in sorted(d.rglob("test_*.py")) if "postgres_only" in p.read_text()
    }
    cfg.pytest_add_cli_args_test_selection = sorted(files | postgres_only) + ["-k", os.environ["KEYWORD"]]
    first_files = postgres_only

# With -x a mutant's run ends at its first failing test: run the quickest tests first (the
# pure unit tests before the API ones), so a killed mutant costs seconds, not its whole list.
# mutmut's durations count only a test's call, not its fixtures: a test on an engine
# ("[sqlite…]"/"[postgresql…]": a database, an app, tenants made for it) shows 0.01 s and
# costs seconds, so every test without an engine comes before every test with one.
from mutmut.runners import harness

regular_run = harness.PytestRunner._pytest_args_regular_run


def on_an_engine(test: str) -> bool:
    return "[sqlite" in test or "[postgresql" in test


def quickest_first(self, tests):
    durations = harness.state().duration_by_test
    return regular_run(
        self,
        sorted(tests, key=lambda t: (t.split("::")[0] not in first_files, on_an_engine(t), durations.get(t, 0.0))),
    )


harness.PytestRunner._pytest_args_regular_run = quickest_first

cluster = None
if os.environ["KEYWORD"] == "not sqlite" and not os.environ.get("NITIDA_TEST_POSTGRES_URL"):
    # One cluster for the whole phase (tests/conftest.py uses it rather than start one per pytest run).
    from nitida.devtools.throwaway_pg import ThrowawayPostgres

    cluster = ThrowawayPostgres().start()
    os.environ["NITIDA_TEST_POSTGRES_URL"] = cluster.app_url
    os.environ["NITIDA_TEST_POSTGRES_OWNER_URL"] = cluster.owner_url
    # The tests must import nitida from mutants/, not the copy imported just now.
    for name in [m for m in sys.modules if m == "nitida" or m.startswith("nitida.")]:
        del sys.modules[name]
pid = os.getpid()
try:
    cli.main(["run", "--max-children", os.environ["CHILDREN"], *names], standalone_mode=False)
except SystemExit as exit_:
    if exit_.code:
        raise
finally:
    if cluster is not None and os.getpid() == pid:
        cluster.stop()
PY
}

if [ "$RESUME" = 1 ]; then
  [ -d mutants-sqlite ] || { echo "--resume needs ./mutants-sqlite from a finished SQLite half" >&2; exit 2; }
  ENGINE=both
  rm -rf mutants
  phase "not sqlite" mutants-sqlite
elif [ "$ENGINE" = postgresql ]; then
  rm -rf mutants mutants-sqlite
  phase "not sqlite"
else
  rm -rf mutants mutants-sqlite
  phase "not postgresql"
  if [ "$ENGINE" = both ]; then
    mv mutants mutants-sqlite
    phase "not sqlite" mutants-sqlite
  fi
fi

ENGINE="$ENGINE" .venv/bin/python - <<'PY'
import json
import os
from pathlib import Path

from mutmut.stats import status_by_exit_code


def statuses(directory: str, module: str) -> dict[str, str]:
    path = Path(directory, module + ".meta")
    if not path.exists():
        return {}
    meta = json.loads(path.read_text())["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in meta.items()}


engine = os.environ["ENGINE"]
print(f"\nMutation score per module (tests: {'SQLite, then PostgreSQL for the survivors in modules that reach the database' if engine == 'both' else engine}):")
print(f"{'module':<32} {'mutants':>7} {'killed':>7} {'score':>7}")
survivors = []
for module in os.environ["MUTATE"].split(":"):
    if engine == "both":
        first, second = statuses("mutants-sqlite", module), statuses("mutants", module)
        # PostgreSQL's verdict for what SQLite did not kill, where it gave one.
        result = {
            n: s if s in ("killed", "timeout") or second.get(n, "not checked") == "not checked" else second[n]
            for n, s in first.items()
        }
    else:
        result = statuses("mutants", module)
    killed = sum(s in ("killed", "timeout") for s in result.values())
    score = 100.0 * killed / len(result) if result else 100.0
    print(f"{module.removeprefix('src/nitida/'):<32} {len(result):>7} {killed:>7} {score:>6.1f}%")
    survivors += [f"  {n}: {s}" for n, s in sorted(result.items()) if s not in ("killed", "timeout")]
if survivors:
    print("\nNot killed (.venv/bin/mutmut show NAME shows one; equivalent ones are explained in tests/MUTATION.md):")
    print("\n".join(survivors))
PY
