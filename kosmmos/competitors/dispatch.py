"""Ticker entries (kosmmos/jobs/ticker.py): due community reads and mention polls."""

from __future__ import annotations

from kosmmos.competitors.collect import reads
from kosmmos.competitors.listening import searches


def dispatch_due() -> int:
    return reads.dispatch_due() + searches.dispatch_due()


def sweep_stuck() -> int:
    return reads.sweep_stuck() + searches.sweep_stuck()
