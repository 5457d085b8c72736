"""The giveaway's job: one step per run, chosen by its stage and the clock.

running, before the end → an incremental collection (the count on the page), again in
``COLLECT_EVERY``; running, past the end → the final collection with every condition re-checked,
then the freeze (hash); frozen → the draw once the announced round is out. Every run is a
``Run`` row; a transient failure backs off, a permanent one fails the job with its error and a
retry button on the page.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.giveaways import actions, beacon
from kosmmos.giveaways.collect import collect
from kosmmos.giveaways.models import Giveaway, JobStatus, Run, Stage
from kosmmos.jobs.queue import RowQueue

COLLECT_EVERY = timedelta(minutes=15)
LEASE = timedelta(minutes=30)
MAX_BACKOFF = timedelta(hours=1)

steps = RowQueue(model=Giveaway, task="kosmmos.giveaways.tasks:advance",
                 running=JobStatus.RUNNING)


def advance(pk: Any) -> str:
    """Run the due step of one giveaway; returns what happened."""
    if not steps.start(pk, LEASE):
        return "lost"
    giveaway = Giveaway.objects.select_related("workspace", "post").get(pk=pk)
    now, clock = timezone.now(), time.monotonic()
    run = Run(giveaway=giveaway, started_at=now, step=giveaway.stage)
    nxt: Any = None
    try:
        if giveaway.stage == Stage.RUNNING:
            run.step = "collect" if now < giveaway.ends_at else "freeze"
            run.entries, reader, _seconds = collect(giveaway)
            run.calls = reader.calls
            if now < giveaway.ends_at:
                nxt = min(now + COLLECT_EVERY, giveaway.ends_at)
            else:
                actions.freeze(giveaway)
                nxt = beacon.time_of(giveaway.drand_round or 0)
        elif giveaway.stage == Stage.FROZEN:
            out_at = beacon.time_of(giveaway.drand_round or 0)
            if now < out_at:  # claimed early (a retry): nothing to record
                run.step = ""
                nxt = out_at
            else:
                run.step = "draw"
                actions.draw(giveaway, beacon.fetch(giveaway.beacon_url,
                                                    giveaway.drand_round or 0))
                run.entries = giveaway.frozen_count
    except (ConnectorError, actions.Refused) as exc:
        message = exc.message if isinstance(exc, ConnectorError) else str(exc)
        permanent = isinstance(exc, actions.Refused) or exc.permanent
        wait = (timedelta(seconds=exc.retry_after) if isinstance(exc, RateLimited)
                else min(timedelta(minutes=1) * 2 ** giveaway.attempts, MAX_BACKOFF))
        run.error = message[:2000]
        _finish(run, clock)
        Giveaway.objects.filter(pk=pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED if permanent else JobStatus.PENDING, lease_until=None,
            next_attempt_at=timezone.now() + wait, last_error=message[:2000],
            attempts=F("attempts") + 1)
        return "failed"
    _finish(run, clock)
    Giveaway.objects.filter(pk=pk, status=JobStatus.RUNNING).update(
        status=JobStatus.PENDING if nxt else JobStatus.IDLE, lease_until=None,
        next_attempt_at=nxt or now, last_error="", attempts=0)
    return run.step or "waiting"


def _finish(run: Run, clock: float) -> None:
    run.duration_ms = int((time.monotonic() - clock) * 1000)
    if run.step or run.error:
        run.save()
