"""Layers point one way, checked on the source (AST), not by convention:

* the packages stand in one order (PACKAGE_ORDER) and import only the ones below them, lazy imports
  included, with no exception (the API's doors to the flows are ``flows/router.py``, above what they cross);
* ``nitida.core`` imports no domain package;
* services and other domain modules import nothing of the web layer
  (FastAPI, Starlette): only routers, the auth dependencies and the app do.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nitida

PACKAGE = Path(nitida.__file__).resolve().parent
DOMAINS = {
    p.name
    for p in PACKAGE.iterdir()
    if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"core", "migrations", "devtools"}
}
# Modules allowed to speak HTTP: routers (``router.py``, or ``<area>_router.py`` where a package serves
# more than one area), the request dependencies, views that build responses, the app itself and the
# command line that starts it.
WEB_MODULES = {"router.py", "dependencies.py", "views.py", "main.py", "cli.py"}


def speaks_http(path: Path) -> bool:
    return path.name in WEB_MODULES or path.name.endswith("_router.py")


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what a module imports, ``from nitida import x`` and relative imports included."""
    package = ["nitida", *path.relative_to(PACKAGE).parent.parts]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


# Lowest first. A package imports its own modules and the packages before it, never one after it.
PACKAGE_ORDER = [
    "core",
    "vocabulary",  # the DIAN's codes, fiscal field types, identity documents, the kinds (core only)
    "security_events",
    "users",
    "audit",
    "auth",  # the request's context reads users; login records security events
    "tenants",
    "jobs",
    "customers",
    "invoices",
    "einvoicing",
    "dian",
    "devtools",
    "delivery",
    "flows",  # issue, note, void: invoices + einvoicing + delivery
    "reports",
    "demo",
    "web",
    "handlers",
    "migrations",
    "main",
    "cli",
]


def _package_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def test_every_package_is_in_the_order():
    packages = {_package_of(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert packages == set(PACKAGE_ORDER)


def test_packages_import_only_the_ones_below_them_lazy_imports_included():
    rank = {name: i for i, name in enumerate(PACKAGE_ORDER)}
    upward: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        own = _package_of(path)
        if own == "__init__":
            continue
        ceiling = rank[own]
        wrong = sorted(
            {
                m
                for m in imported_modules(path)
                if m.startswith("nitida.") and m.split(".")[1] in rank and rank[m.split(".")[1]] > ceiling
            }
        )
        if wrong:
            upward[str(path.relative_to(PACKAGE))] = wrong
    assert upward == {}


def test_the_domain_packages_are_found():
    assert {"auth", "customers", "invoices", "jobs", "users"} <= DOMAINS


def test_core_imports_no_domain():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in imported_modules(path) if m.split(".")[:2][-1] in DOMAINS and m.startswith("nitida.")
        )
        for path in (PACKAGE / "core").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_services_import_nothing_from_the_web_layer():
    offenders = {}
    for domain in DOMAINS:
        for path in (PACKAGE / domain).rglob("*.py"):
            if speaks_http(path) or "web" in path.relative_to(PACKAGE).parts[:1]:
                continue
            web = sorted(
                m
                for m in imported_modules(path)
                if m.split(".")[0] in {"fastapi", "starlette"}
                or m in {"nitida.auth.dependencies", "nitida.core.problems", "nitida.core.middleware"}
            )
            if web:
                offenders[str(path.relative_to(PACKAGE))] = web
    assert offenders == {}


def test_services_do_not_load_the_web_framework_even_indirectly():
    """Importing every non-web module of every domain, in a fresh interpreter,
    loads neither FastAPI nor Starlette."""
    import subprocess
    import sys

    modules = sorted(
        "nitida." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for domain in DOMAINS
        for path in (PACKAGE / domain).rglob("*.py")
        if not speaks_http(path) and "web" not in path.relative_to(PACKAGE).parts[:1]
    )
    assert "nitida.customers.service" in modules
    code = f"import sys; import {', '.join(modules)}; print([m for m in ('fastapi', 'starlette') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
