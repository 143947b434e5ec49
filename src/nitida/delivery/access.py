"""Who may see and act on a document's delivery to the DIAN and the buyer."""

from nitida.core.access import ADMIN_ONLY, EVERYONE, WRITERS, AccessRules

# Everyone reads the DIAN's answer, the container and the PDF; ADMIN and OPERADOR mail the buyer again;
# only ADMIN sends a document to the DIAN again (after fixing what it rejected).
DELIVERY = AccessRules("delivery", read=EVERYONE, email=WRITERS, resend=ADMIN_ONLY)
