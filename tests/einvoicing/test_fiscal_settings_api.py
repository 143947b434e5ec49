"""The issuer's fiscal data, the electronic-invoicing settings and customers' fiscal fields, through the API."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select

from fixtures.common import assert_problem
from fixtures.einvoicing import CERT_PASSWORD, SOFTWARE_PIN, demo_certificate, demo_p12
from fixtures.einvoicing_api import ISSUER_BODY, customer_body, ok, settings_body
from nitida.einvoicing import certificates, secrets_box
from nitida.einvoicing.models import ElectronicSettings
from nitida.users.models import Role
from nitida.vocabulary import codelists

# --- issuer -----------------------------------------------------------------------------


def test_issuer_is_404_until_configured_then_shows_derived_fields(client, tenant):
    admin = tenant.headers(Role.ADMIN)
    assert_problem(client.get("/billing/issuer", headers=admin), 404)
    saved = ok(client.put("/billing/issuer", headers=admin, json=ISSUER_BODY))
    assert saved["nit"] == "900123456" and saved["dv"] == "8"
    bogota = codelists.municipio("11001")
    assert (saved["municipio"], saved["departamento"]) == (bogota.name, bogota.departamento)
    assert saved["departamento"] == "Bogotá"
    for role in Role:  # every role reads it
        assert ok(client.get("/billing/issuer", headers=tenant.headers(role))) == saved
    # PUT replaces; dv is read-only (sent, it is refused as an unknown field)
    changed = ok(
        client.put(
            "/billing/issuer", headers=admin, json={**ISSUER_BODY, "municipioCodigo": "05001", "codigoPostal": "050021"}
        )
    )
    assert (changed["municipio"], changed["departamento"]) == ("Medellín", "Antioquia")
    assert_problem(client.put("/billing/issuer", headers=admin, json={**ISSUER_BODY, "dv": "1"}), 400, field="dv")


def test_issuer_history_is_audited(client, tenant, database):
    from nitida.audit.models import AuditEvent

    admin = tenant.headers(Role.ADMIN)
    ok(client.put("/billing/issuer", headers=admin, json=ISSUER_BODY))
    ok(client.put("/billing/issuer", headers=admin, json={**ISSUER_BODY, "telefono": "6017654321"}))
    with database.tenant_session(tenant.id, write=False) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "issuer").order_by(AuditEvent.occurred_at)
        ).all()
    assert [e.action for e in events] == ["CREATED", "UPDATED"]
    assert events[1].changes == {"telefono": {"from": "6015550101", "to": "6017654321"}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"municipioCodigo": "99999"}, "municipioCodigo"),
        ({"municipioCodigo": "1100"}, "municipioCodigo"),
        ({"responsabilidadesFiscales": ["O-99"]}, "responsabilidadesFiscales"),
        ({"responsabilidadesFiscales": []}, "responsabilidadesFiscales"),
        ({"tributo": "03"}, "tributo"),
        ({"tipoPersona": "MIXTA"}, "tipoPersona"),
        ({"nit": "900123456-1"}, "nit"),
        ({"actividadEconomica": ["47"]}, "actividadEconomica"),
        ({"codigoPostal": "11023"}, "codigoPostal"),
        ({"direccion": ""}, "direccion"),
    ],
)
def test_issuer_validation_names_the_field(client, tenant, change, field):
    body = assert_problem(
        client.put("/billing/issuer", headers=tenant.headers(Role.ADMIN), json={**ISSUER_BODY, **change}),
        400,
        field=field,
    )
    if field == "municipioCodigo" and change[field] == "99999":
        assert "DANE" in body["detail"]


def test_only_admin_changes_the_issuer(client, tenant):
    for role in (Role.OPERADOR, Role.CONSULTA):
        assert_problem(client.put("/billing/issuer", headers=tenant.headers(role), json=ISSUER_BODY), 403)


# --- settings -----------------------------------------------------------------------------


def test_settings_show_the_certificate_and_never_a_secret(client, tenant, database):
    admin = tenant.headers(Role.ADMIN)
    assert_problem(client.get("/billing/electronic-invoicing", headers=admin), 404)
    body = settings_body()
    saved = ok(client.put("/billing/electronic-invoicing", headers=admin, json=body))
    cert = demo_certificate()
    assert saved["certificate"]["serialNumber"] == cert.serial_number
    assert "Papelería Nítida" in saved["certificate"]["subject"]
    assert saved["certificate"]["expiresAt"].startswith(cert.not_after.astimezone(dt.UTC).date().isoformat()[:7])
    assert (saved["environment"], saved["softwareId"], saved["testSetId"]) == (
        "HABILITACION",
        body["softwareId"],
        body["testSetId"],
    )
    assert (saved["creditNotePrefix"], saved["debitNotePrefix"]) == ("NC", "ND")
    secrets = (SOFTWARE_PIN, CERT_PASSWORD, body["certificateP12"][:40])
    for role in Role:
        response = client.get("/billing/electronic-invoicing", headers=tenant.headers(role))
        assert response.status_code == 200
        assert not any(s in response.text for s in secrets), role
        assert not {"softwarePin", "certificateP12", "certificatePassword"} & set(response.json())
    # stored encrypted, for this tenant only
    with database.tenant_session(tenant.id, write=False) as session:
        row = session.scalar(select(ElectronicSettings))
        stored = (row.software_pin_encrypted, row.certificate_encrypted, row.certificate_password_encrypted)
    assert not any(SOFTWARE_PIN in s or CERT_PASSWORD in s for s in stored)
    from fixtures.common import SECRET

    assert secrets_box.decrypt_text(SECRET, stored[0], f"tenant:{tenant.id}:softwarePin") == SOFTWARE_PIN
    with pytest.raises(secrets_box.SecretDecryptionError):
        secrets_box.decrypt_text(SECRET, stored[0], "tenant:00000000-0000-0000-0000-000000000000:softwarePin")
    # the audit trail says the secrets changed, never what they are
    from nitida.audit.models import AuditEvent

    with database.tenant_session(tenant.id, write=False) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "electronic-invoicing")).all()
    assert event.changes["softwarePin"] == {"from": None, "to": "(changed)"}
    assert not any(s in str(event.changes) for s in secrets)


def test_secrets_may_be_left_out_once_stored_and_prefixes_change(client, tenant):
    admin = tenant.headers(Role.ADMIN)
    first = settings_body(creditNotePrefix="nc")
    body = ok(client.put("/billing/electronic-invoicing", headers=admin, json=first))
    assert body["creditNotePrefix"] == "NC"
    update = {"environment": "PRODUCCION", "softwareId": "otro-software", "creditNotePrefix": "NCR"}
    body = ok(client.put("/billing/electronic-invoicing", headers=admin, json=update))
    assert (body["environment"], body["creditNotePrefix"], body["testSetId"]) == ("PRODUCCION", "NCR", None)
    assert_problem(
        client.put("/billing/electronic-invoicing", headers=admin, json={**update, "debitNotePrefix": "NCR"}),
        400,
        field="debitNotePrefix",
    )


def test_first_configuration_needs_pin_and_certificate(client, tenant):
    admin = tenant.headers(Role.ADMIN)
    response = client.put(
        "/billing/electronic-invoicing", headers=admin, json={"environment": "HABILITACION", "softwareId": "x"}
    )
    body = assert_problem(response, 400, field="softwarePin")
    assert {e["field"] for e in body["errors"]} == {"softwarePin", "certificateP12", "certificatePassword"}


def _p12_without_key() -> str:
    raw = pkcs12.serialize_key_and_certificates(
        name=b"sin llave",
        key=None,
        cert=demo_certificate().certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(CERT_PASSWORD.encode()),
    )
    return base64.b64encode(raw).decode()


def _expired_p12() -> str:
    raw = certificates.generate_self_signed_p12(
        "Vencida S.A.S.", "900123456", CERT_PASSWORD, days=10, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"certificateP12": "esto no es base64 !!!"}, "not valid base64"),
        ({"certificateP12": base64.b64encode(b"-----BEGIN CERTIFICATE-----").decode()}, "cannot be opened"),
        ({"certificatePassword": "otra clave"}, "password is wrong"),
        ({"certificateP12": "EXPIRED"}, "expired on 2020-01-11"),
        ({"certificateP12": "NOKEY"}, "no private key"),
    ],
)
def test_certificate_problems_are_a_400_saying_which(client, tenant, change, says):
    if change.get("certificateP12") == "EXPIRED":
        change = {"certificateP12": _expired_p12()}
    elif change.get("certificateP12") == "NOKEY":
        change = {"certificateP12": _p12_without_key()}
    response = client.put(
        "/billing/electronic-invoicing", headers=tenant.headers(Role.ADMIN), json=settings_body(**change)
    )
    body = assert_problem(response, 400, field="certificateP12")
    assert says in body["detail"]
    assert_problem(client.get("/billing/electronic-invoicing", headers=tenant.headers(Role.ADMIN)), 404)


def test_only_admin_configures(client, tenant):
    for role in (Role.OPERADOR, Role.CONSULTA):
        response = client.put("/billing/electronic-invoicing", headers=tenant.headers(role), json=settings_body())
        assert_problem(response, 403)


def test_demo_p12_is_what_the_tests_upload():
    assert certificates.load_p12(demo_p12(), CERT_PASSWORD).serial_number == demo_certificate().serial_number


# --- customers ----------------------------------------------------------------------------


def test_customer_fiscal_fields_defaults_derived_names_and_validation(client, tenant):
    admin = tenant.headers(Role.ADMIN)
    made = ok(client.post("/billing/customers", headers=admin, json=customer_body()), 201)
    assert (made["municipio"], made["departamento"], made["codigoPostal"]) == ("Medellín", "Antioquia", "050021")
    assert (made["tipoPersona"], made["responsabilidadesFiscales"], made["tributo"]) == ("JURIDICA", ["O-15"], "01")
    plain = ok(
        client.post(
            "/billing/customers",
            headers=admin,
            json={"razonSocial": "Juan Pérez", "nit": "1020304050", "tipoDocumento": "CC"},
        ),
        201,
    )
    assert (plain["responsabilidadesFiscales"], plain["tributo"], plain["municipioCodigo"]) == (["R-99-PN"], "ZZ", None)
    assert plain["municipio"] is None and plain["tipoPersona"] is None
    assert_problem(
        client.post("/billing/customers", headers=admin, json=customer_body(municipioCodigo="00000")),
        400,
        field="municipioCodigo",
    )
    assert_problem(
        client.patch(f"/billing/customers/{plain['id']}", headers=admin, json={"municipioCodigo": "99999"}),
        400,
        field="municipioCodigo",
    )
    assert_problem(
        client.patch(f"/billing/customers/{plain['id']}", headers=admin, json={"tributo": "XX"}), 400, field="tributo"
    )
    patched = ok(client.patch(f"/billing/customers/{plain['id']}", headers=admin, json={"municipioCodigo": "76001"}))
    assert (patched["municipio"], patched["departamento"]) == ("Cali", "Valle del Cauca")
    assert ok(client.get(f"/billing/customers/{plain['id']}", headers=admin)) == patched
    listed = ok(client.get("/billing/customers", headers=admin))
    assert patched in listed


def test_consumidor_final_is_a_customer(client, tenant):
    made = ok(
        client.post(
            "/billing/customers",
            headers=tenant.headers(Role.ADMIN),
            json={"razonSocial": "Consumidor final", "nit": "222222222222", "tipoDocumento": "CC"},
        ),
        201,
    )
    assert made["nit"] == "222222222222" and made["responsabilidadesFiscales"] == ["R-99-PN"]


def test_ciiu_and_postal_codes_are_checked_against_the_dians_lists(client, tenant):
    # Issue 25: "0000" and "999999" passed (shape only); a postal code of another department too.
    headers = tenant.headers(Role.ADMIN)
    for change, field, words in (
        ({"actividadEconomica": ["0000"]}, "actividadEconomica", "not an economic activity (CIIU) of the DIAN's list"),
        ({"codigoPostal": "999999"}, "codigoPostal", "not a postal code of the DIAN's list"),
        ({"codigoPostal": "050021"}, "codigoPostal", "a postal code begins with its department's code, 11"),
    ):
        problem = assert_problem(client.put("/billing/issuer", headers=headers, json={**ISSUER_BODY, **change}), 400)
        [error] = [e for e in problem["errors"] if e["field"] == field]
        assert words in error["message"], error
    created = client.post("/billing/customers", headers=headers, json=customer_body(codigoPostal="110231"))
    [error] = assert_problem(created, 400, field="codigoPostal")["errors"]
    assert "is not a postal code of Antioquia (Medellín)" in error["message"]
    assert client.post("/billing/customers", headers=headers, json=customer_body()).status_code == 201


def test_r_99_pn_cannot_sit_beside_another_responsibility_and_iva_needs_a_responsible_issuer(client, tenant):
    # Issue 25: the customer form let R-99-PN (no aplica) sit beside O-13; an issuer not responsible for IVA
    # could charge IVA.
    from fixtures.einvoicing_api import LINES, issued_invoice, settings_body

    headers = tenant.headers(Role.ADMIN)
    both = customer_body(responsabilidadesFiscales=["R-99-PN", "O-13"])
    [error] = assert_problem(client.post("/billing/customers", headers=headers, json=both), 400)["errors"]
    assert error == {
        "field": "responsabilidadesFiscales",
        "message": "R-99-PN (no aplica) means none of the others, so it cannot go with O-13",
    }
    issuer = {**ISSUER_BODY, "tributo": "ZZ", "responsabilidadesFiscales": ["R-99-PN"]}
    ok(client.put("/billing/issuer", headers=headers, json=issuer))
    ok(client.put("/billing/electronic-invoicing", headers=headers, json=settings_body()))
    with pytest.raises(AssertionError) as refused:
        issued_invoice(client, headers, lines=LINES)
    assert "the issuer is not responsible for IVA (tributo ZZ: No aplica) and cannot charge it: line 1, 2, 3" in str(
        refused.value
    )
    invoice = issued_invoice(client, headers, lines=[LINES[4]])  # excluded: fine
    assert invoice["electronicStatus"] == "SIGNED"
