"""Secrets at rest (software PIN, certificate and its password): AES-256-GCM under a key derived from NITIDA_SECRET_KEY.

The key is HKDF-SHA256 of the service's secret key with a fixed label, so the JWT
key itself never encrypts data. ``context`` (e.g. "tenant:<id>:softwarePin") is
authenticated with the ciphertext: a value copied to another tenant or field
does not decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
_INFO = b"nitida einvoicing secrets v1"
_NONCE_BYTES = 12


class SecretDecryptionError(ValueError):
    """The ciphertext was not made with this key and context, or was altered."""


def derive_key(secret_key: str) -> bytes:
    if not secret_key:
        raise ValueError("NITIDA_SECRET_KEY is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode("utf-8"))


def encrypt(secret_key: str, plaintext: bytes | str, context: str = "") -> str:
    """Text safe for a database column: "v1:" + base64url(nonce + ciphertext + tag)."""
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(derive_key(secret_key)).encrypt(nonce, data, context.encode("utf-8"))
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def decrypt(secret_key: str, token: str, context: str = "") -> bytes:
    version, _, body = token.partition(":")
    if version != VERSION or not body:
        raise SecretDecryptionError("not an encrypted secret of this service")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return AESGCM(derive_key(secret_key)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
    except (InvalidTag, ValueError):
        raise SecretDecryptionError("the secret cannot be decrypted with this key and context") from None


def decrypt_text(secret_key: str, token: str, context: str = "") -> str:
    return decrypt(secret_key, token, context).decode("utf-8")
