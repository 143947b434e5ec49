"""Password hashing (argon2) and access tokens (JWT, HS256)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
_hasher = PasswordHasher()
# argon2 takes 64 MiB per hash: without a cap, a burst of logins runs one per
# thread-pool thread (40 per worker) and can take gigabytes. Beyond this many
# at once per process, they queue (the CPU is saturated by then anyway).
ARGON2_CONCURRENCY = 2
_argon2_slots = threading.BoundedSemaphore(ARGON2_CONCURRENCY)
# Verified against when the email is unknown, so a wrong email costs the same
# time as a wrong password and does not reveal which emails exist.
_DUMMY_HASH = _hasher.hash("nitida-timing-equaliser")


def use_cheap_hashing_for_tests() -> None:
    """Minimal argon2 cost, for test suites only (still real argon2id hashes)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _DUMMY_HASH = _hasher.hash("nitida-timing-equaliser")


def hash_password(password: str) -> str:
    with _argon2_slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    with _argon2_slots:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    token_version: int


def create_access_token(claims: TokenClaims, secret: str, lifetime: timedelta) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id),
        "ver": claims.token_version,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


# Verified tokens, kept briefly: a client sends the same token on every
# request, and HMAC + JSON + claim checks cost more than a dict lookup. Only
# what the signature and claim checks decided is kept (the claims and their
# expiry); whether the user is still active and the token's version current is
# read from the database on every request, as before, so revocation is
# unchanged. Bounded (least recently used out) so a flood of valid tokens
# cannot grow it, and keyed by (secret, token) so a key change verifies again.
VERIFIED_TOKENS_MAX = 4096
VERIFIED_TOKENS_SECONDS = 60.0
_verified: OrderedDict[tuple[str, str], tuple[TokenClaims, float, float]] = OrderedDict()
_verified_lock = threading.Lock()


def decode_access_token(token: str, secret: str) -> TokenClaims | None:
    """The token's claims, or None for any fault: malformed, expired, tampered,
    signed with another key or algorithm (``alg: none`` included)."""
    key = (secret, token)
    now = time.time()
    with _verified_lock:
        hit = _verified.get(key)
        if hit is not None:
            claims, expires_at, kept_until = hit
            if now < expires_at and now < kept_until:
                _verified.move_to_end(key)
                return claims
            del _verified[key]
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "tid", "ver", "exp", "iat"]},
        )
        claims = TokenClaims(
            user_id=uuid.UUID(payload["sub"]),
            tenant_id=uuid.UUID(payload["tid"]),
            token_version=int(payload["ver"]),
        )
        expires_at = float(int(payload["exp"]))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    with _verified_lock:
        # PyJWT accepts a token while now < exp: the cached copy stops at the same instant.
        _verified[key] = (claims, expires_at, now + VERIFIED_TOKENS_SECONDS)
        _verified.move_to_end(key)
        while len(_verified) > VERIFIED_TOKENS_MAX:
            _verified.popitem(last=False)
    return claims
