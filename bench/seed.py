"""Seeding at scale: PostgreSQL with COPY, SQLite with batched inserts.

The schema always comes from the real Alembic migrations (run with the app
role on PostgreSQL). Rows are then written directly, filling every column the
ORM would fill (ids, derived search/sort keys, NIT check digits, timestamps),
plus one CREATED audit event per customer, as the service would have left.

On PostgreSQL the secondary indexes of the bulk-loaded tables are dropped
before COPY and re-created afterwards from their exact definitions as read
from the catalogue (pg_indexes.indexdef), so the schema ends identical to what
the migrations made, only built in one pass instead of a million inserts.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any, cast

import orjson
from stdnum.co import nit as stdnum_nit

from nitida.core.security import hash_password
from nitida.core.text import fold, spanish_sort_key
from nitida.demo.colombian_data import generate_customers
from nitida.vocabulary.identity import TipoDocumento

PASSWORD = "bench-password-0123"
BIG_TENANT = 0  # index of the tenant with the most customers
THOUSAND_TENANT = 1  # index of the tenant with exactly 1,000 customers (list benchmark)
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Size:
    name: str
    tenants: int
    customers: int
    big_tenant: int
    thousand_tenant: int = 1000
    sqlite_customers: int = 10_000


SIZES = {
    "small": Size("small", tenants=20, customers=30_000, big_tenant=10_000),
    "full": Size("full", tenants=1000, customers=1_000_000, big_tenant=100_000),
}


@dataclass
class Seeded:
    tenant_ids: list[uuid.UUID]
    user_ids: list[uuid.UUID]
    user_emails: list[str]
    sizes: list[int]
    # (id, number) of up to 5,000 customers per benchmarked tenant (for get, patch, NIT search)
    sample_ids: dict[int, list[tuple[uuid.UUID, str]]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def big(self) -> uuid.UUID:
        return self.tenant_ids[BIG_TENANT]

    @property
    def thousand(self) -> uuid.UUID:
        return self.tenant_ids[THOUSAND_TENANT]


def tenant_sizes(size: Size) -> list[int]:
    """Customers per tenant: one big, one of exactly 1,000, the rest varied around the mean."""
    rest = size.customers - size.big_tenant - size.thousand_tenant
    others = size.tenants - 2
    rng = Random(42)
    weights = [0.2 + rng.random() * 1.6 for _ in range(others)]  # 0.2x .. 1.8x the mean
    total_w = sum(weights)
    sizes = [int(rest * w / total_w) for w in weights]
    sizes[-1] += rest - sum(sizes)
    return [size.big_tenant, size.thousand_tenant, *sizes]


def _customer_rows(size: Size, tenant_ids: list[uuid.UUID], sizes: list[int], sample: dict[int, list]):
    """(customer_row, audit_row) tuples, in tenant order."""
    gen = generate_customers(size.customers, seed=2025)
    rng = Random(7)
    span = 3 * 365 * 86400
    nit_tipo = TipoDocumento.NIT.value
    for t_index, (tenant_id, count) in enumerate(zip(tenant_ids, sizes, strict=True)):
        keep = sample.get(t_index)
        for _ in range(count):
            c = next(gen)
            cid = uuid.uuid4()
            if keep is not None and len(keep) < 5000:
                keep.append((cid, c.nit))
            created = EPOCH + timedelta(seconds=int(rng.random() * span))
            dv = stdnum_nit.calc_check_digit(c.nit) if c.tipo_documento == nit_tipo else None
            yield (
                (
                    tenant_id,
                    cid,
                    c.razon_social,
                    fold(c.razon_social),
                    spanish_sort_key(c.razon_social),
                    c.tipo_documento,
                    c.nit,
                    dv,
                    c.email,
                    c.telefono,
                    c.direccion,
                    "ACTIVE",
                    created,
                    created,
                ),
                (tenant_id, uuid.uuid4(), "customer", cid, "CREATED", None, None, created, _created_changes(c)),
            )


def _created_changes(c) -> str:
    values = {
        "razonSocial": c.razon_social,
        "tipoDocumento": c.tipo_documento,
        "nit": c.nit,
        "email": c.email,
        "telefono": c.telefono,
        "direccion": c.direccion,
        "status": "ACTIVE",
    }
    return orjson.dumps({k: {"from": None, "to": v} for k, v in values.items() if v is not None}).decode()


CUSTOMER_COLS = (
    "tenant_id",
    "id",
    "razon_social",
    "razon_social_search",
    "razon_social_sort",
    "tipo_documento",
    "nit",
    "dv",
    "email",
    "telefono",
    "direccion",
    "status",
    "created_at",
    "updated_at",
)
AUDIT_COLS = (
    "tenant_id",
    "id",
    "entity_type",
    "entity_id",
    "action",
    "actor_user_id",
    "actor_email",
    "occurred_at",
    "changes",
)


def _tenants(size: Size) -> tuple[list[uuid.UUID], list[tuple]]:
    rng = Random(99)
    names = [c.razon_social for c in generate_customers(size.tenants, seed=77)]
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(size.tenants)]
    rows = []
    for i, (tid, name) in enumerate(zip(ids, names, strict=True)):
        nit = str(900_000_000 + i)
        rows.append((tid, name, nit, EPOCH))
    return ids, rows


def _users(tenant_ids: list[uuid.UUID]) -> tuple[list[uuid.UUID], list[str], list[tuple]]:
    # One argon2 hash reused for every user: hashing 1,000 times would take a minute.
    pw_hash = hash_password(PASSWORD)
    ids, emails, rows = [], [], []
    for i, tid in enumerate(tenant_ids):
        uid = uuid.uuid4()
        email = f"admin{i}@empresa{i}.bench.co"
        ids.append(uid)
        emails.append(email)
        rows.append((tid, uid, email, email.lower(), f"Administrador {i}", "ADMIN", "ACTIVE", pw_hash, 1, EPOCH, EPOCH))
    return ids, emails, rows


USER_COLS = (
    "tenant_id",
    "id",
    "email",
    "email_lower",
    "name",
    "role",
    "status",
    "password_hash",
    "token_version",
    "created_at",
    "updated_at",
)


def seed_postgres(superuser_dsn: str, size: Size, log=print) -> Seeded:
    import psycopg

    started = time.perf_counter()
    tenant_ids, tenant_rows = _tenants(size)
    user_ids, emails, user_rows = _users(tenant_ids)
    sizes = tenant_sizes(size)
    sample: dict[int, list] = {BIG_TENANT: [], THOUSAND_TENANT: []}
    with psycopg.connect(superuser_dsn) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        indexdefs = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename IN ('customers', 'audit_events') "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _ in indexdefs:
            conn.execute(f'DROP INDEX "{name}"')
        with conn.cursor() as cur:
            with cur.copy("COPY tenants (id, name, nit, created_at) FROM STDIN") as cp:
                for row in tenant_rows:
                    cp.write_row(row)
            with cur.copy(f"COPY users ({', '.join(USER_COLS)}) FROM STDIN") as cp:
                for row in user_rows:
                    cp.write_row(row)
        conn.commit()
        t0 = time.perf_counter()
        audit_buf: list[tuple] = []
        with conn.cursor() as cur, cur.copy(f"COPY customers ({', '.join(CUSTOMER_COLS)}) FROM STDIN") as cp:
            for n, (crow, arow) in enumerate(_customer_rows(size, tenant_ids, sizes, sample), 1):
                cp.write_row(crow)
                audit_buf.append(arow)
                if n % 200_000 == 0:
                    log(f"  seeded {n:,} customers ({time.perf_counter() - t0:.0f} s)")
        with conn.cursor() as cur, cur.copy(f"COPY audit_events ({', '.join(AUDIT_COLS)}) FROM STDIN") as cp:
            for row in audit_buf:
                cp.write_row(row)
        del audit_buf
        conn.commit()
        log(f"  COPY done in {time.perf_counter() - t0:.0f} s; building {len(indexdefs)} indexes")
        t1 = time.perf_counter()
        for _, ddl in indexdefs:
            conn.execute(ddl)
        conn.commit()
        log(f"  indexes built in {time.perf_counter() - t1:.0f} s")
        conn.autocommit = True
        for table in ("tenants", "users", "customers", "audit_events"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return Seeded(tenant_ids, user_ids, emails, sizes, sample, time.perf_counter() - started)


def seed_sqlite(path: str, count: int) -> Seeded:
    """One tenant with ``count`` customers (plus a user) in a migrated SQLite file."""
    from pathlib import Path

    from nitida.core.db import make_engine
    from nitida.core.migrations import upgrade

    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    size = Size("sqlite", tenants=1, customers=count, big_tenant=count, thousand_tenant=0)
    tenant_ids, tenant_rows = _tenants(size)
    user_ids, emails, user_rows = _users(tenant_ids)
    sample: dict[int, list] = {0: []}

    from sqlalchemy import Table, insert

    from nitida.audit.models import AuditEvent
    from nitida.customers.models import Customer
    from nitida.tenants.models import Tenant
    from nitida.users.models import User

    def dicts(cols, rows):
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def table(model: Any) -> Table:
        return cast(Table, model.__table__)  # declared as a FromClause; a mapped class's is its Table

    rows = list(_customer_rows(size, tenant_ids, [count], sample))
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # Core inserts: the column types process values as the ORM does
        conn.execute(insert(table(Tenant)), dicts(("id", "name", "nit", "created_at"), tenant_rows))
        conn.execute(insert(table(User)), dicts(USER_COLS, user_rows))
        for chunk in iter_chunks(iter(rows), 2000):
            conn.execute(insert(table(Customer)), dicts(CUSTOMER_COLS, [c for c, _ in chunk]))
            conn.execute(
                insert(table(AuditEvent)), dicts(AUDIT_COLS, [a[:-1] + (orjson.loads(a[-1]),) for _, a in chunk])
            )
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("ANALYZE")
    db.close()
    return Seeded(tenant_ids, user_ids, emails, [count], sample)


def iter_chunks(it: Iterator, n: int):
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf
