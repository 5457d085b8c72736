"""Encryption at rest for tokens and secrets (channel tokens, API keys).

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``KOSMMOS_ENCRYPTION_KEY`` (a Fernet key) or,
when unset, derived from SECRET_KEY with HKDF — so a fresh clone works, and an operator who wants
to rotate SECRET_KEY without losing tokens sets the explicit key first.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionError(Exception):
    """The stored value was not written with this key (key changed, or the data is damaged)."""


def _key(secret: str, explicit: str) -> bytes:
    """The Fernet key (urlsafe base64) in force for these settings."""
    if explicit:
        return explicit.encode()
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"kosmmos-at-rest", info=b"fernet-v1"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=4)
def _fernet(secret: str, explicit: str) -> Fernet:
    return Fernet(_key(secret, explicit))


def key_fingerprint(secret: str | None = None, explicit: str | None = None) -> str:
    """A short one-way name of the encryption key (the current settings' by default): two
    set-ups with the same fingerprint decrypt each other's tokens. Reveals nothing of the key."""
    if secret is None:
        secret = settings.SECRET_KEY
    if explicit is None:
        explicit = getattr(settings, "KOSMMOS_ENCRYPTION_KEY", "")
    digest = hashlib.sha256(b"kosmmos-key-fingerprint:" + _key(secret, explicit))
    return digest.hexdigest()[:16]


def _box() -> Fernet:
    return _fernet(settings.SECRET_KEY, getattr(settings, "KOSMMOS_ENCRYPTION_KEY", ""))


def encrypt(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("cannot decrypt: the encryption key changed or data is damaged") from exc


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt(json.dumps(value, sort_keys=True))


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    return dict(json.loads(decrypt(token)))
