"""The rollup dispatcher: hourly click rows for the hours the flusher marked dirty.

Registered in the ticker (jobs/ticker.py). The work is one small transaction in the event store,
so it runs in the ticker itself instead of a Celery task; claims are conditional (see
``EventStore.rollup_dirty``), so any number of tickers is safe.
"""

from __future__ import annotations

from kosmmos.links.events import get_store

BATCH = 2000


def dispatch_due() -> int:
    return get_store().rollup_dirty(BATCH)


def rollup_all() -> int:
    """Everything dirty, now (tests, benchmarks, the demo)."""
    total = 0
    while True:
        done = get_store().rollup_dirty(BATCH)
        total += done
        if not done:
            return total
