"""Every action of every page, in every state, on both engines (issue 23).

Each role (ADMIN, OPERADOR, CONSULTA) signs in to a business of its own, seeded through the API
with an invoice in every state (draft; issued electronic, signed and not yet sent; accepted by the
DIAN; rejected by the DIAN; issued before electronic invoicing, so not electronic; paid; with a
partial credit note; with a debit note; void) and a customer in every state (active, inactive, with
invoices). The acceptance and the rejection come from a delivery run by the job worker against the
project's fake DIAN (src/nitida/devtools/fake_dian.py), answering with the DIAN's real rule rejection
for the documents chosen to be rejected (and the buyer's e-mail to a local SMTP server); the other
electronic invoices stay signed, waiting for the DIAN, so their pages poll.

A real Chromium then follows every link, submits every form with each of its buttons (valid data)
and fires every htmx element the rendered pages offer (tests/fixtures/crawler.py), changes on fresh
copies of the state so every state survives for the next action, then checks each page found on a
phone (no sideways scrolling) and signs out. The test fails, listing every one at once, on a 5xx,
English left on a page, an unhandled browser-console error, an action refused with valid data, or a
page wider than a phone.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from fixtures import dian as answers
from fixtures.browser import spanish_chromium
from fixtures.common import PASSWORD, SECRET, TenantHandle
from fixtures.crawler import Crawler, Report, english_in, english_words, shape
from fixtures.einvoicing_api import LINES, configure, customer_body, ok, record_dian_answer, resolution_body
from fixtures.processes import free_port, start_service
from nitida.core.clock import bogota_today
from nitida.core.settings import Settings
from nitida.devtools.fake_dian import FakeDian
from nitida.jobs.worker import Worker
from nitida.users.models import Role

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # git-ignored: pages too wide for a phone
# Fresh copies of some states are made at the start, as spares: an invoice issued before the business
# configured electronic invoicing cannot be made afterwards, and the DIAN's answers come from one
# delivery run (a later run would deliver, and mail, every document issued since). As many as the
# role has actions on such an invoice (ADMIN: pago, nota crédito, anular, reenviar, duplicar, corregir y
# reenviar; OPERADOR: pago, nota crédito, duplicar, corregir y reenviar); past them an accepted or rejected copy costs a delivery run of its own,
# a non-electronic one fails.
SPARES = {Role.ADMIN: 5, Role.OPERADOR: 3, Role.CONSULTA: 0}


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is open.
@pytest.fixture(scope="module")
def browser():
    with spanish_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def service_url(database, database_url, tmp_path_factory):
    """A real service process on the test database. No in-process worker (on SQLite it would run one):
    the test runs its jobs itself, against the fake DIAN, so each state stays as seeded."""
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NITIDA_INPROCESS_WORKER", "false")
        proc = start_service(database_url, port, tmp_path_factory.mktemp("crawler-service"))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


class CrawlDian(answers.StatefulDian):
    """The fake DIAN's replies: the DIAN's real rule rejection for the documents in ``rejected``, an
    acceptance for every other."""

    def __init__(self) -> None:
        super().__init__()
        self.rejected: set[str] = set()  # CUFEs

    def _final(self, operation: str, number: str, key: str) -> bytes:
        self.reject = key in self.rejected
        return super()._final(operation, number, key)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def dian():
    with FakeDian(stall_seconds=2) as fake:
        replies = CrawlDian().install(fake)
        yield fake, replies


@pytest.fixture
def smtp_url():
    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}?timeout=2"
    finally:
        controller.stop()


class World:
    """One business with every state, made through the API as its ADMIN would; ``entities`` maps each
    seeded id to its state and a factory of fresh copies."""

    def __init__(self, client, database, database_url: str, tenant: TenantHandle, dian, smtp_url: str) -> None:
        self.client, self.tenant, self.database = client, tenant, database
        self.headers = tenant.headers(Role.ADMIN)
        self.fake, self.replies = dian
        self.worker = Worker(
            database,
            only_tenant=tenant.id,
            name=f"crawler-{tenant.id.hex[:6]}",
            settings=Settings(
                database_url=database_url,
                secret_key=SECRET,
                dian_url=self.fake.url,
                dian_timeout_seconds=5,
                smtp_url=smtp_url,
                job_backoff_seconds=0,
                job_backoff_cap_seconds=1,
            ),
        )
        self.entities: dict = {}
        self.spares: dict[str, list[str]] = {}

    # --- the API ---

    def post(self, path: str, body: dict | None = None, status: int = 201) -> dict:
        return ok(self.client.post(path, headers=self.headers, json=body), status)

    def invoice(self, invoice_id: str) -> dict:
        return ok(self.client.get(f"/billing/invoices/{invoice_id}", headers=self.headers))

    def customer(self, name: str, **changes) -> str:
        return self.post("/billing/customers", customer_body(razonSocial=name, **changes))["id"]

    def draft(self, customer_id: str | None = None) -> dict:
        body = {
            "customerId": customer_id or self.main_customer,
            "resolutionId": self.resolution,
            "paymentForm": "CONTADO",
            "paymentMethod": "TRANSFERENCIA",
            "lines": LINES,
        }
        return self.post("/billing/invoices", body)

    def issued(self, customer_id: str | None = None) -> dict:
        return self.post(f"/billing/invoices/{self.draft(customer_id)['id']}/issue", status=200)

    def deliver(self) -> None:
        """Run the business's queued jobs (sends, polls, e-mails) against the fake DIAN."""
        self.worker.run_until_idle()

    # --- the states (each returns the new entity's id) ---

    def accepted_now(self) -> dict:
        """An issued invoice the DIAN accepted (its answer recorded as the delivery job records it): notes and
        voids reference only such invoices (issue 25)."""
        invoice = self.issued()
        record_dian_answer(self.database, self.tenant.id, invoice["id"], accepted=True)
        return invoice

    def s_draft(self) -> str:
        return self.draft()["id"]

    def s_signed(self) -> str:
        invoice = self.issued()
        assert invoice["electronicStatus"] == "SIGNED", invoice
        return invoice["id"]

    def _delivered(self, *, rejected: bool) -> str:
        invoice = self.issued()
        if rejected:
            self.replies.rejected.add(invoice["cufe"])
        self.deliver()
        status = self.invoice(invoice["id"])["electronicStatus"]
        assert status == ("REJECTED" if rejected else "ACCEPTED"), status
        return invoice["id"]

    def s_accepted(self) -> str:
        return self._spare("aceptada por la DIAN") or self._delivered(rejected=False)

    def s_rejected(self) -> str:
        return self._spare("rechazada por la DIAN") or self._delivered(rejected=True)

    def s_non_electronic(self) -> str:
        spare = self._spare("emitida no electrónica")
        if spare is None:
            raise RuntimeError("no spare non-electronic invoice left: raise SPARES")
        return spare

    def _spare(self, state: str) -> str | None:
        return self.spares[state].pop() if self.spares.get(state) else None

    def s_paid(self) -> str:
        invoice = self.issued()
        body = {"amount": invoice["total"], "method": "TRANSFERENCIA", "reference": "TRX-2026-100"}
        paid = self.post(f"/billing/invoices/{invoice['id']}/payments", body)
        assert paid["status"] == "PAID", paid
        return invoice["id"]

    def s_credit_note(self) -> str:
        invoice = self.accepted_now()
        line = {
            "description": "Resma papel carta 75 g",
            "quantity": "2",
            "unitPrice": "11900.00",
            "taxes": [{"type": "IVA", "rate": "19"}],
        }
        body = {"concept": 1, "description": "Devolución de dos resmas", "lines": [line]}
        self.post(f"/billing/invoices/{invoice['id']}/credit-notes", body)
        return invoice["id"]

    def s_debit_note(self) -> str:
        invoice = self.accepted_now()
        line = {"description": "Intereses de mora", "quantity": "1", "unitPrice": "5000.00"}
        body = {"concept": 1, "description": "Intereses por pago tardío", "lines": [line]}
        self.post(f"/billing/invoices/{invoice['id']}/debit-notes", body)
        return invoice["id"]

    def s_void(self) -> str:
        invoice = self.accepted_now()
        voided = self.post(f"/billing/invoices/{invoice['id']}/void", {"reason": "Factura emitida por error"}, 200)
        assert voided["status"] == "VOID", voided
        return invoice["id"]

    def s_customer_abroad(self) -> str:
        """A buyer abroad (issue 25): its country and foreign address, no DANE municipality."""
        body = {
            "razonSocial": f"Acme Trading {len(self.entities)} Inc.",
            "tipoDocumento": "NIT_EXTRANJERO",
            "nit": f"98{uuid.uuid4().int % 10**8:08d}",
            "paisCodigo": "US",
            "ciudadExterior": "Miami",
            "regionExterior": "Florida",
            "direccion": "1200 Brickell Avenue, Suite 300",
            "email": "billing@acme.example",
        }
        return self.post("/billing/customers", body)["id"]

    def s_export_draft(self) -> str:
        """A draft export invoice in dollars to a buyer abroad: its editor shows the Exportación section."""
        line = {
            "description": "Café verde excelso, saco de 70 kg",
            "quantity": "20",
            "unitPrice": "310.55",
            "taxes": [{"type": "IVA", "rate": "0"}],
            "brand": "Nítida Café",
            "model": "Excelso EP 70",
        }
        body = {
            "customerId": self.s_customer_abroad(),
            "resolutionId": self.resolution,
            "paymentForm": "CONTADO",
            "paymentMethod": "TRANSFERENCIA",
            "lines": [line],
            "export": True,
            "currency": "USD",
            "exchangeRate": "3912.45",
        }
        return self.post("/billing/invoices", body)["id"]

    def s_export_invoice(self) -> str:
        return self.post(f"/billing/invoices/{self.s_export_draft()}/issue", status=200)["id"]

    def s_active_customer(self) -> str:
        return self.customer(f"Droguería La Salud {len(self.entities)}")

    def s_inactive_customer(self) -> str:
        customer_id = self.customer(f"Colegio Los Andes {len(self.entities)}")
        ok(self.client.patch(f"/billing/customers/{customer_id}", headers=self.headers, json={"status": "INACTIVE"}))
        return customer_id

    def s_customer_with_invoices(self) -> str:
        customer_id = self.customer(f"Ferretería Antioqueña {len(self.entities)}")
        self.issued(customer_id)
        return customer_id

    # --- the whole world ---

    def add(self, state: str, factory, entity_id: str | None = None) -> None:
        self.entities[entity_id or factory()] = (state, factory)

    def add_with_spares(self, state: str, factory, make, spares: int) -> None:
        """The state's entity and its spares (known to the crawler as that state: one visit for all)."""
        made = [make() for _ in range(1 + spares)]
        self.spares[state] = made[1:]
        for entity_id in made:
            self.entities[entity_id] = (state, factory)

    def seed(self, *, spares: int) -> dict:
        self.resolution = self.post("/billing/resolutions", resolution_body())["id"]
        self.main_customer = self.customer("Ferretería El Dorado S.A.S.")
        self.add_with_spares("emitida no electrónica", self.s_non_electronic, lambda: self.issued()["id"], spares)
        assert self.invoice(next(iter(self.entities)))["electronicStatus"] == "NOT_APPLICABLE"
        configure(self.client, self.headers)

        def for_the_dian(rejected: bool):
            def make() -> str:
                invoice = self.issued()
                if rejected:
                    self.replies.rejected.add(invoice["cufe"])
                return invoice["id"]

            return make

        # One delivery run for the states the DIAN has answered; the others are issued after it (signed,
        # waiting for the DIAN: delivering and mailing them all would double the time of the seeding).
        self.add_with_spares("rechazada por la DIAN", self.s_rejected, for_the_dian(True), spares)
        self.add_with_spares("aceptada por la DIAN", self.s_accepted, for_the_dian(False), spares)
        self.deliver()
        for state, expected in (("rechazada por la DIAN", "REJECTED"), ("aceptada por la DIAN", "ACCEPTED")):
            delivered = [self.invoice(i)["electronicStatus"] for i, (s, _f) in self.entities.items() if s == state]
            assert set(delivered) == {expected}, (state, delivered)
        self.add("pagada", self.s_paid)
        self.add("con nota crédito parcial", self.s_credit_note)
        self.add("con nota débito", self.s_debit_note)
        self.add("anulada", self.s_void)
        self.add("borrador", self.s_draft)
        self.add("emitida electrónica, sin enviar", self.s_signed)
        self.add("cliente con facturas", self.s_customer_with_invoices, self.main_customer)
        self.add("cliente activo", self.s_active_customer)
        self.add("cliente inactivo", self.s_inactive_customer)
        self.add("cliente en el exterior", self.s_customer_abroad)
        # Not yet: an export draft saved again from its editor answers 422 (known defect, stop note of 2026-12-07).
        self.add("factura de exportación en dólares", self.s_export_invoice)
        # Configuración lists the users: one of them inactive.
        user = self.post(
            "/users",
            {
                "email": f"inactiva-{self.tenant.id.hex[:8]}@example.co",
                "name": "Usuaria Inactiva",
                "password": PASSWORD,
                "role": "CONSULTA",
            },
        )
        ok(self.client.patch(f"/users/{user['id']}", headers=self.headers, json={"status": "INACTIVE"}))
        return self.entities


def _summary(reports: list[Report], engine_name: str, *, detail: bool = False) -> str:
    lines = [f"crawler on {engine_name}:"]
    for r in reports:
        lines.append(
            f"  {r.role}: {len(r.pages)} pages, {len(r.actions)} actions, {len(r.downloads)} downloads, "
            f"{r.phone_pages} pages on a phone, {len(r.findings)} findings, {r.seconds:.0f} s"
            f" ({', '.join(f'{k} {v:.0f} s' for k, v in r.timings.items())})"
        )
        lines.extend(f"    refused (explained): {text}" for text in r.refused)
        lines.extend(f"    note: {text}" for text in r.notes)
        if detail:
            lines.extend(f"    did: {text}" for text in r.actions)
    return "\n".join(lines)


def test_every_action_of_every_page_in_every_state(
    browser, service_url, client, database, database_url, make_tenant, dian, smtp_url, engine_name
):
    started = time.monotonic()
    reports: list[Report] = []
    on_phone: set[tuple[str, str]] = set()  # (page shape, state) already checked on a phone
    seeded: list[float] = []
    downloaded: set = set()  # a file of one shape and state is fetched once, by the first role offered it
    for role in (Role.ADMIN, Role.OPERADOR, Role.CONSULTA):
        tenant = make_tenant(f"Papelería Nítida {role.value.title()} S.A.S.")
        seeding = time.monotonic()
        world = World(client, database, database_url, tenant, dian, smtp_url)
        entities = world.seed(spares=SPARES[role])
        seeded.append(time.monotonic() - seeding)
        crawler = Crawler(
            browser,
            service_url,
            role.value,
            tenant.users[role].email,
            PASSWORD,
            entities,
            today=bogota_today(),
            screenshots=SCREENSHOTS,
            downloaded=downloaded,
        )

        def phone_paths(pages: list[str], crawler=crawler) -> list[str]:
            chosen = []
            for path in pages:
                key = (shape(path), crawler.state_of(path))
                if key not in on_phone:
                    on_phone.add(key)
                    chosen.append(path)
            return chosen

        reports.append(crawler.run(phone_paths))
    times = f"\n  seeding {' + '.join(f'{s:.0f}' for s in seeded)} s; total {time.monotonic() - started:.0f} s"
    print(_summary(reports, engine_name, detail=True) + times)
    summary = _summary(reports, engine_name) + times
    findings = [str(f) for r in reports for f in r.findings]
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings) + "\n\n" + summary


def test_the_english_check_tells_the_services_english_from_the_pages_spanish():
    """The tell-tale words come from the source: the services' messages as they would leak, not the
    Spanish the templates write."""
    assert {"invoice", "must", "found", "required", "internal", "server"} <= english_words()
    assert english_in("Invoice not found.") and english_in("must be greater than 0")
    assert english_in("Internal Server Error") and english_in("Historial: SENT_TO_DIAN")
    spanish = (
        "Factura de venta SETP990000001 · Emitida\nNo hay facturas que coincidan.\n"
        "Saldo por cobrar $ 1.234.567,89 · Correo facturacion@nitida.co · NIT 900.123.456-8\n"
        "Regla: FAJ28, Rechazo: No fue informado el conjunto formado por los elementos : ID, Line"
    )
    assert english_in(spanish) == []
