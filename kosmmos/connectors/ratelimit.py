"""A small thread-safe token-bucket limiter, keyed per token or chat, shared by the connectors.

Networks count requests per token (VK: 3 req/s for a user token, 20 req/s for a community token)
or messages per chat (Telegram: ~1 msg/s per chat, 20 msg/min per group, 30 msg/s per bot). We
pace ourselves rather than collect error 6 / HTTP 429 and back off.

The budget is **in-process**: each worker process (and each machine) keeps its own buckets, so N
processes sharing one token may together send N times the rate; the network then answers with a
rate-limit error, which the connectors map to ``RateLimited`` and the engine retries later. The
scale path is a Redis-backed bucket (one Lua script doing the same refill arithmetic on a shared
key); the interface below (``acquire(key, rate, burst)``) is what it would keep.

A short wait is slept in place; when the wait would be longer than ``max_wait`` we raise
``RateLimited(retry_after)`` instead of blocking a worker, so the job is re-queued.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kosmmos.connectors.base import RateLimited

# Swappable for tests: a fake clock makes pacing instantaneous and observable.
clock: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep


@dataclass
class _Bucket:
    rate: float  # tokens added per second
    burst: float  # capacity
    tokens: float
    stamp: float


_buckets: dict[str, _Bucket] = {}
_lock = threading.Lock()


def key_for(scope: str, secret: str) -> str:
    """A bucket key that does not keep the token itself in memory dumps or logs."""
    return f"{scope}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"


def reserve(key: str, rate: float, burst: float, cost: float = 1.0) -> float:
    """Take ``cost`` tokens now, going into debt if needed; returns the seconds to wait first.

    Reserving (rather than polling) keeps concurrent threads fair: each one learns its own turn.
    """
    with _lock:
        now = clock()
        bucket = _buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = _buckets[key] = _Bucket(rate=rate, burst=burst, tokens=burst, stamp=now)
        bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.rate)
        bucket.stamp = now
        bucket.tokens -= cost
        return 0.0 if bucket.tokens >= 0 else -bucket.tokens / bucket.rate


def refund(key: str, cost: float = 1.0) -> None:
    with _lock:
        bucket = _buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(bucket.burst, bucket.tokens + cost)


def acquire(key: str, rate: float, burst: float, *, cost: float = 1.0,
            max_wait: float = 5.0) -> float:
    """Wait for a turn; returns the seconds slept. Raises RateLimited when the turn is too far."""
    wait = reserve(key, rate, burst, cost)
    if wait > max_wait:
        refund(key, cost)
        raise RateLimited(
            f"our own rate limit for this account: next slot in {wait:.0f} s", retry_after=wait
        )
    if wait > 0:
        sleep(wait)
    return wait


def reset() -> None:
    """Forget every bucket (tests)."""
    with _lock:
        _buckets.clear()
