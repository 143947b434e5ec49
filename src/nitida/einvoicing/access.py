"""Who may do what with the tenant's fiscal data, its electronic-invoicing settings and the notes."""

from nitida.core.access import ADMIN_ONLY, EVERYONE, WRITERS, AccessRules

# Everyone reads the issuer's data; only ADMIN changes it.
ISSUER = AccessRules("issuer", read=EVERYONE, manage=ADMIN_ONLY)
# The settings as shown never carry a secret (PIN, key, password), so every role may read them.
ELECTRONIC_INVOICING = AccessRules("electronic-invoicing", read=EVERYONE, configure=ADMIN_ONLY)
# Credit and debit notes: everyone reads them and their XML; ADMIN and OPERADOR issue them.
NOTES = AccessRules("notes", read=EVERYONE, write=WRITERS)
