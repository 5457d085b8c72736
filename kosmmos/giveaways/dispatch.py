"""Ticker entries (kosmmos/jobs/ticker.py): due giveaway steps, due outreach (the hash comment,
winners told) and winners past their answer deadline."""

from __future__ import annotations

from kosmmos.giveaways import actions, outreach
from kosmmos.giveaways.jobs import steps


def dispatch_due() -> int:
    return steps.dispatch_due()


def sweep_stuck() -> int:
    return steps.sweep_stuck()


def dispatch_outreach() -> int:
    return outreach.queue.dispatch_due()


def sweep_outreach() -> int:
    return outreach.queue.sweep_stuck()


def promote_overdue() -> int:
    return actions.promote_overdue()
