"""The business's own touch on its documents: its logo (on its pages and printed invoices), the notes
prefilled into new drafts, the text of its invoice e-mail, and its usual plazo and medio de pago.

One row per tenant, written by Configuración (ADMIN). The logo is a PNG or JPEG of at most
``LOGO_MAX_BYTES`` and ``LOGO_MAX_PIXELS``, accepted only once Pillow has decoded it whole; it is
stored re-encoded as PNG (what was uploaded never reaches a page or a PDF as sent).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, deferred, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, TenantSession, UTCDateTime, utcnow
from nitida.core.errors import BadRequest
from nitida.invoices.models import PaymentMethod

LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 2000 * 2000
LOGO_MAX_SIDE = 2000
# Stored at most this wide/tall (scaled down keeping its proportions): pages and PDFs print it small.
LOGO_STORED_SIDE = 600
EMAIL_TEXT_MAX = 2000
# Plazo de pago: contado ("0") or days, as the invoice editor offers them (web.invoice_form.TERMS).
PAYMENT_TERMS = ("0", "8", "15", "30", "60", "90")


class BusinessProfile(TenantScoped, Base):
    __tablename__ = "business_profiles"
    __table_args__ = (Index("uq_business_profiles_tenant", "tenant_id", unique=True),)

    logo_png: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    logo_width: Mapped[int | None] = mapped_column(nullable=True)
    logo_height: Mapped[int | None] = mapped_column(nullable=True)
    logo_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invoice_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    payment_term: Mapped[str] = mapped_column(String(bounds.CODE), default="0")
    payment_method: Mapped[str | None] = mapped_column(String(bounds.CODE * 2), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True, slots=True)
class Defaults:
    """What a new draft starts with."""

    invoice_notes: str
    payment_term: str
    payment_method: str | None
    email_text: str | None
    has_logo: bool


def find(session: TenantSession) -> BusinessProfile | None:
    return session.scalars(select(BusinessProfile)).first()


def defaults(session: TenantSession) -> Defaults:
    row = find(session)
    if row is None:
        return Defaults(invoice_notes="", payment_term="0", payment_method=None, email_text=None, has_logo=False)
    return Defaults(
        invoice_notes=row.invoice_notes or "",
        payment_term=row.payment_term,
        payment_method=row.payment_method,
        email_text=row.email_text,
        has_logo=row.logo_updated_at is not None,
    )


def logo_version(session: TenantSession) -> str | None:
    """When the logo last changed (for the pages' cache-busting URL), or None without a logo."""
    changed = session.scalar(select(BusinessProfile.logo_updated_at))
    return None if changed is None else str(int(changed.timestamp()))


def logo(session: TenantSession) -> bytes | None:
    """The stored logo (PNG), or None."""
    return session.scalar(select(BusinessProfile.logo_png))


def _row(session: TenantSession) -> BusinessProfile:
    row = find(session)
    if row is None:
        row = BusinessProfile(payment_term="0")
        session.add(row)
    return row


def _clean_text(value: str | None, field: str, limit: int) -> str | None:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise BadRequest.field(field, f"must have at most {limit} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise BadRequest.field(field, "must not contain control characters")
    return text or None


def put_defaults(
    session: TenantSession,
    *,
    invoice_notes: str | None,
    email_text: str | None,
    payment_term: str,
    payment_method: str | None,
) -> BusinessProfile:
    """Save the texts and defaults (all of them at once); BadRequest names the field refused."""
    notes = _clean_text(invoice_notes, "invoiceNotes", bounds.NOTES)
    mail = _clean_text(email_text, "emailText", EMAIL_TEXT_MAX)
    if payment_term not in PAYMENT_TERMS:
        raise BadRequest.field("paymentTerm", f"must be one of {', '.join(PAYMENT_TERMS)} (days; 0 is contado)")
    if payment_method and payment_method not in PaymentMethod.__members__:
        raise BadRequest.field("paymentMethod", "is not a payment method")
    row = _row(session)
    row.invoice_notes, row.email_text = notes, mail
    row.payment_term, row.payment_method = payment_term, payment_method or None
    session.flush()
    return row


class LogoRefused(BadRequest):
    pass


def decode_logo(data: bytes) -> tuple[bytes, int, int]:
    """The logo as a PNG (scaled to LOGO_STORED_SIDE at most) with its size, or LogoRefused saying why.

    The size and the pixel count are bounded before any pixel is decoded; the image is then decoded
    whole (a truncated or forged file is refused), never trusting its name or declared type."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise LogoRefused.field("logo", "choose a PNG or JPEG file")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused.field("logo", f"is larger than {LOGO_MAX_BYTES // 1024} KB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                width, height = image.size
                if width < 1 or height < 1 or width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                    raise LogoRefused.field("logo", f"must be at most {LOGO_MAX_SIDE} x {LOGO_MAX_SIDE} pixels")
                if width * height > LOGO_MAX_PIXELS:
                    raise LogoRefused.field("logo", f"must be at most {LOGO_MAX_SIDE} x {LOGO_MAX_SIDE} pixels")
                image.load()  # every pixel: a truncated or corrupt file fails here
                converted = image.convert("RGBA")
    except LogoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        raise LogoRefused.field("logo", "is not a PNG or JPEG image that can be read") from None
    converted.thumbnail((LOGO_STORED_SIDE, LOGO_STORED_SIDE))
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue(), converted.width, converted.height


def put_logo(session: TenantSession, data: bytes) -> BusinessProfile:
    png, width, height = decode_logo(data)
    row = _row(session)
    row.logo_png, row.logo_width, row.logo_height, row.logo_updated_at = png, width, height, utcnow()
    session.flush()
    return row


def delete_logo(session: TenantSession) -> None:
    row = find(session)
    if row is not None:
        row.logo_png, row.logo_width, row.logo_height, row.logo_updated_at = None, None, None, None
        session.flush()
