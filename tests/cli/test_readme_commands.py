"""The README's commands as a user types them, in real processes, each issuing an invoice through the back office
and seeing it reach "Aceptada por la DIAN" and the buyer's e-mail arrive:

- the one-command demo: `nitida demo`, then `nitida serve`, exactly as scripts/demo.sh runs them, with no NITIDA_*
  variable at all (the worker, the DIAN simulada and the mail catcher come with the demo);
- production: `nitida serve` on PostgreSQL with a separate `nitida worker` process, a DIAN (the fake one, answering
  as the DIAN does) and an SMTP server, configured through NITIDA_* variables as the README documents.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from delivery.test_delivery_jobs import Inbox

from fixtures import dian as answers
from fixtures.common import PASSWORD, SECRET
from fixtures.einvoicing_api import configure, customer_body, ok, resolution_body
from fixtures.processes import free_port, nitida_serve
from fixtures.web import csrf_of
from nitida.devtools.fake_dian import FakeDian

pytestmark = pytest.mark.slow

NITIDA = str(Path(sys.executable).parent / "nitida")
ACCEPTED = "Aceptada por la DIAN"


def user_environment(**extra: str) -> dict[str, str]:
    """A user's shell: none of the NITIDA_* variables the test suite sets for itself."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("NITIDA_")}, **extra}


def sign_in(base: str, email: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    form = browser.get("/app/ingresar")
    signed = browser.post(
        "/app/ingresar",
        data={"correo": email, "contrasena": password_of(email), "csrf_token": csrf_of(form.text), "siguiente": "/app"},
    )
    assert signed.status_code == 200 and "Inicio" in signed.text, signed.text[-500:]
    return browser


def password_of(email: str) -> str:
    return "Nitida-demo-2026" if email.endswith("@demo.nitida.co") else PASSWORD


def issue_from_the_editor(browser: httpx.Client, customer_id: str) -> str:
    """Nueva factura -> one line -> Emitir, as a clerk does; returns the invoice page's path."""
    editor = browser.get("/app/facturas/nueva")
    assert editor.status_code == 200
    resolution = re.search(r'<select id="resolution_id".*?<option value="([0-9a-f-]{36})" selected', editor.text, re.S)
    assert resolution, "the editor offers a resolution"
    issued = browser.post(
        "/app/facturas/nueva",
        data={
            "csrf_token": csrf_of(editor.text),
            "customer_id": customer_id,
            "resolution_id": resolution[1],
            "forma_pago": "CONTADO",
            "lineas": "1",
            "descripcion_0": "Resma de papel carta",
            "cantidad_0": "3",
            "precio_0": "11900",
            "descuento_0": "0",
            "iva_0": "19",
            "accion": "emitir",
        },
    )
    assert issued.status_code == 200 and "Factura emitida." in issued.text, issued.text[-800:]
    return httpx.URL(str(issued.url)).path


def wait_for(browser: httpx.Client, path: str, text: str, log: Path) -> str:
    """What the page's htmx polling asks for, until it says ``text``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        panel = browser.get(f"{path}/entrega", headers={"HX-Request": "true"}).text
        if text in panel:
            return panel
        time.sleep(0.3)
    raise AssertionError(f"{path} never read {text!r}: {panel}\n{log.read_text()[-3000:]}")


def test_the_one_command_demo_delivers_to_the_simulated_dian_and_the_mailbox(tmp_path):
    env = user_environment()
    seeded = subprocess.run([NITIDA, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert seeded.returncode == 0, seeded.stderr
    assert "admin@demo.nitida.co" in seeded.stdout
    proc, base = nitida_serve(NITIDA, tmp_path, env)
    try:
        browser = sign_in(base, "admin@demo.nitida.co")
        assert "DIAN simulada (demo)" in browser.get("/app").text
        login = {"email": "admin@demo.nitida.co", "password": "Nitida-demo-2026"}
        token = ok(browser.post("/auth/login", json=login))["accessToken"]
        customers = ok(browser.get("/billing/customers", headers={"Authorization": f"Bearer {token}"}))
        buyer = next(c for c in customers if c["email"])
        path = issue_from_the_editor(browser, buyer["id"])
        panel = wait_for(browser, path, "Enviado a ", tmp_path / "serve.log")
        assert ACCEPTED in panel and "DIAN simulada (demo)" in panel
        number = re.search(r"Factura de venta (SETP\d+)", browser.get(path).text)[1]
        assert number in browser.get("/app/correo-demo").text
        # The demo's example under a resolution the DIAN never authorised: rejected, with the DIAN's reason.
        rejected = browser.get("/app/facturas?dian=rechazada").text
        [example] = re.findall(r'href="(/app/facturas/[0-9a-f-]{36})"', rejected)
        assert "Valor del CUFE no está calculado correctamente" in browser.get(example).text
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.postgres_only
def test_production_serve_with_a_separate_worker_delivers_to_the_dian_and_mails_the_buyer(
    engine_name, database, database_url, postgres, tmp_path
):
    from aiosmtpd.controller import Controller

    _superuser, _service, _cluster, owner_url = postgres
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    worker = None
    with FakeDian(stall_seconds=2) as fake:
        answers.StatefulDian(pending_polls=1).install(fake)
        env = user_environment(
            NITIDA_DATABASE_URL=database_url,
            NITIDA_MIGRATION_DATABASE_URL=owner_url,
            NITIDA_SECRET_KEY=SECRET,
            NITIDA_DIAN_URL=fake.url,
            NITIDA_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}?timeout=5",
            NITIDA_JOB_POLL_SECONDS="0.2",
            NITIDA_JOB_BACKOFF_SECONDS="0.2",
        )
        email = f"admin-{os.getpid()}-{time.monotonic_ns()}@ferreteria.co"
        created = subprocess.run(
            [NITIDA, "tenant", "create", "--name", "Ferretería El Dorado S.A.S.", "--nit", "900123456-8",
             "--admin-email", email, "--admin-password", PASSWORD],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout.strip().splitlines()[-1])["tenantId"]
        proc, base = nitida_serve(NITIDA, tmp_path, env)
        worker_log = open(tmp_path / "worker.log", "ab")
        worker = subprocess.Popen([NITIDA, "worker"], cwd=tmp_path, env=env, stdout=worker_log, stderr=worker_log)
        try:
            api = httpx.Client(base_url=base, timeout=30)
            token = ok(api.post("/auth/login", json={"email": email, "password": PASSWORD}))["accessToken"]
            headers = {"Authorization": f"Bearer {token}"}
            configure(api, headers)
            ok(api.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
            customer = ok(api.post("/billing/customers", headers=headers, json=customer_body()), 201)
            browser = sign_in(base, email)
            path = issue_from_the_editor(browser, customer["id"])
            panel = wait_for(browser, path, "Enviado a ", tmp_path / "worker.log")
            assert ACCEPTED in panel and "DIAN simulada" not in panel
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=20)
            controller.stop()
    assert fake.operations()[0] == "SendTestSetAsync"
    [raw] = inbox.messages
    assert message_from_bytes(raw, policy=policy.default)["To"] == customer_body()["email"]
