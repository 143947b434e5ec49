"""The `nitida` command: serve, migrate, create tenants, seed a demo."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from nitida.core.db import Database
from nitida.core.errors import AppError
from nitida.core.migrations import upgrade
from nitida.core.settings import get_settings

app = typer.Typer(help="La Oficina Nítida — billing service.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _database() -> Database:
    try:
        settings = get_settings()
    except ValidationError as exc:
        _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    return Database(settings.database_url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    db = _database()
    upgrade(db.engine)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Apply pending migrations, then serve the API."""
    import uvicorn

    db = _database()
    upgrade(db.engine)
    db.dispose()
    uvicorn.run(
        "nitida.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
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
    db = _database()
    upgrade(db.engine)
    try:
        created = create_tenant(db, data)
    except AppError as exc:
        _fail(exc.detail)
    typer.echo(json.dumps({"tenantId": str(created.tenant_id), "adminUserId": str(created.admin_user_id)}))


@app.command()
def demo() -> None:
    """Create the demo tenant (once) and print its logins."""
    from nitida.demo.seed import seed_demo

    db = _database()
    upgrade(db.engine)
    created, logins = seed_demo(db)
    typer.echo("Demo tenant created." if created else "Demo tenant already exists.")
    for role, email, password in logins:
        typer.echo(f"  {role:<9} {email:<28} password: {password}")


def main() -> None:  # pragma: no cover
    app(prog_name="nitida")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
