from __future__ import annotations

import uuid
from datetime import datetime

from nitida.core.schemas import ApiInput, ApiModel
from nitida.customers.schemas import OptionalEmail


class JobRef(ApiModel):
    id: uuid.UUID
    status: str
    attempts: int
    last_error: str | None


class DeliveryRead(ApiModel):
    """Where the document stands with the DIAN and the buyer."""

    electronic_status: str
    track_id: str | None
    status_code: str | None
    status_description: str | None
    messages: list[str]  # every "Regla: …" message of the DIAN, as it wrote them
    sent_at: datetime | None
    answered_at: datetime | None
    mail_status: str  # NOT_YET, QUEUED, SENT, NO_EMAIL, FAILED
    mail_to: str | None
    mailed_at: datetime | None
    send_job: JobRef | None
    mail_job: JobRef | None


class EmailRequest(ApiInput):
    to: OptionalEmail = None  # another address than the customer's


class RejectedVersionRead(ApiModel):
    """A version of the invoice the DIAN rejected, kept when the invoice was corrected and sent again."""

    id: uuid.UUID
    number: str
    cufe: str
    issued_at: datetime
    file_name: str | None
    track_id: str | None
    dian_status_code: str | None
    dian_status_description: str | None
    dian_messages: list[str]  # every "Regla: …" message of the DIAN about this version
    answered_at: datetime | None
    superseded_at: datetime  # when it was corrected
