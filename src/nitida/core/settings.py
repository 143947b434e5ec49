"""Service configuration, read from NITIDA_* environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///./nitida.db"
_DEV_SECRET_FILE = Path(".nitida_secret_key")


def default_login_host_concurrency() -> int:
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (taskset, cpusets)
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NITIDA_", extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    # PostgreSQL: the owner role that runs the migrations (``nitida db upgrade``,
    # and ``serve`` at start-up when set). NITIDA_DATABASE_URL is the service
    # role, which owns nothing and is granted what it needs by the migrations.
    migration_database_url: str | None = None
    # PostgreSQL only: a hot-standby replica of that database (the same service
    # role) that serves lists, searches and reports (core.replica says when).
    database_replica_url: str | None = None
    # The replica serves only while it is at most this far behind (or caught up).
    replica_max_lag_seconds: float = Field(default=10.0, gt=0, le=3600)
    # "production": the session cookies are always Secure, and the service refuses to start without an
    # explicit NITIDA_SECRET_KEY (never the development key generated beside an embedded database).
    env: Literal["development", "production"] = "development"
    # HS256 signing key. Required (≥ 32 chars) on PostgreSQL and in production; on the embedded
    # SQLite default a random key is generated once and kept beside the database.
    secret_key: str = ""
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_body_bytes: int = 1_048_576
    # Login throttling: this many failures within the window lock the email.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Login throttling per client address, beside the per-e-mail one.
    login_max_failures_per_address: int = 50
    # Password checks (argon2) run on a pool of their own, this many at once per
    # process (never more than core.security.ARGON2_CONCURRENCY hashes run at
    # once, for memory); a login waits at most login_queue_seconds, then 503.
    login_concurrency: int = Field(default=2, ge=1, le=64)
    login_queue_seconds: float = Field(default=2.0, ge=0, le=60)
    # ... and this many at once across every worker process of the host (lock
    # files, core.host_slots), admission waiting within the same bound. Default:
    # half the usable cores (at least one), so a flood of logins leaves the other
    # half to every other request and a local PostgreSQL.
    login_host_concurrency: int = Field(default_factory=default_login_host_concurrency, ge=1, le=1024)
    # The client address: the socket's peer, or, when the peer is one of
    # NITIDA_TRUSTED_PROXIES (comma-separated addresses), the last address of
    # this header (e.g. X-Forwarded-For) that is not itself a trusted proxy.
    trusted_proxy_header: str | None = None
    trusted_proxies: str = ""
    # Host headers served (comma-separated; "*" serves any). Others get 400.
    allowed_hosts: str = "localhost,127.0.0.1,testserver"
    # The OpenAPI pages (/docs, /redoc, /openapi.json); false in production if unwanted.
    docs: bool = True
    db_pool_size: int = 10
    # Back office in the browser: a session lasts this long from sign-in.
    web_session_minutes: int = Field(default=12 * 60, ge=5, le=30 * 24 * 60)
    # Background jobs: `nitida worker` processes, or a worker thread inside the service. Unset, the
    # service runs one on SQLite (the one-command demo has no other) and none on PostgreSQL.
    inprocess_worker: bool | None = None
    job_poll_seconds: float = Field(default=1.0, gt=0)
    job_lease_seconds: float = Field(default=300, gt=0)
    job_backoff_seconds: float = Field(default=5, ge=0)
    job_backoff_cap_seconds: float = Field(default=3600, ge=0)
    # Delivery (issue 11). Empty DIAN URL: the DIAN's host for each tenant's environment (nitida.dian.client).
    dian_url: str = ""
    dian_timeout_seconds: float = Field(default=60, gt=0)
    # smtp://user:pass@host:port, smtps://… (implicit TLS), ?starttls=true; empty: e-mail is not sent.
    smtp_url: str = ""
    # The deployment's own verified sender: every e-mail (documents, statements, invitations, password links)
    # goes out From it, under the business's name, with
    # a Reply-To to the business. A business's own address is the sender only on a domain listed here (comma-
    # separated), which the deployment has verified (SPF/DKIM) — never another business's address.
    mail_from: str = "facturacion@nitida.co"
    mail_verified_domains: str = ""

    @property
    def mail_verified_domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.mail_verified_domains.split(",") if d.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [h.strip() for h in self.trusted_proxies.split(",") if h.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_inprocess_worker(self) -> bool:
        return self.is_sqlite if self.inprocess_worker is None else self.inprocess_worker

    @model_validator(mode="after")
    def _replica(self) -> Settings:
        if not self.database_replica_url:
            self.database_replica_url = None
        elif self.is_sqlite or not self.database_replica_url.startswith("postgresql"):
            raise ValueError(
                "NITIDA_DATABASE_REPLICA_URL is for PostgreSQL only: both it and NITIDA_DATABASE_URL must be "
                "postgresql+psycopg:// URLs (SQLite has no replicas; unset the variable)"
            )
        return self

    @model_validator(mode="after")
    def _secret_key(self) -> Settings:
        if self.env == "production" and (not self.secret_key or self.secret_key == _stored_dev_secret_key()):
            raise ValueError(
                "NITIDA_ENV=production needs its own NITIDA_SECRET_KEY (at least 32 characters), never the "
                "development key generated in .nitida_secret_key"
            )
        if not self.secret_key:
            if not self.is_sqlite:
                raise ValueError("NITIDA_SECRET_KEY must be set when running on PostgreSQL")
            self.secret_key = _dev_secret_key()
        if len(self.secret_key) < 32:
            raise ValueError("NITIDA_SECRET_KEY must be at least 32 characters long")
        return self


def _stored_dev_secret_key() -> str | None:
    return _DEV_SECRET_FILE.read_text().strip() if _DEV_SECRET_FILE.exists() else None


def _dev_secret_key() -> str:
    """A per-checkout key for the embedded default, so tokens survive restarts."""
    if _DEV_SECRET_FILE.exists():
        return _DEV_SECRET_FILE.read_text().strip()
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(_DEV_SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker process wrote it first
        return _DEV_SECRET_FILE.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
