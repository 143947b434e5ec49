"""Who may see and retry background jobs."""

from nitida.core.access import ADMIN_ONLY, WRITERS, AccessRules

# ADMIN sees the queue and retries failures; OPERADOR follows a job it started (an import's progress).
JOBS = AccessRules("jobs", list=ADMIN_ONLY, read=WRITERS, retry=ADMIN_ONLY)
