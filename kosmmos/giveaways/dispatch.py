"""Ticker entries (kosmmos/jobs/ticker.py): due giveaway steps."""

from __future__ import annotations

from kosmmos.giveaways.jobs import steps


def dispatch_due() -> int:
    return steps.dispatch_due()


def sweep_stuck() -> int:
    return steps.sweep_stuck()
