"""Creating a tenant together with its first ADMIN, atomically."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nitida.core.db import Database, TenantSession
from nitida.security_events import service as events
from nitida.security_events.models import SecurityEventType
from nitida.tenants.models import Tenant
from nitida.tenants.schemas import TenantCreate
from nitida.users import service as users
from nitida.users.models import Role
from nitida.users.schemas import UserCreate


@dataclass(frozen=True, slots=True)
class CreatedTenant:
    tenant_id: uuid.UUID
    admin_user_id: uuid.UUID


def create_tenant(db: Database, data: TenantCreate) -> CreatedTenant:
    """Create a tenant and its ADMIN in one transaction; on any error nothing is created."""
    with db.unit_of_work(uuid.uuid4()) as session:
        created = add_tenant(session, data)
    return created


def add_tenant(session: TenantSession, data: TenantCreate) -> CreatedTenant:
    """Add the session's tenant and its ADMIN, uncommitted: the caller may add more."""
    tenant_id = session.tenant_id
    session.add(Tenant(id=tenant_id, name=data.name, nit=data.nit))
    session.flush()
    admin = users.create_user(
        session,
        UserCreate(email=data.admin_email, name=data.admin_name, password=data.admin_password, role=Role.ADMIN),
        tenant_id=tenant_id,
    )
    session.flush()
    events.record(
        session,
        SecurityEventType.USER_CREATED,
        user_id=admin.id,
        user_email=admin.email,
        details={"role": Role.ADMIN.value, "with": "tenant"},
    )
    return CreatedTenant(tenant_id=tenant_id, admin_user_id=admin.id)
