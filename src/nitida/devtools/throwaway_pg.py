"""A throwaway PostgreSQL cluster for tests and benchmarks.

Starts a private cluster in a temporary folder on a free loopback port. As
root, the server runs as the ``postgres`` system user (PostgreSQL refuses to
start as root). Two roles, as in production: the owner (``nitida_owner``, owns
the database, runs the migrations) and the service role (``nitida_app``:
NOSUPERUSER NOBYPASSRLS, owns nothing, granted by the migrations), so
row-level security binds the service exactly as in production.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

APP_ROLE = "nitida_app"
APP_PASSWORD = "nitida_app_pw"
OWNER_ROLE = "nitida_owner"
OWNER_PASSWORD = "nitida_owner_pw"
EXTENSIONS = ("pg_trgm", "btree_gin", "pgcrypto")


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    if which:
        return Path(which).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package "
        "'postgresql' (scripts/test.sh does it for you)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ThrowawayPostgres:
    durable: bool = False  # fsync off unless asked: tests want speed, not crash safety of PG itself
    extra_settings: dict[str, str] = field(default_factory=dict)
    port: int = 0
    datadir: Path | None = None
    _as_postgres: bool = False

    @property
    def superuser_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/nitida"

    @property
    def owner_url(self) -> str:
        return f"postgresql+psycopg://{OWNER_ROLE}:{OWNER_PASSWORD}@127.0.0.1:{self.port}/nitida"

    @property
    def app_url(self) -> str:
        return f"postgresql+psycopg://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:{self.port}/nitida"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    def start(self) -> ThrowawayPostgres:
        bindir = _bindir()
        self._as_postgres = os.geteuid() == 0
        root = Path(tempfile.mkdtemp(prefix="nitida-pg-"))
        self.datadir = root / "data"
        if self._as_postgres:
            shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o755)
        self.port = self.port or _free_port()
        try:
            self._run(
                str(bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            )
        except subprocess.CalledProcessError as exc:
            raise PostgresUnavailable(f"initdb failed: {exc.stderr.strip()}") from exc
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{root}'",
            "max_connections": "300",
            "shared_buffers": "256MB",
            **({} if self.durable else {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}),
            **self.extra_settings,
        }
        with open(self.datadir / "postgresql.conf", "a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")
        self._pg_ctl("start")
        self._bootstrap()
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        bindir = _bindir()
        assert self.datadir is not None, "start() first"
        args = [str(bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60"]
        if action == "start":
            args += ["-l", str(self.datadir / "server.log")]
        try:
            self._run(*args, action, *extra)
        except subprocess.CalledProcessError as exc:
            log = ""
            if self.datadir and (self.datadir / "server.log").exists():
                log = (self.datadir / "server.log").read_text()[-2000:]
            raise PostgresUnavailable(f"pg_ctl {action} failed: {exc.stderr.strip()} {log}") from exc

    def stop_server(self) -> None:
        """Stop the server, keeping its data (for fault tests)."""
        self._pg_ctl("stop", "-m", "fast")

    def start_server(self) -> None:
        self._pg_ctl("start")

    def _bootstrap(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
                )
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            for role, password in ((OWNER_ROLE, OWNER_PASSWORD), (APP_ROLE, APP_PASSWORD)):
                conn.execute(
                    f"CREATE ROLE {role} LOGIN PASSWORD '{password}' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                )
            conn.execute(f"CREATE DATABASE nitida OWNER {OWNER_ROLE}")
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=nitida", autocommit=True) as conn:
            # Created once by the superuser, as in production (README, Running on PostgreSQL).
            for ext in EXTENSIONS:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")

    def start_replica(self, *, timeout: float = 60) -> ThrowawayPostgres:
        """A hot-standby streaming replica of this cluster on another port: a copy made with
        ``pg_basebackup -R`` (as the server's system user, into a folder it owns), started, and
        returned once it streams. Same roles, same database; stop it with its ``stop()``."""
        assert self.datadir is not None, "start() first"
        bindir = _bindir()
        root = Path(tempfile.mkdtemp(prefix="nitida-pg-replica-"))
        if self._as_postgres:
            shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o755)
        replica = ThrowawayPostgres(durable=self.durable, port=_free_port(), datadir=root / "data")
        replica._as_postgres = self._as_postgres
        try:
            self._run(
                str(bindir / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
                *("-D", str(replica.datadir), "-R", "-X", "stream", "-c", "fast"),
            )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(f"pg_basebackup failed: {exc.stderr.strip()}") from exc
        assert replica.datadir is not None
        with open(replica.datadir / "postgresql.conf", "a") as conf:
            # Later lines win: the copy's own port and socket folder; a small cache (it is a test's).
            conf.write(f"port = {replica.port}\nunix_socket_directories = '{root}'\nshared_buffers = 64MB\n")
        try:
            replica._pg_ctl("start")
            replica.wait_streaming(timeout)
        except BaseException:
            replica.stop()
            raise
        return replica

    def wait_streaming(self, timeout: float = 60) -> None:
        """Until this standby's WAL receiver streams from its primary."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=postgres dbname=nitida", autocommit=True
                ) as conn:
                    row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
                    if row is not None and row[0] == "streaming":
                        return
            except psycopg.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"the replica on port {self.port} did not start streaming")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.datadir is None:
            return
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except PostgresUnavailable:
            pass
        shutil.rmtree(self.datadir.parent, ignore_errors=True)
        self.datadir = None
