"""Issue 32, medium: the shared mail relay is not a tool for sending as anyone to anyone. Mailing a document to
an address other than its customer's is bounded per user and per business and recorded as a security event;
the sender is the deployment's verified address under the business's name, with a Reply-To to the business;
a name someone typed is quoted as data in the mail's text."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from delivery.test_simulated_dian import run_jobs, simulate
from sqlalchemy import select

from fixtures.einvoicing_api import configure, customer_body, issued_invoice, ok
from nitida.delivery import service as delivery
from nitida.delivery.models import SimulatedMail
from nitida.users.models import Role

OTHER = "contador@otra-empresa.example"


@pytest.fixture
def demo_tenant(client, database, tenant):
    """A tenant on the DIAN simulada: its mail is caught, as the demo's is."""
    configure(client, tenant.headers())
    simulate(database, tenant)
    return tenant


def _mail(client, tenant, invoice_id: str, to: str | None, role: Role = Role.OPERADOR):
    return client.post(
        f"/billing/invoices/{invoice_id}/email", json={"to": to} if to else {}, headers=tenant.headers(role)
    )


def test_mail_to_other_addresses_is_bounded_per_user_and_recorded(
    client,
    database,
    database_url,
    demo_tenant,
    monkeypatch,
):
    monkeypatch.setattr(delivery, "OTHER_ADDRESS_PER_USER_HOUR", 2)
    monkeypatch.setattr(delivery, "OTHER_ADDRESS_PER_TENANT_HOUR", 3)
    invoice = issued_invoice(client, demo_tenant.headers())
    run_jobs(database, database_url, demo_tenant)
    for n in range(2):
        assert _mail(client, demo_tenant, invoice["id"], f"{n}-{OTHER}").status_code == 202
        run_jobs(database, database_url, demo_tenant)
    refused = _mail(client, demo_tenant, invoice["id"], f"x-{OTHER}")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    # The customer's own address is never limited; another user still has the business's last one.
    assert _mail(client, demo_tenant, invoice["id"], None).status_code == 202
    run_jobs(database, database_url, demo_tenant)
    assert _mail(client, demo_tenant, invoice["id"], f"admin-{OTHER}", Role.ADMIN).status_code == 202
    run_jobs(database, database_url, demo_tenant)
    assert _mail(client, demo_tenant, invoice["id"], f"admin2-{OTHER}", Role.ADMIN).status_code == 429
    events = ok(client.get("/security-events", params={"type": "MAIL_TO_OTHER_ADDRESS"}, headers=demo_tenant.headers()))
    assert sorted(e["details"]["to"] for e in events) == sorted([f"0-{OTHER}", f"1-{OTHER}", f"admin-{OTHER}"])
    assert all(e["details"]["invoice"] == invoice["number"] and e["actorEmail"] for e in events)


def test_the_sender_is_the_deployments_with_a_reply_to_the_business_and_names_are_quoted(
    client,
    database,
    database_url,
    demo_tenant,
):
    name = "Su cuenta fue bloqueada,   ingrese a http://pagos.example/clave"
    issued_invoice(client, demo_tenant.headers(), customer=customer_body(razonSocial=name))
    run_jobs(database, database_url, demo_tenant)
    with database.unit_of_work(demo_tenant.id) as session:
        [raw] = session.scalars(select(SimulatedMail.message)).all()
    msg = message_from_bytes(raw, policy=policy.default)
    issuer = ok(client.get("/billing/issuer", headers=demo_tenant.headers()))
    assert msg["From"].addresses[0].addr_spec == "facturacion@nitida.co"  # NITIDA_MAIL_FROM, not the tenant's
    assert msg["From"].addresses[0].display_name == issuer["razonSocial"]
    assert msg["Reply-To"].addresses[0].addr_spec == issuer["email"]
    body = msg.get_body(("plain",)).get_content()
    assert "Señores «Su cuenta fue bloqueada, ingrese a http://pagos.example/clave»:" in body
