"""One call for the service: a document in, the signed XML and the values the invoice JSON shows out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from nitida.einvoicing import cufe, signing, ubl
from nitida.einvoicing.certificates import Certificate
from nitida.einvoicing.documents import Document


@dataclass(frozen=True, slots=True)
class Emitted:
    xml: bytes  # the signed UBL document, UTF-8
    document_key: str  # CUFE (invoice) or CUDE (note), as in cbc:UUID
    qr_data: str  # the DIAN consultation URL with the key


def emit(doc: Document, certificate: Certificate, signing_time: dt.datetime | None = None) -> Emitted:
    """Build and sign ``doc``. Raises documents.DocumentDataError (what is missing) before any signing."""
    root = ubl.build(doc)
    key = cufe.document_key(doc)
    return Emitted(
        xml=signing.sign(root, certificate, signing_time=signing_time or doc.issue_datetime),
        document_key=key,
        qr_data=cufe.qr_url(key, doc.software.environment),
    )
