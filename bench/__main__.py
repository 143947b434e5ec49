"""Benchmark of the customers API against the database floor.

    .venv/bin/python -m bench --size small   # about a minute
    .venv/bin/python -m bench --size full    # 1,000 tenants, 1,000,000 customers (~15 min)

See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import orjson

from bench import cpu, load, sql
from bench.seed import BIG_TENANT, PASSWORD, SIZES, THOUSAND_TENANT, Seeded, seed_postgres, seed_sqlite

SECRET = sql.SECRET
HOST = "127.0.0.1"
COMMON = ["mar", "san", "per"]  # 3-letter fragments found in thousands of names
RARE = ["ursula", "monteria", "getsemani", "cajica"]  # Úrsula, Montería, Getsemaní, Cajicá: typed without accents
MB = 1024 * 1024


def log(msg: str) -> None:
    print(msg, flush=True)


# --- infrastructure -----------------------------------------------------------------


def ensure_postgres_binaries() -> None:
    if glob_initdb() or shutil.which("initdb"):
        return
    if os.geteuid() != 0:
        sys.exit("PostgreSQL server binaries not found: install the Debian package 'postgresql'")
    log("PostgreSQL server not found: installing the Debian package 'postgresql'")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env, stdout=subprocess.DEVNULL)


def glob_initdb() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """``nitida serve --workers N`` in its own process group, as in production."""

    def __init__(self, database_url: str, workers: int, logdir: Path) -> None:
        self.port = free_port()
        self.log_path = logdir / f"server-{self.port}.log"
        env = {
            **os.environ,
            "NITIDA_DATABASE_URL": database_url,
            "NITIDA_SECRET_KEY": SECRET,
            # The load comes from one address: the per-address login throttle would
            # turn the login flood away at once; the bench measures a flood it does
            # not stop (many addresses), where only the password-check pool protects.
            "NITIDA_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000000",
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nitida.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=logdir,
        )
        self.workers = workers
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            if len(self.pids()) >= workers + 1 and self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as s:
                s.sendall(b"GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return s.recv(12).startswith(b"HTTP/1.1 401")
        except OSError:
            return False

    def pids(self) -> list[int]:
        """The server and all its descendants (workers, multiprocessing helpers)."""
        return cpu.process_tree(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def rss(pids: list[int]) -> int:
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, ValueError):
            pass
    return total


class MemorySampler:
    """Sum of the server processes' RSS, sampled every 20 ms while a scenario runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.pids = server.pids()
        self.baseline = rss(self.pids)
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss(self.pids))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pids))


# --- scenarios --------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    clients: int
    service: load.Result
    floor: load.Result
    rss_base: int = 0
    rss_peak: int = 0
    note: str = ""
    physical: load.Result | None = None  # searches: the physical floor (superuser, no RLS, best index)
    # Cores each party kept busy during the service's run and the floor's (bench.cpu).
    service_cpu: cpu.Usage | None = None
    floor_cpu: cpu.Usage | None = None


@dataclass
class CountCost:
    """p50 at 1 client of a search's count beside its page's (or a list's count beside the list)."""

    scenario: str
    count: float  # what the service sends for X-Total-Count (searches: capped, through the function)
    page: float  # the page (or the whole list), as the service sends it
    physical_count: float = float("nan")  # the same capped count, superuser, no RLS
    physical_page: float = float("nan")
    exact_under_rls: float = float("nan")  # before issue 14: every match counted with the plain LIKE under RLS


@dataclass
class Run:
    size: str
    workers: int
    warmup: float
    duration: float
    rows: list[Row] = field(default_factory=list)
    count_costs: list[CountCost] = field(default_factory=list)
    sqlite_rows: list[Row] = field(default_factory=list)
    seed_seconds: float = 0.0
    plans: dict[str, str] = field(default_factory=dict)
    leakproof: bool = False
    login_flood: dict | None = None
    load_start: str = field(default_factory=lambda: loadavg())


def like(term: str) -> str:
    """The bound value of ``contains(term, autoescape=True)``: %, _ and / escaped with /."""
    return re.sub(r"([/%_])", r"/\1", term)


def search_params(term: str) -> tuple[str, str]:
    from nitida.core.text import fold

    return like(fold(term).strip()), like(re.sub(r"[\s.\-]", "", term).upper())


def token_for(seeded: Seeded, index: int) -> dict[str, str]:
    from nitida.core.security import TokenClaims, create_access_token

    token = create_access_token(
        TokenClaims(user_id=seeded.user_ids[index], tenant_id=seeded.tenant_ids[index], token_version=1),
        SECRET,
        timedelta(hours=3),
    )
    return {"Authorization": f"Bearer {token}"}


def scenarios(seeded: Seeded, run_tag: int):
    """(name, tenant index, clients list, http factory maker, floor action maker, options)."""
    big_sample = seeded.sample_ids[BIG_TENANT]
    ids = [cid for cid, _ in big_sample]
    nit_fragments = [nit[:6] for _, nit in big_sample if nit.isdigit()][:200]
    big, big_user, big_email = (
        seeded.tenant_ids[BIG_TENANT],
        seeded.user_ids[BIG_TENANT],
        seeded.user_emails[BIG_TENANT],
    )
    k_t, k_u = seeded.tenant_ids[THOUSAND_TENANT], seeded.user_ids[THOUSAND_TENANT]
    emails = seeded.user_emails
    from urllib.parse import quote

    def get_http(clients):
        return lambda i, s: ("GET", f"/billing/customers/{ids[(s * clients + i) % len(ids)]}", None, 200)

    def get_floor(clients):
        return lambda conn, i, s, m: sql.get(conn, big, big_user, ids[(s * clients + i) % len(ids)])

    def search_http(terms):
        def make(clients):
            return lambda i, s: (
                "GET",
                f"/billing/customers?search={quote(terms[(s * clients + i) % len(terms)])}&limit=50",
                None,
                200,
            )

        return make

    def search_floor(terms, action=sql.search):
        params = [search_params(t) for t in terms]

        def make(clients):
            return lambda conn, i, s, m: action(conn, big, big_user, *params[(s * clients + i) % len(params)])

        return make

    def searching(terms):
        return {"physical": search_floor(terms, sql.physical_search)}

    def list_http(_clients):
        return lambda i, s: ("GET", "/billing/customers", None, 200)

    def list_floor(tenant, user):
        return lambda clients: lambda conn, i, s, m: sql.list_all(conn, tenant, user, m)

    counter = {"n": 0}

    def new_number(i: int, s: int, side: str) -> str:
        counter["n"] += 1
        return f"7{run_tag:02d}{counter['n']:09d}"  # 12-digit CC numbers: the seed makes none

    def create_http(clients):
        def make(i, s):
            number = new_number(i, s, "h")
            body = orjson.dumps(
                {
                    "razonSocial": f"Cliente Benchmark Ñandú {number}",
                    "tipoDocumento": "CC",
                    "nit": number,
                    "email": f"c{number}@correo.co",
                    "telefono": "+57 310 1234567",
                }
            )
            return "POST", "/billing/customers", body, 201

        return make

    def create_floor(clients):
        from nitida.core.text import fold, spanish_sort_key

        def act(conn, i, s, m):
            number = new_number(i, s, "f")
            name = f"Cliente Benchmark Ñandú {number}"
            values = {
                "razon_social": name,
                "razon_social_search": fold(name),
                "razon_social_sort": spanish_sort_key(name),
                "tipo_documento": "CC",
                "nit": number,
                "email": f"c{number}@correo.co",
                "telefono": "+57 310 1234567",
            }
            changes = orjson.dumps({k: {"from": None, "to": v} for k, v in values.items()}).decode()
            sql.create(conn, big, big_user, big_email, values, changes)

        return act

    def patch_http(clients):
        def make(i, s):
            counter["n"] += 1
            body = orjson.dumps({"telefono": f"+57 3{counter['n'] % 100:02d} {counter['n']:07d}"})
            return "PATCH", f"/billing/customers/{ids[(s * clients + i) % len(ids)]}", body, 200

        return make

    def patch_floor(clients):
        def act(conn, i, s, m):
            counter["n"] += 1
            tel = f"+57 3{counter['n'] % 100:02d} {counter['n']:07d}"
            changes = orjson.dumps({"telefono": {"from": None, "to": tel}}).decode()
            sql.patch(conn, big, big_user, big_email, ids[(s * clients + i) % len(ids)], tel, changes)

        return act

    def login_http(clients):
        return lambda i, s: (
            "POST",
            "/auth/login",
            orjson.dumps({"email": emails[(s * clients + i) % len(emails)], "password": PASSWORD}),
            200,
        )

    def login_floor(clients):
        return lambda conn, i, s, m: sql.login(conn, emails[(s * clients + i) % len(emails)])

    return [
        ("get by id", BIG_TENANT, get_http, get_floor, {}),
        ("search common 3-letter", BIG_TENANT, search_http(COMMON), search_floor(COMMON), searching(COMMON)),
        ("search rare word, no accents", BIG_TENANT, search_http(RARE), search_floor(RARE), searching(RARE)),
        (
            "search NIT fragment",
            BIG_TENANT,
            search_http(nit_fragments),
            search_floor(nit_fragments),
            searching(nit_fragments),
        ),
        (f"list whole {seeded.sizes[THOUSAND_TENANT]:,}", THOUSAND_TENANT, list_http, list_floor(k_t, k_u), {}),
        (
            f"list whole {seeded.sizes[BIG_TENANT]:,} (streamed)",
            BIG_TENANT,
            list_http,
            list_floor(big, big_user),
            {"stream": True},
        ),
        ("create", BIG_TENANT, create_http, create_floor, {"writes": True}),
        ("patch", BIG_TENANT, patch_http, patch_floor, {"writes": True}),
        ("login", BIG_TENANT, login_http, login_floor, {"login": True, "writes": True}),
    ]


def run_postgres(args, run: Run, workdir: Path) -> None:
    from nitida.core.db import make_engine
    from nitida.core.migrations import service_role_of, upgrade
    from nitida.devtools.throwaway_pg import ThrowawayPostgres

    size = SIZES[args.size]
    ensure_postgres_binaries()
    log("starting PostgreSQL (durable: fsync and synchronous_commit on)")
    pg = ThrowawayPostgres(
        durable=True,
        extra_settings={
            "shared_buffers": "'1GB'",
            "max_wal_size": "'8GB'",
            "checkpoint_timeout": "'30min'",
        },
    ).start()
    server = None
    try:
        super_dsn = pg.superuser_url.replace("postgresql+psycopg", "postgresql")
        app_dsn = pg.app_url.replace("postgresql+psycopg", "postgresql")
        engine = make_engine(pg.owner_url)
        # The real migrations, as the owner, granting the service role (nitida_app).
        upgrade(engine, service_role=service_role_of(pg.app_url), secret_key=SECRET)
        engine.dispose()
        log(
            f"seeding {size.tenants:,} tenants, {size.customers:,} customers "
            f"(one tenant with {size.big_tenant:,}, one with {size.thousand_tenant:,})"
        )
        seeded = seed_postgres(super_dsn, size, log=log)
        run.seed_seconds = seeded.seconds
        log(f"seeded in {seeded.seconds:.0f} s")
        if args.leakproof_like:
            # An experiment, not production: what a DBA (superuser) step would give.
            # RLS keeps non-LEAKPROOF operators (LIKE is one) out of index conditions.
            import psycopg

            with psycopg.connect(super_dsn, autocommit=True) as conn:
                conn.execute("ALTER FUNCTION textlike(text, text) LEAKPROOF")
            log("experiment: textlike(text, text) marked LEAKPROOF (the trigram GIN indexes become usable under RLS)")
        if args.plans:
            run.plans = explain_plans(super_dsn, seeded)
        server = Server(pg.app_url, args.workers, workdir)
        log(f"service: nitida serve --workers {args.workers} on port {server.port}")
        warm_up(server, seeded)
        assert pg.datadir is not None
        postmaster = cpu.postmaster_pid(pg.datadir)
        for name, tenant_index, http_make, floor_make, opts in scenarios(seeded, 1):
            if args.only and not re.search(args.only, name):
                continue
            headers = token_for(seeded, tenant_index)
            for clients in (1, 16):
                row = measure(
                    args, name, clients, server, headers, http_make, floor_make, opts, app_dsn, super_dsn, postmaster
                )
                run.rows.append(row)
                print_row(row)
        if not args.only or re.search(args.only, "login flood"):
            run.login_flood = login_flood(args, server, seeded)
        run.count_costs = count_costs(args, seeded, app_dsn, super_dsn)
    finally:
        if server is not None:
            server.stop()
        pg.stop()


FLOOD_CLIENTS = 80
WARM_UP_SECONDS = 5.0


def warm_up(server: Server, seeded: Seeded) -> None:
    """Traffic at 16 clients before the first measurement, discarded: each worker process
    opens its pool's connections (a PostgreSQL backend each) and fills its caches once, as
    a service that has been up for a while has. Without it the first 16-client figure (get
    by id) carried every worker's start-up: 24% of the floor's req/s after a 0.5 s warm-up
    against 42% after 2 s, same code."""
    (name, tenant_index, http_make, _floor, _opts), *_ = scenarios(seeded, 1)
    log(f"warming the service up: {name}, 16 clients, {WARM_UP_SECONDS:.0f} s (discarded)")
    load.run_http(
        HOST,
        server.port,
        token_for(seeded, tenant_index),
        http_make(16),
        clients=16,
        warmup=0,
        duration=WARM_UP_SECONDS,
    )


def login_flood(args, server, seeded: Seeded) -> dict:
    """get-by-id p95 at 1 client, unloaded, then while 80 clients log in as fast as they can
    (right passwords: every attempt costs an argon2 check). Goal: p95 within 3x the unloaded one."""
    import threading

    found = {name: http for name, _t, http, _f, _o in scenarios(seeded, 1)}
    headers = token_for(seeded, BIG_TENANT)
    window = max(args.duration, 5.0)
    unloaded = load.run_http(HOST, server.port, headers, found["get by id"](1), clients=1, warmup=1, duration=window)
    flood: dict = {}

    def flood_run():
        flood["result"] = load.run_http(
            HOST,
            server.port,
            {},
            found["login"](FLOOD_CLIENTS),
            clients=FLOOD_CLIENTS,
            warmup=0,
            duration=window + 3,
        )

    thread = threading.Thread(target=flood_run, daemon=True)
    thread.start()
    time.sleep(1.5)  # the flood is on
    loaded = load.run_http(HOST, server.port, headers, found["get by id"](1), clients=1, warmup=0, duration=window)
    thread.join()
    logins = flood["result"]
    out = {
        "unloaded_p50": unloaded.pct(50),
        "unloaded_p95": unloaded.pct(95),
        "loaded_p50": loaded.pct(50),
        "loaded_p95": loaded.pct(95),
        "gets": loaded.count,
        "get_errors": loaded.errors,
        "logins_ok": logins.count,
        "logins_refused": logins.errors,
        "refused_sample": logins.error_sample[:80],
        "login_rps": logins.rps,
    }
    log(
        f"login flood ({FLOOD_CLIENTS} clients): get-by-id p95 {ms(out['unloaded_p95'])} ms unloaded, "
        f"{ms(out['loaded_p95'])} ms during the flood ({out['loaded_p95'] / out['unloaded_p95']:.2f}x); "
        f"logins: {logins.count} ok ({logins.rps:.0f}/s), {logins.errors} refused ({out['refused_sample']})"
    )
    return out


def measure(args, name, clients, server, headers, http_make, floor_make, opts, dsn, super_dsn, postmaster) -> Row:
    warmup, duration, max_requests = args.warmup, args.duration, 0
    if opts.get("stream"):
        # Each request is a whole list: 1 client sends 3 after one warm-up; 16 clients send one each.
        warmup, duration = 0.0, 600.0
        max_requests = 3 if clients == 1 else clients
        load.run_http(HOST, server.port, headers, http_make(1), clients=1, warmup=0, duration=60, max_requests=1)
    elif clients == 1 and not opts.get("writes"):
        # The scenario's first measurement: its rows and index pages are read into memory by the
        # floor's SQL first, discarded, so that neither side pays those first reads (the service
        # measured first paid them: the rare word at 1 client showed 2-4x the floor's PostgreSQL CPU).
        load.run_floor(dsn, floor_make(1), clients=1, warmup=0, duration=max(warmup, 1.0))
    with MemorySampler(server) as mem:
        svc, svc_cpu = cpu.measured(
            server.proc.pid,
            postmaster,
            lambda: load.run_http(
                HOST,
                server.port,
                headers,
                http_make(clients),
                clients=clients,
                warmup=warmup,
                duration=duration,
                max_requests=max_requests,
            ),
        )
    floor, floor_cpu = cpu.measured(
        None,
        postmaster,
        lambda: load.run_floor(
            dsn, floor_make(clients), clients=clients, warmup=warmup, duration=duration, max_requests=max_requests
        ),
    )
    physical = None
    if opts.get("physical"):
        physical = load.run_floor(
            super_dsn, opts["physical"](clients), clients=clients, warmup=warmup, duration=duration
        )
    return Row(
        name, clients, svc, floor, mem.baseline, mem.peak, physical=physical, service_cpu=svc_cpu, floor_cpu=floor_cpu
    )


def count_costs(args, seeded: Seeded, dsn: str, super_dsn: str) -> list[CountCost]:
    """X-Total-Count's own cost next to the page's, at 1 client, through psycopg: the
    service's statements as the app role, the same as the superuser without RLS, and
    (for comparison) the exact count under RLS that the service sent before issue 14.
    With --only, the scenarios it matches."""
    big, user = seeded.tenant_ids[BIG_TENANT], seeded.user_ids[BIG_TENANT]
    nit_fragments = [nit[:6] for _, nit in seeded.sample_ids[BIG_TENANT] if nit.isdigit()][:200]
    duration = min(args.duration, 2)
    out = []

    def p50(dsn_, action) -> float:
        return load.run_floor(dsn_, action, clients=1, warmup=0.3, duration=duration).pct(50)

    for label, terms in (
        ("search common 3-letter", COMMON),
        ("search rare word, no accents", RARE),
        ("search NIT fragment", nit_fragments),
    ):
        if args.only and not re.search(args.only, label):
            continue
        params = [search_params(t) for t in terms]

        def part(fn, count, page, params=params):
            return lambda conn, i, s, m: fn(conn, big, user, *params[s % len(params)], count=count, page=page)

        out.append(
            CountCost(
                label,
                count=p50(dsn, part(sql.search, True, False)),
                page=p50(dsn, part(sql.search, False, True)),
                physical_count=p50(super_dsn, part(sql.physical_search, True, False)),
                physical_page=p50(super_dsn, part(sql.physical_search, False, True)),
                exact_under_rls=p50(
                    dsn,
                    lambda conn, i, s, m, params=params: sql.exact_count_under_rls(
                        conn, big, user, *params[s % len(params)]
                    ),
                ),
            )
        )
    label = f"list whole {seeded.sizes[BIG_TENANT]:,}"
    if not args.only or re.search(args.only, label):

        def count_only(conn, i, s, m):
            sql._begin(conn, big, user)
            conn.execute(sql.LIST_COUNT, (big,)).fetchone()
            conn.rollback()

        c = p50(dsn, count_only)
        whole = load.run_floor(
            dsn,
            lambda conn, i, s, m: sql.list_all(conn, big, user, m, count=False),
            clients=1,
            warmup=0,
            duration=60,
            max_requests=3,
        ).pct(50)
        out.append(CountCost(label, c, whole))
    return out


def explain_plans(super_dsn: str, seeded: Seeded) -> dict[str, str]:
    """Plans of the search statements (printed with --plans): the service's, called as
    the app role, with the statements inside the search functions (auto_explain, which
    the superuser loads, reports them); and the physical floor's, as the superuser."""
    import psycopg

    from nitida.devtools.throwaway_pg import APP_ROLE

    big = seeded.tenant_ids[BIG_TENANT]
    nit = next(n for _, n in seeded.sample_ids[BIG_TENANT] if n.isdigit())[:6]
    plans = {}
    bound = sql.count_bound(50)
    for label, term in (("common", COMMON[0]), ("rare", RARE[0]), ("nit", nit)):
        name_p, nit_p = search_params(term)
        notices: list[str] = []
        with psycopg.connect(super_dsn) as conn:

            def keep(diagnostic: psycopg.errors.Diagnostic, notices: list[str] = notices) -> None:
                notices.append(diagnostic.message_primary or "")

            conn.add_notice_handler(keep)
            conn.execute("LOAD 'auto_explain'")
            for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
                conn.execute(f"SET auto_explain.{setting}")
            conn.execute("SET auto_explain.log_analyze = on")
            conn.execute(f"SET ROLE {APP_ROLE}")
            conn.execute(sql.RLS, sql.rls_params(conn, big))
            conn.execute(sql.SEARCH_PAGE_COUNTED, (name_p, nit_p, 50, 0, bound, big)).fetchall()
            conn.rollback()
        inside = [n for n in notices if "FROM public.customers" in n]
        plans[f"{label} {term!r}, app role: inside the search functions"] = "\n\n".join(inside)
        with psycopg.connect(super_dsn) as conn:
            for kind, stmt, params in (
                ("page with its count", sql.PHYSICAL_PAGE_COUNTED, (bound, name_p, nit_p, big, bound, 50, big)),
            ):
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params).fetchall()
                plans[f"{label} {term!r} {kind}, physical floor (superuser, no RLS)"] = "\n".join(r[0] for r in rows)
            conn.rollback()
    return plans


# --- SQLite -----------------------------------------------------------------------------------


def run_sqlite(args, run: Run, workdir: Path) -> None:
    count = SIZES[args.size].sqlite_customers
    path = str(workdir / "bench-sqlite.db")
    log(f"SQLite: seeding {count:,} customers in one tenant (migrations + batched inserts)")
    seeded = seed_sqlite(path, count)
    server = Server(f"sqlite:///{path}", args.workers, workdir)
    try:
        headers = token_for(seeded, 0)
        ids = [n[:6] for _, n in seeded.sample_ids[0] if n.isdigit()][:200]
        tenant, user = seeded.tenant_ids[0], seeded.user_ids[0]
        for name, terms in (
            ("search common 3-letter", COMMON),
            ("search rare word, no accents", RARE),
            ("search NIT fragment", ids),
        ):
            params = [search_params(t) for t in terms]

            def http_make(clients, terms=terms):
                from urllib.parse import quote

                return lambda i, s: (
                    "GET",
                    f"/billing/customers?search={quote(terms[s % len(terms)])}&limit=50",
                    None,
                    200,
                )

            with MemorySampler(server) as mem:
                svc = load.run_http(
                    HOST, server.port, headers, http_make(1), clients=1, warmup=args.warmup, duration=args.duration
                )
            floor = run_sqlite_floor(path, tenant, user, params, args)
            row = Row(f"SQLite {name}", 1, svc, floor, mem.baseline, mem.peak)
            run.sqlite_rows.append(row)
            print_row(row)
    finally:
        server.stop()


def run_sqlite_floor(path, tenant, user, params, args) -> load.Result:
    conn = sql.sqlite_connect(path)
    result = load.Result("", 1)
    end_warm = time.perf_counter() + args.warmup
    s = 0
    while time.perf_counter() < end_warm:
        sql.sqlite_search(conn, tenant, user, *params[s % len(params)])
        s += 1
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < args.duration:
        a = time.perf_counter()
        sql.sqlite_search(conn, tenant, user, *params[s % len(params)])
        result.latencies.append(time.perf_counter() - a)
        s += 1
    result.elapsed = time.perf_counter() - t0
    conn.close()
    return result


# --- report ----------------------------------------------------------------------------------


def ms(x: float) -> str:
    return f"{x * 1000:.1f}" if x == x else "-"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b and a == a and b == b else "-"


def print_row(row: Row) -> None:
    s, f = row.service, row.floor
    err = (
        f" ERRORS svc={s.errors} ({s.error_sample}) floor={f.errors} ({f.error_sample})" if s.errors or f.errors else ""
    )
    p = row.physical
    if p is not None and p.errors:
        err += f" ERRORS physical={p.errors} ({p.error_sample})"
    physical = f" | physical {p.rps:8.1f}/s p50 {ms(p.pct(50))} ms" if p is not None else ""
    split = cpu_split(row)
    log(
        f"  {row.scenario:<32} c={row.clients:<2} svc {s.rps:8.1f}/s p50 {ms(s.pct(50))} ms | "
        f"floor {f.rps:8.1f}/s p50 {ms(f.pct(50))} ms{physical} | peak RSS {row.rss_peak / MB:.0f} MB{err}"
        + (f"\n      CPU per request: {split}" if split else "")
    )


CORES = os.cpu_count() or 1


def cpu_ms(row: Row) -> tuple[float, float, float] | None:
    """CPU ms per request of the service, PostgreSQL and the load generator, in the service's run."""
    u, rps = row.service_cpu, row.service.rps
    if u is None or not rps:
        return None
    return u.per_request_ms(u.service, rps), u.per_request_ms(u.postgres, rps), u.per_request_ms(u.bench, rps)


def cpu_split(row: Row) -> str:
    """Where one request's CPU went (service run), beside the floor's, and how busy the cores were."""
    split, u, fu = cpu_ms(row), row.service_cpu, row.floor_cpu
    if split is None or u is None:
        return ""
    svc, pg, gen = split
    text = (
        f"service {svc:.2f} + PostgreSQL {pg:.2f} + load generator {gen:.2f} ms; "
        f"{u.machine:.2f} of {CORES} cores busy ({u.other:.2f} by other processes)"
    )
    if fu is not None and row.floor.rps:
        text += (
            f" | floor: PostgreSQL {fu.per_request_ms(fu.postgres, row.floor.rps):.2f} + client "
            f"{fu.per_request_ms(fu.bench, row.floor.rps):.2f} ms, {fu.machine:.2f} cores busy"
        )
    return text


def cpu_why(row: Row | None, target_rps: float) -> str:
    """Why a throughput goal was missed, in CPU: what one request cost each party, the
    ceiling that puts on this machine's cores, and the service's cost the goal needs."""
    split = cpu_ms(row) if row is not None else None
    if split is None or row is None or row.service_cpu is None:
        return ""
    svc, pg, gen = split
    ceiling = 1000 * CORES / (svc + pg + gen)
    budget = 1000 * CORES / target_rps - pg - gen
    needs = (
        f"the service at <= {budget:.2f} ms" if budget > 0 else "less than PostgreSQL and the load generator alone take"
    )
    return (
        f"; CPU per request: service {svc:.2f} + PostgreSQL {pg:.2f} + load generator {gen:.2f} ms, "
        f"{row.service_cpu.machine:.2f} of {CORES} cores busy, a ceiling of {ceiling:.0f}/s; "
        f"{target_rps:.0f}/s needs {needs}"
    )


TABLE_HEAD = (
    "| scenario | clients | req/s service | req/s floor | ratio | p50 ms svc / floor (ratio) "
    "| p95 ms svc / floor (ratio) | p99 ms svc / floor (ratio) | server RSS peak MB (growth) | n svc / floor |\n"
    "|---|---:|---:|---:|---:|---|---|---|---|---|"
)


def table(rows: list[Row]) -> str:
    lines = [TABLE_HEAD]
    for r in rows:
        s, f = r.service, r.floor
        cells = [r.scenario, str(r.clients), f"{s.rps:.1f}", f"{f.rps:.1f}", ratio(s.rps, f.rps)]
        for p in (50, 95, 99):
            cells.append(f"{ms(s.pct(p))} / {ms(f.pct(p))} ({ratio(s.pct(p), f.pct(p))})")
        cells.append(f"{r.rss_peak / MB:.0f} (+{(r.rss_peak - r.rss_base) / MB:.0f})")
        errs = f" errors {s.errors}/{f.errors}" if s.errors or f.errors else ""
        cells.append(f"{s.count} / {f.count}{errs}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


Goal = tuple[str, str, bool | None, str]  # (goal, figure, met, by how much it was missed)


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def goals(run: Run) -> list[Goal]:
    """The goals of issue 14, each with its figure, met or missed, and by how much."""

    def find(prefix: str, clients: int) -> Row | None:
        return next((r for r in run.rows if r.scenario.startswith(prefix) and r.clients == clients), None)

    out: list[Goal] = []

    def add(goal: str, figure: str, ok: bool | None, short: str = "") -> None:
        out.append((goal, figure, ok, "" if ok or ok is None else short))

    def latency_goal(goal: str, svc: float, floor: float, slack: float, what: str) -> None:
        limit = floor + slack
        add(
            goal,
            f"{ms(svc)} ms vs {what} {ms(floor)} ms (+{ms(svc - floor)} ms)",
            svc <= limit,
            f"{ms(svc - limit)} ms over",
        )

    def throughput_goal(goal: str, row: Row, floor: float, share: float, what: str) -> None:
        svc = row.service.rps
        add(
            goal,
            f"{svc:.0f} vs {what} {floor:.0f}/s ({_pct(svc, floor)})",
            svc >= share * floor,
            f"{_pct(share * floor - svc, floor)} of the {what} short ({svc:.0f} of {share * floor:.0f}/s)"
            + cpu_why(row, share * floor),
        )

    for kind in ("search common", "search rare", "search NIT"):
        r1, r16 = find(kind, 1), find(kind, 16)
        if r1 and r1.physical:
            latency_goal(
                f"{kind}: p50 at 1 client <= physical floor + 2 ms",
                r1.service.pct(50),
                r1.physical.pct(50),
                0.002,
                "physical floor",
            )
        if r16 and r16.physical:
            throughput_goal(
                f"{kind}: req/s at 16 >= 50% of the physical floor's",
                r16,
                r16.physical.rps,
                0.5,
                "physical floor",
            )
    for c in run.count_costs:
        if c.scenario.startswith("search"):
            add(
                f"{c.scenario}: X-Total-Count costs <= the page (1 client, p50)",
                f"count {ms(c.count)} ms vs page {ms(c.page)} ms (exact count under RLS before: {ms(c.exact_under_rls)} ms)",
                c.count <= c.page,
                f"{ms(c.count - c.page)} ms over",
            )
    r1, r16 = find("get by id", 1), find("get by id", 16)
    if r1:
        latency_goal(
            "get by id: p50 at 1 client <= floor + 1.0 ms", r1.service.pct(50), r1.floor.pct(50), 0.001, "floor"
        )
    if r16:
        throughput_goal("get by id: req/s at 16 >= 35% of the floor's", r16, r16.floor.rps, 0.35, "floor")
    c16 = find("create", 16)
    if c16:
        add(
            "create: >= 800/s at 16 clients",
            f"{c16.service.rps:.0f}/s (floor {c16.floor.rps:.0f}/s)",
            c16.service.rps >= 800,
            f"{800 - c16.service.rps:.0f}/s short ({_pct(800 - c16.service.rps, 800)})" + cpu_why(c16, 800),
        )
    small = next(
        (
            r
            for r in run.rows
            if r.scenario.startswith("list whole") and "streamed" not in r.scenario and r.clients == 16
        ),
        None,
    )
    if small:
        throughput_goal(f"{small.scenario}: req/s at 16 >= 50% of the floor's", small, small.floor.rps, 0.5, "floor")
    big1 = next((r for r in run.rows if "streamed" in r.scenario and r.clients == 1), None)
    big16 = next((r for r in run.rows if "streamed" in r.scenario and r.clients == 16), None)
    if big1:
        s, f = big1.service.pct(50), big1.floor.pct(50)
        add(
            "big list: total time <= 2x floor (1 client, p50)",
            f"{s:.2f} s vs {f:.2f} s ({s / f:.2f}x)",
            s <= 2 * f,
            f"{s - 2 * f:.2f} s over ({s / f:.2f}x)",
        )
        fb = max(big1.service.first_bytes)
        add(
            "big list: first byte <= 200 ms (worst of the 1-client requests), as before",
            f"{ms(fb)} ms (p50 {ms(big1.service.first_byte_p50())} ms; floor's first batch {ms(big1.floor.first_byte_p50())} ms)",
            fb <= 0.2,
            f"{ms(fb - 0.2)} ms over",
        )
        growth = (big1.rss_peak - big1.rss_base) / MB
        add(
            "big list: server memory growth <= 50 MB while sent (1 client), as before",
            f"+{growth:.1f} MB",
            growth <= 50,
            f"{growth - 50:.1f} MB over",
        )
    if big16:
        growth = (big16.rss_peak - big16.rss_base) / MB
        fb = big16.service.pct(50, big16.service.first_bytes)
        add(
            "big list at 16 clients (informative): memory growth, first byte p50",
            f"+{growth:.1f} MB for 16 lists at once; first byte p50 {ms(fb)} ms",
            None,
        )
    if run.login_flood:
        flood = run.login_flood
        ratio = flood["loaded_p95"] / flood["unloaded_p95"]
        add(
            f"get by id p95 during an {FLOOD_CLIENTS}-login flood <= 3x unloaded p95",
            f"{ms(flood['loaded_p95'])} vs {ms(flood['unloaded_p95'])} ms ({ratio:.2f}x)",
            ratio <= 3,
            f"{ms(flood['loaded_p95'] - 3 * flood['unloaded_p95'])} ms over ({ratio:.2f}x)",
        )
    for r in run.sqlite_rows:
        add(
            f"{r.scenario}: p95 at 1 client <= 20 ms (10,000 customers)",
            f"{ms(r.service.pct(95))} ms (floor {ms(r.floor.pct(95))} ms)",
            r.service.pct(95) <= 0.020,
            f"{ms(r.service.pct(95) - 0.020)} ms over",
        )
    return out


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "?",
    )
    try:
        from nitida.devtools.throwaway_pg import _bindir

        pgv = subprocess.run([str(_bindir() / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    except Exception:  # noqa: BLE001
        pgv = "?"
    return f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, {pgv}, Python {platform.python_version()}"


def loadavg() -> str:
    """The machine's 1-minute load average: on a shared machine, the noise under a run."""
    return Path("/proc/loadavg").read_text().split()[0]


def report(run: Run) -> str:
    parts = [
        f"## Benchmark, size {run.size}: {run.workers} server workers, {run.warmup:g} s warm-up + "
        f"{run.duration:g} s per measurement" + (" (experiment: textlike LEAKPROOF)" if run.leakproof else ""),
        f"Machine: {machine()}. Seeding: {run.seed_seconds:.0f} s. "
        f"Load average (1 min) at start / end: {run.load_start} / {loadavg()}.",
        "",
        "### PostgreSQL (service over HTTP vs the same SQL through psycopg at the same concurrency)",
        table(run.rows),
    ]
    measured_cpu = [r for r in run.rows if cpu_ms(r) is not None]
    if measured_cpu:
        parts += [
            "",
            f"### Where the CPU went ({CORES} cores; CPU ms per request, and cores busy on average, per run)",
            "Read from /proc over each run, its warm-up included (the service's run comes first: reads that "
            "bring a scenario's rows into memory land in it): the service's processes, PostgreSQL's (with the "
            "backends that exited), this benchmark's process (the load generator in the service's run, the "
            "psycopg client in the floor's), and what the rest of the machine used meanwhile. At 16 clients "
            "the cores are the budget: requests/s can be at most cores / (CPU ms per request).",
            "",
            "| scenario | clients | service run: service / PostgreSQL / load generator ms | cores busy (other processes) "
            "| floor run: PostgreSQL / client ms | cores busy (other) |",
            "|---|---:|---|---|---|---|",
        ]
        for r in measured_cpu:
            svc_ms, pg_ms, gen_ms = cpu_ms(r) or (0.0, 0.0, 0.0)
            u, fu = r.service_cpu, r.floor_cpu
            assert u is not None and fu is not None
            frps = r.floor.rps
            parts.append(
                f"| {r.scenario} | {r.clients} | {svc_ms:.2f} / {pg_ms:.2f} / {gen_ms:.2f} "
                f"| {u.machine:.2f} ({u.other:.2f}) "
                f"| {fu.per_request_ms(fu.postgres, frps):.2f} / {fu.per_request_ms(fu.bench, frps):.2f} "
                f"| {fu.machine:.2f} ({fu.other:.2f}) |"
            )
    searches = [r for r in run.rows if r.physical is not None]
    if searches:
        parts += [
            "",
            "### Typeahead against both floors: the RLS floor (the service's SQL, app role, row-level "
            "security on) and the physical floor (the same search in plain SQL, superuser, no RLS, best index)",
            "| scenario | clients | req/s svc / RLS floor / physical | svc vs physical req/s "
            "| p50 ms svc / RLS floor / physical | svc - physical p50 ms | p95 ms svc / RLS floor / physical |",
            "|---|---:|---|---:|---|---:|---|",
        ]
        for r in searches:
            s_, f, p = r.service, r.floor, r.physical
            assert p is not None
            parts.append(
                f"| {r.scenario} | {r.clients} | {s_.rps:.0f} / {f.rps:.0f} / {p.rps:.0f} | {_pct(s_.rps, p.rps)} "
                f"| {ms(s_.pct(50))} / {ms(f.pct(50))} / {ms(p.pct(50))} | {ms(s_.pct(50) - p.pct(50))} "
                f"| {ms(s_.pct(95))} / {ms(f.pct(95))} / {ms(p.pct(95))} |"
            )
    if run.count_costs:
        parts += [
            "",
            "### X-Total-Count: the count query's own cost beside the page's (1 client, p50, through psycopg)",
            "A search's page counts its matches only up to one past the page's end (offset + limit + 1). "
            "Since issue 14 round 4 the page and its count are one statement (one search); here the count "
            "alone is the capped count's function (as sent for a page past the end) and the page alone is "
            "the page's function with its cap at the page's end (it reads no row for the count).",
            "",
            "| scenario | count ms (alone, RLS) | page ms (alone, RLS) | count / page physical ms "
            "| exact count under RLS ms (before) |",
            "|---|---:|---:|---|---:|",
        ]
        parts += [
            f"| {c.scenario} | {ms(c.count)} | {ms(c.page)} | {ms(c.physical_count)} / {ms(c.physical_page)} "
            f"| {ms(c.exact_under_rls)} |"
            for c in run.count_costs
        ]
    if run.login_flood:
        flood = run.login_flood
        parts += [
            "",
            f"### Login flood: get by id at 1 client while {FLOOD_CLIENTS} clients log in",
            "| | p50 ms | p95 ms |",
            "|---|---:|---:|",
            f"| unloaded | {ms(flood['unloaded_p50'])} | {ms(flood['unloaded_p95'])} |",
            f"| during the flood | {ms(flood['loaded_p50'])} | {ms(flood['loaded_p95'])} |",
            "",
            f"Logins during the flood: {flood['logins_ok']} answered 200 ({flood['login_rps']:.0f}/s), "
            f"{flood['logins_refused']} refused ({flood['refused_sample'] or '-'}); get errors: {flood['get_errors']}.",
        ]
    if run.sqlite_rows:
        parts += ["", "### SQLite (embedded default), 1 client, through the service over HTTP", table(run.sqlite_rows)]
    parts += ["", "### Goals (issue 14)", "| goal | figure | met |", "|---|---|---|"]
    for goal, figure, ok, short in goals(run):
        met = "-" if ok is None else ("yes" if ok else f"**NO**, {short}")
        parts.append(f"| {goal} | {figure} | {met} |")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--workers", type=int, default=4, help="server worker processes (default 4)")
    parser.add_argument("--duration", type=float, help="seconds measured per scenario and concurrency")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each measurement")
    parser.add_argument("--only", help="regex: run only the PostgreSQL scenarios whose name matches")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite part")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL part")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN ANALYZE of the search statements")
    parser.add_argument("--out", help="also write the report (markdown) to this file")
    parser.add_argument(
        "--leakproof-like",
        action="store_true",
        help="experiment: mark textlike LEAKPROOF (superuser) so RLS lets LIKE use the trigram indexes",
    )
    args = parser.parse_args()
    # A SIGTERM (or Ctrl-C) unwinds normally, so the server and PostgreSQL are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.duration = args.duration or (2.0 if args.size == "small" else 6.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.size == "small" else 1.0)
    run = Run(args.size, args.workers, args.warmup, args.duration, leakproof=args.leakproof_like)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nitida-bench-") as tmp:
        workdir = Path(tmp)
        if not args.no_postgres:
            run_postgres(args, run, workdir)
        if not args.no_sqlite:
            run_sqlite(args, run, workdir)
    text = report(run)
    if args.plans:
        text += (
            "\n\n### Plans (EXPLAIN ANALYZE: inside the search functions as the app role; physical floor)\n"
            + "\n\n".join(f"{k}:\n```\n{v}\n```" for k, v in run.plans.items())
        )
    print("\n" + text + f"\n\nTotal time: {time.perf_counter() - started:.0f} s", flush=True)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
