"""A business's electronic-invoicing configuration: its issuer data (the seller on every document) and its
settings (environment, software, PIN, certificate, note numbering; the demo's DIAN simulada), secrets
encrypted at rest. Document assembly and signing are einvoicing.service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nitida.audit import service as audit
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import BadRequest, Conflict, FieldError, NotFound
from nitida.core.locks import advisory_xact_lock
from nitida.core.principal import Principal
from nitida.einvoicing import certificates, secrets_box
from nitida.einvoicing.models import ElectronicSettings, Issuer
from nitida.einvoicing.schemas import (
    CertificateRead,
    ElectronicInvoicingRead,
    ElectronicInvoicingWrite,
    IssuerRead,
    IssuerWrite,
)
from nitida.vocabulary.fiscal import place
from nitida.vocabulary.identity import InvalidIdentity, TipoDocumento, normalise
from nitida.vocabulary.kinds import Environment

ISSUER_ENTITY = "issuer"
SETTINGS_ENTITY = "electronic-invoicing"


def _lock_tenant_config(session: TenantSession) -> None:
    """Serialise the first PUT of a tenant's singleton rows (PostgreSQL; SQLite writers are serial)."""
    advisory_xact_lock(session, f"nitida:einvoicing-config:{session.tenant_id}")


# --- issuer ------------------------------------------------------------------------


def find_issuer(session: TenantSession) -> Issuer | None:
    return session.scalar(select(Issuer))


def issuer_read(issuer: Issuer) -> IssuerRead:
    municipio, departamento = place(issuer.municipio_codigo)
    return IssuerRead(
        razon_social=issuer.razon_social,
        nombre_comercial=issuer.nombre_comercial,
        nit=issuer.nit,
        dv=issuer.dv,
        tipo_persona=issuer.tipo_persona,
        responsabilidades_fiscales=list(issuer.responsabilidades_fiscales),
        tributo=issuer.tributo,
        actividad_economica=list(issuer.actividad_economica),
        direccion=issuer.direccion,
        municipio_codigo=issuer.municipio_codigo,
        municipio=municipio,
        departamento=departamento,
        codigo_postal=issuer.codigo_postal,
        email=issuer.email,
        telefono=issuer.telefono,
        updated_at=issuer.updated_at,
    )


def get_issuer(session: TenantSession) -> Issuer:
    issuer = find_issuer(session)
    if issuer is None:
        raise NotFound("The issuer's fiscal data is not configured yet: PUT /billing/issuer (ADMIN).")
    return issuer


def put_issuer(session: TenantSession, actor: Principal, data: IssuerWrite) -> Issuer:
    try:
        identity = normalise(TipoDocumento.NIT, data.nit)
    except InvalidIdentity as exc:
        raise BadRequest.field("nit", str(exc)) from None
    _lock_tenant_config(session)
    issuer = find_issuer(session)
    before = _audited_issuer(issuer) if issuer else {}
    now = utcnow()
    if issuer is None:
        issuer = Issuer(created_at=now, updated_at=now)
        session.add(issuer)
    values = data.model_dump(exclude={"nit"})
    values["tipo_persona"] = data.tipo_persona
    for name, value in values.items():
        setattr(issuer, name, value)
    issuer.nit, issuer.dv = identity.number, identity.dv or ""
    changes = audit.diff(before, _audited_issuer(issuer))
    if changes or not before:
        issuer.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            entity_type=ISSUER_ENTITY,
            entity_id=issuer.id,
            action="UPDATED" if before else "CREATED",
            changes=changes,
        )
    session.flush()
    return issuer


def _audited_issuer(issuer: Issuer) -> dict[str, Any]:
    return issuer_read(issuer).model_dump(mode="json", by_alias=True, exclude={"updated_at"})


# --- electronic-invoicing settings ----------------------------------------------------


def _context(session: TenantSession, field: str) -> str:
    return f"tenant:{session.tenant_id}:{field}"


def find_settings(session: TenantSession, *, for_update: bool = False) -> ElectronicSettings | None:
    stmt = select(ElectronicSettings)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def settings_read(row: ElectronicSettings) -> ElectronicInvoicingRead:
    return ElectronicInvoicingRead(
        environment=row.environment,
        simulated=bool(row.simulated),
        software_id=row.software_id,
        test_set_id=row.test_set_id,
        certificate=CertificateRead(
            subject=row.certificate_subject,
            serial_number=row.certificate_serial_number,
            expires_at=row.certificate_expires_at,
        ),
        credit_note_prefix=row.credit_note_prefix,
        debit_note_prefix=row.debit_note_prefix,
        next_credit_note=row.next_credit_note,
        next_debit_note=row.next_debit_note,
        updated_at=row.updated_at,
    )


def get_settings_row(session: TenantSession) -> ElectronicSettings:
    row = find_settings(session)
    if row is None:
        raise NotFound(
            "Electronic invoicing is not configured for this business: PUT /billing/electronic-invoicing (ADMIN)."
        )
    return row


def put_settings(
    session: TenantSession, actor: Principal, data: ElectronicInvoicingWrite, *, secret_key: str
) -> ElectronicSettings:
    """Create or replace the settings. A new certificate is opened (and checked) before anything is stored."""
    if data.credit_note_prefix == data.debit_note_prefix:
        raise BadRequest.field("debitNotePrefix", "must differ from creditNotePrefix")
    _lock_tenant_config(session)
    row = find_settings(session, for_update=True)
    if row is None:
        missing = [
            name
            for name, value in (
                ("softwarePin", data.software_pin),
                ("certificateP12", data.certificate_p12),
                ("certificatePassword", data.certificate_password),
            )
            if value is None
        ]
        if missing:
            message = "is required the first time electronic invoicing is configured"
            raise BadRequest(
                "; ".join(f"{m}: {message}" for m in missing),
                errors=[FieldError(field=m, message=message) for m in missing],
            )
    if (data.certificate_p12 is None) != (data.certificate_password is None):
        field = "certificatePassword" if data.certificate_password is None else "certificateP12"
        raise BadRequest.field(field, "certificateP12 and certificatePassword are sent together")
    certificate = None
    if data.certificate_p12 is not None:
        try:
            certificate = certificates.load_p12(data.certificate_p12, data.certificate_password or "")
        except certificates.CertificateError as exc:
            raise BadRequest.field("certificateP12", str(exc)) from None
    now = utcnow()
    before = _audited_settings(row) if row else {}
    if row is None:
        row = ElectronicSettings(next_credit_note=1, next_debit_note=1, created_at=now)
        session.add(row)
    row.environment = data.environment
    if data.environment is Environment.PRODUCCION:
        row.simulated = False  # production documents go to the DIAN, always
    row.software_id = data.software_id
    row.test_set_id = data.test_set_id
    row.credit_note_prefix = data.credit_note_prefix
    row.debit_note_prefix = data.debit_note_prefix
    if data.software_pin is not None:
        row.software_pin_encrypted = secrets_box.encrypt(
            secret_key, data.software_pin, _context(session, "softwarePin")
        )
    if certificate is not None and data.certificate_p12 is not None:
        raw = certificates._p12_bytes(data.certificate_p12)
        row.certificate_encrypted = secrets_box.encrypt(secret_key, raw, _context(session, "certificateP12"))
        row.certificate_password_encrypted = secrets_box.encrypt(
            secret_key, data.certificate_password or "", _context(session, "certificatePassword")
        )
        row.certificate_subject = certificate.subject[:500]
        row.certificate_serial_number = certificate.serial_number[:100]
        row.certificate_expires_at = certificate.not_after
    row.updated_at = now
    session.flush()
    after = _audited_settings(row)
    changes = audit.diff(before, after)
    # Secrets are never written to the audit trail; that they changed is.
    if data.software_pin is not None:
        changes["softwarePin"] = {"from": None, "to": "(changed)"}
    if certificate is not None:
        changes["certificatePassword"] = {"from": None, "to": "(changed)"}
    audit.record(
        session,
        actor,
        entity_type=SETTINGS_ENTITY,
        entity_id=row.id,
        action="UPDATED" if before else "CREATED",
        changes=changes,
    )
    return row


def use_simulated_dian(session: TenantSession, actor: Principal, test_set_id: str) -> ElectronicSettings:
    """The demo tenant's documents go to the DIAN simulada and its e-mails to the mail catcher (`nitida demo`)."""
    row = get_settings_row(session)
    if row.environment is not Environment.HABILITACION:
        raise Conflict("The simulated DIAN is for habilitación only.", slug="simulated-dian-production")
    before = _audited_settings(row)
    row.simulated = True
    row.test_set_id = row.test_set_id or test_set_id
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        entity_type=SETTINGS_ENTITY,
        entity_id=row.id,
        action="UPDATED",
        changes=audit.diff(before, _audited_settings(row)),
    )
    return row


def _audited_settings(row: ElectronicSettings) -> dict[str, Any]:
    return settings_read(row).model_dump(mode="json", by_alias=True, exclude={"updated_at"})
