"""A queue of due rows: the shared dispatcher/sweep for models that follow the job pattern.

The model has ``status``, ``next_attempt_at``, ``enqueued_at`` and ``lease_until`` columns and moves
``pending → queued → <running> → …``. The dispatcher claims due pending rows and enqueues their ids;
the task claims queued → running itself (and does nothing if it loses); the sweep re-enqueues rows
whose message was lost and hands back rows whose worker died. Everything is a conditional update,
so any number of tickers may run these at once.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from kosmmos.jobs.claims import claim_batch, claim_one

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowQueue:
    model: type[models.Model]
    task: str  # "module:task_name" of a Celery task taking the row id as a string
    running: str  # the status a task sets while it works ("sending", "running", …)
    pending: str = "pending"
    queued: str = "queued"
    # Where a row goes when its worker died (lease over): pending (do it again) or, for work that
    # is not safe to repeat blindly, a status that asks for a check first.
    after_dead_worker: str = "pending"
    batch: int = 100
    # A queued message not picked up by then is assumed lost (broker restart) and sent again.
    requeue_after: timedelta = timedelta(minutes=2)

    def enqueue(self, pk: Any) -> None:
        """Put the id on the broker; a failure only delays the work (the sweep re-sends)."""
        module, _, name = self.task.partition(":")
        try:
            getattr(importlib.import_module(module), name).delay(str(pk))
        except Exception:
            log.exception("could not enqueue %s %s; the sweep will retry", self.model.__name__, pk)

    def kick(self, pk: Any) -> bool:
        """Claim one pending row and enqueue it now rather than at the next tick."""
        if claim_one(self.model, pk, self.pending, status=self.queued, enqueued_at=timezone.now()):
            self.enqueue(pk)
            return True
        return False

    def dispatch_due(self) -> int:
        now = timezone.now()
        due = self.model._default_manager.filter(next_attempt_at__lte=now)
        ids = claim_batch(due, self.pending, self.batch, status=self.queued, enqueued_at=now)
        for pk in ids:
            self.enqueue(pk)
        return len(ids)

    def sweep_stuck(self) -> int:
        now = timezone.now()
        rows = self.model._default_manager
        stale = now - self.requeue_after
        lost = list(
            rows.filter(status=self.queued, enqueued_at__lt=stale).values_list("pk", flat=True)[
                : self.batch
            ]
        )
        requeued = 0
        for pk in lost:
            # Conditional, so two sweepers re-enqueue a row once between them.
            if rows.filter(pk=pk, status=self.queued, enqueued_at__lt=stale).update(enqueued_at=now):
                self.enqueue(pk)
                requeued += 1
        dead = rows.filter(status=self.running, lease_until__lt=now).update(
            status=self.after_dead_worker, next_attempt_at=now, lease_until=None
        )
        return requeued + dead
