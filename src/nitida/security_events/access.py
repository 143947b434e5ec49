"""Who may read the security events."""

from nitida.core.access import ADMIN_ONLY, AccessRules

SECURITY_EVENTS = AccessRules("security_events", read=ADMIN_ONLY)
