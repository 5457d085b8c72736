from __future__ import annotations

import threading

import pytest

from kosmmos.connectors import ratelimit
from kosmmos.connectors.base import RateLimited
from kosmmos.connectors.testing import FakeClock, fake_clock  # noqa: F401


def test_it_lets_a_burst_through_then_paces(fake_clock: FakeClock) -> None:  # noqa: F811
    for _ in range(5):
        ratelimit.acquire("k", rate=2.0, burst=2.0)
    assert fake_clock.slept == pytest.approx([0.5, 0.5, 0.5])


def test_it_keeps_separate_budgets_per_key(fake_clock: FakeClock) -> None:  # noqa: F811
    for key in ("a", "b", "c"):
        ratelimit.acquire(key, rate=1.0, burst=1.0)
    assert fake_clock.slept == []


def test_it_refills_with_time(fake_clock: FakeClock) -> None:  # noqa: F811
    ratelimit.acquire("k", rate=1.0, burst=1.0)
    fake_clock.now += 1.0
    ratelimit.acquire("k", rate=1.0, burst=1.0)
    assert fake_clock.slept == []


def test_it_raises_rate_limited_instead_of_a_long_wait(fake_clock: FakeClock) -> None:  # noqa: F811
    per_minute = 20 / 60
    for _ in range(20):
        ratelimit.acquire("chat", rate=per_minute, burst=20, max_wait=5.0)
    with pytest.raises(RateLimited) as caught:
        ratelimit.acquire("chat", rate=per_minute, burst=20, max_wait=2.0)
    assert caught.value.retry_after == pytest.approx(3.0)
    # The refused call gave its slot back: after the wait it goes through.
    fake_clock.now += 3.0
    assert ratelimit.acquire("chat", rate=per_minute, burst=20, max_wait=2.0) == 0.0


def test_it_gives_each_thread_its_own_turn() -> None:
    """Real clock, real threads: six callers on a 3/s budget take about one second."""
    ratelimit.reset()
    slept: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        wait = ratelimit.reserve("threads", rate=30.0, burst=3.0)
        with lock:
            slept.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    waits = sorted(slept)
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert all(w > 0 for w in waits[3:]) and len(set(round(w, 3) for w in waits[3:])) == 3
    ratelimit.reset()
