"""Access rules: each domain declares once who may do what.

A domain module builds one ``AccessRules`` (``CUSTOMERS = AccessRules("customers",
read=EVERYONE, write=WRITERS, delete=ADMIN_ONLY)``); its endpoints guard
themselves with those rules (``guard(CUSTOMERS["write"])``, auth.dependencies),
the pages with the same ones (``ctx.require(CUSTOMERS, "write")``, web.deps), and
both read one ``Rule`` and refuse through ``Rule.check``: one vocabulary, one 403.
The pages hide buttons with ``ctx.can(CUSTOMERS, "write")`` (``Rule.allows``), and
the role-matrix test reads the same declaration from the served routes. Nothing
else lists roles.

A guarded API endpoint, or a page's POST, whose rule was never checked does not
commit (``RuleNotChecked``): forgetting the check cannot write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nitida.core.errors import Forbidden
from nitida.core.principal import Role

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

    def check(self, role: Role) -> None:
        """403 unless ``role`` may: the one refusal of the API's guards and of the pages."""
        if role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"This action needs the role {allowed}; you are {role.value}.")


class RuleNotChecked(RuntimeError):
    """A guarded endpoint, or a page's POST, returned without checking its access
    rule: its unit of work rolls back instead of committing (a 500, a bug to fix)."""


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
