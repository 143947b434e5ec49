from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core import replica
from nitida.core.problems import problem_responses
from nitida.jobs import service
from nitida.jobs.access import JOBS
from nitida.jobs.models import JobStatus
from nitida.jobs.schemas import JobRead

router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=UnitOfWorkRoute)

Lister = Annotated[TenantContext, guard(JOBS["list"])]
ItemReader = Annotated[TenantContext, guard(JOBS["read"], after_lookup=True)]
ItemRetrier = Annotated[TenantContext, guard(JOBS["retry"], after_lookup=True)]


@router.get("", response_model=list[JobRead], responses=problem_responses(400, 401, 403))
def list_jobs(
    ctx: Lister,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[JobRead]:
    """The tenant's background jobs, newest first (ADMIN): ``status=FAILED`` shows what needs attention."""
    return [JobRead.model_validate(j) for j in service.list_jobs(ctx.session, status_, limit, offset)]


@router.get("/{job_id}", response_model=JobRead, responses=problem_responses(401, 403, 404))
def get_job(job_id: str, ctx: ItemReader) -> JobRead:
    """One job: its state, attempts, last error and progress (rows done of total)."""
    job = service.get_job(ctx.session, job_id)
    ctx.authorize()
    if job.status is JobStatus.SUCCEEDED:
        # The caller polled until its import finished: its next lists must show what the job wrote.
        replica.shows_writes_made_elsewhere(ctx.session)
    return JobRead.model_validate(job)


@router.post("/{job_id}/retry", response_model=JobRead, responses=problem_responses(401, 403, 404, 409))
def retry_job(job_id: str, ctx: ItemRetrier) -> JobRead:
    """Put a FAILED job back in the queue with fresh attempts (ADMIN). Not FAILED: 409."""
    job = service.get_job(ctx.session, job_id, for_update=True)
    ctx.authorize()
    return JobRead.model_validate(service.retry(ctx.session, job))
