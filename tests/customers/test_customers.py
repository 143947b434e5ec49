"""The Customers API of the reference spec, tenant-safe, with Colombian identity rules."""

from __future__ import annotations

import time
import uuid

import pytest
from stdnum.co.nit import calc_check_digit

from fixtures.common import assert_problem
from nitida.users.models import Role
from nitida.vocabulary.identity import TipoDocumento

URL = "/billing/customers"


def create(client, tenant, role=Role.ADMIN, **fields):
    body = {"razonSocial": "Colegio Los Andes S.A.S.", "nit": "800197268", **fields}
    return client.post(URL, json=body, headers=tenant.headers(role))


def created(client, tenant, **fields) -> dict:
    r = create(client, tenant, **fields)
    assert r.status_code == 201, r.text
    return r.json()


# --- create ------------------------------------------------------------------


def test_create_returns_the_record_as_the_spec_names_it(client, tenant):
    r = create(
        client,
        tenant,
        role=Role.OPERADOR,
        razonSocial="  Colegio Los Andes S.A.S.  ",
        nit="900123456",
        email="facturacion@colegiolosandes.edu.co",
        telefono="+57 601 3456789",
        direccion="Calle 45 # 12-30",
    )
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["razonSocial"] == "Colegio Los Andes S.A.S."  # trimmed
    assert (c["nit"], c["dv"], c["tipoDocumento"], c["tipoDocumentoCodigo"]) == ("900123456", "8", "NIT", "31")
    assert c["email"] == "facturacion@colegiolosandes.edu.co"
    assert c["telefono"] == "+57 601 3456789" and c["direccion"] == "Calle 45 # 12-30"
    assert c["status"] == "ACTIVE" and c["tenantId"] == str(tenant.id)
    uuid.UUID(c["id"])
    assert c["createdAt"].endswith("-05:00") and c["createdAt"] == c["updatedAt"]
    assert client.get(f"{URL}/{c['id']}", headers=tenant.headers(Role.CONSULTA)).json() == c


@pytest.mark.parametrize("form", ["900123456", "900.123.456", "900123456-8", "900.123.456-8", " 900 123 456 - 8 "])
def test_every_nit_form_is_stored_as_the_number(client, tenant, form):
    c = created(client, tenant, nit=form)
    assert (c["nit"], c["dv"]) == ("900123456", "8")


def test_a_wrong_check_digit_says_which_digit_was_expected(client, tenant):
    body = assert_problem(create(client, tenant, nit="800.197.268-5"), 400, field="nit")
    assert "is 4, not 5" in body["detail"]
    assert created(client, tenant, nit="800.197.268-4")["dv"] == "4"


@pytest.mark.parametrize(
    ("tipo", "raw", "number", "code"),
    [
        ("CC", "1.020.304.050", "1020304050", "13"),
        ("CE", "98-76-54", "987654", "22"),
        ("PASAPORTE", "ab 123 456", "AB123456", "41"),
        ("NIT_EXTRANJERO", "us-9988x", "US9988X", "50"),
        ("PPT", "1234567", "1234567", "48"),
        ("TI", "1.098.765.432", "1098765432", "12"),
    ],
)
def test_other_document_types(client, tenant, tipo, raw, number, code):
    c = created(client, tenant, tipoDocumento=tipo, nit=raw)
    assert (c["tipoDocumento"], c["nit"], c["dv"], c["tipoDocumentoCodigo"]) == (tipo, number, None, code)


def test_numeric_document_types_refuse_letters(client, tenant):
    assert_problem(create(client, tenant, tipoDocumento="CC", nit="AB123"), 400, field="nit")
    assert_problem(create(client, tenant, tipoDocumento="CEDULA", nit="123"), 400, field="tipoDocumento")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"razonSocial": "   "}, "razonSocial"),
        ({"razonSocial": None}, "razonSocial"),
        ({"nit": "  "}, "nit"),
        ({"nit": None}, "nit"),
        ({"razonSocial": "A" * 451}, "razonSocial"),
        ({"nit": "1" * 21}, "nit"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 250 + "@b.co"}, "email"),
        ({"telefono": "1" * 51}, "telefono"),
        ({"direccion": "x" * 301}, "direccion"),
        ({"status": "BORRADO"}, "status"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"tenantId": str(uuid.uuid4())}, "tenantId"),
    ],
)
def test_invalid_create_is_400_naming_the_field_and_stores_nothing(client, tenant, fields, field):
    assert_problem(create(client, tenant, **fields), 400, field=field)
    assert client.get(URL, headers=tenant.headers()).json() == []


def test_bounds_are_inclusive(client, tenant):
    c = created(client, tenant, razonSocial="A" * 450, telefono="1" * 50, direccion="x" * 300)
    assert len(c["razonSocial"]) == 450


def test_blank_optional_fields_are_null(client, tenant):
    c = created(client, tenant, email="", telefono="  ", direccion=None)
    assert (c["email"], c["telefono"], c["direccion"]) == (None, None, None)


def test_duplicate_nit_in_a_tenant_is_400_naming_the_existing_customer(client, tenant, other_tenant):
    first = created(client, tenant, razonSocial="Papelería Nítida S.A.S.", nit="900.123.456")
    body = assert_problem(create(client, tenant, razonSocial="Otra", nit="900123456-8"), 400, field="nit")
    assert "Papelería Nítida S.A.S." in body["detail"] and first["id"] in body["detail"]
    # The same NIT in another tenant is another business's customer: fine.
    assert create(client, other_tenant, nit="900123456").status_code == 201
    assert client.get(URL, headers=tenant.headers()).headers["x-total-count"] == "1"


def test_a_create_writes_its_audit_event_and_a_refused_duplicate_writes_none(client, tenant, database):
    # On PostgreSQL the row and its event are one statement: the event must
    # follow the row exactly, and a duplicate (ON CONFLICT DO NOTHING) add none.
    from sqlalchemy import select

    from nitida.audit.models import AuditEvent
    from nitida.customers.service import AUDITED

    c = created(client, tenant, razonSocial="Papelería Nítida S.A.S.", nit="900.123.456", email="a@b.co")
    assert_problem(create(client, tenant, razonSocial="Otra", nit="900123456"), 400, field="nit")
    with database.tenant_session(tenant.id) as s:
        events = s.scalars(select(AuditEvent)).all()
    assert [(e.tenant_id, e.entity_type, e.entity_id, e.action) for e in events] == [
        (tenant.id, "customer", uuid.UUID(c["id"]), "CREATED")
    ]
    admin = tenant.users[Role.ADMIN]
    assert (events[0].actor_user_id, events[0].actor_email) == (admin.id, admin.email)
    assert events[0].changes == {key: {"from": None, "to": c[key]} for key in AUDITED if c[key] is not None}
    assert "email" in events[0].changes and "direccion" not in events[0].changes


def test_one_taxpayer_cannot_be_registered_twice_by_typing_its_nit_differently(client, tenant):
    # Issue 13 item 2: each of these was a new customer beside 900373914.
    first = created(client, tenant, razonSocial="Distribuidora Andina S.A.S.", nit="900373914")
    assert (first["nit"], first["dv"]) == ("900373914", "1")
    for typed in ("９００３７３９１４", "９00373914", "0900373914", "00900373914", "9003739141"):
        body = assert_problem(create(client, tenant, razonSocial="Otra", nit=typed), 400, field="nit")
        assert first["id"] in body["detail"], typed
    other = created(client, tenant, razonSocial="Otra", tipoDocumento="CC", nit="0012345678")
    assert other["nit"] == "12345678"
    assert_problem(
        create(client, tenant, razonSocial="Otra más", tipoDocumento="CC", nit="１２３４５６７８"), 400, field="nit"
    )
    # The same rules on PATCH.
    r = client.patch(
        f"{URL}/{other['id']}", json={"tipoDocumento": "NIT", "nit": "09003739141"}, headers=tenant.headers()
    )
    assert_problem(r, 400, field="nit")
    assert client.get(URL, headers=tenant.headers()).headers["x-total-count"] == "2"


# --- list, search, order -----------------------------------------------------

NAMES = ["Beltrán Ltda.", "Álvarez & Cía.", "alba s.a.s.", "Peña Hermanos", "Penz", "Zapata", "Ñandú Café", "Nuñez"]


@pytest.fixture
def directory(client, tenant):
    nits = ["800197268", "900123456", "830000001", "860000002", "890000003", "901000004", "811000005", "812000006"]
    return [created(client, tenant, razonSocial=n, nit=nit) for n, nit in zip(NAMES, nits, strict=True)]


def names_of(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["razonSocial"] for c in response.json()]


def test_list_is_in_spanish_alphabetical_order(client, tenant, directory):
    r = client.get(URL, headers=tenant.headers(Role.CONSULTA))
    assert names_of(r) == [
        "alba s.a.s.",
        "Álvarez & Cía.",
        "Beltrán Ltda.",
        "Nuñez",
        "Ñandú Café",
        "Penz",
        "Peña Hermanos",
        "Zapata",
    ]
    assert r.headers["x-total-count"] == "8"


def test_equal_names_are_ordered_by_nit(client, tenant):
    for nit in ("900000002", "900000001", "800000003"):
        created(client, tenant, razonSocial="Tienda La Esperanza", nit=nit)
    created(client, tenant, razonSocial="TIENDA LA ESPERANZA", nit="700000004")
    assert [c["nit"] for c in client.get(URL, headers=tenant.headers()).json()] == [
        "700000004",
        "800000003",
        "900000001",
        "900000002",
    ]


def test_list_includes_inactive_customers_and_filters_by_status(client, tenant, directory):
    client.patch(f"{URL}/{directory[0]['id']}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert len(client.get(URL, headers=tenant.headers()).json()) == 8
    inactive = client.get(URL, params={"status": "INACTIVE"}, headers=tenant.headers())
    assert names_of(inactive) == ["Beltrán Ltda."] and inactive.headers["x-total-count"] == "1"
    assert len(client.get(URL, params={"status": "ACTIVE"}, headers=tenant.headers()).json()) == 7


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("alvarez", ["Álvarez & Cía."]),
        ("ÁLVAREZ", ["Álvarez & Cía."]),
        ("BELTRAN", ["Beltrán Ltda."]),
        ("pena", ["Peña Hermanos"]),  # ñ typed as n
        ("ñandu", ["Ñandú Café"]),
        ("  cafe ", ["Ñandú Café"]),
        ("800.197", ["Beltrán Ltda."]),
        ("197-268", ["Beltrán Ltda."]),
        ("2345", ["Álvarez & Cía."]),
        ("nadie", []),
    ],
)
def test_search_by_name_ignores_case_and_accents_and_by_number_ignores_separators(
    client, tenant, directory, search, expected
):
    r = client.get(URL, params={"search": search}, headers=tenant.headers())
    assert names_of(r) == expected
    assert r.headers["x-total-count"] == str(len(expected))


def test_search_finds_nitida_in_papeleria_nitida(client, tenant):
    created(client, tenant, razonSocial="Papelería Nítida S.A.S.", nit="900123456")
    assert names_of(client.get(URL, params={"search": "nitida"}, headers=tenant.headers())) == [
        "Papelería Nítida S.A.S."
    ]


def test_wildcards_in_search_are_plain_characters(client, tenant):
    for name, nit in [
        ("100% Natural", "900000001"),
        ("Café_Bar", "900000002"),
        ("Back\\Slash", "900000003"),
        ("Cafe Bar", "900000004"),
    ]:
        created(client, tenant, razonSocial=name, nit=nit)
    h = tenant.headers()
    assert names_of(client.get(URL, params={"search": "%"}, headers=h)) == ["100% Natural"]
    assert names_of(client.get(URL, params={"search": "_"}, headers=h)) == ["Café_Bar"]
    assert names_of(client.get(URL, params={"search": "\\"}, headers=h)) == ["Back\\Slash"]
    assert names_of(client.get(URL, params={"search": "e_b"}, headers=h)) == ["Café_Bar"]
    assert names_of(client.get(URL, params={"search": "' OR 1=1 --"}, headers=h)) == []


def test_pagination_with_total(client, tenant, directory):
    h = tenant.headers()
    everything = names_of(client.get(URL, headers=h))
    page = client.get(URL, params={"limit": 3, "offset": 2}, headers=h)
    assert names_of(page) == everything[2:5]
    assert page.headers["x-total-count"] == "8"
    last = client.get(URL, params={"limit": 3, "offset": 6}, headers=h)
    assert names_of(last) == everything[6:] and last.headers["x-total-count"] == "8"
    searched = client.get(URL, params={"limit": 1, "search": "a"}, headers=h)
    assert len(searched.json()) == 1 and int(searched.headers["x-total-count"]) > 1
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "diez"}):
        assert_problem(client.get(URL, params=bad, headers=h), 400, field=next(iter(bad)))


def test_whole_list_streams_the_same_records_as_get(client, tenant):
    # More rows than two streaming batches, inserted through the service in one transaction to keep the test fast.
    from nitida.core.principal import Principal
    from nitida.customers import service
    from nitida.customers.schemas import CustomerCreate

    admin = tenant.users[Role.ADMIN]
    actor = Principal(admin.id, tenant.id, admin.email, admin.name, Role.ADMIN)
    db = client.app.state.db
    with db.tenant_session(tenant.id) as s:
        for i in range(1203):
            service.create_customer(
                s,
                actor,
                CustomerCreate(
                    razon_social=f"Cliente {i:05d}", nit=str(10_000_000 + i), tipo_documento=TipoDocumento.CC
                ),
            )
        s.commit()
    r = client.get(URL, headers=tenant.headers())
    rows = r.json()
    assert len(rows) == 1203 and r.headers["x-total-count"] == "1203"
    assert [c["razonSocial"] for c in rows] == sorted(c["razonSocial"] for c in rows)
    sample = rows[600]
    assert client.get(f"{URL}/{sample['id']}", headers=tenant.headers()).json() == sample


def test_every_record_of_the_whole_list_is_the_one_get_and_create_answer(client, tenant):
    # The whole list reads its rows without the ORM's type processing (on
    # PostgreSQL): enums, instants and fiscal fields must come out the same.
    first = created(client, tenant, razonSocial="Ñandú Ltda.", nit="10203040", tipoDocumento="CC")
    edited = created(
        client, tenant, razonSocial="Árbol S.A.S.", nit="900373115", municipioCodigo="05001", tipoPersona="JURIDICA"
    )
    time.sleep(0.01)
    r = client.patch(f"{URL}/{edited['id']}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["updatedAt"] != edited["createdAt"] and edited["municipio"]
    rows = {c["id"]: c for c in client.get(URL, headers=tenant.headers()).json()}
    assert rows[first["id"]] == first
    assert rows[edited["id"]] == edited
    for customer_id, row in rows.items():
        assert client.get(f"{URL}/{customer_id}", headers=tenant.headers()).json() == row
    # A search's page reads its rows the same raw way (its own statement on PostgreSQL).
    for term, expected in (("nandu", first), ("arbol", edited)):
        page = client.get(URL, params={"search": term, "limit": 5}, headers=tenant.headers()).json()
        assert page == [expected]


# --- get, patch, delete --------------------------------------------------------


def test_unknown_foreign_and_malformed_ids_are_the_same_404(client, tenant, other_tenant):
    foreign = created(client, other_tenant)
    h = tenant.headers()
    bodies = []
    for cid in (foreign["id"], str(uuid.uuid4()), "not-a-uuid", "1"):
        bodies.append(assert_problem(client.get(f"{URL}/{cid}", headers=h), 404)["detail"])
        bodies.append(
            assert_problem(client.patch(f"{URL}/{cid}", json={"razonSocial": "Robado"}, headers=h), 404)["detail"]
        )
        bodies.append(assert_problem(client.delete(f"{URL}/{cid}", headers=h), 404)["detail"])
        bodies.append(assert_problem(client.get(f"{URL}/{cid}/history", headers=h), 404)["detail"])
    assert set(bodies) == {"Customer not found."}
    # Not even a 403: a CONSULTA or OPERADOR asking to change another tenant's customer gets 404 too.
    assert_problem(client.delete(f"{URL}/{foreign['id']}", headers=tenant.headers(Role.OPERADOR)), 404)
    assert_problem(client.patch(f"{URL}/{foreign['id']}", json={}, headers=tenant.headers(Role.CONSULTA)), 404)
    assert client.get(f"{URL}/{foreign['id']}", headers=other_tenant.headers()).json() == foreign


def test_patch_changes_only_the_fields_present(client, tenant):
    c = created(client, tenant, email="a@b.co", telefono="3001234567", direccion="Cra 7 # 1-1")
    r = client.patch(f"{URL}/{c['id']}", json={"telefono": "+57 310 0000000"}, headers=tenant.headers(Role.OPERADOR))
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["telefono"] == "+57 310 0000000"
    assert {k: v for k, v in after.items() if k not in ("telefono", "updatedAt")} == {
        k: v for k, v in c.items() if k not in ("telefono", "updatedAt")
    }
    assert after["updatedAt"] > c["updatedAt"]


def test_patch_with_null_clears_an_optional_field(client, tenant):
    c = created(client, tenant, email="a@b.co", telefono="3001234567")
    after = client.patch(f"{URL}/{c['id']}", json={"email": None, "telefono": None}, headers=tenant.headers()).json()
    assert after["email"] is None and after["telefono"] is None
    assert client.get(f"{URL}/{c['id']}", headers=tenant.headers()).json()["email"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"razonSocial": None}, "razonSocial"),
        ({"razonSocial": "  "}, "razonSocial"),
        ({"nit": None}, "nit"),
        ({"nit": ""}, "nit"),
        ({"nit": "800197268-9"}, "nit"),
        ({"status": None}, "status"),
        ({"tipoDocumento": None}, "tipoDocumento"),
        ({"email": "nope"}, "email"),
        ({"createdAt": "2020-01-01T00:00:00Z"}, "createdAt"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(client, tenant, body, field):
    c = created(client, tenant)
    assert_problem(client.patch(f"{URL}/{c['id']}", json=body, headers=tenant.headers()), 400, field=field)
    assert client.get(f"{URL}/{c['id']}", headers=tenant.headers()).json() == c


def test_patch_to_a_nit_another_customer_has_is_400(client, tenant):
    a = created(client, tenant, razonSocial="Primero", nit="800197268")
    b = created(client, tenant, razonSocial="Segundo", nit="900123456")
    body = assert_problem(
        client.patch(f"{URL}/{b['id']}", json={"nit": "800.197.268-4"}, headers=tenant.headers()), 400, field="nit"
    )
    assert "Primero" in body["detail"]
    # Rewriting one's own NIT in another form is no conflict.
    assert client.patch(f"{URL}/{a['id']}", json={"nit": "800.197.268-4"}, headers=tenant.headers()).status_code == 200


def test_patch_can_change_the_document_type(client, tenant):
    c = created(client, tenant, tipoDocumento="CC", nit="80197268")
    after = client.patch(f"{URL}/{c['id']}", json={"tipoDocumento": "NIT"}, headers=tenant.headers()).json()
    assert (after["tipoDocumento"], after["nit"], after["dv"], after["tipoDocumentoCodigo"]) == (
        "NIT",
        "80197268",
        calc_check_digit("80197268"),
        "31",
    )


def test_deactivate_as_the_spec_shows(client, tenant):
    c = created(client, tenant)
    r = client.patch(f"{URL}/{c['id']}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert r.json()["status"] == "INACTIVE"


def test_delete_removes_the_customer(client, tenant):
    c = created(client, tenant)
    r = client.delete(f"{URL}/{c['id']}", headers=tenant.headers())
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(f"{URL}/{c['id']}", headers=tenant.headers()), 404)
    # Its number is free again.
    assert create(client, tenant).status_code == 201


def test_roles(client, tenant):
    c = created(client, tenant)
    consulta, operador = tenant.headers(Role.CONSULTA), tenant.headers(Role.OPERADOR)
    assert client.get(URL, headers=consulta).status_code == 200
    assert client.get(f"{URL}/{c['id']}", headers=consulta).status_code == 200
    assert client.get(f"{URL}/{c['id']}/history", headers=consulta).status_code == 200
    assert_problem(create(client, tenant, role=Role.CONSULTA, nit="900123456"), 403)
    assert_problem(client.patch(f"{URL}/{c['id']}", json={"telefono": "1"}, headers=consulta), 403)
    assert_problem(client.delete(f"{URL}/{c['id']}", headers=consulta), 403)
    assert_problem(client.delete(f"{URL}/{c['id']}", headers=operador), 403)
    assert client.get(f"{URL}/{c['id']}", headers=consulta).json() == c  # nothing changed
    assert client.patch(f"{URL}/{c['id']}", json={"telefono": "1"}, headers=operador).status_code == 200


# --- history -------------------------------------------------------------------


def test_history_says_who_changed_what_from_what_to_what(client, tenant):
    c = created(client, tenant, razonSocial="Ferretería Peñalosa", nit="800197268", email="a@b.co")
    client.patch(
        f"{URL}/{c['id']}", json={"nit": "900.123.456-8", "email": None}, headers=tenant.headers(Role.OPERADOR)
    )
    client.patch(f"{URL}/{c['id']}", json={"email": None}, headers=tenant.headers(Role.OPERADOR))  # no change, no entry
    events = client.get(f"{URL}/{c['id']}/history", headers=tenant.headers(Role.CONSULTA)).json()
    assert [e["action"] for e in events] == ["CREATED", "UPDATED"]
    created_event, updated = events
    assert created_event["actorEmail"] == tenant.users[Role.ADMIN].email
    assert created_event["changes"]["razonSocial"] == {"from": None, "to": "Ferretería Peñalosa"}
    assert updated["actorUserId"] == str(tenant.users[Role.OPERADOR].id)
    assert updated["actorEmail"] == tenant.users[Role.OPERADOR].email
    assert updated["changes"] == {
        "nit": {"from": "800197268", "to": "900123456"},
        "email": {"from": "a@b.co", "to": None},
    }
    assert updated["occurredAt"].endswith("-05:00")


def test_a_refused_change_leaves_no_history(client, tenant):
    c = created(client, tenant)
    client.patch(f"{URL}/{c['id']}", json={"nit": "800197268-9"}, headers=tenant.headers())
    assert len(client.get(f"{URL}/{c['id']}/history", headers=tenant.headers()).json()) == 1


# --- concurrency -----------------------------------------------------------------


@pytest.mark.postgres_only
def test_simultaneous_creates_of_one_nit_give_one_201_and_400s(live_url, tenant, database):
    import threading

    import httpx
    from sqlalchemy import func, select

    from nitida.customers.models import Customer

    barrier = threading.Barrier(8)
    statuses = []

    def attempt(i):
        with httpx.Client(base_url=live_url, timeout=30) as http:
            barrier.wait()
            r = http.post(URL, json={"razonSocial": f"Intento {i}", "nit": "900.123.456-8"}, headers=tenant.headers())
            statuses.append(r.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [400] * 7
    with database.tenant_session(tenant.id) as s:
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.nit == "900123456")) == 1


def test_the_whole_list_is_sent_without_building_orm_objects(client, tenant):
    # 100,000 customers must not become 100,000 ORM objects at once: the list
    # streams plain rows in batches. Count ORM loads of Customer during a list.
    from sqlalchemy import event

    from nitida.customers.models import Customer

    for i in range(5):
        created(client, tenant, razonSocial=f"Cliente {i}", nit=f"90000000{i}")
    loads = []

    def on_load(target, _context):
        loads.append(target)

    event.listen(Customer, "load", on_load)
    try:
        full = client.get(URL, headers=tenant.headers())
        page = client.get(URL, params={"limit": 2}, headers=tenant.headers())
    finally:
        event.remove(Customer, "load", on_load)
    assert len(full.json()) == 5 and len(page.json()) == 2
    assert loads == []


def test_no_path_deletes_a_customer_with_invoices(client, tenant, database):
    # The API answers 409 (tests/test_invoices_api.py); underneath, the
    # invoice -> customer foreign key is RESTRICT, so even a raw DELETE fails.
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from fixtures.invoices import make_draft

    c = created(client, tenant)
    make_draft(client, tenant, customer=c)
    r = client.delete(f"{URL}/{c['id']}", headers=tenant.headers())
    body = assert_problem(r, 409)
    assert "INACTIVE" in body["detail"] and "SQL" not in body["detail"]
    with database.tenant_session(tenant.id) as s, pytest.raises(IntegrityError):
        s.execute(
            sa.text("DELETE FROM customers WHERE id = :id"),
            {"id": uuid.UUID(c["id"]) if database.dialect == "postgresql" else uuid.UUID(c["id"]).hex},
        )
        s.flush()
    assert client.get(f"{URL}/{c['id']}", headers=tenant.headers()).json() == c
    assert [e["action"] for e in client.get(f"{URL}/{c['id']}/history", headers=tenant.headers()).json()] == ["CREATED"]


@pytest.mark.parametrize(
    "name",
    ["ß" * 450, "ñ" * 450, "…" * 450, "Ω" * 450, "".join(chr(0x4E00 + i) for i in range(450)), "Peñalosa" * 56],
)
def test_names_that_grow_when_folded_are_stored_and_found(client, tenant, name):
    # Folding and sort keys lengthen some characters (ß -> ss, ñ -> n~,
    # … -> ...); every name of up to 450 characters is still accepted whole.
    c = created(client, tenant, razonSocial=name[:450])
    assert c["razonSocial"] == name[:450]
    found = client.get(URL, params={"search": name[:20], "limit": 5}, headers=tenant.headers())
    assert [x["id"] for x in found.json()] == [c["id"]]
    renamed = client.patch(f"{URL}/{c['id']}", json={"razonSocial": name[:449]}, headers=tenant.headers())
    assert renamed.status_code == 200


def test_a_name_of_ligatures_that_explodes_when_folded_is_a_clear_400(client, tenant):
    # U+FDFA decomposes into 18 letters: 450 of them cannot be indexed.
    body = assert_problem(create(client, tenant, razonSocial="\ufdfa" * 450), 400, field="razonSocial")
    assert "too long" in body["detail"]


def test_the_stream_holds_no_connection_while_the_client_reads(database, tenant):
    from nitida.core.principal import Principal
    from nitida.customers import search as customer_lists
    from nitida.customers import service
    from nitida.customers.schemas import CustomerCreate

    admin = tenant.users[Role.ADMIN]
    actor = Principal(admin.id, tenant.id, admin.email, admin.name, Role.ADMIN)
    with database.tenant_session(tenant.id) as s:
        for i in range(customer_lists.STREAM_PAGE + 5):
            service.create_customer(
                s,
                actor,
                CustomerCreate(
                    razon_social=f"Cliente {i % 7}", nit=str(20_000_000 + i), tipo_documento=TipoDocumento.CC
                ),
            )
        s.commit()
    rows = customer_lists.stream_customers(lambda: database.tenant_session(tenant.id, write=False), None, None, 0)
    seen = [next(rows)]
    assert database.engine.pool.checkedout() == 0  # between pages: nothing held
    seen.extend(rows)
    assert len(seen) == customer_lists.STREAM_PAGE + 5
    assert len({r.id for r in seen}) == len(seen)  # keyset paging repeats nothing
    keys = [(r.razon_social_sort, r.nit) for r in seen]
    assert keys == sorted(keys)


def test_customer_json_is_exactly_the_documented_model(client, tenant):
    # Item endpoints send customer_json's bytes without re-validating them:
    # they must be what CustomerRead (the OpenAPI schema) says, to the letter.
    from nitida.customers.schemas import CustomerRead

    c = created(client, tenant, email="a@b.co", tipoDocumento="NIT", nit="800197268")
    assert CustomerRead.model_validate(c).model_dump(by_alias=True, mode="json") == c
    assert set(c) == {f.alias for f in CustomerRead.model_fields.values()}


def test_a_nit_is_found_as_people_type_it_with_its_check_digit(client, tenant, app):
    """Issue 26: "901234567-7" and "9012345677" (the DV glued on) find NIT 901.234.567, in the API and the page."""
    from fixtures.common import random_nit
    from fixtures.web import signed_in
    from nitida.vocabulary.identity import nit_check_digit

    nit = random_nit()
    dv = nit_check_digit(nit)
    made = client.post(URL, json={"razonSocial": "Colegio Los Andes S.A.S.", "nit": nit}, headers=tenant.headers())
    assert made.status_code == 201, made.text
    for typed in (f"{nit}-{dv}", f"{nit[:3]}.{nit[3:6]}.{nit[6:]}-{dv}", f"{nit}{dv}"):
        found = client.get(URL, params={"search": typed}, headers=tenant.headers()).json()
        assert [c["nit"] for c in found] == [nit], typed
    wrong = str((int(dv) + 1) % 10)
    assert client.get(URL, params={"search": f"{nit}-{wrong}"}, headers=tenant.headers()).json() == []
    page = signed_in(app, tenant.users[Role.CONSULTA].email).get("/app/clientes", params={"buscar": f"{nit}-{dv}"})
    assert "Colegio Los Andes S.A.S." in page.text
