"""Who may do what with a tenant's users: only its ADMINs."""

from nitida.core.access import ADMIN_ONLY, AccessRules

USERS = AccessRules("users", manage=ADMIN_ONLY)
