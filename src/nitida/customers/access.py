"""Who may do what with customers."""

from nitida.core.access import ADMIN_ONLY, EVERYONE, WRITERS, AccessRules

# "import" (a keyword, hence the dict): loading customers from a file, as writers do one by one.
CUSTOMERS = AccessRules("customers", read=EVERYONE, write=WRITERS, delete=ADMIN_ONLY, **{"import": WRITERS})
