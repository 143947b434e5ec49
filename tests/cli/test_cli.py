"""The `nitida` command: tenant creation's output and exit codes, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from typer.testing import CliRunner

from fixtures.common import PASSWORD, SECRET, unique_email
from nitida.cli import app
from nitida.core.settings import get_settings
from nitida.demo.seed import DEMO_LOGINS, DEMO_PASSWORD

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, database_url, database, engine_name, request):
    env = {"NITIDA_DATABASE_URL": database_url, "NITIDA_SECRET_KEY": SECRET}
    if engine_name == "postgresql":  # the owner runs the migrations
        env["NITIDA_MIGRATION_DATABASE_URL"] = request.getfixturevalue("postgres")[3]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def _args(*, nit: str = "800.197.268-4", email: str | None = None, password: str = PASSWORD) -> list[str]:
    return [
        "tenant",
        "create",
        "--name",
        "Droguería Ñandú Ltda.",
        "--nit",
        nit,
        "--admin-email",
        email or unique_email("cli"),
        "--admin-password",
        password,
    ]


def create(*extra: str, email: str | None = None):
    args = [
        "tenant",
        "create",
        "--name",
        "Droguería Ñandú Ltda.",
        "--nit",
        "800.197.268-4",
        "--admin-email",
        email or unique_email("cli"),
        "--admin-password",
        PASSWORD,
        *extra,
    ]
    return runner.invoke(app, args)


def test_tenant_create_prints_one_json_line_and_the_admin_can_log_in(cli_env, client):
    email = unique_email("cli")
    result = create(email=email)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"tenantId", "adminUserId"}
    token = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["accessToken"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {**me, "id": out["adminUserId"], "tenantId": out["tenantId"], "role": "ADMIN"}


def test_duplicate_admin_email_exits_1_and_creates_nothing(cli_env, database):
    email = unique_email("dup")
    assert create(email=email).exit_code == 0
    before = _tenant_count(database)
    result = create("--name", "Otra", email=email.upper())
    assert result.exit_code == 1
    assert "already exists" in result.stderr and result.stdout == ""
    assert _tenant_count(database) == before  # the failed attempt left no tenant behind


def _tenant_count(database) -> int:
    from sqlalchemy import text

    # Counting across tenants needs the owner's view: on PostgreSQL the app
    # role only ever sees its own tenant, so ask the superuser cluster there.
    if database.dialect == "postgresql":
        from sqlalchemy import create_engine

        url = database.url.replace("nitida_app:nitida_app_pw", "postgres")
        engine = create_engine(url)
        with engine.connect() as conn:
            n = conn.execute(text("select count(*) from tenants")).scalar()
        engine.dispose()
        return n
    with database.engine.connect() as conn:
        return conn.execute(text("select count(*) from tenants")).scalar()


def test_the_tenants_own_nit_follows_the_customer_rules(cli_env, database):
    from nitida.tenants.models import Tenant

    for typed in ("９００３７３９１４", "0900373914", "9003739141"):
        result = runner.invoke(app, _args(nit=typed))
        assert result.exit_code == 0, result.output
        tenant_id = uuid.UUID(json.loads(result.stdout)["tenantId"])
        with database.tenant_session(tenant_id, write=False) as session:
            assert session.get(Tenant, tenant_id).nit == "900373914"
    result = runner.invoke(app, _args(nit="٩٠٠٣٧٣٩١٤"))
    assert result.exit_code == 1 and "NIT" in result.output


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--nit", "800197268-5", "check digit"),
        ("--nit", "abc", "NIT"),
        ("--admin-email", "not-an-email", "admin_email"),
        ("--admin-password", "short", "admin_password"),
        ("--name", "   ", "name"),
    ],
)
def test_invalid_input_exits_1_with_a_clear_message(cli_env, database, option, value, expected):
    before = _tenant_count(database)
    result = create(option, value)
    assert result.exit_code == 1
    assert expected in result.stderr and result.stdout == ""
    assert _tenant_count(database) == before


def test_demo_creates_its_tenant_once(cli_env, client):
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0 and "already exists" in second.stdout
    for _role, email in DEMO_LOGINS:
        assert email in second.stdout
    token = client.post("/auth/login", json={"email": DEMO_LOGINS[1][1], "password": DEMO_PASSWORD}).json()[
        "accessToken"
    ]
    customers = client.get("/billing/customers", headers={"Authorization": f"Bearer {token}"}).json()
    assert 30 <= len(customers) <= 60
    names = [c["razonSocial"] for c in customers]
    assert any("Peñalosa" in n for n in names) and "Papelería Nítida S.A.S." in names


def test_the_installed_nitida_command_runs(cli_env):
    exe = os.path.join(os.path.dirname(sys.executable), "nitida")
    done = subprocess.run(
        [
            exe,
            "tenant",
            "create",
            "--name",
            "X",
            "--nit",
            "1",
            "--admin-email",
            f"{uuid.uuid4().hex}@x.co",
            "--admin-password",
            PASSWORD,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env},
        timeout=60,
    )
    assert done.returncode == 1 and "NIT" in done.stderr
    upgrade = subprocess.run(
        [exe, "db", "upgrade"], capture_output=True, text=True, env={**os.environ, **cli_env}, timeout=60
    )
    assert upgrade.returncode == 0 and "up to date" in upgrade.stdout


def test_the_demo_issues_signed_electronic_invoices(cli_env, client):
    from decimal import Decimal

    from fixtures import conformance
    from fixtures.einvoicing import assert_schema_valid
    from nitida.demo.seed import DEMO_SOFTWARE_PIN, TEST_SET_RESOLUTION
    from nitida.einvoicing import signing

    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    token = client.post("/auth/login", json={"email": DEMO_LOGINS[1][1], "password": DEMO_PASSWORD}).json()[
        "accessToken"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    settings = client.get("/billing/electronic-invoicing", headers=headers).json()
    assert settings["environment"] == "HABILITACION" and settings["certificate"]["serialNumber"]
    assert client.get("/billing/issuer", headers=headers).json()["municipio"]
    [resolution] = [r for r in client.get("/billing/resolutions", headers=headers).json() if r["prefix"] == "SETP"]
    customers = client.get("/billing/customers", headers=headers).json()
    assert all(c["municipioCodigo"] for c in customers)
    customer = next(c for c in customers if c["direccion"] and c["tipoDocumento"] == "NIT")
    draft = client.post(
        "/billing/invoices",
        headers=headers,
        json={
            "customerId": customer["id"],
            "resolutionId": resolution["id"],
            "paymentMethod": "EFECTIVO",
            "lines": [
                {
                    "description": "Resma carta",
                    "quantity": "10",
                    "unitPrice": "11900.00",
                    "taxes": [{"type": "IVA", "rate": "19"}],
                }
            ],
        },
    ).json()
    issued = client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers)
    assert issued.status_code == 200, issued.text
    invoice = issued.json()
    assert invoice["electronicStatus"] == "SIGNED" and invoice["number"].startswith("SETP")
    xml = client.get(f"/billing/invoices/{invoice['id']}/xml", headers=headers).content
    assert_schema_valid(xml)
    assert signing.verify(xml)
    conformance.check_all(
        conformance.Produced(
            xml,
            technical_key=TEST_SET_RESOLUTION.technical_key or "",
            pin=DEMO_SOFTWARE_PIN,
            resolution_number=TEST_SET_RESOLUTION.resolution_number,
            payable=Decimal(invoice["total"]),
            line_extension=Decimal(invoice["subtotal"]),
        )
    )


@pytest.mark.postgres_only
def test_db_upgrade_on_postgresql_runs_as_the_owner_only(cli_env, monkeypatch):
    monkeypatch.delenv("NITIDA_MIGRATION_DATABASE_URL")
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1 and "NITIDA_MIGRATION_DATABASE_URL" in result.stderr
    # The service role given as the owner too: refused, it must own nothing.
    monkeypatch.setenv("NITIDA_MIGRATION_DATABASE_URL", cli_env["NITIDA_DATABASE_URL"])
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1 and "must not be the role that runs the migrations" in result.stderr
