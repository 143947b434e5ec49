"""A wheel that carries its pages (issue 24, section 5).

Building the wheel (setup.py's build_py step) copies the npm files the back office serves
(mount.VENDOR_FILES) from node_modules into the package, after checking that npm installed the
releases package-lock.json pins; the service serves the package's copy first, then the checkout's
node_modules, then NITIDA_WEB_VENDOR_DIR. The slow test does what a deployment does: build the
wheel, install it into a fresh virtualenv outside the checkout, run `nitida demo` and `nitida serve`
with no NITIDA_* variable and no node_modules anywhere up the tree, and look at the pages in
Chromium: Pico's styles are applied and htmx shows the DV as a NIT is typed.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import ConsoleMessage

from fixtures.browser import CHROMIUM, missing
from fixtures.processes import nitida_serve
from nitida.web import mount

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
# The dependencies' wheels, kept between runs (and between checkouts: CI clones afresh) so that
# installing the built wheel needs no network once they are there. Exact pins: a stale folder
# only holds extra wheels, never a wrong one.
WHEELHOUSE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nitida" / "test-wheelhouse"
DEMO_PASSWORD = "Nitida-demo-2026"


def _setup_py() -> ModuleType:
    """The repository's setup.py as a module (its setup() call runs only as a script)."""
    spec = importlib.util.spec_from_file_location("nitida_setup_py", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_copies_exactly_what_the_service_serves():
    setup = _setup_py()
    assert setup.vendor_files() == mount.VENDOR_FILES
    if not (NODE_MODULES / ".package-lock.json").is_file():
        missing("node_modules (npm ci)")
    sources = setup.checked_vendor_sources()
    assert sources == {name: NODE_MODULES / rel for name, rel in mount.VENDOR_FILES.items()}


def test_the_build_refuses_node_modules_that_npm_ci_did_not_install(tmp_path):
    setup = _setup_py()
    shutil.copy(ROOT / "package-lock.json", tmp_path)
    with pytest.raises(setup.SetupError) as refused:
        setup.checked_vendor_sources(tmp_path)
    message = str(refused.value)
    for rel in mount.VENDOR_FILES.values():
        assert f"{tmp_path / 'node_modules' / rel} is missing" in message
    assert "Run `npm ci`" in message

    if not (NODE_MODULES / ".package-lock.json").is_file():
        missing("node_modules (npm ci)")
    shutil.copytree(NODE_MODULES, tmp_path / "node_modules")
    manifest = tmp_path / "node_modules" / "htmx.org" / "package.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "version": "2.0.0"}))
    with pytest.raises(setup.SetupError) as refused:
        setup.checked_vendor_sources(tmp_path)
    message = str(refused.value)
    assert "htmx.org is not the release package-lock.json pins" in message and "package.json says 2.0.0" in message
    assert "pico" not in message


def test_vendor_files_come_from_the_package_then_the_checkout_then_the_configured_folder(tmp_path, monkeypatch):
    packaged, checkout, configured = tmp_path / "packaged", tmp_path / "checkout", tmp_path / "configured"
    monkeypatch.setattr(mount, "PACKAGED_VENDOR", packaged)
    monkeypatch.setattr(mount, "CHECKOUT_NODE_MODULES", checkout)
    monkeypatch.delenv("NITIDA_WEB_VENDOR_DIR", raising=False)
    assert mount.vendor_paths() == {}

    def lay(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("/* */")
        return path

    htmx, pico = mount.VENDOR_FILES["htmx.min.js"], mount.VENDOR_FILES["pico.min.css"]
    lay(configured / htmx), lay(configured / pico)
    assert mount.vendor_paths() == {}  # NITIDA_WEB_VENDOR_DIR unset
    monkeypatch.setenv("NITIDA_WEB_VENDOR_DIR", str(configured))
    assert mount.vendor_paths() == {"htmx.min.js": configured / htmx, "pico.min.css": configured / pico}
    lay(checkout / htmx)
    assert mount.vendor_paths() == {"htmx.min.js": checkout / htmx, "pico.min.css": configured / pico}
    lay(packaged / "htmx.min.js")
    assert mount.vendor_paths() == {"htmx.min.js": packaged / "htmx.min.js", "pico.min.css": configured / pico}


def _run(command: list[str | Path], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _build_wheel(tmp_path: Path) -> Path:
    """`python -m build --wheel` on a copy of the checkout's sources (the shared work tree gets no
    build/ or egg-info from the test), with the checkout's node_modules."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    (source / "node_modules").symlink_to(NODE_MODULES)
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", source], timeout=600)
    (wheel,) = (tmp_path / "dist").glob("nitida-*.whl")
    return wheel


def _install(wheel: Path, venv: Path) -> None:
    """A fresh virtualenv with the wheel and its dependencies, from the wheelhouse (filled from
    the package index when it lacks one). The checkout's pip installs into it: quicker than a pip of
    its own, and it adds nothing to the virtualenv's path."""
    _run([sys.executable, "-m", "venv", "--without-pip", venv], timeout=120)
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    offline: list[str | Path] = [*pip, "--python", venv / "bin" / "python", "install", "--no-compile", "--no-index"]
    offline += ["--find-links", WHEELHOUSE, wheel]
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    with open(WHEELHOUSE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be filling it
        if subprocess.run([str(c) for c in offline], capture_output=True, timeout=600).returncode == 0:
            return
        _run([*pip, "wheel", "--wheel-dir", WHEELHOUSE, "--find-links", WHEELHOUSE, wheel], timeout=900)
        for ours in WHEELHOUSE.glob("nitida-*.whl"):
            ours.unlink()
        _run(offline, timeout=600)


@pytest.mark.slow
def test_an_installed_wheel_serves_its_pages_styled_and_scripted(tmp_path):
    if CHROMIUM is None:
        missing("Debian's chromium")
    if not (NODE_MODULES / ".package-lock.json").is_file():
        missing("node_modules (npm ci)")
    steps: dict[str, float] = {}
    started = time.monotonic()

    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as built:
        carried = {n for n in built.namelist() if n.startswith("nitida/web/static/vendor/")}
    assert carried == {
        f"nitida/web/static/vendor/{name}{suffix}" for name in mount.VENDOR_FILES for suffix in ("", ".LICENSE.txt")
    }
    steps["build"] = time.monotonic() - started

    venv = tmp_path / "venv"
    _install(wheel, venv)
    steps["install"] = time.monotonic() - started

    # A user's shell: no NITIDA_* variable, nothing pointing at the checkout; a folder with no node_modules up the tree.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NITIDA_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    office = tmp_path / "oficina"
    office.mkdir()
    assert not any((folder / "node_modules").exists() for folder in (office, *office.parents))
    assert not office.is_relative_to(ROOT) and not venv.is_relative_to(ROOT)
    where = _run(
        [venv / "bin" / "python", "-c", "import nitida; print(nitida.__file__)"], cwd=office, env=env, timeout=60
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    nitida = venv / "bin" / "nitida"
    seeded = _run([nitida, "demo"], cwd=office, env=env, timeout=300)
    assert "operador@demo.nitida.co" in seeded.stdout
    steps["demo"] = time.monotonic() - started
    proc, base = nitida_serve(nitida, office, env)
    steps["serve"] = time.monotonic() - started
    try:
        _look_at_the_pages(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    steps["browser"] = time.monotonic() - started
    log = (office / "serve.log").read_text()
    assert "back office:" not in log, log  # mount.install_web's warning of missing vendor files
    print("wheel test, seconds since start:", {k: round(v, 1) for k, v in steps.items()})


def _look_at_the_pages(base: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            # What Chromium shows with no stylesheet, to compare with.
            bare = browser.new_page()
            bare.set_content("<!doctype html><body><button type=submit>Ingresar</button></body>")
            default_font = bare.evaluate("() => getComputedStyle(document.body).fontFamily")
            default_button = bare.evaluate("() => getComputedStyle(document.querySelector('button')).backgroundColor")
            bare.close()

            page = browser.new_page(base_url=base, locale="es-CO")
            page.set_default_timeout(15_000)
            errors: list[str] = []

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":  # a 404 for a file, say
                    errors.append(message.text)

            page.on("console", on_console)
            page.goto("/app/ingresar")
            font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
            sign_in = page.get_by_role("button", name="Ingresar")
            button = sign_in.evaluate("b => getComputedStyle(b).backgroundColor")
            assert font != default_font and "system-ui" in font, (font, default_font)  # Pico's font stack
            assert button != default_button, (button, default_button)  # Pico's primary colour

            page.get_by_label("Correo electrónico").fill("operador@demo.nitida.co")
            page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
            sign_in.click()
            page.wait_for_url(f"{base}/app")
            page.goto("/app/clientes/nuevo")
            assert page.evaluate("() => typeof window.htmx") == "object", "htmx is not loaded"
            dv = page.locator("#dv")
            assert dv.inner_text().strip() == ""
            page.get_by_label("Número de documento").press_sequentially("900.123.456", delay=20)
            expect(dv).to_have_text("DV 8")  # htmx asked the server as the NIT was typed
            assert not errors, errors
        finally:
            browser.close()
