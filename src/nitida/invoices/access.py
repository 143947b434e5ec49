"""Who may do what with invoices and numbering resolutions."""

from nitida.core.access import ADMIN_ONLY, EVERYONE, WRITERS, AccessRules

# Everyone reads; ADMIN and OPERADOR write drafts, issue and record payments; only ADMIN voids.
INVOICES = AccessRules("invoices", read=EVERYONE, write=WRITERS, void=ADMIN_ONLY)
RESOLUTIONS = AccessRules("resolutions", read=EVERYONE, manage=ADMIN_ONLY)
