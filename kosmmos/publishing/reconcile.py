"""Reconciliation: look a post up on the network when we cannot know whether it was sent.

After an unknown outcome (a timeout, a lost answer) or a worker lost mid-call, the target is
``reconciling``; the dispatcher claims it (dispatch.py) and ``reconcile_batch`` asks the network
with ``connector.find()``: found → published (never re-sent), absent → scheduled again at once,
cannot tell → needs_check, for a person to decide.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kosmmos.connectors.base import AmbiguousOutcome, AuthRevoked, ConnectorError, RateLimited
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.publishing.leases import new_token, release
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.outcomes import Verdict, backoff, published_fields, record
from kosmmos.publishing.runner import Batch, start
from kosmmos.publishing.tries import TRIES, Job, Try, describe, load, prepare

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome

MAX_CHECKS = 6


def reconcile_batch(ids: Iterable[Any], dispatch_token: str, *, inline: bool = True,
                    on_due: Callable[[], None] | None = None) -> int:
    """Look up the targets the dispatcher claimed for reconciliation with ``dispatch_token``.

    The task takes them over with its own token first, so a duplicated message finds nothing.
    ``on_due`` runs once targets found absent are due again (to claim them before the next tick).
    """
    token = new_token()
    if not PostTarget.objects.filter(
        pk__in=[uuid.UUID(str(i)) for i in ids], status=TargetStatus.RECONCILING,
        lease_owner=dispatch_token,
    ).update(lease_owner=token):
        return 0
    targets = load(token, TargetStatus.RECONCILING)
    if not targets:
        return 0
    jobs = [prepare(t, text=t.sent_text or None) for t in targets]
    for job in jobs:
        job.action = "find"

    def write() -> None:
        record(token, jobs, after_find, status=TargetStatus.RECONCILING, on_due=on_due)

    def hand_back(unstarted: list[Job]) -> None:
        # A look-up is read-only: due again at once, for the next claim.
        release(token, TargetStatus.RECONCILING, [j.target.pk for j in unstarted],
                next_attempt_at=timezone.now())

    return start(Batch(jobs=jobs, work=look_up, record=write, hand_back=hand_back),
                 inline=inline)


def look_up(job: Job) -> None:
    """One ``find()`` on the network: a Try saying whether the post is there."""
    if job.settle_problem(job.target.attempts):
        return
    started, clock = timezone.now(), time.monotonic()
    try:
        found = job.connector.find(job.request)
        outcome, error, post = (Outcome.RECONCILED, "", found) if found else (
            Outcome.ABSENT, "", None)
    except AmbiguousOutcome as exc:  # the network cannot tell (Telegram Bot API)
        outcome, error, post = Outcome.AMBIGUOUS, describe(exc), None
    except RateLimited as exc:
        outcome, error, post = Outcome.RATE_LIMITED, describe(exc), None
    except AuthRevoked as exc:
        outcome, error, post = Outcome.AUTH, describe(exc), None
    except ConnectorError as exc:
        outcome = Outcome.PERMANENT if exc.permanent else Outcome.TRANSIENT
        error, post = describe(exc), None
    except Exception as exc:
        log.exception("find() failed unexpectedly")
        outcome, error, post = Outcome.TRANSIENT, f"{type(exc).__name__}: {describe(exc)}", None
    job.tries.append(Try(job.target.attempts, started,
                         int((time.monotonic() - clock) * 1000), outcome, error, post))


def after_find(job: Job, last: Try, now: datetime) -> Verdict:
    t = job.target
    common: dict[str, Any] = {"lease_owner": "", "checks": t.checks + 1}
    if last.outcome == Outcome.RECONCILED and last.post is not None:
        return Verdict({**common, **published_fields(last.post, now)},
                       event=("published", last.post.url))
    if last.outcome == Outcome.ABSENT:
        # Surely not there: publishing again cannot double it — at once.
        return Verdict({**common, "status": TargetStatus.SCHEDULED, "next_attempt_at": now},
                       due_now=True)
    if last.outcome in (Outcome.TRANSIENT, Outcome.RATE_LIMITED) and t.checks + 1 < MAX_CHECKS:
        wait_for = max(timedelta(seconds=last.retry_after), backoff(TRIES * (t.checks + 1)))
        return Verdict({**common, "last_error": last.error, "next_attempt_at": now + wait_for})
    # Cannot tell, gave up, or cannot ask: a person decides.
    error = last.error or "The network could not say whether the post is there."
    return Verdict({**common, "status": TargetStatus.NEEDS_CHECK, "last_error": error},
                   event=("needs_check", error), reauth=last.outcome == Outcome.AUTH)
