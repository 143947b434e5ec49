"""The product's role contract, as the domains declare it.

The role matrix proves every endpoint enforces its domain's declaration; this
pins the declarations themselves to the contract users rely on
(../shared/spec/customers-api.md for customers; the README for the rest), so
loosening a rule is a visible, deliberate change.
"""

from __future__ import annotations

from nitida.auth.access import ME
from nitida.customers.access import CUSTOMERS
from nitida.invoices.access import INVOICES, RESOLUTIONS
from nitida.jobs.access import JOBS
from nitida.reports.access import REPORTS
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
