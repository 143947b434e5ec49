"""The demo tenant: three logins (one per role) and a few dozen real-looking customers."""

from __future__ import annotations

import uuid

from nitida.auth.principal import Principal
from nitida.auth.service import find_login
from nitida.core.db import Database
from nitida.customers import service as customers
from nitida.customers.identity import TipoDocumento
from nitida.customers.schemas import CustomerCreate
from nitida.demo.colombian_data import demo_customers
from nitida.tenants.schemas import TenantCreate
from nitida.tenants.service import add_tenant
from nitida.users import service as users
from nitida.users.models import Role, User
from nitida.users.schemas import UserCreate

DEMO_PASSWORD = "Nitida2026!"
DEMO_LOGINS = [
    (Role.ADMIN, "admin@demo.nitida.co"),
    (Role.OPERADOR, "operador@demo.nitida.co"),
    (Role.CONSULTA, "consulta@demo.nitida.co"),
]


def seed_demo(db: Database) -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo tenant unless it exists. Returns (created, logins)."""
    logins = [(role.value, email, DEMO_PASSWORD) for role, email in DEMO_LOGINS]
    admin_email = DEMO_LOGINS[0][1]
    with db.login_session(admin_email) as session:
        if find_login(db, session, admin_email) is not None:
            return False, logins
    # One transaction: a crash half-way leaves no half-made demo behind.
    with db.unit_of_work(uuid.uuid4()) as session:
        created = add_tenant(
            session,
            TenantCreate(
                name="Papelería Nítida Demo S.A.S.",
                nit="901234567",
                admin_email=admin_email,
                admin_password=DEMO_PASSWORD,
                admin_name="Ana Peñalosa",
            ),
        )
        admin = session.get(User, (created.tenant_id, created.admin_user_id))
        for role, email in DEMO_LOGINS[1:]:
            name = "Óscar Muñoz" if role is Role.OPERADOR else "Lucía Ibáñez"
            users.create_user(session, UserCreate(email=email, name=name, password=DEMO_PASSWORD, role=role))
        actor = Principal(
            user_id=admin.id, tenant_id=admin.tenant_id, email=admin.email, name=admin.name, role=admin.role
        )
        for fake in demo_customers():
            customers.create_customer(
                session,
                actor,
                CustomerCreate(
                    razon_social=fake.razon_social,
                    nit=fake.nit,
                    tipo_documento=TipoDocumento(fake.tipo_documento),
                    email=fake.email,
                    telefono=fake.telefono,
                    direccion=fake.direccion,
                ),
            )
    return True, logins
