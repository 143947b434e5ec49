"""The database kit: the model base, the sessions, the fast path and the engines.

Every session is opened for exactly one tenant (or, for login, for one e-mail;
or, for a job worker, for the queue), by ``Database``; tenant scoping is applied
by the kit, never by the query author. Read it in this order:

* ``base``: the declarative ``Base``, ``UTCDateTime``, ``utcnow``, and the mixins
  ``TenantScoped`` (every tenant-owned table: ``(tenant_id, id)`` leads its keys)
  and ``TenantRoot`` (the tenants table);
* ``sessions``: the session kinds (``ScopedSession``, ``TenantSession``,
  ``LoginSession``, ``QueueSession``) and the listeners that scope them, attached
  to ``ScopedSession`` only;
* ``fastpath``: ``TenantRead`` (a read built once) and the pipelined first read of a
  transaction (issue 14); the one module that touches SQLAlchemy and psycopg
  internals;
* ``engines``: engine making, SQLite's configuration, and ``Database``.

Tenancy is enforced four ways, depending on how a query is written; all four stay:

====================================  ==========================================  ================================
how the query is written              what keeps it in its tenant                 where it lives
====================================  ==========================================  ================================
ORM (``select(Customer)``, ``get``,   ``with_loader_criteria(tenant_id = …)``     ``core.db.sessions``:
flush)                                added to every SELECT/UPDATE/DELETE; new    ``_scope_to_tenant``,
                                      rows stamped, other tenants' refused        ``_stamp_tenant``
Core reads built once                 ``tenant_id = :nitida_tenant`` is part of   ``core.db.fastpath.TenantRead``,
(``TenantRead``, ``read_by_key``,     the statement; only the session fills in    filled in by
``read_rows``)                        the parameter (its own tenant)              ``TenantSession.read_prepared``
                                                                                  (``read_rows`` adds it itself)
sealed SQL functions (PostgreSQL:     SECURITY DEFINER functions that take no     ``core.rls`` (``SERVICE_FUNCTIONS``,
the customer search, login)           tenant: they read ``nitida_current_tenant`` ``ensure_login_function``);
                                      (the seal-checked ``app.tenant_id``) or     migrations 0011 and 0013 (search),
                                      demand a seal of the e-mail                 0007s (login)
FORCE ROW LEVEL SECURITY              a forced policy on every tenant table:      ``core.rls.enable_tenant_rls``
(PostgreSQL: any SQL at all, raw      rows of ``nitida_current_tenant()`` only;   (policies, per migration);
SQL included, as the service role)    the transaction's sealed ``app.tenant_id``  the context set by
                                      is set as it begins                         ``core.db.fastpath.begin_sealed``
                                                                                  (``core.seals`` makes the seals)
====================================  ==========================================  ================================

The first two are the service's own walls (both engines); the last two are the
database's (PostgreSQL), under them: SQL that escapes the first two still sees only
the sealed tenant. tests/security/test_rls.py and test_search_function.py prove
them on PostgreSQL; tests/core/test_session_scoping.py the ORM's on both engines.

``from nitida.core.db import X`` is the way in: every name below is re-exported.
"""

from nitida.core.db.base import NAMING_CONVENTION, Base, TenantRoot, TenantScoped, TenantScopeError, UTCDateTime, utcnow
from nitida.core.db.engines import Database, _json_loads, make_engine, make_replica_engine
from nitida.core.db.fastpath import TENANT_PARAM, FirstRead, TenantRead, backend_pid, by_key_read
from nitida.core.db.sessions import (
    AFTER_COMMIT_KEY,
    LOGIN_EMAIL_KEY,
    QUEUE_KEY,
    RLS_KEY,
    TENANT_KEY,
    WROTE_KEY,
    LoginSession,
    QueueSession,
    ScopedSession,
    TenantSession,
)

__all__ = [
    "AFTER_COMMIT_KEY",
    "LOGIN_EMAIL_KEY",
    "NAMING_CONVENTION",
    "QUEUE_KEY",
    "RLS_KEY",
    "TENANT_KEY",
    "TENANT_PARAM",
    "WROTE_KEY",
    "Base",
    "Database",
    "FirstRead",
    "LoginSession",
    "QueueSession",
    "ScopedSession",
    "TenantRead",
    "TenantRoot",
    "TenantScopeError",
    "TenantScoped",
    "TenantSession",
    "UTCDateTime",
    "_json_loads",
    "backend_pid",
    "by_key_read",
    "make_engine",
    "make_replica_engine",
    "utcnow",
]
