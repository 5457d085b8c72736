"""The ticker: a thread in each worker that finds due rows and hands them to Celery.

It replaces Celery beat and ETA tasks. Each dispatcher claims rows with a conditional update, so
two tickers on two machines never claim the same row, and a ticker that dies loses nothing: the
rows stay due in the database until some ticker claims them.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)

# Explicit registry: "module:function" of every dispatcher and sweep, run once per tick.
DISPATCHERS = [
    "kosmmos.mail.dispatch:dispatch_due",
    "kosmmos.mail.dispatch:sweep_stuck",
    "kosmmos.proposals.dispatch:dispatch_due",
    "kosmmos.proposals.dispatch:sweep_stuck",
    "kosmmos.channels.dispatch:check_tokens",
    "kosmmos.links.rollups:dispatch_due",
    "kosmmos.links.metrica:dispatch_due",
    "kosmmos.links.metrica:sweep_stuck",
    # The sweep first: a dead worker's posts are looked up in the same tick.
    "kosmmos.publishing.dispatch:sweep_stuck",
    "kosmmos.publishing.dispatch:dispatch_due",
    "kosmmos.publishing.dispatch:dispatch_reconcile",
    "kosmmos.publishing.dispatch:dispatch_actions",
    "kosmmos.content.dispatch:dispatch_due",
    "kosmmos.content.dispatch:sweep_stuck",
    "kosmmos.publishing.dispatch:dispatch_stats",
    "kosmmos.inbox.dispatch:dispatch_replies",
    "kosmmos.inbox.dispatch:dispatch_polls",
    "kosmmos.inbox.dispatch:dispatch_retrain",
    "kosmmos.inbox.dispatch:sweep_stuck",
    "kosmmos.inbox.dispatch:check_surges",
]


def _load(path: str) -> Callable[[], int]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def tick() -> dict[str, int]:
    """Run every dispatcher once; returns how many rows each handed on. Errors are logged."""
    handed: dict[str, int] = {}
    for path in DISPATCHERS:
        try:
            handed[path] = _load(path)()
        except Exception:
            log.exception("dispatcher %s failed; it runs again next tick", path)
            handed[path] = 0
    return handed


class Ticker:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kosmmos-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        log.info("ticker started, every %.1f s", settings.KOSMMOS_TICK_SECONDS)
        while not self._stop.wait(settings.KOSMMOS_TICK_SECONDS):
            close_old_connections()
            tick()


ticker = Ticker()
