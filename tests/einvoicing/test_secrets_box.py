"""Secrets at rest: encrypted with a key derived from NITIDA_SECRET_KEY, bound to their context."""

from __future__ import annotations

import pytest

from nitida.einvoicing import secrets_box

KEY = "k" * 48


def test_round_trip_and_the_plaintext_is_not_in_the_token():
    token = secrets_box.encrypt(KEY, "20191", context="tenant:1:softwarePin")
    assert "20191" not in token and token.startswith("v1:")
    assert secrets_box.decrypt_text(KEY, token, context="tenant:1:softwarePin") == "20191"


def test_binary_secrets_round_trip():
    blob = bytes(range(256)) * 20
    assert secrets_box.decrypt(KEY, secrets_box.encrypt(KEY, blob)) == blob


def test_each_encryption_is_different():
    assert secrets_box.encrypt(KEY, "x") != secrets_box.encrypt(KEY, "x")


@pytest.mark.parametrize(
    ("key", "context"),
    [("another key of enough length.......", "tenant:1:softwarePin"), (KEY, "tenant:2:softwarePin")],
    ids=["other-key", "other-tenant"],
)
def test_wrong_key_or_context_does_not_decrypt(key, context):
    token = secrets_box.encrypt(KEY, "20191", context="tenant:1:softwarePin")
    with pytest.raises(secrets_box.SecretDecryptionError):
        secrets_box.decrypt(key, token, context=context)


def test_altered_token_does_not_decrypt():
    token = secrets_box.encrypt(KEY, "20191")
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(secrets_box.SecretDecryptionError):
        secrets_box.decrypt(KEY, altered)
    with pytest.raises(secrets_box.SecretDecryptionError):
        secrets_box.decrypt(KEY, "plain text")


def test_empty_secret_key_is_refused():
    with pytest.raises(ValueError):
        secrets_box.encrypt("", "x")
