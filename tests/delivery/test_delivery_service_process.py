"""The real service in its own process on SQLite (uvicorn, as ``nitida serve`` runs it) with its in-process worker:
an issued invoice goes SIGNED -> SENT -> ACCEPTED against the fake DIAN and the buyer receives the ZIP."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from delivery.test_delivery_jobs import Inbox, the_zip
from fixtures import dian as answers
from fixtures.common import PASSWORD
from fixtures.einvoicing_api import configure, issued_invoice, ok
from fixtures.processes import free_port, start_service
from nitida.devtools.fake_dian import FakeDian

pytestmark = pytest.mark.slow


def test_serve_with_its_inprocess_worker_delivers_an_invoice(tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller

    url = f"sqlite:///{tmp_path / 'nitida.db'}"
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with FakeDian(stall_seconds=2) as fake:
        answers.StatefulDian(pending_polls=1).install(fake)
        for name, value in {
            "NITIDA_DATABASE_URL": url,
            "NITIDA_DIAN_URL": fake.url,
            "NITIDA_DIAN_TIMEOUT_SECONDS": "2",
            "NITIDA_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=2",
            "NITIDA_JOB_POLL_SECONDS": "0.1",
            "NITIDA_JOB_BACKOFF_SECONDS": "0.1",
        }.items():
            monkeypatch.setenv(name, value)
        # What `nitida serve` on SQLite does by itself: run the worker in the service, unasked.
        monkeypatch.delenv("NITIDA_INPROCESS_WORKER")
        cli = [sys.executable, "-m", "nitida.cli"]
        subprocess.run([*cli, "db", "upgrade"], check=True, cwd=tmp_path, capture_output=True)
        created = subprocess.run(
            [
                *cli,
                "tenant",
                "create",
                "--name",
                "Papelería Nítida S.A.S.",
                "--nit",
                "900123456-8",
                "--admin-email",
                "admin@nitida.co",
                "--admin-password",
                PASSWORD,
            ],
            check=True,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert json.loads(created.stdout.strip().splitlines()[-1])["tenantId"]
        port = free_port()
        proc = start_service(url, port, tmp_path)
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
            login = ok(client.post("/auth/login", json={"email": "admin@nitida.co", "password": PASSWORD}))
            headers = {"Authorization": f"Bearer {login['accessToken']}"}
            configure(client, headers)
            invoice = issued_invoice(client, headers)
            assert invoice["electronicStatus"] == "SIGNED"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                state = ok(client.get(f"/billing/invoices/{invoice['id']}/dian-messages", headers=headers))
                if state["mailStatus"] == "SENT":
                    break
                time.sleep(0.2)
            assert state["electronicStatus"] == "ACCEPTED" and state["mailStatus"] == "SENT", state
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            controller.stop()
    assert fake.operations() == ["SendTestSetAsync", "GetStatusZip", "GetStatusZip"]
    [raw] = inbox.messages
    subject, archive, _ = the_zip(raw)
    assert subject.split(";")[2] == invoice["number"]
    assert sorted(n.rsplit(".", 1)[1] for n in archive.namelist()) == ["pdf", "xml"]
