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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from kosmmos.jobs.claims import claim_batch, claim_marked, claim_one

log = logging.getLogger(__name__)


def send_batches(task: str, ids: Sequence[Any], *args: Any, size: int) -> None:
    """Enqueue ``ids`` in order, ``size`` to a message, to ``task`` ("module:task_name" of a
    Celery task taking a list of ids as strings, then ``args``). A failure only delays the work:
    the rows stay claimed and the sweep or the next claim sends them again."""
    module, _, name = task.partition(":")
    for start in range(0, len(ids), size):
        batch = [str(pk) for pk in ids[start:start + size]]
        try:
            getattr(importlib.import_module(module), name).delay(batch, *args)
        except Exception:
            log.exception("could not enqueue %s", task)


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
    # Stored as last_error when a dead worker's row is handed back (say what a person should do).
    dead_worker_error: str = ""
    # The column that says when a pending row is due; None: every pending row is due at once.
    due_field: str | None = "next_attempt_at"
    batch: int = 100
    # A queued message not picked up by then is assumed lost (broker restart) and sent again.
    requeue_after: timedelta = timedelta(minutes=2)
    # More columns set on a dead worker's row (say, its own error column and a finish time;
    # values may be expressions such as ``Now()``).
    dead_worker_updates: Mapping[str, Any] = field(default_factory=dict)

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
        rows = self.model._default_manager
        due = rows.filter(**{f"{self.due_field}__lte": now}) if self.due_field else rows.all()
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
        handed_back: dict[str, Any] = {"status": self.after_dead_worker, "lease_until": None}
        if self.due_field:
            handed_back[self.due_field] = now
        if self.dead_worker_error:
            handed_back["last_error"] = self.dead_worker_error
        handed_back.update(self.dead_worker_updates)
        dead = rows.filter(status=self.running, lease_until__lt=now).update(**handed_back)
        return requeued + dead

    def start(self, pk: Any, lease: timedelta, **updates: Any) -> bool:
        """The task takes its row: queued → running with a lease (the sweep hands the row back
        when the lease runs out); False when another run has it or the state moved on."""
        return claim_one(self.model, pk, self.queued, status=self.running,
                         lease_until=timezone.now() + lease, **updates)

    def retry_failed(self, pk: Any, failed: str = "failed") -> bool:
        """A person retries a failed row: pending, due now, its error cleared, and kicked once
        the transaction commits. False when the row is not failed (any more)."""
        due = {self.due_field: timezone.now()} if self.due_field else {}
        won = claim_one(self.model, pk, failed, status=self.pending, last_error="", **due)
        if won:
            transaction.on_commit(lambda: self.kick(pk))
        return won

    # Batches: for rows that are many at once and due to the second (publishing). A message
    # carries a list of ids; the claim stamps a mark (a claim token) so its result is exact.

    def claim_ahead(self, mark: tuple[str, str], *, ahead: timedelta = timedelta(0),
                    hold: timedelta | None = None, where: Q | None = None,
                    limit: int | None = None) -> list[Any]:
        """Claim the pending rows due within ``ahead`` (a look-ahead: the task waits for each
        row's moment), the most overdue first, with one UPDATE stamping ``mark``; returns the
        ids won, in that order.

        The rows go pending → queued, enqueued now (``take_lost`` re-sends a lost message). With
        ``hold`` they keep their status and their due column moves ``hold`` ahead instead: work
        whose task takes the rows over by the mark, and that comes due again if it never runs.
        """
        if not self.due_field:
            raise ValueError("a claim ahead needs a due column")
        now = timezone.now()
        rows = self.model._default_manager.filter(**{f"{self.due_field}__lte": now + ahead})
        if where is not None:
            rows = rows.filter(where)
        updates: dict[str, Any] = (
            {"status": self.queued, "enqueued_at": now} if hold is None
            else {self.due_field: now + hold})
        return claim_marked(rows, self.pending, limit or self.batch, order=(self.due_field,),
                            mark=mark, **updates)

    def enqueue_batches(self, ids: Sequence[Any], *args: Any, size: int) -> None:
        send_batches(self.task, ids, *args, size=size)

    def take_lost(self, fields: Sequence[str] = ("pk",), limit: int | None = None) -> list[Any]:
        """Queued rows whose message is presumed lost, marked enqueued again now; returns their
        ``fields`` (tuples) for the caller to send again. On PostgreSQL rows another sweep is
        taking are skipped; SQLite's IMMEDIATE transactions serialise the sweeps."""
        now = timezone.now()
        rows = self.model._default_manager
        with transaction.atomic():
            lost = rows.filter(status=self.queued, enqueued_at__lt=now - self.requeue_after)
            if settings.IS_POSTGRES:
                lost = lost.select_for_update(skip_locked=True)
            found = list(lost.values_list(*fields)[: limit or self.batch])
            pk = list(fields).index("pk")
            rows.filter(pk__in=[row[pk] for row in found], status=self.queued).update(
                enqueued_at=now)
        return found
