"""Tables as CSV or XLSX, streamed, for people who open them in Excel in Colombia.

CSV: UTF-8 with a byte-order mark, ``;`` between fields, ``,`` before the
decimals, dates as dd/mm/aaaa. That is what Excel with Colombian regional
settings writes and opens with a double click (with ``,`` as separator it
would put a whole row in one cell, and "1234.50" would be read as text or as
123450); the BOM is how Excel recognises UTF-8 (without it "Nítida" shows as
"NÃ­tida"). Amounts carry no thousands separator, so they stay numbers.

XLSX: openpyxl in write-only mode (rows go to a temporary file as they come,
so memory stays flat for 100,000 rows); amounts are numbers formatted
``#,##0.00``, dates are dates, counts are integers, and the header is the
first row, in Spanish.

Text is data, never a formula (OWASP's CSV injection guidance): a customer
named ``=HYPERLINK(...)`` must not become a link or a command in the
contador's Excel. In CSV a text cell that starts with ``= + - @``, a tab or a
carriage return is written behind an apostrophe, which Excel shows as text and
``undefused`` takes off again on import; in XLSX such a cell is stored as a
string with Excel's quote prefix, so even editing it keeps it text. Numbers
and dates are typed values and are never touched.
"""

from __future__ import annotations

import csv
import enum
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from nitida.core.clock import BOGOTA

CSV = "csv"
XLSX = "xlsx"
JSON = "json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
CSV_SEPARATOR = ";"
BOM = "\ufeff"
_CHUNK = 256 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    """A text cell for CSV as Excel shows it, never evaluates it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def undefused(text: str) -> str:
    """What ``defused`` wrote, read back as the text it was (an import of our own export)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Table:
    """A sheet: its name, the Spanish header row, and the rows (any iterable, read once)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def negotiate(format_: str | None, accept: str | None) -> str:
    """``?format=`` wins; else the Accept header; else JSON."""
    if format_:
        return format_
    accept = (accept or "").lower()
    if XLSX_MEDIA_TYPE in accept or "spreadsheetml" in accept:
        return XLSX
    if "text/csv" in accept:
        return CSV
    return JSON


# --- CSV ------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """One value as Excel in Colombia reads it back as the same value."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime):
        return value.astimezone(BOGOTA).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str):
        return defused(value)
    return str(value)


def csv_stream(table: Table, batch: int = 500) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(table.header)
    pending = 0
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


# --- XLSX ------------------------------------------------------------------------


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # openpyxl writes Decimal as a number
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, datetime):
        # Excel has no time zones: the Bogotá wall-clock time a person expects.
        cell = WriteOnlyCell(sheet, value=value.astimezone(BOGOTA).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # openpyxl writes a date as a date
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl made "=..." a formula: it is a name someone typed
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return cell
    return value


def xlsx_stream(table: Table) -> Iterator[bytes]:
    """The workbook, built row by row on disk, then sent in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31])
    bold = Font(bold=True)
    header = []
    for name in table.header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(_CHUNK):
            yield chunk


def file_response_parts(table: Table, format_: str, filename: str) -> tuple[Iterator[bytes], str, dict[str, str]]:
    """Body iterator, media type and headers for a table downloaded as ``format_``."""
    if format_ == CSV:
        body, media = csv_stream(table), CSV_MEDIA_TYPE
    else:
        body, media = xlsx_stream(table), XLSX_MEDIA_TYPE
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{format_}"'}
    return body, media, headers


def file_content_doc() -> dict[str, Any]:
    """OpenAPI: the 200 response of a report may also be CSV or XLSX."""
    return {
        "text/csv": {"schema": {"type": "string"}},
        XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }
