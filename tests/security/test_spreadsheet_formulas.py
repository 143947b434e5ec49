"""Issue 32, formula injection: every text cell of every export is data, never a formula (OWASP's CSV
injection guidance), numbers and dates stay typed, and an import of our own export gives the text back."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl

from nitida.core import spreadsheets
from nitida.users.models import Role

URL = "/billing/customers"
XLSX = spreadsheets.XLSX_MEDIA_TYPE
NAME = '=HYPERLINK("http://pagos.example/clave","Pague aquí")'
PHONE = "+57 300 123 4567"
ADDRESS = "@SUM(1+1) Calle 5"


def _customer(client, tenant) -> dict:
    body = {
        "razonSocial": NAME,
        "nit": "800197268",
        "telefono": PHONE,
        "direccion": ADDRESS,
        "municipioCodigo": "11001",
    }
    r = client.post(URL, json=body, headers=tenant.headers(Role.ADMIN))
    assert r.status_code == 201, r.text
    return r.json()


def _export(client, tenant, format_: str) -> bytes:
    r = client.get(f"{URL}/export", params={"format": format_}, headers=tenant.headers())
    assert r.status_code == 200, r.text
    return r.content


def _reimport(client, tenant, content: bytes, content_type: str) -> dict:
    r = client.post(
        f"{URL}/import",
        params={"mode": "upsert"},
        content=content,
        headers={**tenant.headers(Role.OPERADOR), "Content-Type": content_type},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_csv_export_writes_formula_text_behind_an_apostrophe_and_imports_back_unchanged(client, tenant):
    _customer(client, tenant)
    content = _export(client, tenant, "csv")
    header, row = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert cells["Razón social"] == "'" + NAME
    assert cells["Teléfono"] == "'" + PHONE
    assert cells["Dirección"] == "'" + ADDRESS
    assert not any(cell.startswith(spreadsheets.FORMULA_STARTS) for cell in row)
    report = _reimport(client, tenant, content, "text/csv")
    assert (report["unchanged"], report["new"], report["toUpdate"], report["invalid"]) == (1, 0, 0, 0)


def test_an_xlsx_export_stores_formula_text_as_strings_and_imports_back_unchanged(client, tenant):
    _customer(client, tenant)
    content = _export(client, tenant, "xlsx")
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml  # no formula anywhere in the sheet
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    for column, typed in (("Razón social", NAME), ("Teléfono", PHONE), ("Dirección", ADDRESS)):
        assert (row[column].value, row[column].data_type) == (typed, "s"), column
    assert row["Razón social"].quotePrefix  # Excel keeps it text even when the cell is edited
    report = _reimport(client, tenant, content, XLSX)
    assert (report["unchanged"], report["new"], report["toUpdate"], report["invalid"]) == (1, 0, 0, 0)


def test_numbers_and_dates_stay_typed_and_plain_text_is_untouched():
    assert spreadsheets.csv_cell(Decimal("-1234.50")) == "-1234,50"  # a negative amount is a number, not a formula
    assert spreadsheets.csv_cell("Papelería Nítida") == "Papelería Nítida"
    assert spreadsheets.csv_cell("-Descuento") == "'-Descuento"
    assert spreadsheets.csv_cell("\tHola") == "'\tHola"
    assert spreadsheets.undefused("'=1+1") == "=1+1" and spreadsheets.undefused("'Hola") == "'Hola"
    table = spreadsheets.Table("Prueba", ["Nombre", "Valor"], [["=1+1", Decimal("-5.00")]])
    content = b"".join(spreadsheets.xlsx_stream(table))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    name, amount = sheet[2]
    assert (name.value, name.data_type) == ("=1+1", "s")
    assert (amount.value, amount.data_type) == (-5, "n")
