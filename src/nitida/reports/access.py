"""Who may read the receivables reports: every role (they change nothing)."""

from nitida.core.access import EVERYONE, AccessRules

REPORTS = AccessRules("reports", read=EVERYONE)
