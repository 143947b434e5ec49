"""The wheel carries the back office's front-end files (issue 24, section 5).

pyproject.toml holds the whole project's metadata; this file only adds one step to setuptools'
``build_py``: copy the npm files that ``nitida.web.mount.VENDOR_FILES`` lists (htmx, Pico.css)
from ``node_modules`` into ``nitida/web/static/vendor/`` of the build, each with its package's
licence file, so an installed wheel serves them with no checkout beside it. ``npm ci``
(scripts/setup.sh) installs them pinned and integrity-checked by package-lock.json; the build
refuses, loudly, files that are missing or that are not the release package-lock.json pins. Nothing third-party is committed: the copy exists only
in the build (and in an sdist, so that a wheel built from the sdist carries them too).

An editable install (``pip install -e``) copies nothing: it serves the checkout's node_modules.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.errors import SetupError

ROOT = Path(__file__).resolve().parent
MOUNT = ROOT / "src" / "nitida" / "web" / "mount.py"
VENDOR_IN_PACKAGE = ("nitida", "web", "static", "vendor")


def vendor_files() -> dict[str, str]:
    """``mount.VENDOR_FILES`` (served name -> path under node_modules), read without importing nitida:
    the build environment has setuptools only, none of the service's dependencies."""
    for node in ast.parse(MOUNT.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "VENDOR_FILES":
            return dict(ast.literal_eval(value))
    raise SetupError(f"no VENDOR_FILES in {MOUNT}")


def npm_package(rel: str) -> str:
    """``@picocss/pico/css/pico.min.css`` -> ``@picocss/pico``; ``htmx.org/dist/htmx.min.js`` -> ``htmx.org``."""
    parts = rel.split("/")
    return "/".join(parts[:2] if parts[0].startswith("@") else parts[:1])


def licence_of(package_dir: Path) -> Path | None:
    """The npm package's licence file (MIT asks that its notice go with every copy)."""
    return next(iter(sorted(package_dir.glob("LICEN[CS]E*"))), None)


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def checked_vendor_sources(root: Path = ROOT) -> dict[str, Path]:
    """Each vendor file in ``root/node_modules``, after checking that npm installed the very release
    package-lock.json pins (same version and integrity hash in npm's record of what it installed,
    node_modules/.package-lock.json, and the package's own version)."""
    node_modules = root / "node_modules"
    pinned = _json(root / "package-lock.json").get("packages", {})
    installed = _json(node_modules / ".package-lock.json").get("packages", {})
    problems: list[str] = []
    sources: dict[str, Path] = {}
    for name, rel in vendor_files().items():
        package = npm_package(rel)
        key = f"node_modules/{package}"
        source = node_modules / rel
        lock = pinned.get(key)
        if lock is None:
            problems.append(f"{package} (for {name}) is not in package-lock.json")
        elif not source.is_file():
            problems.append(f"{source} is missing")
        else:
            record = installed.get(key, {})
            version = _json(node_modules / package / "package.json").get("version")
            if (record.get("version"), record.get("integrity"), version) != (
                lock["version"],
                lock["integrity"],
                lock["version"],
            ):
                problems.append(
                    f"{node_modules / package} is not the release package-lock.json pins ({lock['version']}, "
                    f"{lock['integrity'][:20]}…): its package.json says {version}, npm's record of what it "
                    f"installed (node_modules/.package-lock.json) says {record.get('version')}, "
                    f"{str(record.get('integrity'))[:20]}…"
                )
        sources[name] = source
    if problems:
        raise SetupError(
            "the wheel must carry the back office's front-end files, and node_modules cannot provide them:\n  "
            + "\n  ".join(problems)
            + "\nRun `npm ci` (or ./scripts/setup.sh) at the repository's root first, then build again."
        )
    return sources


class BuildPyWithVendor(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # the checkout's node_modules serves an editable install
        target = Path(self.build_lib, *VENDOR_IN_PACKAGE)
        target.mkdir(parents=True, exist_ok=True)
        files = vendor_files()
        for name, source in checked_vendor_sources().items():
            shutil.copyfile(source, target / name)
            print(f"copying {source.relative_to(ROOT)} -> {target / name}")
            licence = licence_of(ROOT / "node_modules" / npm_package(files[name]))
            if licence is not None:
                shutil.copyfile(licence, target / f"{name}.LICENSE.txt")


class SdistWithVendor(sdist):
    """The sdist carries package-lock.json and the checked files under node_modules/, so that
    ``python -m build`` (sdist, then a wheel from it) builds a wheel that carries them too."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        base = Path(base_dir)
        checked_vendor_sources()
        wanted = ["package-lock.json", "node_modules/.package-lock.json"]
        for rel in vendor_files().values():
            package = f"node_modules/{npm_package(rel)}"
            wanted += [f"{package}/package.json", f"node_modules/{rel}"]
            licence = licence_of(ROOT / package)
            if licence is not None:
                wanted.append(f"{package}/{licence.name}")
        for rel in dict.fromkeys(wanted):
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, base / rel)


if __name__ == "__main__":  # as setuptools' build backend runs it; tests/web/test_wheel.py imports it
    setup(cmdclass={"build_py": BuildPyWithVendor, "sdist": SdistWithVendor})
