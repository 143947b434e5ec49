"""Every capability's models, imported so the metadata (and Alembic) sees them all."""

from nitida.audit.models import AuditEvent  # noqa: F401
from nitida.auth.models import LoginThrottle  # noqa: F401
from nitida.core.db import Base
from nitida.customers.models import Customer, CustomerImportFile  # noqa: F401
from nitida.delivery.models import Delivery, FileCounter, RejectedVersion, SimulatedMail  # noqa: F401
from nitida.einvoicing.models import ElectronicSettings, InvoiceNote, Issuer  # noqa: F401
from nitida.invoices.business import BusinessProfile  # noqa: F401
from nitida.invoices.models import Invoice, InvoiceLine, InvoicePayment, NumberingResolution  # noqa: F401
from nitida.jobs.models import Job  # noqa: F401
from nitida.security_events.models import SecurityEvent  # noqa: F401
from nitida.tenants.models import Tenant  # noqa: F401
from nitida.users.models import PasswordLink, User  # noqa: F401
from nitida.web.models import WebSession  # noqa: F401

metadata = Base.metadata
