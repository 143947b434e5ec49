"""The `nitida` command: serve, migrate, create tenants, seed a demo."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from nitida.core.db import Database
from nitida.core.errors import AppError
from nitida.core.migrations import service_role_of, upgrade
from nitida.core.settings import Settings, get_settings

app = typer.Typer(help="La Oficina Nítida — billing service.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs of every tenant.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(jobs_app, name="jobs")
security_app = typer.Typer(help="Security events.", no_args_is_help=True)
app.add_typer(security_app, name="security-events")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
        raise  # unreachable: _fail exits


def _database() -> Database:
    settings = _settings()
    return Database(settings.database_url, secret_key=settings.secret_key)


def _migrate(*, required: bool = False) -> bool:
    """Apply pending migrations: on SQLite through NITIDA_DATABASE_URL; on
    PostgreSQL as the owner (NITIDA_MIGRATION_DATABASE_URL), granting the
    service role (the user of NITIDA_DATABASE_URL). Returns whether it ran."""
    settings = _settings()
    if settings.is_sqlite:
        db = _database()
        upgrade(db.engine)
        db.dispose()
        return True
    if not settings.migration_database_url:
        if required:
            _fail(
                "on PostgreSQL the migrations run as the owner role: set NITIDA_MIGRATION_DATABASE_URL "
                "(NITIDA_DATABASE_URL is the service role, which owns nothing)"
            )
        return False
    from sqlalchemy.exc import DBAPIError

    service_role = service_role_of(settings.database_url)
    if service_role_of(settings.migration_database_url) == service_role:
        _fail(
            f"the service role {service_role!r} must not be the role that runs the migrations (the owner): "
            "NITIDA_MIGRATION_DATABASE_URL and NITIDA_DATABASE_URL must name different roles"
        )
    owner = Database(settings.migration_database_url, secret_key=settings.secret_key, pool_size=1)
    try:
        upgrade(owner.engine, service_role=service_role, secret_key=settings.secret_key)
    except ValueError as exc:
        _fail(str(exc))
    except DBAPIError as exc:
        _fail(f"the migrations failed as the role of NITIDA_MIGRATION_DATABASE_URL (the owner?): {exc.orig}")
    finally:
        owner.dispose()
    return True


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (PostgreSQL: as NITIDA_MIGRATION_DATABASE_URL, the owner)."""
    _migrate(required=True)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Apply pending migrations (PostgreSQL: when NITIDA_MIGRATION_DATABASE_URL is set), then serve the API.

    On PostgreSQL it refuses to serve as a superuser, a BYPASSRLS role or the tables' owner."""
    import uvicorn

    from nitida.core.service_role import replica_role_problem, service_role_problem

    _migrate()
    db = _database()
    try:
        problem = service_role_problem(db) or replica_role_problem(_settings().database_replica_url)
    finally:
        db.dispose()
    if problem:
        _fail(f"refusing to serve: {problem}")
    uvicorn.run(
        "nitida.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        # Who is a trusted proxy is NITIDA_TRUSTED_PROXIES' to say (core.client), for the client's address and
        # for whether the cookie is Secure alike: uvicorn rewriting scheme and peer would be a second answer.
        proxy_headers=False,
    )


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option("--name", help="Business name")],
    nit: Annotated[str, typer.Option("--nit", help="The business's NIT, with or without check digit")],
    admin_email: Annotated[str, typer.Option("--admin-email")],
    admin_password: Annotated[str, typer.Option("--admin-password")],
    admin_name: Annotated[str, typer.Option("--admin-name")] = "Administrador",
) -> None:
    """Create a tenant and its first ADMIN; prints {"tenantId", "adminUserId"}."""
    from nitida.tenants.schemas import TenantCreate
    from nitida.tenants.service import create_tenant

    try:
        data = TenantCreate(
            name=name, nit=nit, admin_email=admin_email, admin_password=admin_password, admin_name=admin_name
        )
    except ValidationError as exc:
        _fail(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        )
    _migrate()
    db = _database()
    try:
        created = create_tenant(db, data)
    except AppError as exc:
        _fail(exc.detail)
    typer.echo(json.dumps({"tenantId": str(created.tenant_id), "adminUserId": str(created.admin_user_id)}))


@security_app.command("purge")
def security_events_purge() -> None:
    """Delete the security events older than two years, of every tenant (run it daily, e.g. from cron)."""
    from nitida.security_events.service import purge_expired

    db = _database()
    try:
        gone = purge_expired(db)
    finally:
        db.dispose()
    typer.echo(f"{gone} security events older than two years deleted")


@app.command()
def demo() -> None:
    """Create the demo tenant (once) and print its logins."""
    from nitida.demo.seed import seed_demo

    _migrate()
    db = _database()
    created, logins = seed_demo(db, _settings().secret_key)
    typer.echo("Demo tenant created." if created else "Demo tenant already exists.")
    for role, email, password in logins:
        typer.echo(f"  {role:<9} {email:<28} password: {password}")
    typer.echo("Back office: http://127.0.0.1:8000 (after `nitida serve`); API docs: http://127.0.0.1:8000/docs")


@app.command()
def worker(
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Run due jobs, then exit")] = False,
) -> None:
    """Run background jobs (several workers may share the queue on PostgreSQL)."""
    import logging
    import signal

    import nitida.handlers  # noqa: F401 - every job kind this worker can run
    import nitida.migrations.models  # noqa: F401
    from nitida.jobs.service import QueuePolicy
    from nitida.jobs.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _settings()
    _migrate()
    db = Database(settings.database_url, secret_key=settings.secret_key, pool_size=2)
    runner = Worker(
        db, policy=QueuePolicy.from_settings(settings), poll_seconds=settings.job_poll_seconds, settings=settings
    )
    if until_idle:
        typer.echo(f"ran {runner.run_until_idle()} jobs")
        return
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()


@jobs_app.command("failed")
def jobs_failed() -> None:
    """List FAILED jobs of every tenant, newest first, with their last error."""
    import nitida.migrations.models  # noqa: F401
    from nitida.jobs.service import failed_jobs_all_tenants

    jobs = failed_jobs_all_tenants(_database())
    for job in jobs:
        typer.echo(f"{job.id}  tenant {job.tenant_id}  {job.kind}  attempts {job.attempts}  {job.last_error}")
    if not jobs:
        typer.echo("no failed jobs")


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[str, typer.Argument(help="The job's id")]) -> None:
    """Put a FAILED job back in the queue."""
    import uuid

    import nitida.migrations.models  # noqa: F401
    from nitida.jobs.service import retry_any_tenant

    try:
        parsed = uuid.UUID(job_id)
    except ValueError:
        _fail(f"{job_id!r} is not a job id")
        return
    try:
        job = retry_any_tenant(_database(), parsed)
    except AppError as exc:
        _fail(exc.detail)
        return
    if job is None:
        _fail(f"no job {job_id}")
        return
    typer.echo(f"job {job_id} queued again")


def main() -> None:  # pragma: no cover
    app(prog_name="nitida")


if __name__ == "__main__":  # pragma: no cover
    main()
