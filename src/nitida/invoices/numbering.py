"""DIAN numbering resolutions, and taking the next consecutive of one.

Gap-free numbering: the issuing transaction locks the resolution row
(SELECT … FOR UPDATE on PostgreSQL; on SQLite every write transaction holds
the database lock from BEGIN IMMEDIATE), takes ``next_number``, increments it
and commits together with the invoice. A transaction that fails rolls the
increment back with it, so no number is ever skipped or given twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from nitida.audit import service as audit
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import BadRequest, Conflict
from nitida.core.ids import get_or_404
from nitida.core.locks import advisory_xact_lock
from nitida.core.principal import Principal
from nitida.core.schemas import refuse_nulls
from nitida.invoices.models import Invoice, NumberingResolution
from nitida.invoices.schemas import TEST_SET_RESOLUTION_NUMBER, ResolutionCreate, ResolutionUpdate
from nitida.vocabulary.kinds import Environment

ENTITY = "resolution"


def list_resolutions(session: TenantSession) -> list[NumberingResolution]:
    return list(
        session.scalars(
            select(NumberingResolution).order_by(
                NumberingResolution.prefix, NumberingResolution.range_from, NumberingResolution.id
            )
        )
    )


def find_resolution(
    session: TenantSession, resolution_id: uuid.UUID, *, for_update: bool = False
) -> NumberingResolution | None:
    stmt = select(NumberingResolution).where(NumberingResolution.id == resolution_id)
    if for_update:
        # FOR NO KEY UPDATE: excludes other issuers, but not drafts whose foreign
        # key merely points at the row. populate_existing: the row as it is now,
        # after the lock, not as this session first saw it.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.scalar(stmt)


def get_resolution(session: TenantSession, raw_id: str, *, for_update: bool = False) -> NumberingResolution:
    return get_or_404(session, NumberingResolution, raw_id, "Resolution", for_update=for_update)


def _lock_prefix(session: TenantSession, prefix: str) -> None:
    """Serialise range checks of one tenant's prefix."""
    advisory_xact_lock(session, f"nitida:resolution-range:{session.tenant_id}:{prefix}")


def _lock_prefixes(session: TenantSession) -> None:
    """Serialise the registering of new prefixes within one tenant (see _check_prefix_distinct)."""
    advisory_xact_lock(session, f"nitida:resolution-prefixes:{session.tenant_id}")


def _extends(longer: str, shorter: str) -> bool:
    """``longer`` is ``shorter`` followed by digits only ("FE1" extends "FE"; "FE1A" does not)."""
    return len(longer) > len(shorter) and longer.startswith(shorter) and longer[len(shorter) :].isdigit()


def _check_prefix_distinct(session: TenantSession, prefix: str) -> None:
    """400 when ``prefix`` and another prefix of the tenant can spell the same number.

    A number is prefix + consecutive, so "FE" + "11" and "FE1" + "1" are both
    FE11: once one of them is issued the other resolution would fail on every
    issue. Refused when one prefix is the other followed by digits only.
    The caller holds _lock_prefixes.
    """
    others = session.scalars(select(NumberingResolution.prefix).where(NumberingResolution.prefix != prefix).distinct())
    for other in others:
        if _extends(prefix, other) or _extends(other, prefix):
            shorter, longer = sorted((prefix, other), key=len)
            digits = longer[len(shorter) :]
            if not shorter:  # numbering without a prefix (issue 25): the number is the consecutive alone
                raise BadRequest.field(
                    "prefix",
                    f"The prefix {longer} is digits only and another resolution numbers without a prefix: "
                    f"{longer}1 could be either's invoice number. A prefix may not be another prefix followed by "
                    "digits.",
                )
            example = (
                f" ({shorter} with consecutive {digits}1 and {longer} with consecutive 1 are both {longer}1)"
                if not digits.startswith("0")
                else ""
            )
            raise BadRequest.field(
                "prefix",
                f"The prefix {prefix} clashes with the prefix {other} of another resolution: {longer} is "
                f"{shorter} followed by digits, so both could give the same invoice number{example}. "
                "A prefix may not be another prefix followed by digits.",
            )


def _check_no_overlap(
    session: TenantSession, prefix: str, start: int, end: int, *, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(NumberingResolution).where(
        NumberingResolution.prefix == prefix,
        NumberingResolution.range_from <= end,
        NumberingResolution.range_to >= start,
    )
    if exclude is not None:
        stmt = stmt.where(NumberingResolution.id != exclude)
    other = session.scalars(stmt.limit(1)).first()
    if other is not None:
        raise BadRequest.field(
            "rangeFrom" if exclude is None else "rangeTo",
            f"The range {prefix} {start}-{end} overlaps resolution {other.resolution_number} "
            f"({prefix} {other.range_from}-{other.range_to}); ranges of one prefix may not overlap.",
        )


def _audited(r: NumberingResolution) -> dict[str, Any]:
    return {
        "resolutionNumber": r.resolution_number,
        "prefix": r.prefix,
        "rangeFrom": r.range_from,
        "rangeTo": r.range_to,
        "validFrom": r.valid_from.isoformat(),
        "validTo": r.valid_to.isoformat(),
        "technicalKey": r.technical_key,
        "environment": r.environment.value if r.environment else None,
    }


def create_resolution(
    session: TenantSession, actor: Principal, data: ResolutionCreate, *, environment: Environment | None = None
) -> NumberingResolution:
    """``environment``: the business's current one (flows.register_resolution), for a body that names none."""
    _lock_prefixes(session)
    _check_prefix_distinct(session, data.prefix)
    _lock_prefix(session, data.prefix)
    _check_no_overlap(session, data.prefix, data.range_from, data.range_to)
    now = utcnow()
    resolution = NumberingResolution(
        resolution_number=data.resolution_number,
        prefix=data.prefix,
        range_from=data.range_from,
        range_to=data.range_to,
        next_number=data.range_from,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        technical_key=data.technical_key,
        environment=resolution_environment(data, environment),
        created_at=now,
        updated_at=now,
    )
    session.add(resolution)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=resolution.id,
        action="CREATED",
        changes=audit.diff({}, _audited(resolution)),
    )
    return resolution


def resolution_environment(data: ResolutionCreate, current: Environment | None) -> Environment:
    """The body's environment, else the business's current one; the DIAN's test set is always habilitación."""
    if data.resolution_number == TEST_SET_RESOLUTION_NUMBER:
        return Environment.HABILITACION
    return data.environment or current or Environment.HABILITACION


def update_resolution(
    session: TenantSession, actor: Principal, resolution: NumberingResolution, data: ResolutionUpdate
) -> NumberingResolution:
    refuse_nulls(data, "valid_to", "range_to")
    fields = data.model_dump(exclude_unset=True)
    before = _audited(resolution)
    if "valid_to" in fields:
        if fields["valid_to"] < resolution.valid_from:
            raise BadRequest.field("validTo", f"must not be before validFrom ({resolution.valid_from.isoformat()})")
        last_issue = _last_issue_date(session, resolution)
        if last_issue is not None and fields["valid_to"] < last_issue:
            raise Conflict(
                f"validTo {fields['valid_to'].isoformat()} is before {last_issue.isoformat()}, when an invoice was "
                "already issued under this resolution: an issued invoice must stay within its resolution's validity.",
                slug="resolution-valid-to-before-issued",
            )
        resolution.valid_to = fields["valid_to"]
    if "range_to" in fields:
        new_to = fields["range_to"]
        used_up_to = resolution.next_number - 1
        if new_to < resolution.range_from:
            raise BadRequest.field("rangeTo", f"must be at least rangeFrom ({resolution.range_from})")
        if new_to < used_up_to:
            raise BadRequest.field(
                "rangeTo", f"must be at least {used_up_to}: the numbers up to {used_up_to} are already used"
            )
        if new_to > resolution.range_to:
            _lock_prefix(session, resolution.prefix)
            _check_no_overlap(session, resolution.prefix, resolution.range_from, new_to, exclude=resolution.id)
        resolution.range_to = new_to
    if "technical_key" in fields and fields["technical_key"] != resolution.technical_key:
        if resolution.next_number > resolution.range_from:
            raise Conflict(
                "The technicalKey cannot change once an invoice has been issued under this resolution: "
                "the issued invoices were signed with it. Register a new resolution instead.",
                slug="resolution-technical-key-in-use",
            )
        resolution.technical_key = fields["technical_key"]
    if (
        "environment" in fields
        and fields["environment"] is not None
        and fields["environment"] != resolution.environment
    ):
        if resolution.next_number > resolution.range_from:
            raise Conflict(
                "The environment cannot change once an invoice has been numbered under this resolution. "
                "Register the resolution of the other environment instead.",
                slug="resolution-environment-in-use",
            )
        if (
            fields["environment"] is Environment.PRODUCCION
            and resolution.resolution_number == TEST_SET_RESOLUTION_NUMBER
        ):
            raise BadRequest.field(
                "environment",
                f"resolution {TEST_SET_RESOLUTION_NUMBER} is the DIAN's habilitación test set: it is for HABILITACION "
                "only",
            )
        resolution.environment = fields["environment"]
    changes = audit.diff(before, _audited(resolution))
    if changes:
        resolution.updated_at = utcnow()
        audit.record(session, actor, entity_type=ENTITY, entity_id=resolution.id, action="UPDATED", changes=changes)
    session.flush()
    return resolution


def _last_issue_date(session: TenantSession, resolution: NumberingResolution) -> date | None:
    """The latest issue date of the invoices numbered under ``resolution`` (voided ones too: they keep their number)."""
    return session.scalar(select(func.max(Invoice.issue_date)).where(Invoice.resolution_id == resolution.id))


def take_next_number(resolution: NumberingResolution, on: date) -> tuple[int, str]:
    """The next consecutive and the full number; the caller holds the row lock.

    409 when the resolution does not cover ``on`` or its range is used up,
    saying which.
    """
    label = f"Resolution {resolution.resolution_number} (prefix {resolution.prefix})"
    if not (resolution.valid_from <= on <= resolution.valid_to):
        raise Conflict(
            f"{label} is not valid on {on.isoformat()}: it is valid from "
            f"{resolution.valid_from.isoformat()} to {resolution.valid_to.isoformat()}. "
            "Choose another resolution for the draft or register a current one.",
            slug="resolution-not-valid",
        )
    if resolution.next_number > resolution.range_to:
        raise Conflict(
            f"{label} has used up its range {resolution.range_from}-{resolution.range_to}: "
            "no numbers remain. Register a new resolution and choose it for the draft.",
            slug="resolution-range-used-up",
        )
    consecutive = resolution.next_number
    resolution.next_number = consecutive + 1
    resolution.updated_at = utcnow()
    return consecutive, f"{resolution.prefix}{consecutive}"


# --- a resolution running out ------------------------------------------------------------------

LOW_SHARE = 10  # fewer than 1/10 of the range left: running low
ENDING_DAYS = 30  # valid for fewer than this many days more: ending


@dataclass(frozen=True, slots=True)
class Outlook:
    """What a person issuing under a resolution should know, as facts (the pages word them)."""

    remaining: int
    size: int
    exhausted: bool
    running_low: bool  # numbers left, fewer than 1/LOW_SHARE of the range
    expired: bool
    not_yet_valid: bool
    days_left: int | None  # valid today and ending within ENDING_DAYS days: how many are left


def outlook(resolution: NumberingResolution, today: date) -> Outlook:
    size = resolution.range_to - resolution.range_from + 1
    expired = resolution.valid_to < today
    not_yet_valid = resolution.valid_from > today
    days = (resolution.valid_to - today).days
    return Outlook(
        remaining=resolution.remaining,
        size=size,
        exhausted=resolution.remaining == 0,
        running_low=0 < resolution.remaining and resolution.remaining * LOW_SHARE < size,
        expired=expired,
        not_yet_valid=not_yet_valid,
        days_left=days if not expired and not not_yet_valid and days < ENDING_DAYS else None,
    )
