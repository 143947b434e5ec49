"""Expected outcomes of the role matrix (tests/test_role_matrix.py).

One row per operation of the served OpenAPI document: the roles allowed to
call it. An allowed caller gets a 2xx or a validation 4xx — never 401/403; a
valid token of any other role gets 403; no token, an expired token and a
deactivated user's token get 401 (PUBLIC operations ignore tokens).

An operation missing from this table fails the role matrix: a new endpoint
needs a row here. Exact rows win over the pattern rows below them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from fnmatch import fnmatchcase

from nitida.users.models import Role

ADMIN = frozenset({Role.ADMIN})
WRITERS = frozenset({Role.ADMIN, Role.OPERADOR})
EVERYONE = frozenset(Role)
PUBLIC = None  # no token needed

EXPECTED: dict[tuple[str, str], frozenset[Role] | None] = {
    ("POST", "/auth/login"): PUBLIC,
    ("GET", "/auth/me"): EVERYONE,
    ("GET", "/users"): ADMIN,
    ("POST", "/users"): ADMIN,
    ("GET", "/users/{user_id}"): ADMIN,
    ("PATCH", "/users/{user_id}"): ADMIN,
    ("GET", "/billing/customers"): EVERYONE,
    ("POST", "/billing/customers"): WRITERS,
    ("GET", "/billing/customers/{customer_id}"): EVERYONE,
    ("PATCH", "/billing/customers/{customer_id}"): WRITERS,
    ("DELETE", "/billing/customers/{customer_id}"): ADMIN,
    ("GET", "/billing/customers/{customer_id}/history"): EVERYONE,
}

# Invoicing (being built): everyone reads; ADMIN and OPERADOR write drafts,
# issue and record payments; only ADMIN voids and manages resolutions.
# Checked in order, first match wins; replace with exact rows once the paths settle.
PATTERNS: list[tuple[str, str, frozenset[Role] | None]] = [
    ("GET", "/billing/invoices*", EVERYONE),
    ("GET", "/billing/resolutions*", EVERYONE),
    ("*", "/billing/resolutions*", ADMIN),
    ("*", "/billing/invoices/*/void*", ADMIN),
    ("*", "/billing/invoices/*/anul*", ADMIN),
    ("*", "/billing/invoices*", WRITERS),
]

_MISSING = object()


def allowed_roles(method: str, path: str):
    """The roles allowed for (method, path); PUBLIC (None); or _MISSING."""
    if (method, path) in EXPECTED:
        return EXPECTED[(method, path)]
    for m, pattern, roles in PATTERNS:
        if fnmatchcase(method, m) and fnmatchcase(path, pattern):
            return roles
    return _MISSING


def is_listed(method: str, path: str) -> bool:
    return allowed_roles(method, path) is not _MISSING


# Request bodies for seeding and for the matrices, where the generic body
# built from the OpenAPI schema is not accepted (callable: receives the ApiWalker).
SEED_BODIES: dict = {
    ("POST", "/auth/login"): lambda w: {"email": w.handle.users[Role.CONSULTA].email, "password": _password()},
    # A resolution with room for many invoices (the generic body has a range of one number).
    ("POST", "/billing/resolutions"): lambda w: {
        "resolutionNumber": f"18760000{uuid.uuid4().int % 10**6:06d}",
        "prefix": "FE",
        "rangeFrom": 1,
        "rangeTo": 100000,
        "validFrom": (dt.date.today() - dt.timedelta(days=30)).isoformat(),
        "validTo": (dt.date.today() + dt.timedelta(days=365)).isoformat(),
    },
}


def _password() -> str:
    from conftest import PASSWORD

    return PASSWORD
