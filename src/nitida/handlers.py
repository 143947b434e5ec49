"""Every background-job handler of the application, imported so that a worker
knows them all (as migrations/models.py does for the models)."""

import nitida.customers.jobs  # noqa: F401
from nitida.delivery import jobs as delivery_jobs  # noqa: F401
from nitida.reports import jobs as reports_jobs  # noqa: F401
