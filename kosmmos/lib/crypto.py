"""Encryption at rest for tokens and secrets (channel tokens, API keys).

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``KOSMMOS_ENCRYPTION_KEY`` (a Fernet key) or,
when unset, derived from SECRET_KEY with HKDF — so a fresh clone works, and an operator who wants
to rotate SECRET_KEY without losing tokens sets the explicit key first.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionError(Exception):
    """The stored value was not written with this key (key changed, or the data is damaged)."""


@lru_cache(maxsize=4)
def _fernet(secret: str, explicit: str) -> Fernet:
    if explicit:
        return Fernet(explicit.encode())
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"kosmmos-at-rest", info=b"fernet-v1"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


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
