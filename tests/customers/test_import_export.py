"""Customers out to CSV/XLSX and in from CSV/XLSX: dry run, all or nothing, upsert, history, jobs."""

from __future__ import annotations

import io
import time

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from stdnum.co.nit import calc_check_digit

from fixtures.common import assert_problem
from nitida.jobs.worker import Worker
from nitida.users.models import Role

URL = "/billing/customers"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def create(client, tenant, **fields) -> dict:
    r = client.post(URL, json=fields, headers=tenant.headers(Role.ADMIN))
    assert r.status_code == 201, r.text
    return r.json()


def upload(client, tenant, content: bytes, role=Role.OPERADOR, content_type="text/csv", **params):
    return client.post(
        f"{URL}/import", params=params, content=content, headers={**tenant.headers(role), "Content-Type": content_type}
    )


def count(client, tenant) -> int:
    r = client.get(URL, params={"limit": 1}, headers=tenant.headers())
    return int(r.headers["X-Total-Count"])


def csv_bytes(rows: list[list[str]], sep: str = ";", encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(sep.join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- export -------------------------------------------------------------------------------


def test_export_every_field_with_dian_codes_as_csv_xlsx_and_json(client, tenant, other_tenant):
    create(
        client,
        tenant,
        razonSocial="Papelería Nítida S.A.S.",
        nit="900.123.456-8",
        email="a@nitida.co",
        tipoPersona="JURIDICA",
        responsabilidadesFiscales=["O-13", "O-15"],
        tributo="01",
        municipioCodigo="05001",
        codigoPostal="050021",
    )
    create(client, tenant, razonSocial="Ángela Peñalosa", tipoDocumento="CC", nit="52.123.456", telefono="3001234567")
    create(client, other_tenant, razonSocial="Cliente Ajeno", nit="800197268")

    r = client.get(f"{URL}/export", params={"format": "csv"}, headers=tenant.headers(Role.CONSULTA))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Id;Razón social;Tipo de documento;Código DIAN tipo de documento;Número de documento;DV;"
        "Correo electrónico;Teléfono;Dirección;Tipo de persona;Responsabilidades fiscales;Tributo;"
        "Código DANE municipio;Municipio;Departamento;Código postal;Estado;Creado;Actualizado"
    )
    assert len(lines) == 3 and "Ajeno" not in r.text
    angela, papeleria = (line.split(";") for line in lines[1:])  # Spanish order: Á with A
    assert angela[1:9] == ["Ángela Peñalosa", "CC", "13", "52123456", "", "", "3001234567", ""]
    assert papeleria[1:9] == ["Papelería Nítida S.A.S.", "NIT", "31", "900123456", "8", "a@nitida.co", "", ""]
    # The fiscal data with the DANE code beside the municipality's name (the API's defaults here).
    # The fiscal data, the DANE code beside the municipality's and department's names.
    assert angela[9:17] == ["", "R-99-PN", "ZZ", "", "", "", "", "ACTIVE"]
    assert papeleria[9:17] == ["JURIDICA", "O-13, O-15", "01", "05001", "Medellín", "Antioquia", "050021", "ACTIVE"]

    r = client.get(f"{URL}/export", headers={**tenant.headers(), "Accept": XLSX})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows())
    assert rows[0][1].value == "Razón social" and len(rows) == 3
    assert [c.value for c in rows[2][1:17]] == [
        "Papelería Nítida S.A.S.", "NIT", "31", "900123456", "8", "a@nitida.co", None, None,
        "JURIDICA", "O-13, O-15", "01", "05001", "Medellín", "Antioquia", "050021", "ACTIVE",
    ]  # fmt: skip
    created = rows[2][17]
    assert isinstance(created, Cell) and created.is_date and created.number_format == "dd/mm/yyyy hh:mm"

    listed = client.get(URL, headers=tenant.headers()).json()
    assert client.get(f"{URL}/export", headers=tenant.headers()).json() == listed


def test_an_export_imports_back_unchanged(client, tenant):
    create(
        client,
        tenant,
        razonSocial="Colegio Los Andes",
        nit="800197268",
        direccion="Calle 45 # 12-30",
        responsabilidadesFiscales=["O-15", "O-47"],
        municipioCodigo="11001",
    )
    exported = client.get(f"{URL}/export", params={"format": "xlsx"}, headers=tenant.headers()).content
    report = upload(client, tenant, exported, content_type=XLSX, mode="upsert").json()
    assert (report["unchanged"], report["new"], report["toUpdate"], report["invalid"]) == (1, 0, 0, 0)
    assert report["ignoredColumns"] == []


# --- import ---------------------------------------------------------------------------------


def test_a_dry_run_names_the_customer_a_row_would_rename_and_each_field_it_changes(client, tenant):
    """Issue 26: the dry run said "toUpdate: 1" and then renamed "Colegio Los Andes S.A.S." to "Droguería La 14
    Sur". It names the customer as it is now and every field with its old and new value; applying does just that."""
    nit = "800197268"
    colegio = create(
        client, tenant, razonSocial="Colegio Los Andes S.A.S.", nit=nit, telefono="6013456789", tipoPersona="JURIDICA"
    )
    content = csv_bytes(
        [
            ["Razón social", "NIT", "Teléfono", "Responsabilidades fiscales", "Tipo de persona"],
            ["Droguería La 14 Sur", f"{nit}-{calc_check_digit(nit)}", "3001234567", "O-13, O-15", "JURIDICA"],
        ]
    )
    dry = upload(client, tenant, content, mode="upsert").json()
    assert (dry["toUpdate"], dry["new"], dry["newCustomers"], dry["applied"]) == (1, 0, [], False)
    assert dry["updates"] == [
        {
            "row": 2,
            "customerId": colegio["id"],
            "razonSocial": "Colegio Los Andes S.A.S.",
            "nit": nit,
            "changes": [
                {"field": "razonSocial", "old": "Colegio Los Andes S.A.S.", "new": "Droguería La 14 Sur"},
                {"field": "telefono", "old": "6013456789", "new": "3001234567"},
                {"field": "responsabilidadesFiscales", "old": ["R-99-PN"], "new": ["O-13", "O-15"]},
            ],
        }
    ]
    assert (
        client.get(f"{URL}/{colegio['id']}", headers=tenant.headers()).json()["razonSocial"] == colegio["razonSocial"]
    )
    applied = upload(client, tenant, content, mode="upsert", dryRun="false").json()
    assert applied["applied"] is True and applied["updates"] == dry["updates"]
    after = client.get(f"{URL}/{colegio['id']}", headers=tenant.headers()).json()
    assert (after["razonSocial"], after["telefono"], after["responsabilidadesFiscales"]) == (
        "Droguería La 14 Sur",
        "3001234567",
        ["O-13", "O-15"],
    )


HEADER = ["Razón social", "Tipo de documento", "Número de documento", "Correo electrónico", "Teléfono"]


def test_dry_run_counts_and_writes_nothing(client, tenant):
    create(client, tenant, razonSocial="Existente Igual", nit="900123456", email="igual@x.co")
    create(client, tenant, razonSocial="Existente Cambia", nit="800197268", email="viejo@x.co")
    content = csv_bytes(
        [
            HEADER,
            ["Nuevo Uno", "CC", "1010", "", ""],
            ["Nuevo Dos", "NIT", "901.555.333-8", "dos@x.co", ""],
            ["Existente Igual", "NIT", "900123456-8", "igual@x.co", ""],
            ["Existente Cambia", "NIT", "800197268", "nuevo@x.co", ""],
        ]
    )
    before = count(client, tenant)
    r = upload(client, tenant, content, mode="upsert")
    assert r.status_code == 200, r.text
    report = r.json()
    changed = next(c for c in client.get(URL, headers=tenant.headers()).json() if c["nit"] == "800197268")
    assert report == {
        "dryRun": True,
        "mode": "upsert",
        "applied": False,
        "totalRows": 4,
        "new": 2,
        "unchanged": 1,
        "toUpdate": 1,
        "invalid": 0,
        "invalidRows": [],
        "ignoredColumns": [],
        # Issue 26: each new customer named, and each field of each customer that would change.
        "newCustomers": [
            {"row": 2, "razonSocial": "Nuevo Uno", "tipoDocumento": "CC", "nit": "1010", "dv": None},
            {"row": 3, "razonSocial": "Nuevo Dos", "tipoDocumento": "NIT", "nit": "901555333", "dv": "8"},
        ],
        "updates": [
            {
                "row": 5,
                "customerId": changed["id"],
                "razonSocial": "Existente Cambia",
                "nit": "800197268",
                "changes": [{"field": "email", "old": "viejo@x.co", "new": "nuevo@x.co"}],
            }
        ],
        "detailTruncated": False,
    }
    assert count(client, tenant) == before
    # Create mode: the registered numbers are invalid rows, each named.
    report = upload(client, tenant, content).json()
    assert report["new"] == 2 and report["invalid"] == 2 and report["updates"] == []
    assert [(e["row"], e["field"]) for e in report["invalidRows"]] == [(4, "nit"), (5, "nit")]
    assert "already registered: Existente Igual" in report["invalidRows"][0]["message"]
    # Applied: the two new ones and the change, in one go.
    r = upload(client, tenant, content, mode="upsert", dryRun="false")
    assert r.status_code == 200 and r.json()["applied"] is True
    assert count(client, tenant) == before + 2


def test_five_kinds_of_bad_row_are_named_and_nothing_is_written(client, tenant, database):
    create(client, tenant, razonSocial="Ya Existe", nit="900123456")
    content = csv_bytes(
        [
            ["razonSocial", "tipoDocumento", "nit", "email"],  # the API's names work as headers too
            ["Bueno S.A.S.", "NIT", "901555333", "ok@x.co"],
            ["DV errado", "NIT", "800.197.268-5", ""],  # row 3: check digit
            ["Tipo raro", "LICENCIA", "123", ""],  # row 4: document type
            ["Correo malo", "CC", "12345678", "no-es-correo"],  # row 5: e-mail
            ["", "CC", "87654321", ""],  # row 6: no name
            ["Letras", "CC", "12AB34", ""],  # row 7: a CC has digits only
            ["Repetido", "NIT", "901.555.333-8", ""],  # row 8: same number as row 2
            ["Ya registrado", "NIT", "900123456", ""],  # row 9: exists (create mode)
        ],
        sep=",",
        encoding="utf-8",
    )
    before = count(client, tenant)
    r = upload(client, tenant, content, dryRun="false")
    body = assert_problem(r, 400)
    assert "nothing was imported" in body["detail"]
    fields = [e["field"] for e in body["errors"]]
    assert fields == [
        "row 3: nit",
        "row 4: tipoDocumento",
        "row 5: email",
        "row 6: razonSocial",
        "row 7: nit",
        "row 8: nit",
        "row 9: nit",
    ]
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert "check digit" in messages["row 3: nit"] and "is 4, not 5" in messages["row 3: nit"]
    assert "digits only" in messages["row 7: nit"]
    assert "also on row 2" in messages["row 8: nit"]
    assert count(client, tenant) == before  # "Bueno S.A.S." was valid, and was not written either
    dry = upload(client, tenant, content).json()
    assert (dry["new"], dry["invalid"], dry["totalRows"]) == (1, 7, 8)
    assert [(e["row"], e["field"]) for e in dry["invalidRows"]] == [
        (3, "nit"), (4, "tipoDocumento"), (5, "email"), (6, "razonSocial"), (7, "nit"), (8, "nit"), (9, "nit"),
    ]  # fmt: skip


def test_upsert_changes_only_what_differs_and_history_marks_the_import(client, tenant):
    kept = create(
        client, tenant, razonSocial="Ferretería El Dorado", nit="901555333", email="a@x.co", direccion="Calle 1"
    )
    content = csv_bytes(
        [
            ["Razón social", "Número de documento", "DV", "Correo electrónico", "Teléfono"],
            ["Ferretería El Dorado", "901555333", "8", "a@x.co", "6011234567"],  # no Dirección column: kept
            ["Cliente Nuevo", "900123456", "8", "n@x.co", ""],
        ]
    )
    r = upload(client, tenant, content, role=Role.OPERADOR, mode="upsert", dryRun="false")
    assert r.status_code == 200, r.text
    assert (r.json()["new"], r.json()["toUpdate"], r.json()["unchanged"]) == (1, 1, 0)
    after = client.get(f"{URL}/{kept['id']}", headers=tenant.headers()).json()
    changed = {k for k in after if after[k] != kept[k]}
    assert changed == {"telefono", "updatedAt"} and after["direccion"] == "Calle 1"
    history = client.get(f"{URL}/{kept['id']}/history", headers=tenant.headers()).json()
    assert [h["action"] for h in history] == ["CREATED", "IMPORT_UPDATED"]
    assert history[1]["changes"] == {"telefono": {"from": None, "to": "6011234567"}}
    assert history[1]["actorEmail"] == tenant.users[Role.OPERADOR].email
    new = next(c for c in client.get(URL, headers=tenant.headers()).json() if c["nit"] == "900123456")
    history = client.get(f"{URL}/{new['id']}/history", headers=tenant.headers()).json()
    assert [h["action"] for h in history] == ["IMPORT_CREATED"]
    assert history[0]["changes"]["razonSocial"] == {"from": None, "to": "Cliente Nuevo"}
    # Again: nothing differs, nothing is written.
    again = upload(client, tenant, content, mode="upsert", dryRun="false").json()
    assert (again["unchanged"], again["toUpdate"], again["new"]) == (2, 0, 0)
    assert len(client.get(f"{URL}/{kept['id']}/history", headers=tenant.headers()).json()) == 2


ROWS = [
    ["Razón social", "Tipo de documento", "Número de documento", "Dirección"],
    ["Peñalosa & Cía. Ltda.", "NIT", "900.123.456-8", "Cra. 7 # 12-34, Bogotá"],
    ["José Ñúñez", "13", "79.555.666", "Calle 5, Medellín"],  # a DIAN code as the type
]


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [(";", "cp1252"), (",", "cp1252"), (";", "utf-8-sig"), (",", "utf-8"), ("\t", "utf-8")],
)
def test_csv_in_either_encoding_and_separator(client, tenant, sep, encoding):
    quoted = [[f'"{c}"' if sep in c else c for c in row] for row in ROWS]
    r = upload(client, tenant, csv_bytes(quoted, sep, encoding), dryRun="false")
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 2
    names = {
        c["nit"]: (c["razonSocial"], c["tipoDocumento"], c["direccion"])
        for c in client.get(URL, headers=tenant.headers()).json()
    }
    assert names == {
        "900123456": ("Peñalosa & Cía. Ltda.", "NIT", "Cra. 7 # 12-34, Bogotá"),
        "79555666": ("José Ñúñez", "CC", "Calle 5, Medellín"),
    }


def test_xlsx_import_with_numbers_in_cells(client, tenant):
    content = xlsx_bytes([ROWS[0], ["Número en celda", "NIT", 900123456, None], ["Otro", "CC", 79555666.0, "Calle 1"]])
    r = upload(client, tenant, content, content_type=XLSX, dryRun="false")
    assert r.status_code == 200 and r.json()["new"] == 2, r.text
    assert {c["nit"] for c in client.get(URL, headers=tenant.headers()).json()} == {"900123456", "79555666"}


def test_bad_files_roles_and_limits(client, tenant):
    assert_problem(upload(client, tenant, b""), 400, field="file")
    assert_problem(upload(client, tenant, csv_bytes([["Nombre raro", "Otra"], ["a", "b"]])), 400, field="file")
    assert_problem(upload(client, tenant, b"PK\x03\x04 not really a zip", content_type=XLSX), 400, field="file")
    # Excel's "CSV UTF-8" mark on a file later saved as Windows-1252: a 400, not a 500.
    mixed = b"\xef\xbb\xbf" + "Razón social;NIT\r\nPeña;52123456".encode("cp1252")
    errors = assert_problem(upload(client, tenant, mixed), 400, field="file")["errors"]
    assert "byte 7 is not UTF-8" in errors[0]["message"]
    assert_problem(upload(client, tenant, csv_bytes(ROWS), role=Role.CONSULTA), 403)
    assert upload(client, tenant, csv_bytes(ROWS), role=Role.ADMIN).status_code == 200
    too_big = b"Raz\xc3\xb3n social;NIT\r\n" + b"x" * (20 * 1024 * 1024)
    body = assert_problem(upload(client, tenant, too_big), 413)
    assert "20971520" in body["detail"]
    too_many = csv_bytes(
        [["Razón social", "Número de documento"]] + [["A", str(10_000_000 + i)] for i in range(100_001)]
    )
    body = assert_problem(upload(client, tenant, too_many), 413)
    assert "100000 rows" in body["detail"]


def _big_file(rows: int) -> bytes:
    lines = ["Razón social;Tipo de documento;Número de documento;Correo electrónico"]
    for i in range(rows):
        number = str(800_000_000 + i)
        lines.append(f"Cliente Importado {i};NIT;{number}-{calc_check_digit(number)};c{i}@importados.co")
    return "\r\n".join(lines).encode("utf-8")


def test_a_file_over_the_threshold_runs_as_a_job_with_the_same_report(client, tenant, database):
    content = _big_file(2_001) + "\r\nSin número;NIT;;".encode()
    r = upload(client, tenant, content)  # a dry run, as a job
    assert r.status_code == 202, r.text
    Worker(database).run_until_idle()
    job = client.get(f"/jobs/{r.json()['jobId']}", headers=tenant.headers(Role.OPERADOR)).json()
    assert job["status"] == "SUCCEEDED", job
    assert (job["progressDone"], job["progressTotal"]) == (2_002, 2_002)
    assert job["result"]["invalidRows"] == [
        {"row": 2_003, "field": "nit", "message": "String should have at least 1 character"}
    ]
    assert (job["result"]["new"], job["result"]["applied"], job["result"]["dryRun"]) == (2_001, False, True)
    assert count(client, tenant) == 0
    # The file was kept only for the job.
    from nitida.customers.models import CustomerImportFile

    with database.tenant_session(tenant.id, write=False) as session:
        assert session.query(CustomerImportFile).count() == 0


@pytest.mark.slow  # ~35 s on SQLite: 100,000 e-mails and NITs validated, 200,000 rows written
def test_a_100000_row_import_runs_as_a_job_with_progress(client, tenant, database, monkeypatch):
    import nitida.jobs.service as jobs_service

    seen: list[tuple[int, int | None]] = []
    real_recorder = jobs_service._progress_recorder

    def recording(*args):
        record = real_recorder(*args)

        def progress(done, total):
            seen.append((done, total))
            record(done, total)

        return progress

    monkeypatch.setattr(jobs_service, "_progress_recorder", recording)
    started = time.monotonic()
    r = upload(client, tenant, _big_file(100_000), dryRun="false")
    assert r.status_code == 202, r.text
    job_id = r.json()["jobId"]
    assert r.headers["Location"] == f"/jobs/{job_id}"
    job = client.get(f"/jobs/{job_id}", headers=tenant.headers(Role.OPERADOR)).json()
    assert job["status"] == "QUEUED" and job["kind"] == "customers.import"
    assert count(client, tenant) == 0
    Worker(database).run_until_idle()
    job = client.get(f"/jobs/{job_id}", headers=tenant.headers(Role.OPERADOR)).json()
    assert job["status"] == "SUCCEEDED", job
    assert (job["progressDone"], job["progressTotal"]) == (100_000, 100_000)
    assert seen[0] == (0, 100_000) and (50_000, 100_000) in seen and seen[-1] == (100_000, 100_000)
    result = job["result"]
    assert (result["applied"], result["new"], result["invalid"], result["totalRows"]) == (True, 100_000, 0, 100_000)
    assert count(client, tenant) == 100_000
    exported = client.get(f"{URL}/export", params={"format": "csv"}, headers=tenant.headers())
    assert exported.status_code == 200 and exported.content.count(b"\r\n") == 100_001  # header + every customer
    print(f"100,000-row import on {database.dialect}: {time.monotonic() - started:.1f} s")


def test_an_import_never_sees_or_touches_another_tenants_customers(client, tenant, other_tenant):
    theirs = create(client, other_tenant, razonSocial="Cliente Ajeno", nit="900123456", email="ajeno@x.co")
    content = csv_bytes([["Razón social", "NIT", "Correo electrónico"], ["Mi Cliente", "900123456-8", "mio@x.co"]])
    dry = upload(client, tenant, content, mode="upsert").json()
    assert (dry["new"], dry["toUpdate"], dry["invalid"]) == (1, 0, 0)  # the same number elsewhere is not a match
    assert upload(client, tenant, content, mode="upsert", dryRun="false").json()["applied"] is True
    assert client.get(f"{URL}/{theirs['id']}", headers=other_tenant.headers()).json() == theirs
    exported = client.get(f"{URL}/export", params={"format": "csv"}, headers=tenant.headers()).text
    assert "Mi Cliente" in exported and "Ajeno" not in exported and theirs["id"] not in exported
