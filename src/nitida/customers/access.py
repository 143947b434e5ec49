"""Who may do what with customers."""

from nitida.auth.access import ADMIN_ONLY, EVERYONE, WRITERS, AccessRules

CUSTOMERS = AccessRules("customers", read=EVERYONE, write=WRITERS, delete=ADMIN_ONLY)
