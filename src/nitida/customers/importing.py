"""Customer import files: reading and validating them, without the database.

A file is a CSV (UTF-8, with or without BOM, or Windows-1252; ``;``, ``,`` or
tab between fields: whatever Excel in Colombia saved) or an XLSX (its first
sheet). Its first row names the columns, in Spanish as the export writes them
or as the API names the fields, in any order, accents and case ignored.

Every row passes the API's own validation: ``CustomerCreate`` (lengths,
e-mail, document type, status) and ``identity.normalise`` (NIT check digit,
numbers per document type), through the same functions the create endpoint
uses; a number repeated in the file is reported on each later row.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from nitida.core.errors import AppError, BadRequest
from nitida.core.spreadsheets import undefused
from nitida.core.text import fold
from nitida.customers.schemas import CustomerCreate
from nitida.vocabulary.identity import DIAN_CODES, Identity, InvalidIdentity, normalise

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
# Above this many rows an import runs as a background job (202 + the job's id).
JOB_THRESHOLD = 2_000

REQUIRED = ("razonSocial", "nit")
FIELDS = (
    "razonSocial",
    "tipoDocumento",
    "nit",
    "dv",
    "email",
    "telefono",
    "direccion",
    "status",
    "tipoPersona",
    "responsabilidadesFiscales",
    "tributo",
    "municipioCodigo",
    "codigoPostal",
)
# Optional fiscal columns: a blank cell takes the API's default (R-99-PN, ZZ, none).
_BLANK_IS_DEFAULT = ("tipoPersona", "responsabilidadesFiscales", "tributo")


def header_key(name: str) -> str:
    """ "Razón social", "razon_social" and "RazonSocial" are one column."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


# Header (as header_key folds it) -> API field. Spanish as the export writes it,
# the API's own names, and the usual ways a person titles the column.
_ALIASES = {
    "razonSocial": ("Razón social", "razonSocial", "Nombre", "Nombre o razón social", "Cliente"),
    "tipoDocumento": ("Tipo de documento", "tipoDocumento", "Tipo documento", "Tipo de identificación"),
    "tipoDocumentoCodigo": ("Código DIAN tipo de documento", "tipoDocumentoCodigo", "Código tipo de documento"),
    "nit": ("Número de documento", "nit", "Número", "Documento", "Número de identificación", "Identificación"),
    "dv": ("DV", "Dígito de verificación"),
    "email": ("Correo electrónico", "email", "Correo", "E-mail"),
    "telefono": ("Teléfono", "telefono", "Celular"),
    "direccion": ("Dirección", "direccion"),
    "status": ("Estado", "status"),
    "tipoPersona": ("Tipo de persona", "tipoPersona"),
    "responsabilidadesFiscales": ("Responsabilidades fiscales", "responsabilidadesFiscales", "Responsabilidades"),
    "tributo": ("Tributo", "tributo"),
    "municipioCodigo": ("Código DANE municipio", "municipioCodigo", "Código municipio", "Código DANE"),
    "codigoPostal": ("Código postal", "codigoPostal"),
}
HEADERS = {header_key(alias): api for api, aliases in _ALIASES.items() for alias in aliases}
# Columns the export writes that an import does not set.
IGNORED = {
    header_key(h)
    for h in ("Id", "tenantId", "Creado", "Actualizado", "createdAt", "updatedAt", "Municipio", "Departamento")
}

_STATUS_WORDS = {"activo": "ACTIVE", "activa": "ACTIVE", "inactivo": "INACTIVE", "inactiva": "INACTIVE"}
_TIPO_BY_CODE = {code: tipo.value for tipo, code in DIAN_CODES.items()}


class FileTooLarge(AppError):
    status, slug = 413, "payload-too-large"


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass(frozen=True)
class ValidRow:
    row: int
    data: CustomerCreate
    identity: Identity
    # API fields whose column is in the file: an upsert changes only these.
    given: frozenset[str]


@dataclass
class Validated:
    total_rows: int = 0
    valid: list[ValidRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors})


# --- reading ------------------------------------------------------------------------------


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (Excel's "CSV" on Windows in Spanish).

    A BOM on bytes that are not UTF-8 is a 400 naming the byte (counting from 1)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            # The mark says UTF-8, so guessing Windows-1252 could turn letters into others silently.
            raise BadRequest.field(
                "file", f"starts with a UTF-8 byte order mark but byte {exc.start + 4} is not UTF-8: save it again"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_separator(first_line: str) -> str:
    """The separator of the header row: the most frequent of ``;``, ``,`` and tab."""
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


def _csv_rows(text: str) -> Iterator[list[str]]:
    # The header line ends at \r\n, \n or a lone \r (classic Mac): never sniff the whole file.
    first_line = re.split(r"[\r\n]", text, maxsplit=1)[0]
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(first_line)):
        yield [undefused(cell) for cell in row]  # our own export's text cells, as they were typed


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a person typed: 900123456.0 is "900123456"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:  # SyntaxError: XML ParseError
        raise BadRequest.field("file", f"is not a readable XLSX workbook ({exc.__class__.__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode stops at the sheet's <dimension>, which some generators write stale
        # ("A1" whatever the sheet holds): read every row there is, still streaming. The
        # declared width still pads rows when it is right; the header's when it is too small.
        declared = sheet.max_column or 0
        sheet.reset_dimensions()
        width = None
        for values in sheet.iter_rows(values_only=True):
            cells = [cell_text(v) for v in values]
            if width is None:
                width = max(declared, len(cells))
            yield cells + [""] * (width - len(cells))
    except (SyntaxError, ValueError, KeyError) as exc:  # a sheet that is not XML (ParseError is a SyntaxError)
        raise BadRequest.field("file", f"is not a readable XLSX workbook ({exc.__class__.__name__})") from None
    finally:
        workbook.close()


def read_table(data: bytes) -> Iterator[list[str]]:
    """The file's rows (header first) as lists of strings."""
    if not data.strip():
        raise BadRequest.field("file", "is empty: send the CSV or XLSX file as the request body")
    if len(data) > MAX_BYTES:
        raise FileTooLarge(f"The file has {len(data)} bytes; an import takes at most {MAX_BYTES} (20 MB).")
    if data.startswith(b"--") and b"Content-Disposition: form-data" in data[:1000]:
        raise BadRequest.field(
            "file",
            "send the file itself as the body (curl --data-binary @clientes.csv -H 'Content-Type: text/csv'), "
            "not a multipart form",
        )
    return _xlsx_rows(data) if is_xlsx(data) else _csv_rows(decode_csv(data))


# --- validating -----------------------------------------------------------------------------


def map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """{API field: column index} and the columns ignored; 400 naming what is missing or doubled."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        key = header_key(name)
        if not key:
            continue
        api = HEADERS.get(key)
        if api is None:
            ignored.append(name.strip())
            continue
        if api in columns:
            raise BadRequest.field("file", f"the columns {header[columns[api]]!r} and {name!r} are both {api}")
        columns[api] = index
    missing = [api for api in REQUIRED if api not in columns]
    if missing:
        spanish = {"razonSocial": "Razón social", "nit": "Número de documento"}
        names = ", ".join(f"{spanish[m]} ({m})" for m in missing)
        raise BadRequest.field("file", f"the header row has no column {names}; found: {', '.join(header)}")
    return columns, [name for name in ignored if header_key(name) not in IGNORED]


def _field_of(error: Any) -> str:  # a pydantic ErrorDetails
    loc = error.get("loc") or ("row",)
    return str(loc[0])


def _message(error: Any) -> str:  # a pydantic ErrorDetails
    message = error.get("msg", "is invalid")
    return message.removeprefix("Value error, ")


def validate_row(row: int, values: dict[str, str], name_check: Callable[[str], Any]) -> ValidRow | list[RowError]:
    """One row, as the API validates a create: the valid row, or every error it has."""
    body: dict[str, Any] = {k: v.strip() for k, v in values.items() if k in FIELDS}
    given = frozenset(k for k in values if k in FIELDS or k == "tipoDocumentoCodigo")
    errors: list[RowError] = []
    code = values.get("tipoDocumentoCodigo", "").strip()
    if not body.get("tipoDocumento") and code:
        if code not in _TIPO_BY_CODE:
            errors.append(RowError(row, "tipoDocumentoCodigo", f"{code!r} is not a DIAN document type code"))
        else:
            body["tipoDocumento"] = _TIPO_BY_CODE[code]
    if "tipoDocumento" in body:
        tipo = body["tipoDocumento"].upper().replace(" ", "_")
        body["tipoDocumento"] = _TIPO_BY_CODE.get(tipo, tipo) if tipo else "NIT"
    if "status" in body:
        status = body["status"]
        if not status:
            del body["status"]
        else:
            body["status"] = _STATUS_WORDS.get(fold(status), status.upper())
    for name in _BLANK_IS_DEFAULT:
        if name in body and not body[name]:
            del body[name]
    if "responsabilidadesFiscales" in body:  # "O-13, O-15" in one cell
        body["responsabilidadesFiscales"] = [r for r in re.split(r"[,;\s]+", body["responsabilidadesFiscales"]) if r]
    dv = body.pop("dv", "")
    if dv and body.get("nit") and "-" not in body["nit"]:
        body["nit"] = f"{body['nit']}-{dv}"
    try:
        data = CustomerCreate.model_validate(body)
    except ValidationError as exc:
        errors.extend(RowError(row, _field_of(e), _message(e)) for e in exc.errors())
        return errors
    if errors:  # an unknown type code: the number cannot be checked against a type
        return errors
    try:
        identity = normalise(data.tipo_documento, data.nit)
    except InvalidIdentity as exc:
        errors.append(RowError(row, "nit", str(exc)))
    try:
        name_check(data.razon_social)
    except BadRequest as exc:
        errors.extend(RowError(row, e.field, e.message) for e in exc.errors or [])
    if errors:
        return errors
    return ValidRow(row=row, data=data, identity=identity, given=given)


def validate(
    rows: Iterable[list[str]],
    name_check: Callable[[str], Any],
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Every row of a file (header first), validated; numbers repeated in the file reported."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise BadRequest.field("file", "is empty: send the CSV or XLSX file as the request body")
    columns, ignored = map_header(header)
    result = Validated(ignored_columns=ignored)
    first_row_of: dict[str, int] = {}
    for offset, cells in enumerate(iterator):
        row = offset + 2  # the header is row 1, as the spreadsheet numbers them
        if not any(c.strip() for c in cells):
            continue
        result.total_rows += 1
        if result.total_rows > MAX_ROWS:
            raise FileTooLarge(f"The file has more than {MAX_ROWS} rows; split it into files of at most {MAX_ROWS}.")
        values = {api: (cells[i] if i < len(cells) else "") for api, i in columns.items()}
        outcome = validate_row(row, values, name_check)
        if isinstance(outcome, list):
            result.errors.extend(outcome)
        elif outcome.identity.number in first_row_of:
            first = first_row_of[outcome.identity.number]
            result.errors.append(
                RowError(row, "nit", f"number {outcome.identity.number} is also on row {first} of this file")
            )
        else:
            first_row_of[outcome.identity.number] = row
            result.valid.append(outcome)
        if progress is not None and result.total_rows % 1000 == 0:
            progress(result.total_rows)
    if progress is not None and result.total_rows % 1000:
        progress(result.total_rows)
    return result


def count_rows(data: bytes) -> int:
    """Data rows in the file (blank rows not counted), without validating them."""
    rows = read_table(data)
    next(rows, None)
    total = sum(1 for cells in rows if any(c.strip() for c in cells))
    if total > MAX_ROWS:
        raise FileTooLarge(f"The file has more than {MAX_ROWS} rows; split it into files of at most {MAX_ROWS}.")
    return total


def report(
    validated: Validated,
    plan: dict[str, list],
    *,
    dry_run: bool,
    mode: str,
    applied: bool,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The answer to an import, the same from the request and from its background job.

    ``details`` (import_apply.plan_details): each new customer by name and number, and each customer
    that changes with every field's old and new value, so a dry run shows what applying it would do."""
    details = details or {}
    return {
        "dryRun": dry_run,
        "mode": mode,
        "applied": applied,
        "totalRows": validated.total_rows,
        "new": len(plan.get("new", [])),
        "unchanged": len(plan.get("unchanged", [])),
        "toUpdate": len(plan.get("update", [])),
        "invalid": validated.invalid_rows,
        "invalidRows": [{"row": e.row, "field": e.field, "message": e.message} for e in validated.errors],
        "ignoredColumns": validated.ignored_columns,
        "newCustomers": details.get("newCustomers", []),
        "updates": details.get("updates", []),
        "detailTruncated": bool(details.get("detailTruncated", False)),
    }
