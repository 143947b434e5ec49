"""A buyer abroad (issue 25): a country of the DIAN's list, a foreign address, no DANE municipality,
identification type 43, and a foreign company that is a persona jurídica unless said otherwise."""

from __future__ import annotations

from fixtures.common import assert_problem
from nitida.users.models import Role

URL = "/billing/customers"

ABROAD = {
    "razonSocial": "Acme Trading Inc.",
    "tipoDocumento": "NIT_EXTRANJERO",
    "nit": "98-7654321",
    "paisCodigo": "us",
    "ciudadExterior": "Miami",
    "regionExterior": "Florida",
    "direccion": "1200 Brickell Avenue, Suite 300",
    "email": "billing@acme.example",
}


def post(client, tenant, **fields):
    return client.post(URL, json={**ABROAD, **fields}, headers=tenant.headers(Role.ADMIN))


def test_a_customer_abroad_has_its_country_and_foreign_address_and_no_municipality(client, tenant):
    r = post(client, tenant)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["paisCodigo"] == "US"
    assert made["pais"] == "Estados Unidos"
    assert (made["ciudadExterior"], made["regionExterior"]) == ("Miami", "Florida")
    assert made["municipioCodigo"] is None and made["municipio"] is None
    assert made["tipoDocumentoCodigo"] == "50"
    # A foreign company named with its legal form is a persona jurídica (never a natural person).
    assert made["tipoPersona"] == "JURIDICA"
    # Read back, listed and searched alike.
    got = client.get(f"{URL}/{made['id']}", headers=tenant.headers(Role.ADMIN)).json()
    assert got == made
    listed = client.get(URL, params={"search": "acme"}, headers=tenant.headers(Role.ADMIN)).json()
    assert [(c["paisCodigo"], c["ciudadExterior"]) for c in listed] == [("US", "Miami")]
    paged = client.get(URL, params={"search": "acme", "limit": 10}, headers=tenant.headers(Role.ADMIN)).json()
    assert [c["paisCodigo"] for c in paged] == ["US"]


def test_a_colombian_customer_is_in_CO_by_default(client, tenant):
    r = client.post(URL, json={"razonSocial": "Colegio Los Andes S.A.S.", "nit": "800197268"}, headers=tenant.headers())
    assert r.status_code == 201, r.text
    assert (r.json()["paisCodigo"], r.json()["pais"], r.json()["ciudadExterior"]) == ("CO", "Colombia", None)


def test_identification_type_43_and_a_foreign_document(client, tenant):
    none = post(client, tenant, tipoDocumento="SIN_ID_EXTERIOR", nit="EXT0001", tipoPersona="NATURAL")
    assert none.status_code == 201, none.text
    assert none.json()["tipoDocumentoCodigo"] == "43"
    document = post(
        client,
        tenant,
        razonSocial="Hans Müller",
        tipoDocumento="DIE",
        nit="X1234567",
        paisCodigo="DE",
        ciudadExterior="Berlín",
    )
    assert document.status_code == 201, document.text
    assert document.json()["tipoDocumentoCodigo"] == "42"
    assert document.json()["tipoPersona"] is None  # a foreign document may be anybody's: asked before issue
    # A foreign NIT says nothing of who holds it either; the name's legal form does.
    person = post(client, tenant, razonSocial="John Smith", nit="12-3456789")
    assert person.json()["tipoPersona"] is None
    companies = ("Müller Maschinenbau GmbH", "Andes Foods Corp.", "Thames Tea Limited", "Rotterdam Koffie B.V.")
    for i, company in enumerate(companies):
        made = post(client, tenant, razonSocial=company, nit=f"7000000{i}")
        assert made.json()["tipoPersona"] == "JURIDICA", company


def test_bad_country_and_address_are_400_naming_the_field_and_nothing_is_stored(client, tenant):
    assert_problem(post(client, tenant, paisCodigo="XX"), 400, field="paisCodigo")
    assert_problem(post(client, tenant, paisCodigo="USA"), 400, field="paisCodigo")
    assert_problem(post(client, tenant, municipioCodigo="05001"), 400, field="municipioCodigo")
    assert_problem(post(client, tenant, codigoPostal="050021"), 400, field="codigoPostal")
    assert_problem(post(client, tenant, paisCodigo="CO"), 400, field="ciudadExterior")
    assert_problem(
        post(
            client, tenant, paisCodigo="CO", tipoDocumento="SIN_ID_EXTERIOR", ciudadExterior=None, regionExterior=None
        ),
        400,
        field="tipoDocumento",
    )
    assert_problem(post(client, tenant, ciudadExterior="x" * 101), 400, field="ciudadExterior")
    assert client.get(URL, headers=tenant.headers()).json() == []


def test_moving_a_customer_abroad_and_back(client, tenant):
    headers = tenant.headers(Role.ADMIN)
    local = client.post(
        URL,
        json={"razonSocial": "Exportadora Andina S.A.S.", "nit": "800197268", "municipioCodigo": "05001"},
        headers=headers,
    ).json()
    # Abroad with its Colombian municipality left: refused, nothing changed.
    r = client.patch(f"{URL}/{local['id']}", json={"paisCodigo": "EC", "ciudadExterior": "Quito"}, headers=headers)
    assert_problem(r, 400, field="municipioCodigo")
    assert client.get(f"{URL}/{local['id']}", headers=headers).json()["paisCodigo"] == "CO"
    moved = client.patch(
        f"{URL}/{local['id']}",
        json={"paisCodigo": "EC", "ciudadExterior": "Quito", "municipioCodigo": None},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["pais"], moved.json()["ciudadExterior"], moved.json()["municipio"]) == (
        "Ecuador",
        "Quito",
        None,
    )
    assert_problem(client.patch(f"{URL}/{local['id']}", json={"paisCodigo": None}, headers=headers), 400)
    back = client.patch(
        f"{URL}/{local['id']}",
        json={"paisCodigo": "CO", "ciudadExterior": None, "municipioCodigo": "11001"},
        headers=headers,
    )
    assert back.status_code == 200, back.text
    assert (back.json()["paisCodigo"], back.json()["municipioCodigo"]) == ("CO", "11001")
