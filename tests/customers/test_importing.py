"""The import file's pure logic (no database): reading, headers, each row's validation."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from nitida.core.errors import BadRequest
from nitida.customers import importing
from nitida.customers.service import name_columns


def validate(text: str, **kw) -> importing.Validated:
    return importing.validate(importing.read_table(text.encode("utf-8")), name_columns, **kw)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Razón social", "razonSocial"),
        ("RAZON_SOCIAL", "razonSocial"),
        ("razonSocial", "razonSocial"),
        ("Número de documento", "nit"),
        ("NIT", "nit"),
        ("Correo electrónico", "email"),
        ("e-mail", "email"),
        ("Teléfono", "telefono"),
        ("Dirección", "direccion"),
        ("Estado", "status"),
        ("Código DIAN tipo de documento", "tipoDocumentoCodigo"),
        ("Dígito de verificación", "dv"),
    ],
)
def test_headers_in_spanish_or_api_names(header, field):
    required = [name for api, name in (("razonSocial", "Razón social"), ("nit", "NIT")) if api != field]
    columns, ignored = importing.map_header([header, *required])
    assert columns[field] == 0 and ignored == []


def test_header_problems_name_the_file():
    with pytest.raises(BadRequest) as missing:
        importing.map_header(["Nombre completo", "Cédula"])
    assert missing.value.errors[0].field == "file"
    assert "Razón social (razonSocial), Número de documento (nit)" in missing.value.errors[0].message
    with pytest.raises(BadRequest) as doubled:
        importing.map_header(["Razón social", "NIT", "Número de documento"])
    assert "are both nit" in doubled.value.errors[0].message
    columns, ignored = importing.map_header(["Id", "Razón social", "NIT", "Notas", "", "Creado"])
    assert columns == {"razonSocial": 1, "nit": 2} and ignored == ["Notas"]


def test_separators_and_encodings():
    assert importing.sniff_separator("a;b;c") == ";"
    assert importing.sniff_separator("a,b,c") == ","
    assert importing.sniff_separator("a\tb,c\td") == "\t"
    assert importing.sniff_separator("solo") == ";"
    assert importing.decode_csv("Peñalosa".encode("cp1252")) == "Peñalosa"
    assert importing.decode_csv("\ufeffPeñalosa".encode()) == "Peñalosa"
    assert importing.decode_csv("Peñalosa".encode()) == "Peñalosa"


def test_xlsx_cells_as_typed():
    assert importing.cell_text(900123456.0) == "900123456"
    assert importing.cell_text(12.5) == "12.5"
    assert importing.cell_text(None) == ""
    assert importing.cell_text(Decimal("10.500")) == "10.5"
    assert importing.cell_text(date(2026, 11, 25)) == "2026-11-25"
    assert importing.cell_text(True) == "TRUE"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Razón social", "NIT"])
    workbook.active.append(["Ana", 900123456])
    out = io.BytesIO()
    workbook.save(out)
    assert list(importing.read_table(out.getvalue())) == [["Razón social", "NIT"], ["Ana", "900123456"]]


def test_each_kind_of_bad_row_and_the_row_numbers():
    result = validate(
        "Razón social;Tipo de documento;Número de documento;Correo electrónico;Estado\n"
        "Bueno;NIT;900123456-8;a@b.co;activo\n"  # 2
        ";;;;\n"  # 3: blank, skipped but counted in the numbering
        "DV malo;NIT;900123456-1;;\n"  # 4
        "Tipo;LICENCIA;1;;\n"  # 5
        "Correo;CC;123;@;\n"  # 6
        ";CC;124;;\n"  # 7
        "Estado;CC;125;;retirado\n"  # 8
        "Código;;126;;\n"  # 9: no type: NIT, whose check fails
        "Repetido;NIT;900.123.456;;\n"  # 10
    )
    assert result.total_rows == 8
    assert [v.row for v in result.valid] == [2]
    assert result.valid[0].data.status == "ACTIVE"
    assert [(e.row, e.field) for e in result.errors] == [
        (4, "nit"), (5, "tipoDocumento"), (6, "email"), (7, "razonSocial"), (8, "status"), (9, "nit"), (10, "nit"),
    ]  # fmt: skip
    assert result.errors[-1].message == "number 900123456 is also on row 2 of this file"
    assert result.invalid_rows == 7


def test_dian_code_dv_column_and_given_fields():
    result = validate("razonSocial,tipoDocumentoCodigo,nit,dv\nAna,13,52.123.456,\nFirma,31,900123456,8\nX,99,1,\n")
    first, second = result.valid
    assert (first.identity.tipo.value, first.identity.number) == ("CC", "52123456")
    assert (second.identity.number, second.identity.dv) == ("900123456", "8")
    assert first.given == {"razonSocial", "tipoDocumentoCodigo", "nit", "dv"}
    assert [(e.row, e.field) for e in result.errors] == [(4, "tipoDocumentoCodigo")]
    wrong_dv = validate("razonSocial,nit,dv\nFirma,900123456,3\n")
    assert wrong_dv.errors[0].field == "nit" and "is 8, not 3" in wrong_dv.errors[0].message


def test_limits_and_progress():
    with pytest.raises(BadRequest):
        importing.read_table(b"  \n")
    seen: list[object] = []
    rows = "\n".join(f"Cliente {i};{10_000_000 + i}" for i in range(2_500))
    result = validate("Razón social;Número de documento\n" + rows, progress=seen.append)
    assert seen == [1000, 2000, 2500] and len(result.valid) == 2_500
    assert importing.count_rows(("Razón social;NIT\n" + rows + "\n;\n").encode()) == 2_500
    too_many = "Razón social;NIT\n" + "\n".join(f"A;{i + 1_000_000}" for i in range(importing.MAX_ROWS + 1))
    with pytest.raises(importing.FileTooLarge):
        importing.count_rows(too_many.encode())
    with pytest.raises(importing.FileTooLarge):
        importing.read_table(b"x" * (importing.MAX_BYTES + 1))


def test_report_shape():
    result = validate("Razón social;NIT\nAna;x\n")
    report = importing.report(
        result, {"new": [], "update": [1], "unchanged": []}, dry_run=True, mode="upsert", applied=False
    )
    assert report["invalidRows"] == [{"row": 2, "field": "nit", "message": report["invalidRows"][0]["message"]}]
    assert (report["invalid"], report["toUpdate"], report["totalRows"]) == (1, 1, 1)
