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
    "kosmmos.competitors.dispatch:sweep_stuck",
    "kosmmos.competitors.dispatch:dispatch_due",
    "kosmmos.ord.dispatch:sweep_stuck",
    "kosmmos.ord.dispatch:dispatch_due",
    "kosmmos.ord.dispatch:check_deadlines",
    "kosmmos.inbox.dispatch:check_overdue",
    "kosmmos.notifications.dispatch:fan_out_missed",
    "kosmmos.notifications.dispatch:sweep_deliveries",
    "kosmmos.notifications.dispatch:dispatch_deliveries",
    "kosmmos.notifications.dispatch:sweep_webhooks",
    "kosmmos.notifications.dispatch:dispatch_webhooks",
    "kosmmos.notifications.dispatch:poll_telegram",
    "kosmmos.giveaways.dispatch:sweep_stuck",
    "kosmmos.giveaways.dispatch:dispatch_due",
    "kosmmos.giveaways.dispatch:sweep_outreach",
    "kosmmos.giveaways.dispatch:dispatch_outreach",
    "kosmmos.giveaways.dispatch:promote_overdue",
    "kosmmos.privacy.dispatch:run_retention",
    "kosmmos.privacy.dispatch:dispatch_exports",
    "kosmmos.privacy.dispatch:sweep_exports",
    "kosmmos.privacy.dispatch:run_deletions",
    "kosmmos.results.drift:dispatch_due",
    "kosmmos.backup.schedule:dispatch_due",
    "kosmmos.reports.dispatch:dispatch_schedules",
    "kosmmos.reports.dispatch:dispatch_due",
    "kosmmos.reports.dispatch:sweep_stuck",
    "kosmmos.ads.imports:sweep_stuck",
    "kosmmos.ads.imports:dispatch_due",
    "kosmmos.audiences.exports:sweep_stuck",
    "kosmmos.audiences.exports:refresh_due",
    "kosmmos.audiences.exports:dispatch_due",
]


# Due posts have a lane of their own: a slow round elsewhere (inbox polls take seconds under load)
# must never delay the claim of a post due this second.
FAST_LANE = (
    "kosmmos.publishing.dispatch:sweep_stuck",
    "kosmmos.publishing.dispatch:dispatch_due",
    "kosmmos.publishing.dispatch:dispatch_reconcile",
)


# Before each round of the slow lane: wait while this worker's due posts are still starting
# (a round of inbox polls takes the GIL for tens of milliseconds at a time).
SLOW_LANE_YIELD = "kosmmos.publishing.runner:yield_to_publishing"
SLOW_LANE_YIELD_SECONDS = 0.5


def _load(path: str) -> Callable[..., int]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def tick(paths: list[str] | tuple[str, ...] | None = None) -> dict[str, int]:
    """Run the dispatchers (default: all) once; returns how many rows each handed on. Errors
    are logged."""
    handed: dict[str, int] = {}
    for path in DISPATCHERS if paths is None else paths:
        try:
            handed[path] = _load(path)()
        except Exception:
            log.exception("dispatcher %s failed; it runs again next tick", path)
            handed[path] = 0
    return handed


class Ticker:
    """Two threads: the fast lane (due posts) and every other dispatcher."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if any(t.is_alive() for t in self._threads):
            return
        self._stop.clear()
        rest = [p for p in DISPATCHERS if p not in FAST_LANE]
        self._threads = [
            threading.Thread(target=self._run, args=(FAST_LANE,), name="kosmmos-ticker-fast",
                             daemon=True),
            threading.Thread(target=self._run, args=(rest,), name="kosmmos-ticker", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self, paths: list[str] | tuple[str, ...]) -> None:
        log.info("ticker lane of %d dispatchers, every %.1f s", len(paths),
                 settings.KOSMMOS_TICK_SECONDS)
        while not self._stop.wait(settings.KOSMMOS_TICK_SECONDS):
            close_old_connections()
            if paths != FAST_LANE:
                _load(SLOW_LANE_YIELD)(SLOW_LANE_YIELD_SECONDS)
            tick(paths)


ticker = Ticker()
