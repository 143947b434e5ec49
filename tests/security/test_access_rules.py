"""The product's role contract, as the domains declare it.

The role matrix proves every endpoint enforces its domain's declaration; this
pins the declarations themselves to the contract users rely on
(../shared/spec/customers-api.md for customers; the README for the rest), so
loosening a rule is a visible, deliberate change.
"""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts

from fixtures.common import SECRET
from nitida.auth.dependencies import route_rule
from nitida.core.access import ME
from nitida.core.settings import Settings
from nitida.customers.access import CUSTOMERS
from nitida.delivery.access import DELIVERY
from nitida.einvoicing.access import ELECTRONIC_INVOICING, ISSUER, NOTES
from nitida.invoices.access import INVOICES, RESOLUTIONS
from nitida.jobs.access import JOBS
from nitida.main import create_app
from nitida.reports.access import REPORTS
from nitida.security_events.access import SECURITY_EVENTS
from nitida.users.access import USERS
from nitida.users.models import Role

A, O, C = Role.ADMIN, Role.OPERADOR, Role.CONSULTA


def roles(rules) -> dict[str, set[Role]]:
    return {rule.action: set(rule.roles) for rule in rules.rules}


def test_customers():
    assert roles(CUSTOMERS) == {"read": {A, O, C}, "write": {A, O}, "delete": {A}, "import": {A, O}}


def test_invoices_and_resolutions():
    assert roles(INVOICES) == {"read": {A, O, C}, "write": {A, O}, "void": {A}}
    assert roles(RESOLUTIONS) == {"read": {A, O, C}, "manage": {A}}


def test_users_jobs_and_me():
    assert roles(USERS) == {"manage": {A}}
    assert roles(JOBS) == {"list": {A}, "read": {A, O}, "retry": {A}}
    assert roles(ME) == {"read": {A, O, C}}


def test_reports():
    assert roles(REPORTS) == {"read": {A, O, C}}


def test_security_events():
    assert roles(SECURITY_EVENTS) == {"read": {A}}


def test_electronic_invoicing():
    assert roles(ISSUER) == {"read": {A, O, C}, "manage": {A}}
    # what GET shows carries no secret (PIN, key, password), so every role reads it
    assert roles(ELECTRONIC_INVOICING) == {"read": {A, O, C}, "configure": {A}}
    assert roles(NOTES) == {"read": {A, O, C}, "write": {A, O}}


def test_delivery():
    # the DIAN's answer, the container and the PDF for everyone; mailing again for writers; resending: ADMIN
    assert roles(DELIVERY) == {"read": {A, O, C}, "email": {A, O}, "resend": {A}}


# Which action guards each operation: moving an endpoint to a looser action
# (say, retry guarded by "read") fails here, not only where a test happens to look.
ROUTE_ACTIONS = {
    ("GET", "/auth/me"): "me.read",
    ("GET", "/users"): "users.manage",
    ("POST", "/users"): "users.manage",
    ("GET", "/users/{user_id}"): "users.manage",
    ("PATCH", "/users/{user_id}"): "users.manage",
    ("GET", "/billing/customers"): "customers.read",
    ("POST", "/billing/customers"): "customers.write",
    ("GET", "/billing/customers/{customer_id}"): "customers.read",
    ("PATCH", "/billing/customers/{customer_id}"): "customers.write",
    ("DELETE", "/billing/customers/{customer_id}"): "customers.delete",
    ("GET", "/billing/customers/{customer_id}/history"): "customers.read",
    ("GET", "/billing/resolutions"): "resolutions.read",
    ("POST", "/billing/resolutions"): "resolutions.manage",
    ("GET", "/billing/resolutions/{resolution_id}"): "resolutions.read",
    ("PATCH", "/billing/resolutions/{resolution_id}"): "resolutions.manage",
    ("GET", "/billing/invoices"): "invoices.read",
    ("POST", "/billing/invoices"): "invoices.write",
    ("GET", "/billing/invoices/{invoice_id}"): "invoices.read",
    ("PATCH", "/billing/invoices/{invoice_id}"): "invoices.write",
    ("DELETE", "/billing/invoices/{invoice_id}"): "invoices.write",
    ("POST", "/billing/invoices/{invoice_id}/issue"): "invoices.write",
    ("POST", "/billing/invoices/{invoice_id}/payments"): "invoices.write",
    ("POST", "/billing/invoices/{invoice_id}/void"): "invoices.void",
    ("GET", "/billing/invoices/{invoice_id}/history"): "invoices.read",
    ("GET", "/billing/invoices/{invoice_id}/xml"): "invoices.read",
    ("GET", "/billing/issuer"): "issuer.read",
    ("PUT", "/billing/issuer"): "issuer.manage",
    ("GET", "/billing/electronic-invoicing"): "electronic-invoicing.read",
    ("PUT", "/billing/electronic-invoicing"): "electronic-invoicing.configure",
    ("POST", "/billing/invoices/{invoice_id}/credit-notes"): "notes.write",
    ("POST", "/billing/invoices/{invoice_id}/debit-notes"): "notes.write",
    ("GET", "/billing/credit-notes"): "notes.read",
    ("GET", "/billing/credit-notes/{note_id}"): "notes.read",
    ("GET", "/billing/credit-notes/{note_id}/xml"): "notes.read",
    ("GET", "/billing/debit-notes"): "notes.read",
    ("GET", "/billing/debit-notes/{note_id}"): "notes.read",
    ("GET", "/billing/debit-notes/{note_id}/xml"): "notes.read",
    ("GET", "/billing/invoices/{invoice_id}/dian-messages"): "delivery.read",
    ("POST", "/billing/invoices/{invoice_id}/resend"): "delivery.resend",
    ("GET", "/billing/invoices/{invoice_id}/attached-document"): "delivery.read",
    # Issue 25: a rejected invoice corrected and sent again under its number; the rejected versions kept.
    ("POST", "/billing/invoices/{invoice_id}/correction"): "invoices.write",
    ("GET", "/billing/invoices/{invoice_id}/rejected-versions"): "delivery.read",
    ("GET", "/billing/invoices/{invoice_id}/rejected-versions/{version_id}/xml"): "delivery.read",
    ("GET", "/billing/invoices/{invoice_id}/pdf"): "delivery.read",
    ("POST", "/billing/invoices/{invoice_id}/email"): "delivery.email",
    ("GET", "/billing/credit-notes/{note_id}/pdf"): "delivery.read",
    ("GET", "/billing/debit-notes/{note_id}/pdf"): "delivery.read",
    ("GET", "/jobs"): "jobs.list",
    ("GET", "/jobs/{job_id}"): "jobs.read",
    ("POST", "/jobs/{job_id}/retry"): "jobs.retry",
    ("GET", "/security-events"): "security_events.read",
    ("GET", "/billing/customers/export"): "customers.read",
    ("POST", "/billing/customers/import"): "customers.import",
    ("GET", "/billing/reports/aging"): "reports.read",
    ("GET", "/billing/customers/{customer_id}/statement"): "reports.read",
    ("GET", "/billing/payments"): "reports.read",
    ("GET", "/billing/reports/summary"): "reports.read",
}


def test_each_operation_is_guarded_by_its_action():
    served = {}
    for context in iter_route_contexts(create_app(Settings(database_url="sqlite://", secret_key=SECRET)).routes):
        if isinstance(context.original_route, APIRoute):
            rule = route_rule(context.original_route)
            for method in context.methods or ():
                if rule is not None:
                    served[(method, context.path)] = f"{rule.domain}.{rule.action}"
    assert served == ROUTE_ACTIONS
