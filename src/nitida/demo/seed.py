"""The demo tenant: three logins (one per role), a few dozen real-looking customers, and electronic
invoicing configured for the DIAN's habilitación environment (a self-signed test certificate generated
here, the DIAN's public test-set resolution), so the demo issues signed invoices out of the box, and a year
of history before today (nitida.demo.history: invoices, payments, notes, imported customers).

Its documents go to the DIAN simulada and its e-mails to the mail catcher (nitida.dian.simulated), never to
the DIAN: the demo shows the whole delivery, and a test set can never reach the real service by accident. Two
invoices are issued at once so the first look shows both answers: one under the test set, which the simulated
DIAN accepts, and one under a resolution the DIAN never authorised, which it rejects with its reasons."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from decimal import Decimal

from nitida import flows
from nitida.auth.service import find_login
from nitida.core.clock import bogota_today
from nitida.core.db import Database, TenantSession
from nitida.core.principal import Principal
from nitida.customers import search as customer_lists
from nitida.customers import service as customers
from nitida.customers.schemas import CustomerCreate
from nitida.demo import history
from nitida.demo.colombian_data import demo_customers
from nitida.demo.history import municipio_of
from nitida.einvoicing import certificates, configuration, documents
from nitida.einvoicing.schemas import ElectronicInvoicingWrite, IssuerWrite
from nitida.invoices import numbering
from nitida.invoices import service as invoices
from nitida.invoices.schemas import InvoiceCreate, LineIn, ResolutionCreate, TaxIn
from nitida.invoices.totals import TaxType
from nitida.tenants.schemas import TenantCreate
from nitida.tenants.service import add_tenant
from nitida.users import service as users
from nitida.users.models import Role, User
from nitida.users.schemas import UserCreate
from nitida.vocabulary.identity import TipoDocumento
from nitida.vocabulary.kinds import Environment, PersonType

DEMO_PASSWORD = "Nitida-demo-2026"
DEMO_LOGINS = [
    (Role.ADMIN, "admin@demo.nitida.co"),
    (Role.OPERADOR, "operador@demo.nitida.co"),
    (Role.CONSULTA, "consulta@demo.nitida.co"),
]


DEMO_NIT = "901234567"
# The DIAN's public habilitación data (../shared/dian/README.md): resolution, prefix, range, technical key.
TEST_SET_RESOLUTION = ResolutionCreate(
    resolution_number="18760000001",
    prefix="SETP",
    range_from=990000000,
    range_to=995000000,
    valid_from=dt.date(2019, 1, 19),
    valid_to=dt.date(2030, 1, 19),
    technical_key="fc8eac422eba16e22ffd8c6f94b3f40a6e38162c",
)
# Sample software values: a real tenant uses the SoftwareID and PIN it registered at the DIAN.
DEMO_SOFTWARE_ID = "56f2ae4e-9812-4fad-9255-08fcfcd5ccb0"
DEMO_SOFTWARE_PIN = "20191"
# A resolution the DIAN did not authorise (its technical key is made up): the DIAN rejects what is issued under it.
UNAUTHORISED_RESOLUTION = ResolutionCreate(
    resolution_number="18760000099",
    prefix="XNA",
    range_from=1,
    range_to=1000,
    valid_from=dt.date(2026, 1, 1),
    valid_to=dt.date(2030, 12, 31),
    technical_key="0" * 40,
)


def configure_electronic_invoicing(session: TenantSession, actor: Principal, secret_key: str) -> None:
    """Issuer data, a generated self-signed certificate and habilitación settings for the demo tenant."""
    configuration.put_issuer(
        session,
        actor,
        IssuerWrite(
            razon_social="Papelería Nítida Demo S.A.S.",
            nombre_comercial="Papelería Nítida",
            nit=DEMO_NIT,
            tipo_persona=PersonType.JURIDICA,
            responsabilidades_fiscales=["O-15"],
            tributo="01",
            actividad_economica=["4761"],
            direccion="Carrera 7 # 71-21 Oficina 502",
            municipio_codigo="11001",
            codigo_postal="110231",
            email="facturacion@demo.nitida.co",
            telefono="+57 601 5550101",
        ),
    )
    password = secrets.token_urlsafe(16)
    # Valid since before the demo's history (nitida.demo.history signs last year's documents on their dates).
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=history.MONTHS * 31 + 31)
    p12 = certificates.generate_self_signed_p12(
        "Papelería Nítida Demo S.A.S.", DEMO_NIT, password, days=730 + 400, not_before=since
    )
    configuration.put_settings(
        session,
        actor,
        ElectronicInvoicingWrite(
            environment=Environment.HABILITACION,
            software_id=DEMO_SOFTWARE_ID,
            software_pin=DEMO_SOFTWARE_PIN,
            test_set_id=None,
            certificate_p12=base64.b64encode(p12).decode("ascii"),
            certificate_password=password,
        ),
        secret_key=secret_key,
    )
    configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))
    numbering.create_resolution(session, actor, TEST_SET_RESOLUTION)


def issue_examples(session: TenantSession, actor: Principal, secret_key: str) -> None:
    """One invoice the simulated DIAN will accept and one it will reject (sent once the service runs)."""
    accepted_under = numbering.list_resolutions(session)[0]
    rejected_under = numbering.create_resolution(session, actor, UNAUTHORISED_RESOLUTION)
    buyers = [c for c in customer_lists.list_customers(session, None, None, 10, 0) if c.email][:2]
    for resolution, buyer, line in (
        (accepted_under, buyers[0], ("Resma de papel carta 75 g", "10", "11900.00")),
        (rejected_under, buyers[1], ("Cuaderno argollado 100 hojas", "5", "8500.00")),
    ):
        description, quantity, price = line
        draft = invoices.create_draft(
            session,
            actor,
            InvoiceCreate(
                customer_id=buyer.id,
                resolution_id=resolution.id,
                lines=[
                    LineIn(
                        description=description,
                        quantity=Decimal(quantity),
                        unit_price=Decimal(price),
                        taxes=[TaxIn(type=TaxType.IVA, rate=Decimal("19"))],
                    )
                ],
            ),
        )
        flows.issue_invoice(session, actor, draft, secret_key=secret_key)


def _principal(admin: User) -> Principal:
    return Principal(user_id=admin.id, tenant_id=admin.tenant_id, email=admin.email, name=admin.name, role=admin.role)


def seed_demo(db: Database, secret_key: str) -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo tenant unless it exists. Returns (created, logins).

    ``secret_key`` (NITIDA_SECRET_KEY) encrypts the demo's certificate and software PIN.
    """
    logins = [(role.value, email, DEMO_PASSWORD) for role, email in DEMO_LOGINS]
    admin_email = DEMO_LOGINS[0][1]
    with db.login_session(admin_email) as session:
        existing = find_login(db, session, admin_email)
    if existing is not None:
        # A demo made before the DIAN simulada existed sent to nowhere: point it there now.
        with db.unit_of_work(existing.claims.tenant_id) as session:
            settings = configuration.find_settings(session)
            if settings is not None and not settings.simulated and settings.environment is Environment.HABILITACION:
                admin = session.get(User, (existing.claims.tenant_id, existing.claims.user_id))
                assert admin is not None
                configuration.use_simulated_dian(session, _principal(admin), test_set_id=str(uuid.uuid4()))
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
        assert admin is not None  # added just above, in this transaction
        for role, email in DEMO_LOGINS[1:]:
            name = "Óscar Muñoz" if role is Role.OPERADOR else "Lucía Ibáñez"
            users.create_user(session, UserCreate(email=email, name=name, password=DEMO_PASSWORD, role=role))
        actor = _principal(admin)
        for fake in demo_customers():
            customers.create_customer(
                session,
                actor,
                CustomerCreate(
                    razon_social=fake.razon_social,
                    nit=fake.nit,
                    tipo_documento=TipoDocumento(fake.tipo_documento),
                    # The demo knows who its people are: a NIT without a company's legal form in its name is a
                    # persona natural with a RUT (the DIAN refuses a document whose buyer's type is a guess).
                    tipo_persona=documents.person_type_of(
                        TipoDocumento(fake.tipo_documento).codigo, None, fake.razon_social
                    )
                    or PersonType.NATURAL,
                    email=fake.email,
                    telefono=fake.telefono,
                    direccion=fake.direccion,
                    municipio_codigo=municipio_of(fake.direccion),
                ),
            )
        configure_electronic_invoicing(session, actor, secret_key)
        history.seed_history(session, actor, numbering.list_resolutions(session)[0], secret_key, bogota_today())
        issue_examples(session, actor, secret_key)
    return True, logins
