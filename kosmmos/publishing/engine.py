"""Publishing a batch: claim the targets of one message, call the networks, record every try.

A Celery message carries a batch of target ids (dispatch.py). The task that gets it:

1. **claims** the rows still ``queued`` → ``publishing`` in one conditional UPDATE that stamps a
   fresh claim token in ``lease_owner`` (leases.py). A duplicated or redelivered message wins
   nothing and does nothing.
2. **waits** for each target's exact ``publish_at`` (the dispatcher looks a tick or two ahead;
   this is a short in-process wait bounded by that look-ahead, never a Celery ETA), and hands the
   network call to the worker's thread pool (runner.py), with the in-claim tries (tries.py).
3. **keeps the lease** fresh while calls are in flight, and refuses to *send* on a lease about to
   run out: once the sweep has moved a row to ``reconciling`` nobody may send it again.
4. **records** all outcomes in one transaction (outcomes.py), the target moved per the state
   machine in content/models.py by ``after_publish``, and the posts' statuses rolled up
   (content/targets.py).

An unknown outcome is never retried here: the target goes to reconciliation (reconcile.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.content.targets import roll_up
from kosmmos.publishing.leases import Lease, extend, lease, new_token, release
from kosmmos.publishing.models import PublishAttempt
from kosmmos.publishing.outcomes import MAX_ATTEMPTS, Verdict, backoff, published_fields, record
from kosmmos.publishing.runner import Batch, start
from kosmmos.publishing.tries import Job, Try, call_with_tries, load, prepare

Outcome = PublishAttempt.Outcome

# After a timeout the network may need a moment before the post shows in its listings.
RECONCILE_DELAY = timedelta(seconds=1)


def publish_batch(ids: Iterable[Any], *, inline: bool = True) -> int:
    """Publish the targets of one message; returns how many this call won."""
    ids = [uuid.UUID(str(i)) for i in ids]
    token = new_token()
    now = timezone.now()
    due = PostTarget.objects.filter(pk__in=ids, status=TargetStatus.QUEUED).values_list(
        "next_attempt_at", flat=True)
    latest = max([d for d in due if d] or [now])
    won = PostTarget.objects.filter(pk__in=ids, status=TargetStatus.QUEUED).update(
        status=TargetStatus.PUBLISHING, lease_owner=token,
        lease_until=max(now, latest) + lease(),
    )
    if not won:
        return 0  # a duplicate message, or the rows moved on (unscheduled, swept)
    jobs = [prepare(t) for t in load(token, TargetStatus.PUBLISHING)]
    for job in jobs:
        # Claimed up to a look-ahead early: the call waits for the post's exact second.
        at = job.target.next_attempt_at
        job.due = at.timestamp() if at else 0.0
    box = Lease(max(now, latest) + lease())

    def work(job: Job) -> None:
        if job.settle_problem(job.target.attempts + 1):
            return
        assert job.request is not None
        call_with_tries(job, box, lambda: job.connector.publish(job.request),
                        first=job.target.attempts + 1)

    def write() -> None:
        record(token, jobs, after_publish, status=TargetStatus.PUBLISHING)

    def hand_back(unstarted: list[Job]) -> None:
        # Never sent: scheduled again, still due at their second, for the next claim.
        if release(token, TargetStatus.PUBLISHING, [j.target.pk for j in unstarted],
                   status=TargetStatus.SCHEDULED):
            roll_up({j.target.post_id for j in unstarted})

    return start(Batch(jobs=jobs, work=work, record=write,
                       heartbeat=lambda: extend(token, TargetStatus.PUBLISHING, box),
                       hand_back=hand_back),
                 inline=inline)


def after_publish(job: Job, last: Try, now: datetime) -> Verdict:
    t = job.target
    attempts = min(32000, t.attempts + sum(1 for x in job.tries if x.outcome != Outcome.NOT_SENT))
    common: dict[str, Any] = {"lease_owner": "", "lease_until": None, "attempts": attempts,
                              "sent_text": job.request.text if job.request else ""}
    if last.outcome == Outcome.PUBLISHED and last.post is not None:
        return Verdict({**common, **published_fields(last.post, now)},
                       event=("published", last.post.url))
    if last.outcome == Outcome.AMBIGUOUS:
        return Verdict({**common, "status": TargetStatus.RECONCILING, "last_error": last.error,
                        "next_attempt_at": now + RECONCILE_DELAY, "checks": 0})
    if last.outcome == Outcome.RATE_LIMITED:
        return Verdict({**common, "status": TargetStatus.SCHEDULED, "last_error": last.error,
                        "next_attempt_at": now + timedelta(seconds=last.retry_after)})
    if last.outcome == Outcome.NOT_SENT:
        return Verdict({**common, "status": TargetStatus.SCHEDULED, "next_attempt_at": now})
    if last.outcome == Outcome.TRANSIENT and attempts < MAX_ATTEMPTS:
        return Verdict({**common, "status": TargetStatus.SCHEDULED, "last_error": last.error,
                        "next_attempt_at": now + backoff(attempts)})
    # Permanent, auth, or out of attempts.
    return Verdict({**common, "status": TargetStatus.FAILED, "last_error": last.error},
                   event=("publish_failed", last.error), reauth=last.outcome == Outcome.AUTH)
