"""The DIAN's file names and the ZIP a document travels in.

Anexo Técnico, "nombre de los archivos": a prefix by document type (``fv`` factura de venta,
``nc`` nota crédito, ``nd`` nota débito, ``ad`` AttachedDocument, ``z`` the ZIP), the issuer's
NIT in 10 digits (zeros on the left, no check digit), the technology provider's code in 3 digits
(``000`` for the issuer's own software), the last two digits of the year and an 8-digit hexadecimal
consecutive of the files of that kind sent that year. The consecutive is the caller's to keep (one
counter per issuer, kind and year); the document number is not a file consecutive.

Each file type counts on its own (issue 25): the ``ad`` AttachedDocuments and the ``z`` ZIPs have
counters of their own, not the consecutive of the invoice or note they carry, or two different
containers mailed to one buyer would share a name. ``file_kind`` names the counters.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from nitida.einvoicing.documents import DocumentKind

PREFIX = {
    DocumentKind.INVOICE: "fv",
    DocumentKind.CREDIT_NOTE: "nc",
    DocumentKind.DEBIT_NOTE: "nd",
}
ATTACHED_PREFIX = "ad"
ZIP_PREFIX = "z"
OWN_SOFTWARE_PROVIDER = "000"
MAX_CONSECUTIVE = 0xFFFFFFFF


def _stem(nit: str, year: int, consecutive: int, provider_code: str) -> str:
    if not nit.isdigit() or len(nit) > 10:
        raise ValueError(f"NIT {nit!r} must be at most 10 digits, without the check digit")
    if not re.fullmatch(r"\d{3}", provider_code):
        raise ValueError(f"provider code {provider_code!r} must be 3 digits")
    if not 1 <= consecutive <= MAX_CONSECUTIVE:
        raise ValueError(f"consecutive {consecutive} must be between 1 and {MAX_CONSECUTIVE} (8 hexadecimal digits)")
    if not 2000 <= year <= 2099:
        raise ValueError(f"year {year} is out of range")
    return f"{nit.zfill(10)}{provider_code}{year % 100:02d}{consecutive:08x}"


@dataclass(frozen=True, slots=True)
class FileNames:
    xml: str  # e.g. fv0900123456000260000001a.xml
    zip: str  # e.g. z0900123456000260000001a.zip


def file_kind(kind: DocumentKind | str) -> str:
    """The file-name prefix, which is also the counter a file takes its consecutive from: fv, nc, nd, ad, z."""
    if kind in ("attached", ATTACHED_PREFIX):
        return ATTACHED_PREFIX
    if kind == ZIP_PREFIX:
        return ZIP_PREFIX
    return PREFIX[DocumentKind(kind)]


def file_name(
    kind: DocumentKind | str, nit: str, year: int, consecutive: int, provider_code: str = OWN_SOFTWARE_PROVIDER
) -> str:
    """One file's name, with the consecutive of its own kind's counter (``kind`` "z" names a ZIP)."""
    prefix = file_kind(kind)
    extension = "zip" if prefix == ZIP_PREFIX else "xml"
    return f"{prefix}{_stem(nit, year, consecutive, provider_code)}.{extension}"


def document_file_names(
    kind: DocumentKind | str,
    nit: str,
    year: int,
    consecutive: int,
    provider_code: str = OWN_SOFTWARE_PROVIDER,
    *,
    zip_consecutive: int | None = None,
) -> FileNames:
    """Names of a document's XML and of the ZIP it is sent in. ``kind`` may be "attached" for an AttachedDocument.

    ``zip_consecutive`` is the ZIP counter's number; without it the ZIP reuses ``consecutive`` (as before issue
    25: callers should keep a ``z`` counter of their own)."""
    xml = file_name(kind, nit, year, consecutive, provider_code)
    zip_name = file_name(
        ZIP_PREFIX, nit, year, consecutive if zip_consecutive is None else zip_consecutive, provider_code
    )
    return FileNames(xml=xml, zip=zip_name)


def zip_single(file_name: str, content: bytes) -> bytes:
    """A ZIP (deflated) holding one file."""
    return zip_files([(file_name, content)])


def zip_files(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()
