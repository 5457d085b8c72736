"""Fixed-window counters in the shared cache (Redis, or files in the embedded set-up).

``take`` checks and counts in one atomic step (the cache's ``add`` + ``incr``: atomic in Redis,
and in the embedded set-up's ``lib.cache.LockedFileCache``), so twenty simultaneous requests
against a limit of five let exactly five through — every limit counts this way (the API's per
token: ``kosmmos/api/tests/test_rate_limit.py``, 32 clients at once; the brief form's per address).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class Window:
    """At most ``limit`` hits per ``seconds`` for one key."""

    def __init__(self, scope: str, limit: int, seconds: int) -> None:
        self.scope, self.limit, self.seconds = scope, limit, seconds

    def _key(self, who: str) -> str:
        return f"rl:{self.scope}:{who}:{int(time.time() // self.seconds)}"

    def take(self, who: str) -> bool:
        """Count one hit for ``who`` and say whether it is within the limit, atomically."""
        key = self._key(who)
        for _attempt in range(3):
            if cache.add(key, 1, self.seconds):
                return self.limit >= 1
            try:
                return int(cache.incr(key)) <= self.limit
            except ValueError:  # expired between add and incr: start the window again
                continue
        return False

    def retry_after(self) -> int:
        return self.seconds - int(time.time()) % self.seconds
