"""Who may do what with a tenant's users: only its ADMINs."""

from nitida.auth.access import ADMIN_ONLY, AccessRules

USERS = AccessRules("users", manage=ADMIN_ONLY)
