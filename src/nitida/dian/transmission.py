"""Submitting a signed document and asking for its status, the same way in both DIAN environments.

Habilitación has no synchronous sending: the document goes with ``SendTestSetAsync`` (the tenant's
test-set id) and its result is read with ``GetStatusZip(ZipKey)``. Producción uses ``SendBillSync``,
whose answer is already the result; its status is read with ``GetStatus(CUFE)``. The jobs call
``submit`` once (state SENT with the track id), then ``status`` until the outcome is final.
"""

from __future__ import annotations

from dataclasses import dataclass

from nitida.dian import files
from nitida.dian.client import DianClient
from nitida.dian.responses import DianResponse, Outcome, UploadError
from nitida.einvoicing.documents import DocumentKind
from nitida.vocabulary.kinds import ElectronicStatus, Environment


@dataclass(frozen=True, slots=True)
class Package:
    """A signed document ready to travel: its file names and the ZIP."""

    names: files.FileNames
    zip_bytes: bytes


def package(
    signed_xml: bytes, kind: DocumentKind, nit: str, year: int, consecutive: int, *, zip_consecutive: int | None = None
) -> Package:
    """Zip the signed document under the DIAN's names (``consecutive``: the issuer's counter of the document's
    file type for the year; ``zip_consecutive``: its ``z`` counter's, issue 25)."""
    names = files.document_file_names(kind, nit, year, consecutive, zip_consecutive=zip_consecutive)
    return Package(names, files.zip_single(names.xml, signed_xml))


@dataclass(frozen=True, slots=True)
class Submission:
    track_id: str | None  # ZipKey (habilitación) or the CUFE/CUDE (producción); None when the upload was refused
    response: DianResponse | None  # producción: the result already; habilitación: None until polled
    upload_errors: tuple[UploadError, ...] = ()

    @property
    def status(self) -> ElectronicStatus:
        if self.response is not None:
            return status_of(self.response) or ElectronicStatus.SENT
        return ElectronicStatus.SENT if self.track_id else ElectronicStatus.REJECTED

    @property
    def messages(self) -> tuple[str, ...]:
        """What to show the user: the DIAN's rule messages, or the upload's errors."""
        if self.response is not None:
            return self.response.error_messages
        return tuple(e.message for e in self.upload_errors)


def status_of(response: DianResponse) -> ElectronicStatus | None:
    """ACCEPTED / REJECTED when final; None while the DIAN is processing or does not know the document."""
    outcome = response.outcome
    if outcome is Outcome.ACCEPTED:
        return ElectronicStatus.ACCEPTED
    if outcome is Outcome.REJECTED:
        return ElectronicStatus.REJECTED
    return None


def submit(
    client: DianClient,
    environment: Environment,
    pkg: Package,
    *,
    document_key: str,
    test_set_id: str | None = None,
) -> Submission:
    """Send once. Raises client.DianUnavailable (retry: first ask ``status`` for the key) or DianRefused."""
    if environment is Environment.HABILITACION:
        if not test_set_id:
            raise ValueError("habilitación needs the tenant's test-set id")
        upload = client.send_test_set_async(pkg.names.zip, pkg.zip_bytes, test_set_id)
        return Submission(upload.zip_key, None, upload.errors)
    response = client.send_bill_sync(pkg.names.zip, pkg.zip_bytes)
    return Submission(document_key, response)


def status(client: DianClient, environment: Environment, *, track_id: str | None, document_key: str) -> DianResponse:
    """The DIAN's current answer for a sent document: by ZipKey in habilitación (when known), else by CUFE/CUDE."""
    if environment is Environment.HABILITACION and track_id and track_id != document_key:
        answers = client.get_status_zip(track_id)
        for answer in answers:
            if answer.document_key in (None, document_key):
                return answer
        if answers:
            return answers[0]
    return client.get_status(document_key)
