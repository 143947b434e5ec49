"""Access rules: each domain declares once who may do what.

A domain module builds one ``AccessRules`` (``CUSTOMERS = AccessRules("customers",
read=EVERYONE, write=WRITERS, delete=ADMIN_ONLY)``); its endpoints guard
themselves with those rules (see auth.dependencies.guard), the pages hide
buttons with ``rules.allows(action, role)``, and the role-matrix test reads
the same declaration from the served routes. Nothing else lists roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nitida.auth.principal import Role

EVERYONE = frozenset(Role)
WRITERS = frozenset({Role.ADMIN, Role.OPERADOR})
ADMIN_ONLY = frozenset({Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Rule:
    """One action of one domain and the roles allowed to do it."""

    domain: str
    action: str
    roles: frozenset[Role]

    def allows(self, role: Role) -> bool:
        return role in self.roles


class AccessRules:
    """The actions of one domain (read, write, delete, void, ...) and their roles."""

    def __init__(self, domain: str, **actions: Iterable[Role]) -> None:
        self.domain = domain
        self._rules = {action: Rule(domain, action, frozenset(roles)) for action, roles in actions.items()}

    def __getitem__(self, action: str) -> Rule:
        return self._rules[action]

    def allows(self, action: str, role: Role) -> bool:
        return self._rules[action].allows(role)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules.values())


# The caller's own profile (GET /auth/me).
ME = AccessRules("me", read=EVERYONE)
