"""Edits and deletes of published posts, owed to the network as jobs (``pending_action``).

Both are idempotent on the networks (setting a text twice, deleting a deleted post), so an
unknown outcome is simply tried again later. An edit made while an older one is in flight bumps
``action_version``: the older job's success does not clear the newer one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from kosmmos.content.models import PendingAction, PostEvent, PostTarget, TargetStatus
from kosmmos.content.targets import roll_up
from kosmmos.publishing.engine import (
    MAX_ATTEMPTS,
    Job,
    Lease,
    Outcome,
    Try,
    _attempt_rows,
    _event,
    backoff,
    call_with_tries,
    lease,
    load,
    mark_needs_reauth,
    new_token,
    prepare,
    run_in_pool,
    worker_name,
)
from kosmmos.publishing.models import PublishAttempt

RETRYABLE = {Outcome.TRANSIENT, Outcome.RATE_LIMITED, Outcome.AMBIGUOUS, Outcome.NOT_SENT}


def run_actions(ids: Iterable[Any], dispatch_token: str) -> int:
    token = new_token()
    if not PostTarget.objects.filter(
        pk__in=[uuid.UUID(str(i)) for i in ids], lease_owner=dispatch_token,
    ).exclude(pending_action="").update(lease_owner=token):
        return 0
    targets = load(token, TargetStatus.PUBLISHED)
    jobs = [prepare(t) for t in targets]
    versions = {t.pk: (t.pending_action, t.action_version) for t in targets}
    box = Lease(timezone.now() + lease())

    def work(job: Job) -> None:
        t = job.target
        if job.problem:
            outcome, error = job.problem
            job.tries.append(Try(t.action_attempts + 1, timezone.now(), 0, outcome, error))
            return
        if t.pending_action == PendingAction.DELETE:
            action = lambda: job.connector.delete(t.external_id)  # noqa: E731
        else:
            action = lambda: job.connector.edit(t.external_id, job.request)  # noqa: E731
        call_with_tries(job, box, action, first=t.action_attempts + 1, tries=2)

    run_in_pool(jobs, work, box, lambda: None)
    now = timezone.now()
    with transaction.atomic():
        rows, events, reauth = [], [], {}
        for job in jobs:
            t = job.target
            kind, version = versions[t.pk]
            rows += _attempt_rows(t, [
                Try(x.number, x.started_at, x.duration_ms,
                    Outcome.DONE if x.outcome == Outcome.PUBLISHED else x.outcome, x.error)
                for x in job.tries], kind, worker_name())
            last = job.tries[-1]
            mine = PostTarget.objects.filter(pk=t.pk, lease_owner=token)
            current = mine.filter(pending_action=kind, action_version=version)
            if last.outcome == Outcome.PUBLISHED:
                done: dict[str, Any] = {"pending_action": "", "action_due_at": None,
                                        "action_attempts": 0, "lease_owner": "", "last_error": ""}
                if kind == PendingAction.DELETE:
                    done.update(status=TargetStatus.DELETED, next_stats_at=None)
                elif job.request is not None:
                    done.update(sent_text=job.request.text)
                if current.update(**done):
                    events.append(_event(t, "deleted" if kind == PendingAction.DELETE
                                         else "edited", t.url or t.external_id))
                else:  # a newer edit came in meanwhile: run it next
                    mine.update(lease_owner="", action_due_at=now)
                continue
            attempts = t.action_attempts + len(job.tries)
            if last.outcome in RETRYABLE and attempts < MAX_ATTEMPTS:
                wait_for = max(timedelta(seconds=last.retry_after), backoff(attempts + 3))
                mine.update(lease_owner="", action_attempts=attempts,
                            action_due_at=now + wait_for, last_error=last.error)
            else:  # given up: the error shows on the target page; a new edit tries again
                mine.update(lease_owner="", action_attempts=attempts, action_due_at=None,
                            last_error=last.error)
                events.append(_event(t, f"{kind}_failed", last.error))
                if last.outcome == Outcome.AUTH:
                    reauth[t.channel_id] = last.error
        PublishAttempt.objects.bulk_create(rows)
        PostEvent.objects.bulk_create(events)
        mark_needs_reauth(reauth)
        roll_up({job.target.post_id for job in jobs})
    return len(jobs)
