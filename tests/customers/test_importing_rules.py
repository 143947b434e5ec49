"""The import's pure logic, rule by rule: what a person gets back for each kind of file and cell.

Every error names the row (as the spreadsheet numbers it) and the field, with a message the
person can act on; these tests compare them whole.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from nitida.core.errors import BadRequest
from nitida.customers import importing
from nitida.customers.service import name_columns

HEADER = "Razón social;Tipo de documento;Número de documento"


def validate(text: str, name_check=name_columns, **kw) -> importing.Validated:
    return importing.validate(importing.read_table(text.encode("utf-8")), name_check, **kw)


def errors(result: importing.Validated) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in result.errors]


def bad_request(call) -> tuple[str, str]:
    with pytest.raises(BadRequest) as caught:
        call()
    (error,) = caught.value.errors
    return error.field, error.message


# --- reading ---------------------------------------------------------------------------------


def test_a_byte_order_mark_on_bytes_that_are_not_utf8_is_a_400_naming_the_byte():
    data = "\ufeffRazón social;NIT\nPeña;1\n".encode("utf-8")[:-8] + "Peña;1\n".encode("cp1252")
    position = data.index(b"\xf1") + 1
    assert bad_request(lambda: importing.read_table(data)) == (
        "file",
        f"starts with a UTF-8 byte order mark but byte {position} is not UTF-8: save it again",
    )


def test_windows_1252_keeps_every_letter_and_replaces_only_bytes_it_does_not_define():
    assert importing.decode_csv("Razón;Niño;€".encode("cp1252")) == "Razón;Niño;€"
    assert importing.decode_csv(b"Pe\xf1a \x81") == "Peña \ufffd"


def test_the_separator_is_the_most_frequent_and_ties_go_to_semicolon_then_comma():
    assert importing.sniff_separator("a;b,c") == ";"
    assert importing.sniff_separator("a,b\tc") == ","
    assert importing.sniff_separator("a;b,c,d\te\tf\tg") == "\t"


def test_quoted_cells_keep_separators_and_line_breaks():
    text = 'Razón social,NIT,Dirección\r\n"Pérez, Gómez y Cía",900123456-8,"Calle 1\r\nPiso 2"\r\n'
    assert list(importing.read_table(text.encode())) == [
        ["Razón social", "NIT", "Dirección"],
        ["Pérez, Gómez y Cía", "900123456-8", "Calle 1\r\nPiso 2"],
    ]
    # The separator is read from the header row only: commas in later rows do not count.
    assert list(importing.read_table("A;B\n1,2,3,4;5\n".encode())) == [["A", "B"], ["1,2,3,4", "5"]]


def test_a_csv_whose_lines_end_in_a_lone_carriage_return_is_read_row_by_row():
    # Classic Mac line ends (a lone \r, still written by some exporters): the same rows as \n or \r\n.
    text = "Razón social;NIT\rPapelería Nítida;900373914\rÓptica Ñandú;800197268\r"
    assert list(importing.read_table(text.encode("utf-8"))) == [
        ["Razón social", "NIT"],
        ["Papelería Nítida", "900373914"],
        ["Óptica Ñandú", "800197268"],
    ]


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_the_separator_is_read_from_the_header_line_whatever_the_line_ends(line_end):
    # Names with more commas than the file has semicolons: sniffing the whole file (what a lone
    # \r used to cause, the file being one "line") would split every name at its commas.
    rows = [
        ["Razón social", "NIT", "Correo electrónico"],
        ["Ferretería, Pinturas, y Más S.A.S.", "900373914", "ventas@ferreteria.co"],
        ["Distribuciones López, Hijos, Nietos, y Cía., Ltda.", "800197268", "compras@lopez.co"],
        ["Café, Panadería, Tienda, y Miscelánea, El Sol", "52123456", "elsol@correo.co"],
    ]
    text = "".join(";".join(row) + line_end for row in rows)
    assert text.count(",") > text.count(";")
    assert list(importing.read_table(text.encode("utf-8"))) == rows
    result = validate(text)
    assert errors(result) == []
    assert [(v.row, v.data.razon_social, v.identity.number, v.data.email) for v in result.valid] == [
        (2, "Ferretería, Pinturas, y Más S.A.S.", "900373914", "ventas@ferreteria.co"),
        (3, "Distribuciones López, Hijos, Nietos, y Cía., Ltda.", "800197268", "compras@lopez.co"),
        (4, "Café, Panadería, Tienda, y Miscelánea, El Sol", "52123456", "elsol@correo.co"),
    ]


def test_xlsx_cells_become_what_the_person_typed():
    assert importing.cell_text(False) == "FALSE"
    assert importing.cell_text(5) == "5"
    assert importing.cell_text(1.5) == "1.5"
    assert importing.cell_text(Decimal("1E+2")) == "100"
    assert importing.cell_text(datetime(2026, 11, 25, 10, 0)) == "2026-11-25T10:00:00"
    assert importing.cell_text(date(2026, 1, 2)) == "2026-01-02"
    assert importing.cell_text(" Ana ") == " Ana "


def test_only_the_first_sheet_is_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Razón social", "NIT"])
    workbook.active.append(["Ana", None, 52123456.0])
    other = workbook.create_sheet("Notas")
    other.append(["no", "leer"])
    out = io.BytesIO()
    workbook.save(out)
    assert list(importing.read_table(out.getvalue())) == [["Razón social", "NIT", ""], ["Ana", "", "52123456"]]


def test_a_broken_workbook_is_a_400_naming_the_file():
    assert importing.is_xlsx(b"PK\x03\x04") and not importing.is_xlsx(b"PK\x03")
    assert bad_request(lambda: list(importing.read_table(b"PK\x03\x04 esto no es un libro"))) == (
        "file",
        "is not a readable XLSX workbook (BadZipFile)",
    )


def test_empty_too_large_and_multipart_bodies_are_refused_with_a_reason():
    expected = ("file", "is empty: send the CSV or XLSX file as the request body")
    assert bad_request(lambda: importing.read_table(b"")) == expected
    assert bad_request(lambda: importing.read_table(b" \r\n\t")) == expected
    assert bad_request(lambda: importing.validate(iter([]), name_columns)) == expected
    limit = 20 * 1024 * 1024
    importing.read_table(b"x" * limit)  # exactly 20 MB is taken
    with pytest.raises(importing.FileTooLarge) as too_large:
        importing.read_table(b"x" * (limit + 1))
    assert str(too_large.value) == f"The file has {limit + 1} bytes; an import takes at most {limit} (20 MB)."
    multipart = b'--boundary\r\nContent-Disposition: form-data; name="file"\r\n\r\nRaz\xc3\xb3n social;NIT\r\n'
    assert bad_request(lambda: importing.read_table(multipart)) == (
        "file",
        "send the file itself as the body (curl --data-binary @clientes.csv -H 'Content-Type: text/csv'), "
        "not a multipart form",
    )
    # A CSV that merely starts with dashes is a CSV.
    assert list(importing.read_table(b"--;NIT\n")) == [["--", "NIT"]]


# --- the header ------------------------------------------------------------------------------


def test_header_errors_say_which_columns():
    assert bad_request(lambda: importing.map_header(["Razón social", "Cédula"])) == (
        "file",
        "the header row has no column Número de documento (nit); found: Razón social, Cédula",
    )
    assert bad_request(lambda: importing.map_header(["NIT", "Nombre"][:1])) == (
        "file",
        "the header row has no column Razón social (razonSocial); found: NIT",
    )
    assert bad_request(lambda: importing.map_header(["NIT", "Cliente", "Número de documento"])) == (
        "file",
        "the columns 'NIT' and 'Número de documento' are both nit",
    )


def test_blank_unknown_and_exported_columns():
    header = ["", " Notas ", "Razón social", "---", "NIT", "Municipio", "Departamento", "Actualizado", "Vendedor"]
    columns, ignored = importing.map_header(header)
    assert columns == {"razonSocial": 2, "nit": 4}
    assert ignored == ["Notas", "Vendedor"]
    assert importing.header_key("Código DANE_municipio 2") == "codigodanemunicipio2"


# --- rows ------------------------------------------------------------------------------------


def test_type_column_names_codes_spaces_and_blank():
    result = validate(
        "Razón social;Tipo de documento;Número de documento;Código DIAN tipo de documento\n"
        "Ana;13;52123456;\n"  # a DIAN code in the type column
        "Firma;nit extranjero;12345;\n"  # spaces for underscores, any case
        "Otra;;900123456-8;\n"  # blank: NIT
        "Cruce;CC;52123457;31\n"  # the type column wins over the code column
    )
    assert errors(result) == []
    assert [v.data.tipo_documento.value for v in result.valid] == ["CC", "NIT_EXTRANJERO", "NIT", "CC"]


def test_an_unknown_code_is_reported_with_the_rows_other_errors_but_not_a_number_check():
    result = validate("Razón social;Código DIAN tipo de documento;NIT;Correo\nAna;99;1;\n;98;2;x\n")
    assert errors(result) == [
        (2, "tipoDocumentoCodigo", "'99' is not a DIAN document type code"),
        (3, "tipoDocumentoCodigo", "'98' is not a DIAN document type code"),
        (3, "razonSocial", "String should have at least 1 character"),
        (3, "email", "value is not a valid email address: An email address must have an @-sign."),
    ]
    assert result.invalid_rows == 2


def test_status_words_and_blank_cells_take_the_defaults():
    result = validate(
        "Razón social;NIT;Estado;Tipo de persona;Responsabilidades fiscales;Tributo;Correo\n"
        " Ana ;52123456;Inactiva;;;;\n"
        "Beto;52123457; inactive ;NATURAL; O-13, O-15  O-23 ;01;  \n"
        "Caro;52123458;;;;;\n"
    )
    assert errors(result) == []
    ana, beto, caro = (v.data for v in result.valid)
    assert (ana.razon_social, ana.status, ana.tipo_persona, ana.tributo, ana.email) == (
        "Ana",
        "INACTIVE",
        None,
        "ZZ",
        None,
    )
    assert ana.responsabilidades_fiscales == ["R-99-PN"]
    assert (beto.status, beto.tipo_persona, beto.tributo) == ("INACTIVE", "NATURAL", "01")
    assert beto.responsabilidades_fiscales == ["O-13", "O-15", "O-23"]
    assert caro.status == "ACTIVE"


def test_fiscal_cells_are_checked_and_named():
    result = validate("Razón social;NIT;Responsabilidades;Tributo;Código DANE\nAna;52123456;O-99;XX;99999\n")
    assert errors(result) == [
        (2, "responsabilidadesFiscales", "O-99 not in the DIAN list (O-13, O-15, O-23, O-47, R-99-PN)"),
        (2, "tributo", "must be one of 01 (IVA), 04 (INC), ZA (IVA e INC), ZZ (No aplica)"),
        (2, "municipioCodigo", "'99999' is not a DANE municipality code (5 digits, e.g. 11001 for Bogotá D.C.)"),
    ]


def test_the_check_digit_column_joins_a_bare_nit_only():
    result = validate("Razón social;NIT;DV\nA;900123456; 8 \nB;900123457-1;3\nC;900123458;\n")
    assert [(v.row, v.identity.number, v.identity.dv) for v in result.valid] == [
        (2, "900123456", "8"),
        (4, "900123458", "2"),
    ]
    assert errors(result) == [(3, "nit", "the check digit (dígito de verificación) of NIT 900123457 is 5, not 1")]


def test_a_refused_name_is_reported_beside_a_bad_number():
    def refuse(name: str) -> None:
        raise BadRequest.field("razonSocial", f"{name} is too long once decomposed")

    result = validate("Razón social;NIT\nAna;900123456-1\nBeto;52123456\n", name_check=refuse)
    assert errors(result) == [
        (2, "nit", "the check digit (dígito de verificación) of NIT 900123456 is 8, not 1"),
        (2, "razonSocial", "Ana is too long once decomposed"),
        (3, "razonSocial", "Beto is too long once decomposed"),
    ]
    assert result.valid == []


def test_short_rows_blank_rows_and_repeats_keep_the_spreadsheet_row_numbers():
    result = validate(
        "Razón social;NIT;Correo\n"
        "Ana;52123456;a@b.co\n"  # 2
        "Beto;52123457\n"  # 3: no e-mail cell at all
        " ; ;\n"  # 4: blank
        "Ana bis;52.123.456\n"  # 5
        "Ana ter;52123456\n"  # 6: still reported against row 2
    )
    assert result.total_rows == 4
    assert [(v.row, v.data.email) for v in result.valid] == [(2, "a@b.co"), (3, None)]
    assert errors(result) == [
        (5, "nit", "number 52123456 is also on row 2 of this file"),
        (6, "nit", "number 52123456 is also on row 2 of this file"),
    ]
    assert result.valid[1].given == {"razonSocial", "nit", "email"}


def test_row_limit_is_inclusive_in_validate_and_count(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    three = "Razón social;NIT\nA;1001\n\nB;1002\nC;1003\n"
    assert importing.validate(importing.read_table(three.encode()), name_columns).total_rows == 3
    assert importing.count_rows(three.encode()) == 3
    four = (three + "D;1004\n").encode()
    message = "The file has more than 3 rows; split it into files of at most 3."
    with pytest.raises(importing.FileTooLarge) as in_validate:
        importing.validate(importing.read_table(four), name_columns)
    with pytest.raises(importing.FileTooLarge) as in_count:
        importing.count_rows(four)
    assert str(in_validate.value) == str(in_count.value) == message


def test_count_rows_skips_the_header_and_blank_rows():
    assert importing.count_rows("Razón social;NIT\nA;1\n;\n\nB;2\n".encode()) == 2
    assert importing.count_rows("Razón social;NIT\n".encode()) == 0


def test_progress_every_thousand_rows_and_once_at_the_end():
    rows = "\n".join(f"Cliente {i};{10_000_000 + i}" for i in range(2_000))
    seen: list[int] = []
    validate("Razón social;NIT\n" + rows, progress=seen.append)
    assert seen == [1000, 2000]
    seen.clear()
    validate("Razón social;NIT\nA;1001\n", progress=seen.append)
    assert seen == [1]
    assert validate("Razón social;NIT\n" + rows).total_rows == 2_000  # no progress callback: fine


def test_the_report_counts_every_part_of_the_plan():
    result = validate("Razón social;NIT;Notas\nAna;x\nBeto;52123456\n;y\n")
    plan = {"new": [1, 2, 3], "update": [1, 2], "unchanged": [1]}
    assert importing.report(result, plan, dry_run=False, mode="create", applied=True) == {
        "dryRun": False,
        "mode": "create",
        "applied": True,
        "totalRows": 3,
        "new": 3,
        "unchanged": 1,
        "toUpdate": 2,
        "invalid": 2,
        "invalidRows": [
            {"row": 2, "field": "nit", "message": result.errors[0].message},
            {"row": 4, "field": "razonSocial", "message": "String should have at least 1 character"},
        ],
        "ignoredColumns": ["Notas"],
        "newCustomers": [],
        "updates": [],
        "detailTruncated": False,
    }
    empty = importing.report(importing.Validated(), {}, dry_run=True, mode="upsert", applied=False)
    assert (empty["new"], empty["unchanged"], empty["toUpdate"], empty["invalid"]) == (0, 0, 0, 0)


def _workbook(*rows: list) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _with_dimension(workbook: bytes, ref: bytes) -> bytes:
    """The workbook with its first sheet's <dimension ref=…> replaced (openpyxl writes it right)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, replaced = re.subn(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + ref + b'"/>', data)
                assert replaced == 1
            target.writestr(item, data)
    return edited.getvalue()


@pytest.mark.parametrize("ref", [b"A1", b"A1:B2", b"A1:A3"])
def test_a_workbook_whose_dimension_is_stale_is_read_whole(ref):
    # Some generators write <dimension ref="A1"/> whatever the sheet holds; Excel ignores it.
    # openpyxl's read-only mode trusted it: "A1" read as the header's first cell, "A1:B2"
    # dropped the last row without an error, "A1:A3" the second column.
    rows = [["Razón social", "NIT"], ["Papelería Nítida", "900373914"], ["Óptica Ñandú", "800197268"]]
    stale = _with_dimension(_workbook(*rows), ref)
    sheet_xml = zipfile.ZipFile(io.BytesIO(stale)).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="' + ref + b'"/>' in sheet_xml and b'<dimension ref="A1:B3"/>' not in sheet_xml
    assert list(importing.read_table(stale)) == rows
    assert importing.count_rows(stale) == 2
    result = importing.validate(importing.read_table(stale), name_columns)
    assert errors(result) == []
    assert [(v.row, v.data.razon_social, v.identity.number) for v in result.valid] == [
        (2, "Papelería Nítida", "900373914"),
        (3, "Óptica Ñandú", "800197268"),
    ]


def test_a_stale_dimension_never_cuts_a_row_wider_than_the_header():
    # A cell right of the header has no column to go to, but the row is read as it is, not cut.
    stale = _with_dimension(_workbook(["Razón social", "NIT"], ["Ana", 52123456, "nota"], ["Luis"]), b"A1")
    assert list(importing.read_table(stale)) == [["Razón social", "NIT"], ["Ana", "52123456", "nota"], ["Luis", ""]]


def test_a_formula_is_never_imported_as_its_text():
    # openpyxl saves no computed value, so the cell reads as empty: never as "=CONCAT(...)".
    rows = list(importing.read_table(_workbook(["Razón social", "NIT"], ['=CONCAT("Ana", " Pérez")', 52123456])))
    assert rows == [["Razón social", "NIT"], ["", "52123456"]]


def test_a_workbook_with_an_empty_first_sheet_is_empty_not_a_500():
    empty = _workbook()
    assert importing.count_rows(empty) == 0
    assert bad_request(lambda: importing.validate(importing.read_table(empty), name_columns)) == (
        "file",
        "is empty: send the CSV or XLSX file as the request body",
    )


def test_an_error_without_a_location_or_message_is_the_rows():
    # Pydantic gives model-level errors (none today on CustomerCreate) an empty location.
    assert importing._field_of({"loc": (), "msg": "x"}) == "row"
    assert importing._field_of({"loc": ("email", 0)}) == "email"
    assert importing._message({"loc": ()}) == "is invalid"
    assert importing._message({"msg": "Value error, must be one of 01, 04"}) == "must be one of 01, 04"


def test_a_multipart_form_is_recognised_by_its_first_1000_bytes():
    marker = b"Content-Disposition: form-data"
    within = b"--" + b"x" * (1000 - 2 - len(marker)) + marker + b"\r\n"  # the marker ends at byte 1000
    assert bad_request(lambda: importing.read_table(within))[0] == "file"
    beyond = b"--" + b"x" * (1001 - 2 - len(marker)) + marker + b"\r\n"  # ends at byte 1001: read as a CSV
    assert len(list(importing.read_table(beyond))) == 1
