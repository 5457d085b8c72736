"""Click ids (``kid``): made by the redirect service, carried to the target, sent back with
conversions.

A kid is self-describing and signed: ``<link code 8><unix seconds, hex 8><random 8><mac 8>``
(32 characters of [0-9a-z]; random and MAC are base32 of 5 bytes each). A conversion can
therefore be attributed from the kid alone — even before the flusher has stored the click — and a
forged kid (another link, another time) fails the MAC. The MAC key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings

from kosmmos.links.models import CODE_LENGTH

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
KID_LENGTH = CODE_LENGTH + 8 + 8 + 8


@lru_cache(maxsize=2)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"kosmmos-click-id:" + secret.encode()).digest()


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode().lower()


class KidMaker:
    """Fast kid generation for the redirect hot path (the key is looked up once)."""

    def __init__(self, secret: str | None = None) -> None:
        self.key = _key(secret or settings.SECRET_KEY)

    def make(self, code: str, now: float | None = None) -> str:
        seconds = int(time.time() if now is None else now)
        # Hex and base32 are done in C: this runs once per redirect.
        body = f"{code}{seconds:08x}{base64.b32encode(os.urandom(5)).decode().lower()}"
        return body + _mac(self.key, body)


@dataclass(frozen=True)
class ClickId:
    kid: str
    code: str
    clicked_at: datetime


def parse(kid: str) -> ClickId | None:
    """The link code and click time of a genuine kid; None for anything else."""
    kid = (kid or "").strip().lower()
    if len(kid) != KID_LENGTH or any(c not in _B36 for c in kid):
        return None
    body, mac = kid[:-8], kid[-8:]
    if not hmac.compare_digest(mac, _mac(_key(settings.SECRET_KEY), body)):
        return None
    seconds = int(kid[CODE_LENGTH:CODE_LENGTH + 8], 16)
    return ClickId(kid=kid, code=kid[:CODE_LENGTH], clicked_at=datetime.fromtimestamp(seconds, UTC))
