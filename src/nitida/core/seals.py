"""Seals: HMACs that make the row-level-security context unforgeable from SQL.

The service tells PostgreSQL which tenant a transaction serves by setting
``app.tenant_id``; anyone who can run SQL as the service role (an SQL
injection, a bug) can set that too. So the service also sets a *seal*: an
HMAC-SHA256 of the setting and of the connection's backend pid, keyed with a
key derived from ``NITIDA_SECRET_KEY``. The policies accept the setting only
through ``nitida_current_tenant()``, a SECURITY DEFINER function that
recomputes the seal with the copy of the key kept in ``nitida_private.rls_key``
(readable by the owner role only; stored there by ``nitida db upgrade``).

Binding the pid makes a seal that leaks (a log line, another session's query
text) useless on any other connection. The key is derived, not the secret
itself, so the database never holds the JWT signing key.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

_KEY_LABEL = b"nitida row-level-security seal v1"


def derive_rls_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _seal(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def tenant_seal(key: bytes, tenant_id: uuid.UUID | str, backend_pid: int) -> str:
    return _seal(key, f"tenant:{tenant_id}:{backend_pid}")


def queue_seal(key: bytes, backend_pid: int) -> str:
    return _seal(key, f"queue:{backend_pid}")


def login_seal(key: bytes, email_lower: str, backend_pid: int) -> str:
    return _seal(key, f"login:{email_lower}:{backend_pid}")
