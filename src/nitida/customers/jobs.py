"""Background import of large customer files (more than importing.JOB_THRESHOLD rows)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from nitida.customers import import_apply
from nitida.customers.import_apply import IMPORT
from nitida.customers.models import CustomerImportFile
from nitida.jobs.registry import JobRun, PermanentJobError, handler


@handler(IMPORT)
def import_file(run: JobRun) -> dict:
    """Validate (progress: rows done of total), then apply all or nothing in the job's
    unit of work, which also records the report as the job's result.

    Progress (rows validated of total) is written only while validating,
    before this session writes anything: on SQLite a progress commit and a
    transaction that then writes cannot both happen (see jobs.service._progress).
    Idempotent: the file is deleted in the same transaction that applies it,
    so a job that ran to the end never finds it again.
    """
    file_id = uuid.UUID(run.payload["fileId"])
    upload = run.session.scalar(select(CustomerImportFile).where(CustomerImportFile.id == file_id))
    if upload is None:
        raise PermanentJobError("the import file is gone (the import already ran)")
    total = run.payload.get("rows")
    run.progress(0, total)
    report = import_apply.run_import(
        run.session,
        run.actor,
        upload.content,
        mode=import_apply.ImportMode(run.payload["mode"]),
        dry_run=bool(run.payload["dryRun"]),
        progress=lambda done: run.progress(done, total),
    )
    run.session.execute(delete(CustomerImportFile).where(CustomerImportFile.id == file_id))
    return report
