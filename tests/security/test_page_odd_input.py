"""Issue 32, low: odd input on a page is never a 500. Page numbers and line counts that Python calls digits
but ``int`` cannot read ("²", 5,000 digits), a 100-digit quantity in the live totals, and an XLSX whose sheet
is not XML each answered 500; now a page answers as for no value, and the import says what is wrong."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role

ODD_NUMBERS = ["²", "٣", "9" * 5000, "-1", "0", "1e9", " 7 ", ""]


@pytest.mark.parametrize("path", ["/app/clientes", "/app/facturas", "/app/correo-demo"])
def test_odd_page_numbers_answer_the_page_not_a_500(app, tenant, path):
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    for odd in ODD_NUMBERS:
        response = browser.get(path, params={"pagina": odd})
        assert response.status_code in (200, 404), (odd, response.status_code)


def test_odd_line_counts_and_a_100_digit_quantity_leave_the_live_totals_standing(app, tenant):
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    token = csrf_of(browser.get("/app/facturas/nueva").text)
    for odd in ODD_NUMBERS:
        response = browser.post("/app/facturas/totales", data={"lineas": odd}, headers={"X-CSRF-Token": token})
        assert response.status_code == 200, (odd, response.status_code)
    typed = {
        "lineas": "2",
        "descripcion_0": "Resma",
        "cantidad_0": "9" * 100,  # out of the API's bounds: left out of the preview until fixed
        "precio_0": "11900",
        "iva_0": "19",
        "descripcion_1": "Asesoría",
        "cantidad_1": "1",
        "precio_1": "100000",
        "iva_1": "",
    }
    preview = browser.post("/app/facturas/totales", data=typed, headers={"X-CSRF-Token": token})
    assert preview.status_code == 200
    assert 'id="total">$ 100.000,00' in preview.text


def test_an_xlsx_whose_sheet_is_not_xml_is_a_400_naming_the_file(client, tenant):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Razón social", "Número de documento"])
    good = io.BytesIO()
    workbook.save(good)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good.getvalue())) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, b"esto no es XML <<<" if item.filename == "xl/worksheets/sheet1.xml" else data)
    response = client.post(
        "/billing/customers/import",
        content=broken.getvalue(),
        headers={
            **tenant.headers(Role.OPERADOR),
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert response.status_code == 400, response.text
    assert "file" in response.text
