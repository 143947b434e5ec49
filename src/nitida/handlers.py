"""Every background-job handler of the application, imported so that a worker
knows them all (as migrations/models.py does for the models)."""

from nitida.delivery import jobs as delivery_jobs  # noqa: F401
