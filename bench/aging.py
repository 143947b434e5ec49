"""The ageing report at scale: ``python -m bench.aging`` (about a minute).

A throwaway PostgreSQL (durable, as bench/__main__.py starts it), the schema
from the real migrations as the app role, then seeded with COPY: a tenant with
10,000 customers and 100,000 issued invoices (half CONTADO, half CREDITO at
30/60/90 days, issued over the last 400 days; 40% paid, 30% partly paid, 30%
unpaid) and their payments, beside a second tenant with 1,000 customers and
10,000 invoices (so row-level security has rows to keep out). Measured:

* ``sql``: ``reports.service.aging`` in a tenant unit of work as the app role
  (RLS in force): the SQL and the rows into Python;
* ``http``: ``GET /billing/reports/aging`` through the application (in
  process, JSON of every customer with a balance), and the same as XLSX.

Goal: under 1 s at p50 (issue 15). Prints a markdown table; ``--out FILE``
appends it to FILE.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from random import Random

from bench.seed import CUSTOMER_COLS, USER_COLS, Size, _customer_rows, _tenants, _users

INVOICES = 100_000
OTHER_INVOICES = 10_000
RUNS = 15

INVOICE_COLS = (
    "tenant_id", "id", "customer_id", "resolution_id", "status", "payment_form", "due_date", "prefix",
    "consecutive", "number", "issue_date", "issued_at", "subtotal", "tax_total", "total", "amount_paid",
    "customer_razon_social", "customer_tipo_documento", "customer_nit", "customer_dv", "customer_search",
    "created_at", "updated_at",
)  # fmt: skip
PAYMENT_COLS = ("tenant_id", "id", "invoice_id", "amount", "payment_date", "method", "reference", "created_at")
RESOLUTION_COLS = (
    "tenant_id", "id", "resolution_number", "prefix", "range_from", "range_to", "next_number", "valid_from",
    "valid_to", "created_at", "updated_at",
)  # fmt: skip


def _invoices(tenant_id, customers, count, resolution_id, rng: Random, today: date):
    """(invoice_row, [payment_rows]) for ``count`` invoices spread over ``customers``."""
    for n in range(1, count + 1):
        cid, name, search, tipo, nit, dv = customers[rng.randrange(len(customers))]
        issue = today - timedelta(days=rng.randrange(400))
        credito = rng.random() < 0.5
        due = issue + timedelta(days=rng.choice((30, 60, 90))) if credito else issue
        subtotal = Decimal(rng.randrange(10_000, 5_000_000)).scaleb(-2) * 100
        tax = (subtotal * Decimal("0.19")).quantize(Decimal("0.01"))
        total = subtotal + tax
        fate = rng.random()
        paid = total if fate < 0.4 else (total / 2).quantize(Decimal("0.01")) if fate < 0.7 else Decimal("0.00")
        issued_at = datetime.combine(issue, datetime.min.time(), UTC) + timedelta(hours=15)
        invoice_id = uuid.uuid4()
        payments = []
        if paid:
            paid_on = min(today, issue + timedelta(days=rng.randrange(60)))
            paid_at = datetime.combine(paid_on, datetime.min.time(), UTC) + timedelta(hours=16)
            payments.append((tenant_id, uuid.uuid4(), invoice_id, paid, paid_on, "TRANSFERENCIA", f"TRX-{n}", paid_at))
        yield (
            (
                tenant_id,
                invoice_id,
                cid,
                resolution_id,
                "PAID" if paid == total else "ISSUED",
                "CREDITO" if credito else "CONTADO",
                due,
                "FE",
                n,
                f"FE{n}",
                issue,
                issued_at,
                subtotal,
                tax,
                total,
                paid,
                name,
                tipo,
                nit,
                dv,
                search,
                issued_at,
                issued_at,
            ),  # fmt: skip
            payments,
        )


def seed(superuser_dsn: str, log=print) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    import psycopg

    size = Size("aging", tenants=2, customers=11_000, big_tenant=10_000, thousand_tenant=1_000)
    tenant_ids, tenant_rows = _tenants(size)
    user_ids, _emails, user_rows = _users(tenant_ids)
    sizes = [size.big_tenant, size.thousand_tenant]
    rng = Random(15)
    today = date.today()
    started = time.perf_counter()
    with psycopg.connect(superuser_dsn) as conn:
        with conn.cursor() as cur:
            with cur.copy("COPY tenants (id, name, nit, created_at) FROM STDIN") as cp:
                for row in tenant_rows:
                    cp.write_row(row)
            with cur.copy(f"COPY users ({', '.join(USER_COLS)}) FROM STDIN") as cp:
                for row in user_rows:
                    cp.write_row(row)
            by_tenant: dict[uuid.UUID, list] = {t: [] for t in tenant_ids}
            with cur.copy(f"COPY customers ({', '.join(CUSTOMER_COLS)}) FROM STDIN") as cp:
                for crow, _audit in _customer_rows(size, tenant_ids, sizes, {}):
                    cp.write_row(crow)
                    by_tenant[crow[0]].append((crow[1], crow[2], crow[3], crow[5], crow[6], crow[7]))
            resolutions = {t: uuid.uuid4() for t in tenant_ids}
            with cur.copy(f"COPY numbering_resolutions ({', '.join(RESOLUTION_COLS)}) FROM STDIN") as cp:
                for t, rid in resolutions.items():
                    now = datetime.now(UTC)
                    cp.write_row((t, rid, "18760000001", "FE", 1, 10_000_000, 200_001, today - timedelta(days=800),
                                  today + timedelta(days=365), now, now))  # fmt: skip
            payments = []
            with cur.copy(f"COPY invoices ({', '.join(INVOICE_COLS)}) FROM STDIN") as cp:
                for t, count in zip(tenant_ids, (INVOICES, OTHER_INVOICES), strict=True):
                    for invoice, paid in _invoices(t, by_tenant[t], count, resolutions[t], rng, today):
                        cp.write_row(invoice)
                        payments.extend(paid)
            with cur.copy(f"COPY invoice_payments ({', '.join(PAYMENT_COLS)}) FROM STDIN") as cp:
                for row in payments:
                    cp.write_row(row)
        conn.commit()
        conn.autocommit = True
        for table in ("tenants", "users", "customers", "numbering_resolutions", "invoices", "invoice_payments"):
            conn.execute(f"VACUUM ANALYZE {table}")
    log(
        f"seeded 11,000 customers, 110,000 invoices, {len(payments):,} payments in {time.perf_counter() - started:.0f} s"
    )
    return tenant_ids, user_ids


def _verdict(name: str, p50: float) -> str:
    if "xlsx" in name:
        return "(no goal)"
    return "yes" if p50 < 1000 else "**no**"


def timed(fn, runs: int = RUNS) -> list[float]:
    fn()  # warm-up (plans, caches)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return sorted(samples)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.aging", description=__doc__)
    parser.add_argument("--out", help="append the markdown table to this file")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the SQL, as the app role")
    parser.add_argument("--sql-only", action="store_true", help="measure the SQL only (no HTTP)")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from bench.__main__ import ensure_postgres_binaries, loadavg, machine
    from nitida.core.db import Database
    from nitida.core.migrations import upgrade
    from nitida.core.security import TokenClaims, create_access_token
    from nitida.core.settings import Settings
    from nitida.devtools.throwaway_pg import ThrowawayPostgres
    from nitida.main import create_app
    from nitida.reports import service

    ensure_postgres_binaries()
    load_at_start = loadavg()
    pg = ThrowawayPostgres(durable=True, extra_settings={"shared_buffers": "'1GB'"}).start()
    try:
        db = Database(pg.app_url)
        upgrade(db.engine)
        tenant_ids, user_ids = seed(pg.superuser_url.replace("postgresql+psycopg", "postgresql"))
        tenant = tenant_ids[0]
        today = date.today()

        def sql() -> int:
            with db.unit_of_work(tenant, write=False) as session:
                return len(service.aging(session, today).rows)

        customers_owing = sql()
        if args.explain:
            from sqlalchemy import text

            with db.unit_of_work(tenant, write=False) as session:
                service._room_to_aggregate(session)
                stmt = service.aging_statement(session, today)
                compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
                for (line,) in session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")):
                    print(line)
        secret = "bench-secret-key-that-is-long-enough-0123456789"
        app = create_app(Settings(database_url=pg.app_url, secret_key=secret), db)
        token = create_access_token(TokenClaims(user_id=user_ids[0], tenant_id=tenant, token_version=1), secret,
                                    timedelta(hours=1))  # fmt: skip
        rows = []
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {token}"}

            def http(fmt: str):
                def call():
                    r = client.get("/billing/reports/aging", params={"format": fmt}, headers=headers)
                    assert r.status_code == 200, r.text[:300]

                return call

            measured = [("sql (service.aging)", sql)]
            if not args.sql_only:
                measured += [("http json", http("json")), ("http xlsx", http("xlsx"))]
            for name, fn in measured:
                samples = timed(fn)
                p50, p95 = statistics.median(samples), samples[int(len(samples) * 0.95) - 1]
                rows.append((name, p50, p95, samples[-1]))
                print(f"{name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {samples[-1]:.0f} ms", flush=True)
        table = [
            f"Ageing report, {customers_owing:,} customers with a balance out of 10,000; 100,000 invoices "
            f"(+10,000 of another tenant); {RUNS} runs after one warm-up; {machine()}; "
            f"load average {load_at_start} at start, {loadavg()} at end",
            "",
            "| measurement | p50 | p95 | max | goal < 1 s |",
            "|---|---|---|---|---|",
            *[f"| {n} | {a:.0f} ms | {b:.0f} ms | {c:.0f} ms | {_verdict(n, a)} |" for n, a, b, c in rows],
        ]
        report = "\n".join(table)
        print(report)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write("\n" + report + "\n")
        db.dispose()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
